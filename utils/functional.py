"""Functional autograd and forward mode (notebook 10): a playground and three exercises.

``mode_cost_state(inputs, outputs)`` builds the Jacobian of a function with ``inputs``
inputs and ``outputs`` outputs twice: row by row in reverse mode (one vector-Jacobian
product, a backward pass, per output) and column by column in forward mode (one
Jacobian-vector product, a forward pass carrying a tangent, per input). It counts the
passes, checks that the two Jacobians agree and, when asked, times both.
``forward_reverse_explorer()`` shows that state with sliders; the tests call the plain
function.

The exercises ``per_sample_gradients``, ``directional_derivative`` and ``Softplus`` are
defined here with their judges (``utils.exercises`` registers them). Each judge tries the
learner's code on functions the learner has not seen, so an answer that only types in a
formula for the notebook's example does not pass, and it notices an answer that reaches the
right numbers by the wrong route (a Python loop instead of ``vmap``, a backward pass instead
of forward mode).

Importing this module changes nothing and loads neither ipywidgets nor matplotlib.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.func import jvp, vjp

from utils.feedback import (
    Exercise,
    Feedback,
    call_safely,
    correct,
    hint_pointer,
    not_yet,
    show,
)

LARGEST_SIZE = 64  # the sliders' range: 1 to 64 inputs and outputs
NOTEBOOK = "10_functional_autograd"  # where the exercises are


def example_function(inputs: int, outputs: int, seed: int = 0) -> tuple[Callable, torch.Tensor]:
    """A function from ``inputs`` numbers to ``outputs`` numbers, and a point to differentiate at.

    The function is f(x) = sin(M @ x) with a fixed random matrix M of shape
    (outputs, inputs), so its Jacobian is cos(M @ x) · M, row by row.

    Args:
        inputs: how many numbers f takes (n).
        outputs: how many numbers f returns (m).
        seed: the seed for M and the point, so that every call gives the same pair.

    Returns:
        ``(function, point)``: the function and a point of shape (inputs,), in float64.
    """
    generator = torch.Generator().manual_seed(seed)
    mixing = torch.randn(outputs, inputs, generator=generator, dtype=torch.float64)
    point = torch.randn(inputs, generator=generator, dtype=torch.float64)

    def function(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(mixing @ x)

    return function, point


def jacobian_by_rows(function: Callable, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Reverse mode: the Jacobian row by row, one vector-Jacobian product per output.

    Args:
        function: takes a 1-D tensor and returns a 1-D tensor.
        x: the point, a 1-D tensor.

    Returns:
        ``(jacobian, passes)``: the (outputs, inputs) Jacobian and how many backward
        passes built it.
    """
    output, pull_back = vjp(function, x)
    rows = [pull_back(one_hot)[0] for one_hot in torch.eye(output.numel(), dtype=output.dtype)]
    return torch.stack(rows), len(rows)


