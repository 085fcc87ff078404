"""Check a learner's exercise, kindly and honestly.

In a notebook::

    check(compute_gradient_simple_function)   # says whether it is right, and if not, why
    # hint(compute_gradient_simple_function)  # a nudge; remove the # to see it
    # solution(compute_gradient_simple_function)

A check calls your function on several inputs and compares each answer with a
reference computed by autograd in float64. It never shows the expected value, and
it never stops the notebook: an exception in your code becomes a one-line message.

Each exercise (in ``utils.exercises``) owns how its answers are judged; this module
finds the exercise and prints what its judge says. ``compare`` and
``finite_difference`` live in ``utils.numeric`` and are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable

from utils.exercises import EXERCISES
from utils.feedback import CORRECT, NOT_YET, Exercise, Feedback, judge_by_reference, not_yet
from utils.numeric import compare, finite_difference

__all__ = [
    "CORRECT",
    "NOT_YET",
    "Feedback",
    "check",
    "compare",
    "evaluate",
    "find_exercise",
    "finite_difference",
    "hint",
    "solution",
]


def find_exercise(function_or_name: Callable | str) -> Exercise:
    """Return the exercise a function (by its name) or a name belongs to.

    Args:
        function_or_name: the learner's function, or the exercise's name as a string.

    Raises:
        LookupError: with the list of known exercises, if there is no such exercise.
    """
    name = getattr(function_or_name, "__name__", function_or_name)
    if isinstance(name, str) and name in EXERCISES:
        return EXERCISES[name]
    known = ", ".join(sorted(EXERCISES))
    raise LookupError(f"there is no exercise called {name!r}; the exercises are: {known}")


def evaluate(function: object, exercise: Exercise) -> Feedback:
    """Check ``function`` against ``exercise`` and return the :class:`Feedback` (prints nothing).

    Args:
        function: what the learner wrote (normally a function; anything else gets a message).
        exercise: the exercise it should solve.
    """
    if not callable(function):
        return not_yet(
            f"check() needs your function itself, not its result: write "
            f"check({exercise.name}), without parentheses after the name."
        )
    judge = exercise.judge or judge_by_reference
    return judge(function, exercise)


def check(function: object, exercise: str | None = None) -> None:
    """Check a learner's exercise function and print what to do next.

    Args:
        function: the function you wrote, e.g. ``compute_gradient_simple_function``.
        exercise: the exercise's name, if your function has a different name.
    """
    try:
        found = find_exercise(exercise or function)
    except LookupError as error:
        print(f"{NOT_YET}: {error}")
        return
    print(evaluate(function, found).message)


def hint(function_or_name: Callable | str, number: int = 1) -> None:
    """Print one hint for an exercise, without giving the answer away.

    Args:
        function_or_name: your function, or the exercise's name.
        number: which hint (1 is the gentlest; later ones say more).
    """
    try:
        found = find_exercise(function_or_name)
    except LookupError as error:
        print(f"{NOT_YET}: {error}")
        return
    hints = found.hints
    number = min(max(int(number), 1), len(hints))
    text = f"Hint {number} of {len(hints)}: {hints[number - 1]}"
    if number < len(hints):
        text += f"\n(More: hint({found.name}, {number + 1}))"
    print(text)


def solution(function_or_name: Callable | str) -> None:
    """Print a model solution for an exercise.

    Args:
        function_or_name: your function, or the exercise's name.
    """
    try:
        found = find_exercise(function_or_name)
    except LookupError as error:
        print(f"{NOT_YET}: {error}")
        return
    print(found.solution.strip())
