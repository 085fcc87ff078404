"""The feedback machinery's small parts: messages about errors, and where a name is defined."""

import json
from dataclasses import replace

import pytest
import torch

from utils import feedback
from utils.exercises import SIMPLE_FUNCTION
from utils.feedback import _top_level_names, defining_section, explain_exception

CALL = "compute_gradient_simple_function(2.0)"


def test_a_function_not_written_yet_is_told_what_to_do():
    message = explain_exception(NotImplementedError(), CALL, SIMPLE_FUNCTION)
    assert message == (
        "compute_gradient_simple_function is not written yet (it raises NotImplementedError). "
        "Replace that line with your code, run the cell, then check again."
    )


class BrokenError(Exception):
    def __str__(self):
        raise RuntimeError("no str")


@pytest.mark.parametrize("error", [ValueError(), BrokenError()], ids=["no text", "broken str"])
def test_an_error_without_a_readable_text_is_named_alone(error):
    message = explain_exception(error, CALL, SIMPLE_FUNCTION)
    name = type(error).__name__
    assert message.startswith(f"{CALL} raised {name}. Fix the error and check again.")


def test_a_long_error_text_is_cut_at_200_characters():
    cut = explain_exception(ValueError("a" * 300), CALL, SIMPLE_FUNCTION)
    assert f"raised ValueError: {'a' * 200}…." in cut and "a" * 201 not in cut
    whole = explain_exception(ValueError("b" * 200), CALL, SIMPLE_FUNCTION)
    assert f"raised ValueError: {'b' * 200}." in whole and "…" not in whole


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("X = torch.randn(3)", {"X"}),  # a capital X is a name like any other
        ("y = 2\nz, w = 3, 4", {"y", "z", "w"}),
        ("import os.path\nimport numpy as np", {"os", "np"}),
        ("%matplotlib inline\n!ls\nresult = 1", {"result"}),
        ("if True:\n    %time pass\n    inner = 1", {"inner"}),  # an indented magic too
    ],
)
def test_the_names_a_cell_defines(source, names):
    assert _top_level_names(source) == names


def notebook(tmp_path, monkeypatch, cells):
    """A notebook of ``cells`` (("markdown" | "code", source)) in a folder of its own."""
    document = {
        "cells": [
            {"cell_type": kind, **({"source": source} if source is not None else {})}
            for kind, source in cells
        ]
    }
    (tmp_path / "99_test.ipynb").write_text(json.dumps(document), "utf-8")
    monkeypatch.setattr(feedback, "NOTEBOOKS", tmp_path)
    return replace(SIMPLE_FUNCTION, notebook="99_test")


def test_a_name_defined_after_the_exercise_is_not_its_section(tmp_path, monkeypatch):
    exercise = notebook(
        tmp_path,
        monkeypatch,
        [
            ("markdown", "## Set-up"),
            ("code", "early = 1"),
            ("markdown", "## The exercise"),
            ("code", f"# run this to check\ncheck({SIMPLE_FUNCTION.name})"),
            ("markdown", "## Afterwards"),
            ("code", "late = 2"),
        ],
    )
    assert defining_section(exercise, "early") == "Set-up"
    assert defining_section(exercise, "late") is None


def test_a_cell_without_source_is_skipped(tmp_path, monkeypatch):
    exercise = notebook(
        tmp_path,
        monkeypatch,
        [("markdown", "## Set-up"), ("code", None), ("code", "early = 1")],
    )
    assert defining_section(exercise, "early") == "Set-up"


def test_an_error_text_of_201_characters_is_cut():
    message = explain_exception(ValueError("c" * 201), CALL, SIMPLE_FUNCTION)
    assert f": {'c' * 200}…." in message


def test_an_attribute_error_is_not_taken_for_an_undefined_name():
    try:
        (1.0).grad  # noqa: B018
    except AttributeError as error:
        message = explain_exception(error, CALL, SIMPLE_FUNCTION)
    assert "raised AttributeError: 'float' object has no attribute 'grad'." in message
    assert "spelled" not in message and "`grad`" not in message
    assert message.endswith(f"Fix the error and check again. Stuck? hint({SIMPLE_FUNCTION.name})")


