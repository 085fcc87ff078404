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

import math
import numbers
from collections.abc import Callable

from utils.exercises import EXERCISES
from utils.feedback import CORRECT, NOT_YET, Exercise, Feedback, not_yet, run_judge
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


_NAME_THE_FUNCTION = (
    "{command}() needs the exercise's function: write {command}(name_of_the_function), "
    "for example {command}(compute_gradient_simple_function)."
)


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
    return run_judge(function, exercise)


def check(function: object = None, exercise: str | None = None) -> None:
    """Check a learner's exercise function and print what to do next.

    Args:
        function: the function you wrote, e.g. ``compute_gradient_simple_function``.
        exercise: the exercise's name, if your function has a different name.
    """
    if function is None:
        print(f"{NOT_YET}: {_NAME_THE_FUNCTION.format(command='check')}")
        return
    try:
        found = find_exercise(exercise or function)
    except LookupError as error:
        print(f"{NOT_YET}: {error}")
        return
    feedback = evaluate(function, found)
    if feedback.printed:
        print(feedback.printed)
    print(feedback.message)


def hint(function_or_name: Callable | str | None = None, number: int = 1) -> None:
    """Print one hint for an exercise, without giving the answer away.

    Args:
        function_or_name: your function, or the exercise's name.
        number: which hint (1 is the gentlest; later ones say more).
    """
    if function_or_name is None:
        print(_NAME_THE_FUNCTION.format(command="hint"))
        return
    try:
        found = find_exercise(function_or_name)
    except LookupError as error:
        print(f"{NOT_YET}: {error}")
        return
    hints = found.hints
    count = len(hints)
    if not _is_whole_number(number):
        print(
            f"hint() takes the hint's number as a whole number from 1 to {count}, "
            f"for example hint({found.name}, 2); {_short(number)} is not one."
        )
        return
    asked = int(number)
    shown = min(max(asked, 1), count)
    lines = [f"Hint {shown} of {count}: {hints[shown - 1]}"]
    if asked < 1:
        lines.insert(0, f"Hints are numbered from 1 to {count}; here is the first.")
    elif asked > count:
        lines.append(
            f"(There are {count} hints; that was the last. solution({found.name}) shows a "
            "model solution.)"
        )
    if shown < count:
        lines.append(f"(More: hint({found.name}, {shown + 1}))")
    print("\n".join(lines))


def _is_whole_number(value: object) -> bool:
    """True for 2 or 2.0, False for True, "two", None, 2.5, nan or inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(value) and float(value).is_integer()


def _short(value: object) -> str:
    """A value as a learner can recognise it in one line: the repr of a string, a float, a
    bool or None, the type's name of anything else; cut to 30 characters ending "..."."""
    text = (
        repr(value) if isinstance(value, str | float | bool | type(None)) else type(value).__name__
    )
    return text if len(text) <= 30 else text[:27] + "..."


def solution(function_or_name: Callable | str | None = None) -> None:
    """Print a model solution for an exercise.

    Args:
        function_or_name: your function, or the exercise's name.
    """
    if function_or_name is None:
        print(_NAME_THE_FUNCTION.format(command="solution"))
        return
    try:
        found = find_exercise(function_or_name)
    except LookupError as error:
        print(f"{NOT_YET}: {error}")
        return
    print(found.solution.strip())
