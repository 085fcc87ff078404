"""What an exercise is, what a check says, and the small helpers every judge uses.

An :class:`Exercise` owns its ``judge``: a function ``judge(function, exercise)`` that
returns :class:`Feedback`. Most exercises need no judge of their own: with ``judge=None``
the check calls the learner's function on each case and compares the answer with the
``reference`` (see :func:`judge_by_reference`). A judge calls the learner's code only
through :func:`call_safely`, says "not yet" with :func:`not_yet`, and never shows an
expected value.

A judge runs inside :func:`run_judge`, which keeps the notebook safe from the learner's
code with the safeguards of ``utils.guard``: the kernel's global autograd state is put
back after every call (and the learner is told), the calls share a time limit, and what
they print is capped. None of this ever shows a traceback.

This module imports nothing from the course but ``utils.guard``, so any lesson module
can define exercises without circular imports.
"""

from __future__ import annotations

import ast
import json
import math
import numbers
import re
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from utils.guard import (
    TIME_LIMIT_SECONDS,
    TimeLimitExceeded,
    guarded_call,
    restore_standard_state,
    session,
)

CORRECT = "✔ Correct"
NOT_YET = "✘ Not yet"
RELATIVE_TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-6
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass(frozen=True)
class Feedback:
    """The outcome of checking one exercise.

    Attributes:
        passed: True when every input gave the right answer.
        message: what the learner reads: why it passed, or what to change.
        printed: what the learner's function printed during the check, capped.
    """

    passed: bool
    message: str
    printed: str = ""

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Floats:
    """The form of a right answer made of Python floats: one float, or a tuple of them.

    Attributes:
        count: how many floats (1: a float on its own; 2 or more: a tuple of that many).
    """

    count: int = 1

    def describe(self) -> str:
        """The answer's form in words, for messages: "a Python float", "a tuple of 2 ..."."""
        return "a Python float" if self.count == 1 else f"a tuple of {self.count} Python floats"


ONE_FLOAT = Floats(1)


@dataclass(frozen=True)
class Exercise:
    """One exercise the checks know, and how to judge an answer to it.

    Two copies of each answer exist, on purpose: ``reference`` is the oracle, written in
    float64 so that the check compares against the most exact value autograd gives;
    ``solution`` is the code a learner is shown, written the way the notebook writes it
    (float32 tensors, the lesson's names). They differ in dtype and often in style, so
    neither is derived from the other, except where they are the same code (then the
    solution is taken from the reference's source). The tests run every solution through
    its own check and compare it with the notebook's solution cell.

    Attributes:
        name: the name of the function the learner writes.
        reference: computes the right answer for the same arguments.
        cases: the argument tuples the check tries, in order.
        hints: from gentlest to most explicit; none gives the answer away.
        solution: a model solution, as code.
        praise: said when the check passes: what the exercise showed.
        judge: ``judge(function, exercise) -> Feedback`` for an exercise whose answers
            need more than a comparison with the reference on each case; None means
            :func:`judge_by_reference`.
        returns: the form of a right answer, for :func:`judge_by_reference`; an
            exercise with a judge of its own checks the form itself and leaves this None.
        answer_is: what a right answer is, for the message about a wrong one.
        notebook: the notebook the exercise ends, e.g. ``"05_vector_outputs"``; when the
            learner's code names something not defined yet, the check looks there for
            the section that defines it.
    """

    name: str
    reference: Callable
    cases: tuple[tuple, ...]
    hints: tuple[str, ...]
    solution: str
    praise: str
    judge: Callable[[Callable, Exercise], Feedback] | None = None
    returns: Floats | None = None
    answer_is: str = "the gradient"
    notebook: str | None = None

    def __post_init__(self) -> None:
        if self.judge is None and self.returns is None:
            raise TypeError(f"exercise {self.name!r} needs either a judge or returns=Floats(n)")


# ----------------------------------------------------------------------------- messages


def correct(exercise: Exercise) -> Feedback:
    """The feedback for a right answer: the exercise's praise.

    Args:
        exercise: the exercise that was solved.
    """
    return Feedback(True, f"{CORRECT}: {exercise.praise}")


