"""Quizzes: say what a cell will do before you run it.

In a notebook::

    quiz("plain tensor")                 # choices, and a Check button
    # answer_quiz("plain tensor", "A")   # the same check without widgets

Each quiz asks which error (or silent failure) the *next* cell will cause. The
choices are the messages met earlier in the course, the same for every question,
so a quiz is a small act of recall. A wrong choice gets a kind nudge that says what
that message would need; the right answer is never shown before you choose it:
running the next cell shows it.

Where no widget front end runs (GitHub, a static page, the test runner), a quiz
shows its choices as text and how to answer with :func:`answer_quiz`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import ipywidgets as widgets

from utils.widgets import Playground

RIGHT = "✔ Right"
NOT_THIS_ONE = "✘ Not this one"
LETTERS = "ABCDEF"

# The symptoms a learner has met in notebooks 01 to 06, shared by every question.
CHOICES: tuple[str, ...] = (
    "element 0 of tensors does not require grad and does not have a grad_fn",
    "Trying to backward through the graph a second time",
    "a leaf Variable that requires grad is being used in an in-place operation",
    "Can't call numpy() on Tensor that requires grad",
    "grad can be implicitly created only for scalar outputs",
    "no error: it runs, and a gradient is silently wrong or None",
)

# What each symptom needs in order to appear: the nudge for a wrong choice. Each one
# names a condition to look for in the cell, never which choice is right.
NEEDS: dict[str, str] = {
    "A": "that message comes when backward() starts from a tensor that does not require "
    "grad (so it has no grad_fn either). Does the tensor here require grad?",
    "B": "that message needs a second backward() through a graph whose saved values "
    "were already freed. How many times does backward() run here, and through which graph?",
    "C": "that message needs an in-place change (-=, add_(), ...) of a leaf that requires "
    "grad, made while autograd records. Is there one?",
    "D": "that message needs a .numpy() call on a tensor that requires grad. Is there one?",
    "E": "that message needs backward() on a tensor with more than one element. "
    "What shape has the tensor here?",
    "F": "look again: one line of this cell makes autograd refuse. Which one?",
}


@dataclass(frozen=True)
class Question:
    """One quiz question about the cell that follows it.

    Attributes:
        name: what you pass to :func:`quiz` and :func:`answer_quiz`.
        answer: the letter of the right choice in ``CHOICES``.
        why: said once the learner has chosen right: the cause, in one sentence.
    """

    name: str
    answer: str
    why: str


@dataclass(frozen=True)
class QuizFeedback:
    """The outcome of one answer.

    Attributes:
        right: True for the right choice, False for a wrong one, None when there was
            no usable choice (nothing chosen, or not a choice).
        message: what the learner reads.
    """

    right: bool | None
    message: str

    def __str__(self) -> str:
        return self.message


QUESTIONS: dict[str, Question] = {
    question.name: question
    for question in (
        Question(
            "plain tensor",
            "A",
            "the weights were made without requires_grad=True, so autograd recorded "
            "nothing and the loss has no grad_fn to walk back from.",
        ),
        Question(
            "decorated loss",
            "A",
            "the decorator @torch.no_grad() switches recording off inside the function, "
            "so the loss it returns has no graph, although the weights require grad.",
        ),
        Question(
            "graph built once",
            "B",
            "the loss is built once, before the loop: the first backward() frees what "
            "x**3 saved for its derivative, and the second pass walks the same graph.",
        ),
        Question(
            "update while recording",
            "C",
            "weight -= ... changes a leaf that requires grad in place while autograd "
            "records, so autograd refuses.",
        ),
        Question(
            "plot the predictions",
            "D",
            "the predictions were computed from a weight that requires grad, so they "
            "require grad too, and NumPy cannot carry their history.",
        ),
    )
}


def choice_lines() -> list[str]:
    """The choices as lines of text, "A. ...", in order."""
    return [f"{letter}. {text}" for letter, text in zip(LETTERS, CHOICES, strict=True)]


def find_question(question: Question | str) -> Question:
    """The question itself, from a question or its name.

    Args:
        question: a :class:`Question`, or the name of one in ``QUESTIONS``.

    Raises:
        LookupError: with a one-line message, when no question has that name.
    """
    if isinstance(question, Question):
        return question
    if isinstance(question, str) and question in QUESTIONS:
        return QUESTIONS[question]
    names = ", ".join(f'"{name}"' for name in QUESTIONS)
    raise LookupError(f"there is no quiz called {question!r}; the quizzes are {names}.")


def judge(question: Question | str, choice: object) -> QuizFeedback:
    """Judge one answer, kindly, without naming the right choice when it is wrong.

    Args:
        question: a :class:`Question` or its name.
        choice: a letter, "A" to "F" (lower case and spaces are fine), or None for
            nothing chosen yet.
    """
    try:
        found = find_question(question)
    except LookupError as error:
        return QuizFeedback(None, f"Not found: {error}")
    if choice is None:
        return QuizFeedback(None, "Choose an answer first, then check it.")
    letter = str(choice).strip().upper()
    if len(letter) != 1 or letter not in LETTERS:
        return QuizFeedback(
            None, f"{choice!r} is not a choice: answer with one letter, {', '.join(LETTERS)}."
        )
    if letter == found.answer:
        return QuizFeedback(True, f"{RIGHT}: {found.why} Now run the next cell to see it.")
    return QuizFeedback(False, f"{NOT_THIS_ONE}: {NEEDS[letter]} Try another answer.")


def answer_quiz(question: Question | str, choice: object) -> None:
    """Answer a quiz without widgets, and print the feedback.

    Args:
        question: the quiz's name, e.g. ``"plain tensor"``, or a :class:`Question`.
        choice: your answer, a letter from "A" to "F".
    """
    print(judge(question, choice).message)


class Quiz(Playground):
    """A button per letter, a Check button, then the question, its choices and the feedback.

    Choosing a new letter clears the old feedback; only Check judges. The question and
    its choices are ordinary text output, so they show everywhere, also where no widget
    front end runs (there, the text says how to answer with :func:`answer_quiz`).

    Attributes:
        question: the question this quiz asks.
        letters: one toggle button per choice (value: a letter, or None before a choice).
        check_button: the button that judges the chosen letter.
    """

    def __init__(self, question: Question):
        self.question = question
        self.letters = widgets.ToggleButtons(
            options=list(LETTERS),
            value=None,
            style=widgets.ToggleButtonsStyle(button_width="2.5em"),
        )
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self._checked = False
        super().__init__("Quiz", [self.letters, self.check_button], self._drawing)

    def _drawing(self) -> list[str]:
        # One text: the feedback stays right under the choices it is about.
        return [f"{question_text(self.question)}\n\n{self._feedback()}"]

    def _feedback(self) -> str:
        if not self._checked:
            return "Choose a letter, then press Check."
        # wrapped at word boundaries: a text output does not wrap by itself
        return textwrap.fill(judge(self.question, self.letters.value).message, width=88)

    def redraw(self, change=None) -> None:
        """Judge on Check; on a new letter, clear the feedback until the next Check."""
        self._checked = isinstance(change, widgets.Button)
        super().redraw(change)


def question_text(question: Question) -> str:
    """The question and its choices as text, and how to answer without the controls.

    Args:
        question: the question to show.
    """
    return "\n".join(
        [
            "Which error (or silent failure) will the next cell cause?",
            *(f"  {line}" for line in choice_lines()),
            f'(Without the buttons: answer_quiz("{question.name}", "?"), '
            "your letter in place of ?.)",
        ]
    )


def quiz(question: Question | str) -> Quiz | None:
    """Show a quiz about the next cell: the choices, a Check button and the feedback.

    Args:
        question: the quiz's name, e.g. ``"plain tensor"``, or a :class:`Question`.

    Returns:
        The quiz; put the call last in a cell to show it. For an unknown name, a
        one-line message is printed and nothing is returned.
    """
    try:
        found = find_question(question)
    except LookupError as error:
        print(f"Not found: {error}")
        return None
    return Quiz(found)
