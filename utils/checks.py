"""Check a learner's exercise, kindly and honestly.

In a notebook::

    check(compute_gradient_simple_function)   # says whether it is right, and if not, why
    # hint(compute_gradient_simple_function)  # a nudge; remove the # to see it
    # solution(compute_gradient_simple_function)

A check calls your function on several inputs and compares each answer with a
reference computed by autograd in float64. It never shows the expected value, and
it never stops the notebook: an exception in your code becomes a one-line message.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import torch

from utils.exercises import EXERCISES, Exercise, vjp_jacobian

CORRECT = "✔ Correct"
NOT_YET = "✘ Not yet"
RELATIVE_TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Feedback:
    """The outcome of checking one exercise.

    Attributes:
        passed: True when every input gave the right answer.
        message: what the learner reads: why it passed, or what to change.
    """

    passed: bool
    message: str

    def __str__(self) -> str:
        return self.message


def finite_difference(function: Callable, x: float, step: float = 1e-4) -> float:
    """Estimate a scalar function's derivative at ``x`` by a central difference, in float64.

    Autograd should never be taken on faith: this is an independent second opinion.

    Args:
        function: takes and returns a tensor, e.g. ``lambda x: x**3 + 2 * x``.
        x: where to estimate the slope.
        step: the half-width h in (f(x + h) - f(x - h)) / 2h.
    """
    with torch.no_grad():
        ahead = function(torch.tensor(x + step, dtype=torch.float64))
        behind = function(torch.tensor(x - step, dtype=torch.float64))
    return float((ahead - behind) / (2 * step))


def compare(label: str, computed, expected, tolerance: float = 1e-6) -> None:
    """Print whether ``computed`` equals ``expected`` exactly and within a tolerance.

    Args:
        label: what is compared, e.g. ``"x.grad vs 3x² + 2"``.
        computed: a number or tensor (for example ``x.grad``).
        expected: a number or tensor of the same shape (for example the hand-derived value).
        tolerance: the absolute and relative tolerance for "close".
    """
    computed = torch.as_tensor(computed, dtype=torch.float64).detach()
    expected = torch.as_tensor(expected, dtype=torch.float64).detach()
    if computed.shape != expected.shape:
        print(f"{label:<34} shapes differ: {tuple(computed.shape)} vs {tuple(expected.shape)}")
        return
    exact = bool(torch.equal(computed, expected))
    close = bool(torch.allclose(computed, expected, rtol=tolerance, atol=tolerance))
    print(f"{label:<34} exact: {exact!s:<5}  close: {close!s:<5} (tolerance {tolerance:g})")


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
        return _not_yet(
            f"check() needs your function itself, not its result: write "
            f"check({exercise.name}), without parentheses after the name."
        )
    if exercise.kind != "gradient":
        return SPECIAL_CHECKS[exercise.kind](function, exercise)

    first = exercise.cases[0]
    answers = []
    for args in (first, first, *exercise.cases[1:]):
        answer, problem = _call(function, exercise, args)
        if problem:
            return _not_yet(problem)
        answers.append(answer)

    if _close(answers[0], exercise.reference(*first)) and not _close(answers[0], answers[1]):
        return _not_yet(
            f"calling {_call_text(exercise, first)} twice gave two different answers. The "
            "gradient is accumulating from one call to the next: create a fresh tensor on each "
            "call, or zero .grad before backward()."
        )
    for args, answer in zip((first, *exercise.cases[1:]), answers[1:], strict=True):
        if not _close(answer, exercise.reference(*args)):
            return _not_yet(
                f"{_call_text(exercise, args)} returned {_show(answer)}, which is not "
                f"{exercise.answer_is}. {_hint_pointer(exercise)}"
            )
    return Feedback(True, f"{CORRECT}: {exercise.praise}")


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


def _not_yet(text: str) -> Feedback:
    return Feedback(False, f"{NOT_YET}: {text}")


def _hint_pointer(exercise: Exercise) -> str:
    return f"Stuck? hint({exercise.name})"


def _call_text(exercise: Exercise, args: tuple) -> str:
    return f"{exercise.name}({', '.join(repr(a) for a in args)})"


def _call(function: Callable, exercise: Exercise, args: tuple) -> tuple[object, str | None]:
    """Call the learner's function; return (float or tuple of floats, None) or (None, problem)."""
    answer, problem = _call_raw(function, exercise, args)
    if problem:
        return None, problem
    return _validate(answer, exercise, _call_text(exercise, args))


def _call_raw(function: Callable, exercise: Exercise, args: tuple) -> tuple[object, str | None]:
    """Call the learner's function; return (answer, None) or (None, what went wrong)."""
    call = _call_text(exercise, args)
    try:
        answer = function(*args)
    except Exception as error:  # a learner's code may raise anything; report it in one line
        return None, _explain_exception(error, call, exercise)
    if answer is None or answer is Ellipsis:
        return None, (
            f"{call} returned None. If you are not done yet, that is fine. Otherwise, check "
            "that the function ends with a return statement, and that you read .grad after "
            "calling backward() (before it, .grad is None)."
        )
    return answer, None


