"""Functional autograd and forward mode (notebook 10): the forward-or-reverse playground.

``mode_cost_state(inputs, outputs)`` builds the Jacobian of a function with ``inputs``
inputs and ``outputs`` outputs twice: row by row in reverse mode (one vector-Jacobian
product, a backward pass, per output) and column by column in forward mode (one
Jacobian-vector product, a forward pass carrying a tangent, per input). It counts the
passes, checks that the two Jacobians agree and, when asked, times both.
``forward_reverse_explorer()`` shows that state with sliders; the tests call the plain
function.

Importing this module changes nothing and loads neither ipywidgets nor matplotlib.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.func import jvp, vjp

LARGEST_SIZE = 64  # the sliders' range: 1 to 64 inputs and outputs


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
    columns = [jvp(function, (x,), (one_hot,))[1] for one_hot in torch.eye(x.numel(), dtype=x.dtype)]
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
            f"reverse mode (vjp, one per row):    {self.reverse_passes} backward passes",
            f"forward mode (jvp, one per column): {self.forward_passes} forward passes",
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
            raise ValueError(f"{name} must be a whole number from 1 to {LARGEST_SIZE}, not {size!r}")
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
    import ipywidgets as widgets  # loaded by the playground only

    from utils.plotting import COLORS
    from utils.widgets import Playground, _figure

    mode_cost_state(inputs, outputs)  # a clear error for bad sizes, before any widget exists
    input_slider = widgets.IntSlider(
        value=inputs, min=1, max=LARGEST_SIZE, description="inputs n"
    )
    output_slider = widgets.IntSlider(
        value=outputs, min=1, max=LARGEST_SIZE, description="outputs m"
    )
    timing = widgets.Checkbox(value=False, description="time both", indent=False)

    figure, axes = _figure(size=(6.4, 2.4))
    bars = axes.barh(
        [1, 0], [0, 0], color=[COLORS["vermillion"], COLORS["blue"]], height=0.6
    )
    axes.set_yticks([1, 0], ["reverse: backward passes", "forward: forward passes"])
    axes.set_xlim(0, LARGEST_SIZE + 1)
    axes.set_xlabel("passes to build the whole Jacobian")
    axes.set_title("fewer passes: reverse mode")  # a title's height, for the layout
    figure.tight_layout()
    for artist in (*bars, axes.title):
        artist.set_animated(True)  # only these move: redrawn alone, over a kept background

    def draw():
        state = mode_cost_state(input_slider.value, output_slider.value, measure=timing.value)
        bars[0].set_width(state.reverse_passes)
        bars[1].set_width(state.forward_passes)
        axes.title.set_text(f"fewer passes: {state.cheaper}")
        return [state.text(), figure]

    return Playground("Forward-or-reverse explorer", [input_slider, output_slider, timing], draw)