def not_yet(text: str) -> Feedback:
    """The feedback for an answer that is not right yet.

    Args:
        text: what is wrong and what to try, without the expected value.
    """
    return Feedback(False, f"{NOT_YET}: {text}")


def hint_pointer(exercise: Exercise) -> str:
    """The sentence that points a stuck learner to the exercise's first hint.

    Args:
        exercise: the exercise being checked.
    """
    return f"Stuck? hint({exercise.name})"


def call_text(exercise: Exercise, args: tuple) -> str:
    """How a call looks in a message, e.g. ``compute_gradient_simple_function(2.0)``.

    Args:
        exercise: whose function is called.
        args: the arguments of the call.
    """
    return f"{exercise.name}({', '.join(repr(a) for a in args)})"


def show(value: object) -> str:
    """A short text for a value the learner's function returned (never an expected value).

    Args:
        value: anything a learner's function returned.
    """
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple) and len(value) <= 6:
        return "(" + ", ".join(show(v) for v in value) + ")"
    text = _SHORT_REPR.repr(value)
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)  # no memory addresses
    return text if len(text) <= 60 else text[:57] + "..."


class _ShortRepr(reprlib.Repr):
    """``repr`` that stays short for long lists and survives objects whose repr fails."""

    def repr_instance(self, value: object, level: int) -> str:
        try:
            return super().repr_instance(value, level)
        except Exception:  # a learner's object may have a broken __repr__
            return f"a {type(value).__name__} object"


_SHORT_REPR = _ShortRepr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 80


# ------------------------------------------------------------------------ running a judge


def run_judge(function: Callable, exercise: Exercise) -> Feedback:
    """Judge ``function`` with the exercise's judge, keeping the notebook safe from it.

    The kernel's global autograd state is set as the course expects before the judge
    runs (and the learner is told if it was not); the learner's calls (through
    :func:`call_safely`) share :data:`TIME_LIMIT_SECONDS`; what they print is kept,
    capped, in ``Feedback.printed``; the kernel's random numbers are left as they were;
    an error in reading a strange answer becomes a
    message, never a traceback.

    Args:
        function: the learner's function.
        exercise: the exercise it answers.
    """
    notes = [
        f"Note: {setting.found} when the check started, perhaps from a cell above; the check "
        "has put it back as the notebook expects."
        for setting in restore_standard_state()
    ]
    output = None
    try:
        # fork_rng: the check's own models and the learner's calls draw random numbers; the
        # notebook's next random numbers stay what they would have been without the check
        with torch.random.fork_rng(devices=[]), session() as output:
            feedback = (exercise.judge or judge_by_reference)(function, exercise)
    except TimeLimitExceeded:
        feedback = not_yet(
            f"{exercise.name} did not finish within {TIME_LIMIT_SECONDS:g} seconds, so the "
            "check stopped it (a right answer needs a fraction of a second). Is there a loop "
            "that never ends, a time.sleep(), or far more steps than the exercise asks for?"
        )
    except Exception as error:  # a strange answer broke the judge: say so in one line
        feedback = not_yet(
            f"the check could not make sense of what {exercise.name} returned "
            f"({type(error).__name__}). Return the kind of answer the exercise asks for. "
            f"{hint_pointer(exercise)}"
        )
    message = "\n".join([feedback.message, *notes])
    return replace(feedback, message=message, printed=output.text() if output else "")


# ------------------------------------------------------------------ calling the learner