def _explain_exception(error: Exception, call: str, exercise: Exercise) -> str:
    """One kind line about an exception raised by the learner's code (no traceback)."""
    if isinstance(error, NotImplementedError):
        return (
            f"{exercise.name} is not written yet (it raises NotImplementedError). "
            "Replace that line with your code, run the cell, then check again."
        )
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    detail = (detail[:200] + "…") if len(detail) > 200 else detail
    return (
        f"{call} raised {type(error).__name__}"
        + (f": {detail}" if detail else "")
        + f". Fix the error and check again. {_hint_pointer(exercise)}"
    )


def _validate(answer: object, exercise: Exercise, call: str) -> tuple[object, str | None]:
    if exercise.returns == 1:
        problem = _number_problem(answer, call, "a Python float")
        return (None, problem) if problem else (float(answer), None)
    expected = f"a tuple of {exercise.returns} Python floats"
    if isinstance(answer, torch.Tensor):
        return None, (
            f"{call} returned a tensor; the exercise asks for {expected}. "
            "Call .item() on each gradient, e.g. (a.grad.item(), b.grad.item())."
        )
    if not isinstance(answer, tuple | list) or len(answer) != exercise.returns:
        return None, f"{call} returned {_show(answer)}; the exercise asks for {expected}."
    values = []
    for item in answer:
        problem = _number_problem(item, call, expected, part=True)
        if problem:
            return None, problem
        values.append(float(item))
    return tuple(values), None


