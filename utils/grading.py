"""Grade an exercise for a teacher's records: a wrong answer raises an error.

``check()`` is for learners: it is kind, and it never stops a notebook. A teacher who
collects notebooks and grades them automatically (for example with nbgrader, which gives a
graded cell its points only when it runs without an error) needs a call that fails on a
wrong answer::

    assert_correct(compute_gradient_simple_function)

It judges with the very function that ``check()`` uses, so the two always agree, and its
error says what ``check()`` would say: what to fix, never the expected value.
"""

from __future__ import annotations

from utils.checks import evaluate, find_exercise


def assert_correct(function: object, exercise: str | None = None) -> None:
    """Print the check's verdict if ``function`` solves its exercise; raise otherwise.

    Args:
        function: the learner's function, e.g. ``compute_gradient_simple_function``.
        exercise: the exercise's name, if the function has a different name.

    Raises:
        AssertionError: with the check's message, when the answer is not right yet (or when
            there is no such exercise).
    """
    try:
        found = find_exercise(exercise or function)
    except LookupError as error:
        raise AssertionError(str(error)) from None
    feedback = evaluate(function, found)
    if not feedback.passed:
        raise AssertionError(feedback.message)
    print(feedback.message)
