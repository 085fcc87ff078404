"""The pitfalls quiz: right answers match what PyTorch really does, and nothing gives them away."""

import re

import nbformat
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from tools.course import course_notebooks
from utils.quiz import (
    CHOICES,
    LETTERS,
    NEEDS,
    NOT_THIS_ONE,
    QUESTIONS,
    RIGHT,
    answer_quiz,
    judge,
    question_text,
    quiz,
)

PITFALLS = next(p for p in course_notebooks() if p.name == "07_common_pitfalls.ipynb")
QUIZ_CALL = re.compile(r'^quiz\("([^"]+)"\)$')


def quiz_cells() -> list[tuple[str, object]]:
    """(quiz name, the code cell the quiz asks about) for every quiz in notebook 07."""
    cells = nbformat.read(PITFALLS, as_version=4).cells
    found = []
    for index, cell in enumerate(cells):
        match = QUIZ_CALL.match(cell.source.strip()) if cell.cell_type == "code" else None
        if match:
            following = next(c for c in cells[index + 1 :] if c.cell_type == "code")
            found.append((match.group(1), following))
    return found


def test_every_quiz_in_the_notebook_is_known_and_every_question_is_asked():
    names = [name for name, _ in quiz_cells()]
    assert len(names) == 5, "the five pitfalls met earlier in the course are quiz questions"
    assert sorted(names) == sorted(QUESTIONS)


@pytest.mark.parametrize(("name", "cell"), quiz_cells(), ids=lambda x: getattr(x, "id", x))
def test_the_right_answer_is_what_the_cell_really_does(name, cell):
    """The stored output (kept honest by strict nbval) shows the error the answer names."""
    answer = CHOICES[LETTERS.index(QUESTIONS[name].answer)]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if answer.startswith("no error"):
        assert not errors
    else:
        assert "raises-exception" in cell.metadata.get("tags", [])
        assert errors and answer in errors[0].evalue, f"{name}: the cell does not raise {answer!r}"


@pytest.mark.parametrize(("name", "cell"), quiz_cells(), ids=lambda x: getattr(x, "id", x))
def test_the_cell_asked_about_hides_its_answer_in_the_student_edition(name, cell):
    assert "predict-answer" in cell.metadata.get("tags", [])


def test_every_choice_has_a_nudge_and_the_letters_match():
    assert len(CHOICES) == len(LETTERS) == len(set(CHOICES))
    assert set(NEEDS) == set(LETTERS)


def test_the_nudge_for_the_first_message_names_the_condition_pytorch_checks():
    """A leaf that requires grad has no grad_fn, yet backward() from it works: the first
    message's condition is "does not require grad", and its nudge must ask about that."""
    leaf = torch.tensor(3.0, requires_grad=True)
    leaf.backward()
    assert leaf.grad_fn is None and leaf.grad.item() == 1.0
    with pytest.raises(RuntimeError, match=CHOICES[0]):
        torch.tensor(3.0).backward()
    assert "does not require grad" in NEEDS["A"]
    assert NEEDS["A"].endswith("Does the tensor here require grad?")


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_the_right_letter_is_praised_with_the_cause(name):
    question = QUESTIONS[name]
    feedback = judge(name, question.answer)
    assert feedback.right is True
    assert feedback.message.startswith(RIGHT) and question.why in feedback.message


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_a_wrong_letter_gets_a_kind_nudge_that_never_names_the_answer(name):
    question = QUESTIONS[name]
    right_text = CHOICES[LETTERS.index(question.answer)]
    nudges = set()
    for letter in LETTERS:
        if letter == question.answer:
            continue
        feedback = judge(name, letter)
        assert feedback.right is False
        assert feedback.message.startswith(NOT_THIS_ONE)
        assert feedback.message.endswith("Try another answer.")
        assert right_text not in feedback.message
        assert not re.search(rf"\b{question.answer}\b", feedback.message)
        nudges.add(feedback.message)
    assert len(nudges) == len(LETTERS) - 1, "each wrong choice says what it would need"


def test_what_shows_before_a_choice_is_the_same_for_every_question():
    """Nothing shown before the learner chooses depends on the answer."""
    texts = {question_text(q).replace(q.name, "NAME") for q in QUESTIONS.values()}
    assert len(texts) == 1
    (text,) = texts
    assert all(
        f"{letter}. {choice}" in text for letter, choice in zip(LETTERS, CHOICES, strict=True)
    )


@pytest.mark.parametrize("choice", ["a", " a ", "A"])
def test_lower_case_and_spaces_are_fine(choice):
    assert judge("plain tensor", choice).right is True


@pytest.mark.parametrize("choice", ["Z", "", "AB", 3, 2.5, "?"])
def test_a_choice_that_is_no_letter_gets_one_line_saying_what_to_type(choice):
    feedback = judge("plain tensor", choice)
    assert feedback.right is None
    assert "is not a choice" in feedback.message and "A, B, C, D, E, F" in feedback.message
    assert "\n" not in feedback.message