def test_an_undefined_name_is_traced_to_its_section(tmp_path, monkeypatch):
    exercise = notebook(
        tmp_path,
        monkeypatch,
        [("markdown", "## Set-up"), ("code", "early = 1")],
    )
    message = explain_exception(
        NameError("name 'early' is not defined", name="early"), CALL, exercise
    )
    assert message == (
        f"{CALL} raised NameError: name 'early' is not defined. `early` is defined in the "
        'section "Set-up" of this notebook: run that section\'s cells first (or Run All '
        "Above), then check again."
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1 / 3, "0.333333"),
        ((1.5, 2.0), "(1.5, 2)"),
        ((1 / 3,) * 6, "(" + ", ".join(["0.333333"] * 6) + ")"),
        (object(), "<object object>"),  # no memory address
        ("a" * 58, "'" + "a" * 58 + "'"),  # 60 characters: shown whole
        ("a" * 59, "'" + "a" * 56 + "..."),  # 61: cut to 60
    ],
)
def test_show_keeps_an_answer_short_and_readable(value, text):
    assert feedback.show(value) == text


def test_show_of_a_long_tuple_is_its_short_repr():
    shown = feedback.show((1 / 3,) * 7)
    assert shown.startswith("(0.3333333333333333, ") and len(shown) == 60


def test_show_of_an_object_whose_repr_fails_names_its_type():
    class Unreadable:
        def __repr__(self):
            raise RuntimeError("no repr")

    assert feedback.show(Unreadable()) == "<Unreadable instance>"  # and no memory address


def test_the_form_of_an_answer_in_words():
    assert feedback.Floats(1).describe() == "a Python float"
    assert feedback.Floats(2).describe() == "a tuple of 2 Python floats"


def test_an_exercise_needs_a_judge_or_the_form_of_its_answer():
    def judge(function, exercise):
        return feedback.correct(exercise)

    own_judge = replace(SIMPLE_FUNCTION, judge=judge, returns=None)
    assert own_judge.judge is judge
    with pytest.raises(TypeError, match="needs either a judge or returns=Floats"):
        replace(SIMPLE_FUNCTION, judge=None, returns=None)


def test_a_tensor_answer_is_told_how_to_become_a_float():
    problem = feedback.number_problem(torch.tensor(14.0), CALL, "a Python float")
    assert problem == (
        f"{CALL} returned a tensor as its answer; the exercise asks for a Python float. "
        "Turn a one-element tensor into a float with .item(), e.g. x.grad.item()."
    )


def test_a_part_of_an_answer_that_is_not_a_number_is_named_as_a_part():
    problem = feedback.number_problem("14", CALL, "a tuple of 2 Python floats", part=True)
    assert problem == (
        f"{CALL} returned '14' as part of its answer; the exercise asks for a tuple of 2 "
        "Python floats."
    )


@pytest.mark.parametrize(
    ("answer", "count", "problem"),
    [
        ("14", 1, f"{CALL} returned '14' as its answer; the exercise asks for a Python float."),
        (
            torch.ones(2),
            2,
            f"{CALL} returned a tensor; the exercise asks for a tuple of 2 Python floats. "
            "Call .item() on each gradient, e.g. (a.grad.item(), b.grad.item()).",
        ),
        ([1.0], 2, f"{CALL} returned [1.0]; the exercise asks for a tuple of 2 Python floats."),
        (
            (1.0, "x"),
            2,
            f"{CALL} returned 'x' as part of its answer; the exercise asks for a tuple of 2 "
            "Python floats.",
        ),
    ],
    ids=["text", "tensor", "too short", "a part"],
)
def test_an_answer_of_the_wrong_form_is_described(answer, count, problem):
    assert feedback.validate_floats(answer, feedback.Floats(count), CALL) == (None, problem)


def test_a_gradient_of_zero_is_close_to_float32_rounding_noise():
    assert feedback.close(1e-7, 0.0)  # a right answer computed in float32
    assert not feedback.close(1e-4, 0.0)
    assert feedback.close((1e-7, 2.0), (0.0, 2.0))


def test_the_message_about_a_wrong_form_names_the_call():
    def returns_text(x_value):
        return "14"

    returns_text.__name__ = SIMPLE_FUNCTION.name
    message = feedback.run_judge(returns_text, SIMPLE_FUNCTION).message
    assert message.startswith(f"{feedback.NOT_YET}: {CALL} returned '14' as its answer")