def call_safely(
    function: Callable, exercise: Exercise, args: tuple, call: str | None = None
) -> tuple[object, str | None]:
    """Call the learner's function; return ``(answer, None)`` or ``(None, what went wrong)``.

    An exception in the learner's code, or a missing return value, becomes one kind line.
    A call that leaves the kernel's global autograd state changed (gradients switched
    off, another default dtype, ...) is put right and counts as a problem: the rest of
    the notebook would not run as written.

    The call runs under a time limit (what is left of the check's): when it is up, the
    call is stopped with :class:`TimeLimitExceeded`, which :func:`run_judge` turns into
    a kind message. Judges call it inside :func:`run_judge`, which also caps printing.
    Judges compute their references before calling the learner, so that the first use
    of a part of PyTorch (slow once) is not charged to the learner.

    Args:
        function: the learner's function.
        exercise: the exercise it answers (for the messages).
        args: the arguments to call it with.
        call: how the call is shown in messages; by default built from ``args``.
    """
    call = call or call_text(exercise, args)
    outcome = guarded_call(function, args)
    answer, error, changed = outcome.answer, outcome.error, outcome.changed
    if changed:
        setting = changed[0]
        problem = (
            f"{call} {setting.changed} for the rest of the notebook. The check has put it back "
            f"as it was. {setting.advice}"
        )
        return None, problem
    if error is not None:
        return None, explain_exception(error, call, exercise)
    if answer is None or answer is Ellipsis:
        return None, (
            f"{call} returned None. If you are not done yet, that is fine. Otherwise, check "
            "that the function ends with a return statement, and that you read .grad after "
            "calling backward() (before it, .grad is None)."
        )
    return answer, None


def explain_exception(error: BaseException, call: str, exercise: Exercise) -> str:
    """One kind line about an exception raised by the learner's code (no traceback).

    Args:
        error: what the learner's code raised.
        call: how the call is shown in the message.
        exercise: the exercise being checked.
    """
    if isinstance(error, NotImplementedError):
        return (
            f"{exercise.name} is not written yet (it raises NotImplementedError). "
            "Replace that line with your code, run the cell, then check again."
        )
    if isinstance(error, SystemExit):
        return (
            f"{call} called exit(), which would stop the notebook. Return the answer instead. "
            f"{hint_pointer(exercise)}"
        )
    text = _safe_str(error)
    detail = text.splitlines()[0] if text else ""
    detail = (detail[:200] + "…") if len(detail) > 200 else detail
    message = f"{call} raised {type(error).__name__}" + (f": {detail}" if detail else "") + "."
    name = getattr(error, "name", None) if isinstance(error, NameError) else None
    if name:
        section = defining_section(exercise, name)
        if section:
            return (
                f'{message} `{name}` is defined in the section "{section}" of this '
                "notebook: run that section's cells first (or Run All Above), then check again."
            )
        return (
            f"{message} Is `{name}` spelled as where you defined it, and has that cell run? "
            f"{hint_pointer(exercise)}"
        )
    return f"{message} Fix the error and check again. {hint_pointer(exercise)}"


def _safe_str(error: BaseException) -> str:
    try:
        return str(error).strip()
    except Exception:  # a learner's exception class may have a broken __str__
        return ""