def test_no_choice_yet_asks_for_one():
    feedback = judge("plain tensor", None)
    assert feedback.right is None and "Choose an answer first" in feedback.message


def test_an_unknown_quiz_name_lists_the_quizzes_in_one_line(capsys):
    answer_quiz("plain tensors", "A")
    assert quiz("no such quiz") is None
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("Not found") and '"plain tensor"' in first
    assert second.startswith("Not found")


def test_answer_quiz_prints_the_feedback_and_returns_nothing(capsys):
    assert answer_quiz("graph built once", "B") is None
    assert capsys.readouterr().out.startswith(RIGHT)


def test_the_quiz_judges_only_on_check_and_clears_on_a_new_choice():
    shown = quiz("update while recording")
    assert shown.draw()[0].endswith("\n\nChoose a letter, then press Check.")
    shown.letters.value = "A"
    assert shown.items[0].endswith("Choose a letter, then press Check."), "choosing is not checking"
    shown.check_button.click()
    assert shown.items[0].split("\n\n")[-1].startswith(NOT_THIS_ONE)
    shown.letters.value = "C"
    assert shown.items[0].endswith("Choose a letter, then press Check."), "old feedback cleared"
    shown.check_button.click()
    assert shown.items[0].split("\n\n")[-1].startswith(RIGHT)


def test_check_before_any_choice_asks_for_one():
    shown = quiz("plain tensor")
    shown.draw()
    shown.check_button.click()
    assert shown.items[0].endswith("Choose an answer first, then check it.")


def test_without_a_widget_front_end_the_question_and_choices_show_as_text():
    InteractiveShell.instance()
    with capture_output() as captured:
        quiz("plot the predictions")._ipython_display_()
    texts = [o.data.get("text/plain", "") for o in captured.outputs]
    assert texts[-1] == (
        question_text(QUESTIONS["plot the predictions"]) + "\n\nChoose a letter, then press Check."
    )
    assert not any(RIGHT in text or NOT_THIS_ONE in text for text in texts)


def test_after_check_the_feedback_replaces_the_prompt_in_place():
    InteractiveShell.instance()
    shown = quiz("decorated loss")
    with capture_output() as captured:
        shown._ipython_display_()
        shown.letters.value = "A"
        shown.check_button.click()
    feedback = [o for o in captured.outputs if f"\n\n{RIGHT}" in o.data.get("text/plain", "")]
    assert len(feedback) == 1 and feedback[0].update, "shown in place of the prompt"


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_the_text_a_quiz_shows_is_what_notebook_07_stores(name):
    """Without a widget front end a quiz shows its title line, then the question, its choices
    and the prompt; the fast tests compare that with the outputs stored in notebook 07 (which
    strict nbval keeps equal to a fresh run)."""
    cells = nbformat.read(PITFALLS, as_version=4).cells
    call = f'quiz("{name}")'
    (stored,) = [c for c in cells if c.cell_type == "code" and c.source.strip() == call]
    InteractiveShell.instance()
    with capture_output() as captured:
        quiz(name)._ipython_display_()
    shown = [o.data["text/plain"] for o in captured.outputs]
    assert shown == [o.data["text/plain"] for o in stored.outputs]


def test_the_prompt_names_the_button_to_press_and_the_button_stands_out():
    shown = quiz("plain tensor")
    assert shown.draw()[0].endswith(f"press {shown.check_button.description}.")
    assert shown.check_button.description.strip()
    assert shown.check_button.button_style == "primary", "the one action to take is highlighted"


def test_six_letter_buttons_fit_a_narrow_output_area():
    """Each letter button is a few characters wide, so the six fit beside each other in a
    projector's narrow notebook (about 40 characters)."""
    width = quiz("plain tensor").letters.style.button_width
    match = re.fullmatch(r"(\d+(?:\.\d+)?)em", width)
    assert match, f"button width {width!r} is not a width in em"
    assert 6 * float(match.group(1)) <= 20


def test_an_unknown_quiz_name_lists_every_quiz_separated_by_commas():
    message = judge("nope", "A").message
    assert all(f'"{name}"' in message for name in QUESTIONS)
    assert message.count('", "') == len(QUESTIONS) - 1


def test_long_feedback_is_wrapped_at_word_boundaries_to_fit_a_wide_output_area():
    shown = quiz("graph built once")
    shown.letters.value = "B"
    shown.check_button.click()
    feedback = shown.items[0].split("\n\n")[-1]
    lines = feedback.splitlines()
    assert len(lines) >= 2 and max(map(len, lines)) <= 88
    assert max(map(len, lines)) > 70, "wrapped for a desk's output area, not at 70 columns"
    assert " ".join(lines) == judge("graph built once", "B").message