def test_a_gradient_that_accumulates_between_calls_is_explained():
    shared = torch.tensor(0.0, requires_grad=True)

    def forgets_to_zero(x_value):
        with torch.no_grad():
            shared.copy_(torch.tensor(x_value))
        (shared**3 + 2 * shared).backward()
        return shared.grad.item()

    forgets_to_zero.__name__ = SIMPLE_FUNCTION.name
    message = feedback.run_judge(forgets_to_zero, SIMPLE_FUNCTION).message
    assert message == (
        f"{feedback.NOT_YET}: calling {CALL} twice gave two different answers. The gradient is "
        "accumulating from one call to the next: create a fresh tensor on each call, or zero "
        ".grad before backward()."
    )


def as_learner_function(function):
    function.__name__ = SIMPLE_FUNCTION.name
    return function


def test_a_wrong_answer_is_shown_with_its_call():
    message = feedback.run_judge(as_learner_function(lambda x: 3 * x**2), SIMPLE_FUNCTION).message
    # 3 · 2² = 12, where the gradient of x³ + 2x at 2 is 14
    assert message == (
        f"{feedback.NOT_YET}: {CALL} returned 12, which is not the gradient. "
        f"Stuck? hint({SIMPLE_FUNCTION.name})"
    )


def test_an_error_in_the_learner_code_is_shown_with_its_call():
    def raises(x_value):
        raise ValueError("bad value")

    message = feedback.run_judge(as_learner_function(raises), SIMPLE_FUNCTION).message
    assert message.startswith(f"{feedback.NOT_YET}: {CALL} raised ValueError: bad value.")


def test_a_call_with_several_arguments_is_written_as_python():
    assert feedback.call_text(SIMPLE_FUNCTION, (1.0, "b", None)) == (
        f"{SIMPLE_FUNCTION.name}(1.0, 'b', None)"
    )


def test_an_answer_of_none_is_told_what_to_check():
    message = feedback.run_judge(as_learner_function(lambda x: None), SIMPLE_FUNCTION).message
    assert message == (
        f"{feedback.NOT_YET}: {CALL} returned None. If you are not done yet, that is fine. "
        "Otherwise, check that the function ends with a return statement, and that you read "
        ".grad after calling backward() (before it, .grad is None)."
    )


def judged_by(judge):
    return replace(SIMPLE_FUNCTION, judge=judge, returns=None)


def test_a_check_that_runs_out_of_time_says_what_to_look_for():
    def slow_judge(function, exercise):
        raise feedback.TimeLimitExceeded  # what the guard raises when the time is up

    message = feedback.run_judge(lambda x: 14.0, judged_by(slow_judge)).message
    assert message == (
        f"{feedback.NOT_YET}: {SIMPLE_FUNCTION.name} did not finish within "
        f"{feedback.TIME_LIMIT_SECONDS:g} seconds, so the check stopped it (a right answer "
        "needs a fraction of a second). Is there a loop that never ends, a time.sleep(), or "
        "far more steps than the exercise asks for?"
    )


def test_an_answer_that_breaks_the_judge_gets_one_line():
    def confused_judge(function, exercise):
        return float(function(2.0))  # a strange answer that float() cannot read

    message = feedback.run_judge(lambda x: [1, 2], judged_by(confused_judge)).message
    assert message == (
        f"{feedback.NOT_YET}: the check could not make sense of what {SIMPLE_FUNCTION.name} "
        "returned (TypeError). Return the kind of answer the exercise asks for. "
        f"Stuck? hint({SIMPLE_FUNCTION.name})"
    )


def test_a_setting_left_changed_by_a_cell_above_is_put_back_and_said():
    torch.set_grad_enabled(False)  # as a cell above the check might leave it
    try:
        message = feedback.run_judge(as_learner_function(lambda x: 3 * x**2 + 2), SIMPLE_FUNCTION)
    finally:
        torch.set_grad_enabled(True)
    first, note = message.message.splitlines()
    assert first.startswith(feedback.CORRECT)
    assert note.startswith("Note: ")
    assert note.endswith(
        " when the check started, perhaps from a cell above; the check has put it back as the "
        "notebook expects."
    )