def jacobian_by_columns(function: Callable, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Forward mode: the Jacobian column by column, one Jacobian-vector product per input.

    Args:
        function: takes a 1-D tensor and returns a 1-D tensor.
        x: the point, a 1-D tensor.

    Returns:
        ``(jacobian, passes)``: the (outputs, inputs) Jacobian and how many forward
        passes built it.
    """
    columns = [
        jvp(function, (x,), (one_hot,))[1] for one_hot in torch.eye(x.numel(), dtype=x.dtype)
    ]
    return torch.stack(columns, dim=1), len(columns)


def fastest_time(action: Callable[[], object], repeats: int = 3) -> float:
    """The shortest of ``repeats`` timed runs of ``action()``, in seconds.

    The shortest run is the one least disturbed by other programs on the machine.

    Args:
        action: what to time, called without arguments.
        repeats: how many runs.
    """
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        durations.append(time.perf_counter() - start)
    return min(durations)


@dataclass(frozen=True)
class ModeCost:
    """What building one Jacobian costs in reverse and in forward mode.

    Attributes:
        inputs: n, the function's number of inputs (the Jacobian's columns).
        outputs: m, its number of outputs (the Jacobian's rows).
        reverse_passes: backward passes reverse mode made (one per output).
        forward_passes: forward passes forward mode made (one per input).
        jacobians_agree: whether the two Jacobians are equal (within float64 rounding).
        reverse_seconds: the measured time of reverse mode, or None when not measured.
        forward_seconds: the measured time of forward mode, or None when not measured.
    """

    inputs: int
    outputs: int
    reverse_passes: int
    forward_passes: int
    jacobians_agree: bool
    reverse_seconds: float | None = None
    forward_seconds: float | None = None

    @property
    def cheaper(self) -> str:
        """Which mode needs fewer passes: "forward mode", "reverse mode" or "neither"."""
        if self.forward_passes < self.reverse_passes:
            return "forward mode"
        if self.reverse_passes < self.forward_passes:
            return "reverse mode"
        return "neither"

    def text(self) -> str:
        """The read-out: sizes, passes, which mode wins and, when measured, the times."""
        lines = [
            f"f: {self.inputs} inputs → {self.outputs} outputs, "
            f"so its Jacobian has {self.outputs} rows and {self.inputs} columns",
            f"reverse mode (vjp, one per row):    {_passes(self.reverse_passes, 'backward')}",
            f"forward mode (jvp, one per column): {_passes(self.forward_passes, 'forward')}",
            f"fewer passes: {self.cheaper}   both Jacobians agree: {self.jacobians_agree}",
        ]
        if self.reverse_seconds is not None and self.forward_seconds is not None:
            ratio = self.reverse_seconds / self.forward_seconds
            lines.append(
                f"measured on this machine: reverse {1000 * self.reverse_seconds:.2f} ms, "
                f"forward {1000 * self.forward_seconds:.2f} ms (reverse / forward = {ratio:.2f})"
            )
        else:
            lines.append("tick 'time both' to measure the two on this machine")
        return "\n".join(lines)


def _passes(count: int, kind: str) -> str:
    """``"1 backward pass"``, ``"16 backward passes"``."""
    return f"{count} {kind} pass" + ("" if count == 1 else "es")


def mode_cost_state(inputs: int = 4, outputs: int = 16, measure: bool = False) -> ModeCost:
    """Build the Jacobian of ``example_function(inputs, outputs)`` both ways and count passes.

    Args:
        inputs: n, from 1 to ``LARGEST_SIZE``.
        outputs: m, from 1 to ``LARGEST_SIZE``.
        measure: also time both modes (the fastest of three runs each). Timings differ
            from run to run, so the default view leaves them out.

    Raises:
        ValueError: if a size is not a whole number from 1 to ``LARGEST_SIZE``.
    """
    for name, size in (("inputs", inputs), ("outputs", outputs)):
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= LARGEST_SIZE:
            raise ValueError(
                f"{name} must be a whole number from 1 to {LARGEST_SIZE}, not {size!r}"
            )
    function, point = example_function(inputs, outputs)
    by_rows, reverse_passes = jacobian_by_rows(function, point)
    by_columns, forward_passes = jacobian_by_columns(function, point)
    reverse_seconds = forward_seconds = None
    if measure:
        reverse_seconds = fastest_time(lambda: jacobian_by_rows(function, point))
        forward_seconds = fastest_time(lambda: jacobian_by_columns(function, point))
    return ModeCost(
        inputs=inputs,
        outputs=outputs,
        reverse_passes=reverse_passes,
        forward_passes=forward_passes,
        jacobians_agree=bool(torch.allclose(by_rows, by_columns, rtol=1e-12, atol=1e-12)),
        reverse_seconds=reverse_seconds,
        forward_seconds=forward_seconds,
    )


def forward_reverse_explorer(inputs: int = 4, outputs: int = 16):
    """Sliders for a function's numbers of inputs and outputs: passes needed in each mode.

    Args:
        inputs: the starting number of inputs, from 1 to ``LARGEST_SIZE``.
        outputs: the starting number of outputs, from 1 to ``LARGEST_SIZE``.

    Returns:
        The playground; put the call last in a cell to show it.
    """
    # Imported here: utils.checks loads this module for its exercises, and a notebook that
    # only checks answers need not load ipywidgets and matplotlib.
    import ipywidgets as widgets

    from utils.playground import Playground, new_figure
    from utils.plotting import COLORS

    mode_cost_state(inputs, outputs)  # a clear error for bad sizes, before any widget exists
    input_slider = widgets.IntSlider(value=inputs, min=1, max=LARGEST_SIZE, description="inputs n")
    output_slider = widgets.IntSlider(
        value=outputs, min=1, max=LARGEST_SIZE, description="outputs m"
    )
    timing = widgets.Checkbox(value=False, description="time both", indent=False)

    figure, axes = new_figure(size=(6.4, 2.4))
    bars = axes.barh([1, 0], [0, 0], color=[COLORS["vermillion"], COLORS["blue"]], height=0.6)
    axes.set_yticks([1, 0], ["reverse: backward passes", "forward: forward passes"])
    axes.set_xlim(0, LARGEST_SIZE + 6)  # room for the count at the end of a full bar
    axes.set_xlabel("passes to build the whole Jacobian")
    axes.set_title("fewer passes: reverse mode")  # a title's height, for the layout
    figure.tight_layout()
    counts = [axes.text(0, y, "", va="center") for y in (1, 0)]  # the number at each bar's end
    for artist in (*bars, *counts, axes.title):
        artist.set_animated(True)  # only these move: redrawn alone, over a kept background

    def draw():
        state = mode_cost_state(input_slider.value, output_slider.value, measure=timing.value)
        for bar, count, passes in zip(
            bars, counts, (state.reverse_passes, state.forward_passes), strict=True
        ):
            bar.set_width(passes)
            count.set_position((passes + 0.8, count.get_position()[1]))
            count.set_text(str(passes))
        axes.title.set_text(f"fewer passes: {state.cheaper}")
        return [state.text(), figure]

    return Playground("Forward-or-reverse explorer", [input_slider, output_slider, timing], draw)


# =============================================================================== exercises
#
# Each exercise below owns its judge. The judges call the learner's code only through
# ``call_safely`` (or catch exceptions the same way), say "not yet" kindly, and never show
# an expected value. Their checks use functions the learner has not seen, so typing in the
# formula for the notebook's example does not pass.


def _count_calls(function: Callable) -> tuple[Callable, list[int]]:
    """Wrap ``function`` so that each call is counted; return the wrapper and the counter."""
    calls = [0]

    def counted(*args):
        calls[0] += 1
        return function(*args)

    return counted, calls


def _squared_error(weight, example, target):
    return (example @ weight - target) ** 2


def _logistic_loss(weight, example, target):
    return torch.nn.functional.softplus(-target * (example @ weight))


def _two_output_loss(weight, example, target):
    return ((torch.tanh(weight @ example) - target) ** 2).sum()


def _per_sample_cases() -> list[tuple[str, Callable, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(description, loss_of_one, weight, inputs, targets) for each case the check tries."""
    generator = torch.Generator().manual_seed(10)

    def normal(*shape):
        return torch.randn(*shape, generator=generator)

    signs = torch.tensor([1.0, -1.0, -1.0, 1.0, 1.0, -1.0])
    return [
        ("the squared error", _squared_error, normal(3), normal(5, 3), normal(5)),
        ("a logistic loss", _logistic_loss, normal(4), normal(6, 4), signs),
        (
            "a loss of a 2 × 3 weight matrix",
            _two_output_loss,
            normal(2, 3),
            normal(4, 3),
            normal(4, 2),
        ),
    ]


def _per_sample_reference(loss_of_one, weight, inputs, targets) -> torch.Tensor:
    """Each example's gradient, one torch.autograd.grad call per example, in float64."""
    gradients = []
    for example, target in zip(inputs.double(), targets.double(), strict=True):
        tracked = weight.double().clone().requires_grad_()
        (gradient,) = torch.autograd.grad(loss_of_one(tracked, example, target), tracked)
        gradients.append(gradient)
    return torch.stack(gradients)


def _tensor_close(answer: torch.Tensor, expected: torch.Tensor) -> bool:
    return answer.shape == expected.shape and bool(
        torch.allclose(answer.detach().double(), expected, rtol=1e-4, atol=1e-5)
    )


@functools.cache
def _load_torch_func() -> None:
    """Use torch.func's transforms once, before a check calls the learner's code.

    Their first use in a kernel loads more of PyTorch (``torch._dynamo``), which takes
    seconds on a slow machine: done here, it is not charged to the learner's time limit.
    """
    torch.func.vmap(torch.func.grad(lambda x: (x * x).sum()))(torch.ones(1, 1))
    torch.func.jvp(torch.sin, (torch.ones(1),), (torch.ones(1),))


def _judge_per_sample_gradients(function: Callable, exercise: Exercise) -> Feedback:
    """Per-sample gradients with torch.func: right values, right shape, one call of the loss."""
    _load_torch_func()
    for number, (description, loss, weight, inputs, targets) in enumerate(_per_sample_cases()):
        counted_loss, calls = _count_calls(loss)
        call = f"{exercise.name}(loss_of_one, weight, inputs, targets) with {description}"
        args = (counted_loss, weight.clone(), inputs.clone(), targets.clone())
        answer, problem = call_safely(function, exercise, args, call)
        if problem:
            return not_yet(problem)
        wanted_shape = (len(inputs), *weight.shape)
        if not isinstance(answer, torch.Tensor):
            return not_yet(
                f"{call} returned {show(answer)}; return one tensor of shape {wanted_shape}: "
                "one gradient per example, stacked along the first dimension."
            )
        expected = _per_sample_reference(loss, weight, inputs, targets)
        if _tensor_close(answer, expected.sum(dim=0)):
            return not_yet(
                f"{call} returned one gradient of the weight's shape: the gradient of the "
                "batch's summed loss, in which the examples' gradients are added together. "
                "Return each example's own gradient."
            )
        if tuple(answer.shape) != wanted_shape:
            return not_yet(
                f"{call} returned a tensor of shape {tuple(answer.shape)}; the exercise asks "
                f"for shape {wanted_shape}: (examples, *weight.shape)."
            )
        if not _tensor_close(answer, expected):
            if number > 0:
                return not_yet(
                    f"{call}: the gradients are not right, although the squared error's were. "
                    "A formula for one loss does not carry over to another: let "
                    f"torch.func.grad differentiate loss_of_one. {hint_pointer(exercise)}"
                )
            return not_yet(
                f"{call}: these are not the examples' gradients. {hint_pointer(exercise)}"
            )
        if calls[0] == len(inputs) and len(inputs) > 1:
            return not_yet(
                f"{call}: the gradients are right, but loss_of_one ran once per example, in a "
                "Python loop. vmap runs it once for the whole batch: that is the point of "
                "the exercise."
            )
    return correct(exercise)


PER_SAMPLE_GRADIENTS = Exercise(
    name="per_sample_gradients",
    reference=_per_sample_reference,
    cases=(),
    hints=(
        "Two transforms, one inside the other: one turns the loss of one example into its "
        "gradient, the other runs that for every example of the batch.",
        "torch.func.grad(loss_of_one) differentiates with respect to the first argument, the "
        "weight. Wrap it in torch.func.vmap.",
        "vmap needs to know which arguments carry the batch: in_dims=(None, 0, 0), since "
        "the weight is shared by all examples.",
    ),
    solution="""
def per_sample_gradients(loss_of_one, weight, inputs, targets):
    gradient_of_one = torch.func.grad(loss_of_one)  # with respect to the first argument
    return torch.func.vmap(gradient_of_one, in_dims=(None, 0, 0))(weight, inputs, targets)
""",
    praise="vmap(grad(...)) gave every example its own gradient, in one call, for losses "
    "the check chose: backward() on the batch would have added them up.",
    judge=_judge_per_sample_gradients,
    notebook=NOTEBOOK,
)


class ReverseModeUsed(RuntimeError):
    """Raised by the check's functions when a backward pass runs through them."""


class _ForwardOnlySine(torch.autograd.Function):
    """sin(x) with a forward-mode rule and a backward that refuses: it tells the two apart.

    ``tangents`` counts the tangents pushed through it; ``backward_called`` records
    whether a backward pass reached it. The check resets both before each call.
    """

    generate_vmap_rule = True
    tangents = 0
    backward_called = False

    @staticmethod
    def forward(x):
        return torch.sin(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_forward(x)

    @staticmethod
    def jvp(ctx, x_tangent):
        (x,) = ctx.saved_tensors
        _ForwardOnlySine.tangents += 1
        return torch.cos(x) * x_tangent

    @staticmethod
    def backward(ctx, grad_output):
        _ForwardOnlySine.backward_called = True
        raise ReverseModeUsed("this check's function accepts forward mode only")


def _directional_cases(sine: Callable) -> list[tuple[str, Callable, torch.Tensor, torch.Tensor]]:
    """(description, function, point, direction) for each case, with ``sine`` as the sine."""
    mixing = torch.tensor([[1.0, -2.0], [0.5, 0.0], [-1.0, 1.5], [2.0, 1.0]], dtype=torch.float64)

    def scaled_sine(x):
        return sine(x) * x.sum()

    def mixed(x):
        return torch.stack([x[0] * x[1], sine(x[2]), x[0] ** 2 + sine(x[1])])

    def wide(x):
        return sine(mixing @ x)

    def vector(*values):
        return torch.tensor(values, dtype=torch.float64)

    return [
        ("a function of 3 inputs", scaled_sine, vector(0.5, -1.0, 2.0), vector(1.0, 0.5, -1.0)),
        ("another function of 3 inputs", mixed, vector(1.5, 0.3, -0.7), vector(-1.0, 2.0, 0.5)),
        ("a function from 2 inputs to 4 outputs", wide, vector(0.2, -0.4), vector(1.0, 3.0)),
    ]


def _directional_reference(function, point, direction) -> torch.Tensor:
    """J @ direction from the full Jacobian, built by reverse mode in float64."""
    return torch.autograd.functional.jacobian(function, point) @ direction


def _judge_directional_derivative(function: Callable, exercise: Exercise) -> Feedback:
    """J @ direction, with the tangent carried through the function (forward mode)."""
    _load_torch_func()
    plain = _directional_cases(torch.sin)
    for (description, hidden, point, direction), (_, same, _, _) in zip(
        _directional_cases(_ForwardOnlySine.apply), plain, strict=True
    ):
        call = f"{exercise.name}(function, point, direction) with {description}"
        _ForwardOnlySine.tangents, _ForwardOnlySine.backward_called = 0, False
        answer, problem = call_safely(
            function, exercise, (hidden, point.clone(), direction.clone()), call
        )
        if _ForwardOnlySine.backward_called:
            return not_yet(
                f"{call} ran a backward pass: that is reverse mode (backward, vjp, jacrev, "
                "torch.autograd.grad, or torch.autograd.functional.jvp, which uses backward "
                "passes). Push the direction forwards through the function instead: "
                "torch.func.jvp, or dual numbers."
            )
        if problem:
            return not_yet(problem)
        expected = _directional_reference(same, point, direction)
        values = _float_values(answer, expected.numel())
        if values is None:
            return not_yet(
                f"{call} returned {show(answer)}; return J @ direction, a tensor with one "
                f"number per output of the function ({expected.numel()} here)."
            )
        values = torch.tensor(values, dtype=torch.float64)
        if not torch.allclose(values, expected, rtol=1e-5, atol=1e-7):
            jacobian = torch.autograd.functional.jacobian(same, point)
            if jacobian.shape[0] == jacobian.shape[1] and torch.allclose(
                values, direction @ jacobian, rtol=1e-5, atol=1e-7
            ):
                return not_yet(
                    f"{call} returned direction @ J, a weighted sum of the Jacobian's rows. "
                    "The directional derivative is J @ direction: the direction moves the "
                    "inputs."
                )
            return not_yet(f"{call} did not return J @ direction. {hint_pointer(exercise)}")
        if _ForwardOnlySine.tangents == 0:
            return not_yet(
                f"{call} returned the right numbers, but no tangent went through the "
                "function, so they came from somewhere else than forward-mode autograd (a "
                "finite difference, or a formula). Use torch.func.jvp or dual numbers."
            )
    return correct(exercise)


def _float_values(answer: object, length: int) -> list[float] | None:
    """A learner's answer as ``length`` floats (from a tensor, list or tuple), else None."""
    if isinstance(answer, torch.Tensor):
        if answer.numel() != length or answer.is_complex():
            return None
        return [float(value) for value in answer.detach().flatten().tolist()]
    if isinstance(answer, list | tuple) and len(answer) == length:
        if all(isinstance(value, int | float) and not isinstance(value, bool) for value in answer):
            return [float(value) for value in answer]
    return None


DIRECTIONAL_DERIVATIVE = Exercise(
    name="directional_derivative",
    reference=_directional_reference,
    cases=(),
    hints=(
        "Forward mode computes J @ u in one pass that runs along with the function, "
        "carrying a tangent beside each value.",
        "torch.func.jvp(function, primals, tangents) takes tuples: (point,) and "
        "(direction,). It returns two things: the function's value and J @ direction.",
        "Return only the second of the two results jvp returns.",
    ),
    solution="""
def directional_derivative(function, point, direction):
    _, derivative = torch.func.jvp(function, (point,), (direction,))
    return derivative
""",
    praise="one forward pass carried the direction through functions you had never seen, "
    "and gave J @ direction without building J.",
    judge=_judge_directional_derivative,
    notebook=NOTEBOOK,
)


def _softplus_points() -> torch.Tensor:
    return torch.tensor([-3.0, -0.5, 0.0, 1.5, 4.0], dtype=torch.float64)


def _judge_softplus(function: object, exercise: Exercise) -> Feedback:
    """A custom Function in the setup_context style: values, backward, gradcheck, torch.func."""
    if not (isinstance(function, type) and issubclass(function, torch.autograd.Function)):
        return not_yet(
            f"check({exercise.name}) needs the class itself: a subclass of "
            "torch.autograd.Function with forward, setup_context and backward."
        )
    _load_torch_func()
    points = _softplus_points()
    expected_values = torch.nn.functional.softplus(points)
    expected_slopes = torch.sigmoid(points)

    values, problem = call_safely(function.apply, exercise, (points.clone(),), "Softplus.apply(x)")
    if problem:
        return not_yet(problem)
    if not isinstance(values, torch.Tensor) or not _tensor_close(values, expected_values):
        return not_yet(
            f"Softplus.apply(x) does not give log(1 + eˣ): look at forward. "
            f"{hint_pointer(exercise)}"
        )

    def slopes_by_backward(x):
        tracked = x.clone().requires_grad_()
        function.apply(tracked).sum().backward()
        return tracked.grad

    slopes, problem = call_safely(
        slopes_by_backward, exercise, (points,), "Softplus.apply(x).sum().backward()"
    )
    if problem:
        return not_yet(problem)
    if not isinstance(slopes, torch.Tensor) or not _tensor_close(slopes, expected_slopes):
        return not_yet(
            "after Softplus.apply(x).sum().backward(), x.grad is not the derivative of "
            "log(1 + eˣ) (torch.autograd.gradcheck agrees). Look at what backward returns: "
            f"the chain rule multiplies grad_output by the local derivative. "
            f"{hint_pointer(exercise)}"
        )

    def tensors_saved(x):
        return len(function.apply(x.clone().requires_grad_()).grad_fn.saved_tensors)

    saved, problem = call_safely(tensors_saved, exercise, (points,), "Softplus.apply(x)")
    if problem:
        return not_yet(problem)
    if saved == 0:
        return not_yet(
            "backward() gives the right gradient, but setup_context saved no tensor with "
            "ctx.save_for_backward: the input is kept some other way (an attribute of ctx?). "
            "Save tensors with ctx.save_for_backward, so that autograd can check that nothing "
            "changed them in place before backward, and free them after it."
        )

    def gradcheck(x):
        tracked = x.clone().requires_grad_()
        return torch.autograd.gradcheck(function.apply, (tracked,), raise_exception=False)

    passes, problem = call_safely(gradcheck, exercise, (points,), "gradcheck(Softplus.apply, (x,))")
    if problem:
        return not_yet(problem)
    if not passes:
        return not_yet(
            "torch.autograd.gradcheck finds that backward disagrees with finite differences "
            f"at some inputs. {hint_pointer(exercise)}"
        )

    def slopes_by_torch_func(x):
        return torch.func.vmap(torch.func.grad(function.apply))(x)

    slopes, problem = call_safely(
        slopes_by_torch_func, exercise, (points,), "vmap(grad(Softplus.apply))(x)"
    )
    if problem:
        if "setup_context" in problem:
            return not_yet(
                "backward() works, but torch.func refuses the Function: forward must not take "
                "ctx. Compute in forward(x) and save in setup_context(ctx, inputs, output)."
            )
        return not_yet(problem)
    if not isinstance(slopes, torch.Tensor) or not _tensor_close(slopes, expected_slopes):
        return not_yet(
            "backward() gives the right gradient, but vmap(grad(Softplus.apply)) does not. "
            f"Does backward use only the tensors setup_context saved? {hint_pointer(exercise)}"
        )
    return correct(exercise)


SOFTPLUS = Exercise(
    name="Softplus",
    reference=torch.nn.functional.softplus,
    cases=(),
    hints=(
        "forward(x) only computes log(1 + eˣ) (torch.log1p(torch.exp(x)) is one way); "
        "setup_context receives the inputs as a tuple and saves what backward needs.",
        "In setup_context: (x,) = inputs, then ctx.save_for_backward(x). In backward: "
        "(x,) = ctx.saved_tensors.",
        "The derivative of log(1 + eˣ) is the sigmoid: backward returns grad_output times "
        "torch.sigmoid(x).",
    ),
    solution="""
class Softplus(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.log1p(torch.exp(x))

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)
""",
    praise="your Function passes gradcheck, works with backward(), and with torch.func's "
    "grad and vmap, which the combined forward(ctx, x) style cannot.",
    judge=_judge_softplus,
    notebook=NOTEBOOK,
)