def defining_section(exercise: Exercise, name: str) -> str | None:
    """The heading of the notebook section that defines ``name`` before the exercise, if any.

    Reads the exercise's notebook: the names each code cell above the exercise's check
    assigns, defines or imports at its top level, under the last heading above it. The
    last definition above the exercise wins, as it would when the cells run in order.

    Args:
        exercise: the exercise whose notebook to read (``exercise.notebook``).
        name: the name the learner's code did not find.
    """
    if not exercise.notebook:
        return None
    try:
        cells = json.loads((NOTEBOOKS / f"{exercise.notebook}.ipynb").read_text("utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return None
    section, found = None, None
    check_call = re.compile(rf"^check\({re.escape(exercise.name)}\b", re.MULTILINE)
    for cell in cells:
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            headings = re.findall(r"^#{2,6}\s+(.+?)\s*$", source, re.MULTILINE)
            section = headings[-1] if headings else section
        elif cell.get("cell_type") == "code":
            if check_call.search(source):
                break
            if name in _top_level_names(source):
                found = section
    return found


def _top_level_names(source: str) -> set[str]:
    """The names a cell's code binds at its top level (magics and shell lines skipped)."""
    code = "\n".join("" if line.lstrip()[:1] in "%!" else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            continue  # names inside a function or class are not the notebook's
        if isinstance(
            node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
        ):
            continue  # their variables are their own
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return names


# ----------------------------------------------------------------- judging the answer


def is_number(value: object) -> bool:
    """True for a real number (int, float, NumPy scalar), False for a bool, tensor or other.

    Args:
        value: a part of a learner's answer.
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number_problem(value: object, call: str, expected: str, part: bool = False) -> str | None:
    """What is wrong with ``value`` as a number, or None when it is a real number.

    Args:
        value: (part of) a learner's answer.
        call: how the call is shown in the message.
        expected: the answer's form in words, e.g. "a Python float".
        part: True when ``value`` is one part of a larger answer.
    """
    what = "part of its answer" if part else "its answer"
    if isinstance(value, torch.Tensor):
        return (
            f"{call} returned a tensor as {what}; the exercise asks for {expected}. "
            "Turn a one-element tensor into a float with .item(), e.g. x.grad.item()."
        )
    if not is_number(value):
        return f"{call} returned {show(value)} as {what}; the exercise asks for {expected}."
    try:
        float(value)
    except (OverflowError, ValueError, TypeError):
        return f"{call} returned a number too large for a float as {what}."
    return None


def validate_floats(answer: object, returns: Floats, call: str) -> tuple[object, str | None]:
    """Check an answer's form: ``(float or tuple of floats, None)`` or ``(None, problem)``.

    Args:
        answer: what the learner's function returned.
        returns: the form a right answer has.
        call: how the call is shown in the message.
    """
    expected = returns.describe()
    if returns.count == 1:
        problem = number_problem(answer, call, expected)
        return (None, problem) if problem else (float(answer), None)
    if isinstance(answer, torch.Tensor):
        return None, (
            f"{call} returned a tensor; the exercise asks for {expected}. "
            "Call .item() on each gradient, e.g. (a.grad.item(), b.grad.item())."
        )
    if not isinstance(answer, tuple | list) or len(answer) != returns.count:
        return None, f"{call} returned {show(answer)}; the exercise asks for {expected}."
    values = []
    for item in answer:
        problem = number_problem(item, call, expected, part=True)
        if problem:
            return None, problem
        values.append(float(item))
    return tuple(values), None


def close(answer: object, expected: object) -> bool:
    """True when a number (or a tuple of numbers) matches the expected one closely enough.

    Args:
        answer: a float or a tuple of floats from the learner.
        expected: the reference's float or tuple of floats.
    """
    if isinstance(answer, tuple | list) or isinstance(expected, tuple | list):
        answer, expected = tuple(answer), tuple(expected)
        return len(answer) == len(expected) and all(
            close(a, e) for a, e in zip(answer, expected, strict=True)
        )
    return math.isclose(
        float(answer), float(expected), rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE
    )


def float_list(value: object, length: int) -> list[float] | None:
    """``value`` as a list of ``length`` floats (from a list, tuple or tensor), else None.

    Args:
        value: (part of) a learner's answer.
        length: how many numbers it should hold.
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().flatten().tolist()
    if not isinstance(value, list | tuple) or len(value) != length:
        return None
    if not all(is_number(v) for v in value):
        return None
    try:
        return [float(v) for v in value]
    except (OverflowError, ValueError, TypeError):
        return None


def judge_by_reference(function: Callable, exercise: Exercise) -> Feedback:
    """The usual judge: call on each case and compare with the reference.

    The first case is called twice, so that a gradient accumulating from one call to
    the next is caught and named.

    Args:
        function: the learner's function.
        exercise: the exercise, with ``returns`` set.
    """
    first = exercise.cases[0]
    expected = [exercise.reference(*args) for args in exercise.cases]
    answers = []
    for args in (first, first, *exercise.cases[1:]):
        raw, problem = call_safely(function, exercise, args)
        if problem:
            return not_yet(problem)
        answer, problem = validate_floats(raw, exercise.returns, call_text(exercise, args))
        if problem:
            return not_yet(problem)
        answers.append(answer)

    if close(answers[0], expected[0]) and not close(answers[0], answers[1]):
        return not_yet(
            f"calling {call_text(exercise, first)} twice gave two different answers. The "
            "gradient is accumulating from one call to the next: create a fresh tensor on each "
            "call, or zero .grad before backward()."
        )
    for args, answer, right in zip(exercise.cases, answers[1:], expected, strict=True):
        if not close(answer, right):
            return not_yet(
                f"{call_text(exercise, args)} returned {show(answer)}, which is not "
                f"{exercise.answer_is}. {hint_pointer(exercise)}"
            )
    return correct(exercise)