def _number_problem(value: object, call: str, expected: str, part: bool = False) -> str | None:
    what = "part of its answer" if part else "its answer"
    if isinstance(value, torch.Tensor):
        return (
            f"{call} returned a tensor as {what}; the exercise asks for {expected}. "
            "Turn a one-element tensor into a float with .item(), e.g. x.grad.item()."
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{call} returned {_show(value)} as {what}; the exercise asks for {expected}."
    return None


def _close(answer: object, expected: object) -> bool:
    if isinstance(answer, tuple) or isinstance(expected, tuple):
        answer, expected = tuple(answer), tuple(expected)
        return len(answer) == len(expected) and all(
            _close(a, e) for a, e in zip(answer, expected, strict=True)
        )
    return math.isclose(
        float(answer), float(expected), rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE
    )


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------- checks of other kinds


def _check_list_of_gradients(function: Callable, exercise: Exercise) -> Feedback:
    """The answer is a list with one gradient per input; nothing may leak between them."""
    for (values,) in exercise.cases:
        call = _call_text(exercise, (values,))
        answer, problem = _call_raw(function, exercise, (values,))
        if problem:
            return _not_yet(problem)
        if isinstance(answer, torch.Tensor):
            return _not_yet(f"{call} returned a tensor; the exercise asks for a list of floats.")
        if not isinstance(answer, list | tuple) or len(answer) != len(values):
            return _not_yet(
                f"{call} returned {_show(answer)}; the exercise asks for a list with one "
                f"gradient for each of the {len(values)} inputs."
            )
        for item in answer:
            problem = _number_problem(item, call, "a list of Python floats", part=True)
            if problem:
                return _not_yet(problem)
        expected = exercise.reference(values)
        running = [sum(expected[: i + 1]) for i in range(len(expected))]
        if len(values) > 1 and _close(tuple(answer), tuple(running)):
            return _not_yet(
                f"{call}: each answer includes the gradients of the points before it. The "
                "gradient is accumulating in x.grad: reset it after each point."
            )
        if not _close(tuple(answer), tuple(expected)):
            return _not_yet(
                f"{call} returned {_show(tuple(answer))}: not all of these are the gradient. "
                f"{_hint_pointer(exercise)}"
            )
    return Feedback(True, f"{CORRECT}: {exercise.praise}")


def _check_no_graph(function: Callable, exercise: Exercise) -> Feedback:
    """Predictions must be right and carry no graph."""
    generator = torch.Generator().manual_seed(0)
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    inputs = torch.randn(4, 3, generator=generator)
    call = f"{exercise.name}(model, inputs)"
    answer, problem = _call_raw(function, exercise, (model, inputs))
    if problem:
        return _not_yet(problem)
    if not isinstance(answer, torch.Tensor):
        return _not_yet(f"{call} returned {_show(answer)}; return the tensor model(inputs) gives.")
    expected = exercise.reference(model, inputs)
    if answer.shape != expected.shape or not torch.allclose(answer.detach(), expected):
        return _not_yet(f"{call} does not return model(inputs). {_hint_pointer(exercise)}")
    if answer.grad_fn is not None or answer.requires_grad:
        return _not_yet(
            f"{call} returns the right numbers, but autograd recorded a graph for them "
            f"(the result has grad_fn = {type(answer.grad_fn).__name__}). model.eval() does "
            "not turn tracking off: compute inside `with torch.no_grad():`."
        )
    return Feedback(True, f"{CORRECT}: {exercise.praise}")


def _float_list(value: object, length: int) -> list[float] | None:
    """``value`` as a list of ``length`` floats (from a list, tuple or tensor), else None."""
    if isinstance(value, torch.Tensor):
        value = value.detach().flatten().tolist()
    if not isinstance(value, list | tuple) or len(value) != length:
        return None
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        return None
    return [float(v) for v in value]


def _check_two_ways(function: Callable, exercise: Exercise) -> Feedback:
    """A vector-Jacobian product computed with backward(v) and with v @ J."""
    for (v_values,) in exercise.cases:
        call = _call_text(exercise, (v_values,))
        answer, problem = _call_raw(function, exercise, (v_values,))
        if problem:
            return _not_yet(problem)
        if not isinstance(answer, tuple | list) or len(answer) != 2:
            return _not_yet(
                f"{call} returned {_show(answer)}; return a pair: "
                "(x.grad after y.backward(v), v @ J)."
            )
        via_backward, via_jacobian = (_float_list(part, 3) for part in answer)
        if via_backward is None or via_jacobian is None:
            return _not_yet(
                f"{call}: each of the two answers should hold three numbers, one per entry of "
                "x (a list, or a tensor of shape (3,))."
            )
        expected, _ = exercise.reference(v_values)
        j_times_v = (vjp_jacobian() @ torch.tensor(v_values, dtype=torch.float64)).tolist()
        if not _close(tuple(via_backward), tuple(expected)):
            return _not_yet(
                f"{call}: the first answer is not x.grad after y.backward(v). "
                f"{_hint_pointer(exercise)}"
            )
        if _close(tuple(via_jacobian), tuple(j_times_v)) and not _close(
            tuple(via_jacobian), tuple(expected)
        ):
            return _not_yet(
                f"{call}: the second answer is J @ v. v has one entry per output, so it "
                "multiplies the Jacobian from the left: v @ J."
            )
        if not _close(tuple(via_jacobian), tuple(expected)):
            return _not_yet(f"{call}: the second answer is not v @ J. {_hint_pointer(exercise)}")
    return Feedback(True, f"{CORRECT}: {exercise.praise}")


def _training_setup():
    """A small model, optimizer, loss and data, the same on every call."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.linspace(-1.0, 1.0, 16).unsqueeze(1)
    targets = 2 * inputs + 1 + 0.1 * torch.randn(inputs.shape, generator=generator)
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(-0.5)
        model.bias.fill_(0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, optimizer, torch.nn.MSELoss(), inputs, targets


def _train(step: Callable, steps: int) -> tuple[list[object], torch.Tensor]:
    model, optimizer, loss_fn, inputs, targets = _training_setup()
    losses = [step(model, optimizer, loss_fn, inputs, targets) for _ in range(steps)]
    return losses, torch.cat([p.detach().flatten() for p in model.parameters()])


def _forgets_zero_grad(model, optimizer, loss_fn, x, y) -> float:
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _check_training_step(function: Callable, exercise: Exercise) -> Feedback:
    """Train with the learner's step: the loss must fall, and the parameters must match."""
    steps = 25
    call = f"{exercise.name}(model, optimizer, loss_fn, x, y)"
    try:
        losses, parameters = _train(function, steps)
    except Exception as error:  # a learner's code may raise anything; report it in one line
        return _not_yet(_explain_exception(error, call, exercise))
    if any(loss is None for loss in losses):
        return _not_yet(f"{call} returned None; return the loss as a Python float (loss.item()).")
    if any(isinstance(loss, torch.Tensor) for loss in losses):
        return _not_yet(
            f"{call} returned a tensor; return the loss as a Python float with loss.item()."
        )
    if not all(isinstance(loss, numbers.Real) for loss in losses):
        return _not_yet(f"{call} returned {_show(losses[0])}; return the loss as a float.")
    expected_losses, expected = _train(exercise.reference, steps)
    _, accumulating = _train(_forgets_zero_grad, steps)
    if torch.allclose(parameters, expected, atol=1e-5):
        if not math.isclose(losses[0], expected_losses[0], rel_tol=1e-4):
            return _not_yet(
                f"{call} trains the model, but returns something other than this step's loss "
                "(compute the loss before optimizer.step() and return loss.item())."
            )
        return Feedback(True, f"{CORRECT}: {exercise.praise}")
    if torch.allclose(parameters, accumulating, atol=1e-5):
        return _not_yet(
            f"{call} never zeroes the gradients, so each step adds the new gradient to all the "
            "old ones. Call optimizer.zero_grad() at the start of each step."
        )
    if losses[-1] >= losses[0]:
        return _not_yet(
            f"{call}: after {steps} steps the loss has not fallen. Does the step call "
            "loss.backward() and then optimizer.step()?"
        )
    return _not_yet(
        f"{call}: the loss falls, but the parameters differ from the five-step pattern's. "
        f"{_hint_pointer(exercise)}"
    )


SPECIAL_CHECKS = {
    "list of gradients": _check_list_of_gradients,
    "no graph": _check_no_graph,
    "two ways": _check_two_ways,
    "training step": _check_training_step,
}
