"""The lessons' playgrounds: move a slider, see autograd's answer change.

Each playground is one call in a notebook, e.g. ``tangent_explorer()``. Behind each
is a plain function (``tangent_state``, ``two_variable_state``) that computes what
the playground shows; the tests call those directly. The machinery they share (showing
the drawing, redrawing it when a control changes, quick figures) is in
:mod:`utils.playground`.

Every playground first shows its default state as ordinary output (text and a
figure), so the page makes sense where no widget front end runs: on GitHub, in a
static HTML page, or under the test runner. In JupyterLab, moving a control
replaces that output in place, updating the existing figure rather than building
a new one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from utils.exercises import VJP_POINT, vjp_function, vjp_jacobian
from utils.graph import draw_graph, format_tensor
from utils.numeric import finite_difference
from utils.playground import Playground, new_figure
from utils.plotting import COLORS, legend_below
from utils.stepper import BackwardStepper

# --------------------------------------------------------------------------- tangent explorer

TANGENT_FUNCTIONS: dict[str, Callable] = {
    "x³ + 2x": lambda x: x**3 + 2 * x,
    "x²": lambda x: x**2,
    "sin(x)": torch.sin,
    "exp(-x²)": lambda x: torch.exp(-(x**2)),
}


@dataclass(frozen=True)
class TangentState:
    """What the tangent explorer shows for one function and one x.

    Attributes:
        function: the function's name, a key of ``TANGENT_FUNCTIONS``.
        x: where the tangent touches.
        value: f(x).
        slope: f'(x) as autograd computes it (``x.grad`` after ``backward()``).
        finite_difference: the central-difference estimate of the same slope.
    """

    function: str
    x: float
    value: float
    slope: float
    finite_difference: float

    def text(self) -> str:
        """The one-line read-out shown above the figure."""
        return (
            f"function: {self.function}   x = {self.x:.2f}   f(x) = {self.value:.3f}   "
            f"slope from x.grad = {self.slope:.3f}   finite difference = "
            f"{self.finite_difference:.3f}"
        )


def tangent_state(function: str = "x³ + 2x", x: float = 2.0) -> TangentState:
    """Compute f(x), autograd's slope and a finite-difference slope.

    Args:
        function: a key of ``TANGENT_FUNCTIONS``.
        x: the point of tangency.
    """
    f = TANGENT_FUNCTIONS[function]
    point = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    value = f(point)
    value.backward()
    return TangentState(
        function=function,
        x=float(x),
        value=value.item(),
        slope=point.grad.item(),
        finite_difference=finite_difference(f, float(x)),
    )


def tangent_explorer(function: str = "x³ + 2x", x: float = 2.0) -> Playground:
    """Show f(x), its tangent (slope from ``x.grad``) and the finite-difference slope.

    Args:
        function: the function to start with, a key of ``TANGENT_FUNCTIONS``.
        x: the starting point, between -3 and 3.

    Returns:
        The playground; put the call last in a cell to show it.
    """
    chooser = widgets.Dropdown(options=list(TANGENT_FUNCTIONS), value=function, description="f(x)")
    x_slider = widgets.FloatSlider(value=x, min=-3.0, max=3.0, step=0.1, description="x")
    plot = _TangentPlot()

    def draw():
        state = tangent_state(chooser.value, x_slider.value)
        plot.update(state)
        return [state.text(), plot.figure]

    return Playground("Tangent explorer", [chooser, x_slider], draw)


class _TangentPlot:
    """One figure whose artists are updated in place for each new state."""

    def __init__(self):
        self.figure, self.axes = new_figure(size=(6.4, 3.6))
        (self.curve,) = self.axes.plot([], [], color=COLORS["blue"], label="f(x)")
        (self.tangent,) = self.axes.plot(
            [], [], color=COLORS["vermillion"], linestyle="--", label="tangent, slope = x.grad"
        )
        (self.point,) = self.axes.plot([], [], "o", color=COLORS["black"])
        self.axes.set_xlabel("x")
        self.axes.set_xlim(-3.2, 3.2)
        self.axes.set_title("f(x)")  # a title's height, for the layout; its text comes later
        legend_below(self.figure, self.axes)
        for artist in (self.tangent, self.point, self.axes.title):
            artist.set_animated(True)  # moves with x: redrawn alone, over a kept background
        self.function = None

    def update(self, state: TangentState) -> None:
        if state.function != self.function:
            xs = torch.linspace(-3.2, 3.2, 161, dtype=torch.float64)
            with torch.no_grad():
                ys = TANGENT_FUNCTIONS[state.function](xs)
            self.curve.set_data(xs.numpy(), ys.numpy())
            low, high = float(ys.min()), float(ys.max())
            margin = 0.1 * (high - low)
            self.axes.set_ylim(low - margin, high + margin)
            self.function = state.function
        half_width = 1.0
        xs = [state.x - half_width, state.x + half_width]
        self.tangent.set_data(xs, [state.value + state.slope * (u - state.x) for u in xs])
        self.point.set_data([state.x], [state.value])
        # the title's text only: set_title() would also reset fixed parts of the figure
        self.axes.title.set_text(
            f"f(x) = {state.function}, slope at x = {state.x:.2f}: {state.slope:.3f}"
        )


# --------------------------------------------------------------------- two-variable explorer

TWO_VARIABLE_FUNCTIONS: dict[str, Callable] = {
    "3a + 4b²": lambda a, b: 3 * a + 4 * b**2,
    "a·b": lambda a, b: a * b,
    "sin(a)·b²": lambda a, b: torch.sin(a) * b**2,
}


@dataclass(frozen=True)
class TwoVariableState:
    """What the two-variable explorer shows.

    Attributes:
        function: a key of ``TWO_VARIABLE_FUNCTIONS``.
        a, b: the inputs.
        value: z(a, b).
        grad_a, grad_b: ∂z/∂a and ∂z/∂b from one ``backward()``.
    """

    function: str
    a: float
    b: float
    value: float
    grad_a: float
    grad_b: float

    def text(self) -> str:
        """The one-line read-out shown above the graph."""
        return (
            f"z = {self.function}   a = {self.a:.2f}   b = {self.b:.2f}   z = {self.value:.3f}   "
            f"∂z/∂a = a.grad = {self.grad_a:.3f}   ∂z/∂b = b.grad = {self.grad_b:.3f}"
        )


def two_variable_state(function: str = "3a + 4b²", a: float = 1.0, b: float = 2.0):
    """Compute z(a, b) and both partial derivatives with one ``backward()``.

    Args:
        function: a key of ``TWO_VARIABLE_FUNCTIONS``.
        a, b: the inputs.

    Returns:
        ``(TwoVariableState, GraphRender)``: the numbers and the graph, drawn after backward().
    """
    a_tensor = torch.tensor(float(a), dtype=torch.float64, requires_grad=True)
    b_tensor = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    z = TWO_VARIABLE_FUNCTIONS[function](a_tensor, b_tensor)
    z.backward()
    state = TwoVariableState(
        function=function,
        a=float(a),
        b=float(b),
        value=z.item(),
        grad_a=a_tensor.grad.item(),
        grad_b=b_tensor.grad.item(),
    )
    return state, draw_graph(z, {"a": a_tensor, "b": b_tensor, "z": z}, legend=False)


def two_variable_explorer(function: str = "3a + 4b²", a: float = 1.0, b: float = 2.0):
    """Sliders for a and b: see z, ∂z/∂a, ∂z/∂b and the graph with each ``.grad``.

    Args:
        function: the function to start with, a key of ``TWO_VARIABLE_FUNCTIONS``.
        a, b: starting values, between -3 and 3.

    Returns:
        The playground; put the call last in a cell to show it.
    """
    chooser = widgets.Dropdown(
        options=list(TWO_VARIABLE_FUNCTIONS), value=function, description="z(a, b)"
    )
    a_slider = widgets.FloatSlider(value=a, min=-3.0, max=3.0, step=0.25, description="a")
    b_slider = widgets.FloatSlider(value=b, min=-3.0, max=3.0, step=0.25, description="b")

    def draw():
        state, graph = two_variable_state(chooser.value, a_slider.value, b_slider.value)
        return [state.text(), graph]

    return Playground("Two-variable explorer", [chooser, a_slider, b_slider], draw)


# ------------------------------------------------------------------------ backward stepper


def stepper_example() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The stepper's default graph: y = a·b + a at a = 2, b = 3 (a is used twice)."""
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    y = a * b + a
    return y, {"a": a, "b": b, "y": y}


def stepper_view(stepper: BackwardStepper, names: dict[str, torch.Tensor]) -> list:
    """What the backward stepper shows: the steps so far, then the graph with the current
    backward function outlined and the gradient each node has received."""
    annotate = {step.node: f"received {format_tensor(step.incoming)}" for step in stepper.steps}
    for name, gradient in stepper.leaf_grads.items():
        annotate[names[name]] = f"grad = {format_tensor(gradient)}"
    if not stepper.steps:
        lines = ["Press 'next step': backward starts at the output with gradient 1."]
    else:
        lines = [step.text() for step in stepper.steps]
    if stepper.done:
        lines.append("Done: every leaf holds the gradient that backward() would give it.")
    current = [stepper.current] if stepper.current is not None else []
    graph = draw_graph(stepper.output, names, highlight=current, annotate=annotate)
    return ["\n".join(lines), graph]


def backward_stepper(output: torch.Tensor | None = None, names=None) -> Playground:
    """Step through a backward pass one backward function per click.

    Args:
        output: a scalar tensor with a graph behind it; by default y = a·b + a.
        names: labels for its tensors, e.g. ``{"a": a, "b": b, "y": y}``.

    Returns:
        The playground; put the call last in a cell to show it.
    """
    if output is None:
        output, names = stepper_example()
    names = dict(names or {})
    stepper = BackwardStepper(output, names)
    next_button = widgets.Button(description="next step", icon="step-forward")
    reset_button = widgets.Button(description="start over", icon="undo")
    return Playground(
        "Backward stepper",
        [next_button, reset_button],
        lambda: stepper_view(stepper, names),
        actions={
            next_button: lambda: None if stepper.done else stepper.step(),
            reset_button: stepper.reset,
        },
    )


# ------------------------------------------------------------------- accumulation explorer


class AccumulationLab:
    """x = 2 and y = x²: run backward passes and watch ``x.grad`` add up.

    Attributes:
        x: the leaf tensor.
        history: ``x.grad`` after each action (None while it has none).
        actions: the label of each action, in order.
        message: what the last action did, or the error it met, explained.
    """

    def __init__(self, x_value: float = 2.0):
        self.x = torch.tensor(x_value, requires_grad=True)
        self.y = None
        self.history: list[float | None] = []
        self.actions: list[str] = []
        self.message = "x = 2, y = x², so dy/dx = 2x = 4. Press a button."

    def _record(self, action: str, message: str) -> None:
        self.actions.append(action)
        self.history.append(None if self.x.grad is None else self.x.grad.item())
        self.message = message

    def new_backward(self, retain_graph: bool = False) -> None:
        """Build a fresh graph y = x², then call y.backward()."""
        self.y = self.x**2
        self.y.backward(retain_graph=retain_graph)
        self._record("new y, backward()", f"new graph, backward(): x.grad = {self._grad()}")

    def backward_again(self, retain_graph: bool = False) -> None:
        """Call backward() again on the same y (fails if its graph was freed)."""
        if self.y is None:
            self.message = "There is no y yet: build one first."
            return
        try:
            self.y.backward(retain_graph=retain_graph)
        except RuntimeError:
            self._record(
                "same y again: error",
                "RuntimeError: Trying to backward through the graph a second time. "
                "The first backward() freed the values the graph saved (x, for x²). "
                "Tick retain_graph=True before the first backward() to keep them, "
                "or build a new y.",
            )
            return
        self._record("same y, backward()", f"same graph again: x.grad = {self._grad()}")

    def zero(self) -> None:
        """Reset the gradient with x.grad.zero_()."""
        if self.x.grad is not None:
            self.x.grad.zero_()
        self._record("zero_()", f"x.grad.zero_(): x.grad = {self._grad()}")

    def _grad(self) -> str:
        return "None" if self.x.grad is None else format_tensor(self.x.grad)


def accumulation_explorer() -> Playground:
    """Buttons that call backward() again or zero the gradient; a plot of ``x.grad``."""
    lab = AccumulationLab()
    retain = widgets.Checkbox(value=False, description="retain_graph=True", indent=False)
    buttons = {
        "new y = x², then backward()": lambda: lab.new_backward(retain.value),
        "backward() on the same y": lambda: lab.backward_again(retain.value),
        "x.grad.zero_()": lab.zero,
    }
    actions = {
        widgets.Button(description=label, layout=widgets.Layout(width="auto")): action
        for label, action in buttons.items()
    }
    figure, axes = new_figure()
    (line,) = axes.plot([], [], "o-", color=COLORS["blue"])
    axes.set_xlabel("action number")
    axes.set_ylabel("x.grad")
    axes.set_title("x.grad after each action")
    figure.tight_layout()

    def draw():
        values = [float("nan") if v is None else v for v in lab.history]
        line.set_data(range(1, len(values) + 1), values)
        axes.set_xlim(0.5, max(len(values), 4) + 0.5)
        finite = [v for v in values if v == v]
        axes.set_ylim(-0.5, max(finite + [4.0]) * 1.15)
        return [lab.message, figure]

    return Playground("Accumulation explorer", [*actions, retain], draw, actions=actions)


# -------------------------------------------------------------------- grad-mode explorer

GRAD_MODES = (
    "tracking on (default)",
    "torch.no_grad()",
    "w.detach()",
    "torch.inference_mode()",
    "requires_grad=False",
    "model.eval()",
)


@dataclass(frozen=True)
class GradModeState:
    """What one way of turning tracking off (or not) does to y = sum(3·w).

    Attributes:
        mode: one of ``GRAD_MODES``.
        has_grad_fn: whether y remembers how it was made.
        requires_grad: y.requires_grad.
        backward: "works" or the first line of the error y.backward() raises.
    """

    mode: str
    has_grad_fn: bool
    requires_grad: bool
    backward: str

    def text(self) -> str:
        return (
            f"{self.mode}: y.grad_fn is {'set' if self.has_grad_fn else 'None'}, "
            f"y.requires_grad = {self.requires_grad}, y.backward(): {self.backward}"
        )


def grad_mode_output(mode: str) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """y = sum(3·w) for w = [1, 2], computed under ``mode`` (one of ``GRAD_MODES``).

    Returns:
        ``(names, y)``: the leaf to label in a graph, and y.
    """
    w = torch.tensor([1.0, 2.0], requires_grad=mode != "requires_grad=False")
    if mode == "torch.no_grad()":
        with torch.no_grad():
            return {"w": w}, (3 * w).sum()
    if mode == "torch.inference_mode()":
        with torch.inference_mode():
            return {"w": w}, (3 * w).sum()
    if mode == "w.detach()":
        return {"w": w}, (3 * w.detach()).sum()
    if mode == "model.eval()":
        model = torch.nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            model.weight.fill_(3.0)
        model.eval()  # changes dropout and batch norm, not gradient tracking
        return {"model.weight": model.weight}, model(w.detach()).sum()
    return {"w": w}, (3 * w).sum()


def grad_mode_state(mode: str = "tracking on (default)") -> tuple[GradModeState, object]:
    """Compute y under ``mode`` and try ``backward()``.

    Returns:
        ``(GradModeState, graph)``: graph is a GraphRender, or a sentence when y has no graph.
    """
    names, y = grad_mode_output(mode)
    graph = (
        draw_graph(y, {**names, "y": y}, legend=False)
        if y.grad_fn is not None
        else "No graph: y has no grad_fn, so there is nothing for backward() to walk."
    )
    has_grad_fn, requires_grad = y.grad_fn is not None, y.requires_grad
    try:
        y.backward()
        backward = "works"
    except RuntimeError as error:
        backward = "RuntimeError: " + str(error).splitlines()[0]
    return GradModeState(mode, has_grad_fn, requires_grad, backward), graph


def grad_mode_explorer(mode: str = "tracking on (default)") -> Playground:
    """Choose how y = sum(3·w) is computed: see its grad_fn, its graph, whether backward works."""
    chooser = widgets.Dropdown(options=list(GRAD_MODES), value=mode, description="mode")

    def draw():
        state, graph = grad_mode_state(chooser.value)
        return [state.text(), graph]

    return Playground("Grad-mode explorer", [chooser], draw)


# ------------------------------------------------------------ vector-Jacobian explorer


@dataclass(frozen=True)
class VjpState:
    """``y.backward(v)`` next to ``v @ J`` for y = vjp_function(x) at ``VJP_POINT``.

    Attributes:
        v: the vector given to backward(), one entry per output.
        backward_grad: x.grad after y.backward(v).
        v_times_jacobian: v @ J, computed from the full Jacobian.
        jacobian: J[i][j] = ∂yᵢ/∂xⱼ.
    """

    v: tuple[float, ...]
    backward_grad: tuple[float, ...]
    v_times_jacobian: tuple[float, ...]
    jacobian: tuple[tuple[float, ...], ...]

    def text(self) -> str:
        show = ", ".join
        return (
            f"v = ({show(f'{u:.2f}' for u in self.v)})\n"
            f"x.grad after y.backward(v) = ({show(f'{u:.3f}' for u in self.backward_grad)})\n"
            f"v @ J                      = ({show(f'{u:.3f}' for u in self.v_times_jacobian)})"
        )


def vjp_state(v=(1.0, 1.0, 1.0)) -> VjpState:
    """Compute y.backward(v) and v @ J at ``VJP_POINT`` (float64).

    Args:
        v: three numbers, one per output of ``vjp_function``.
    """
    x = torch.tensor(VJP_POINT, dtype=torch.float64, requires_grad=True)
    vector = torch.tensor(v, dtype=torch.float64)
    vjp_function(x).backward(vector)
    jacobian = vjp_jacobian()
    return VjpState(
        v=tuple(vector.tolist()),
        backward_grad=tuple(x.grad.tolist()),
        v_times_jacobian=tuple((vector @ jacobian).tolist()),
        jacobian=tuple(tuple(row) for row in jacobian.tolist()),
    )


def vjp_explorer(v=(1.0, 1.0, 1.0)) -> Playground:
    """Sliders for v: see ``y.backward(v)`` next to ``v @ J``, with J drawn as a heat map."""
    sliders = [
        widgets.FloatSlider(value=value, min=-2.0, max=2.0, step=0.25, description=f"v{i}")
        for i, value in enumerate(v)
    ]
    state = vjp_state(v)
    figure, (heat, bars) = new_figure(size=(7.6, 3.2), ncols=2, width_ratios=(1, 1.2))
    heat.imshow(state.jacobian, cmap="cividis")
    heat.grid(False)
    for i, row in enumerate(state.jacobian):
        for j, value in enumerate(row):
            bright = value > 0.6 * max(max(row) for row in state.jacobian)
            color = COLORS["black"] if bright else "white"  # readable on the cividis map
            heat.text(j, i, f"{value:.2f}", ha="center", va="center", color=color)
    heat.set_xticks(range(3), [f"x{j}" for j in range(3)])
    heat.set_yticks(range(3), [f"y{i}" for i in range(3)])
    heat.set_title("Jacobian J = ∂y/∂x")
    drawn = bars.bar(range(3), state.backward_grad, color=COLORS["orange"])
    for bar in drawn:
        bar.set_animated(True)  # only the bars move: redrawn alone, over a kept background
    bars.set_xticks(range(3), [f"x{j}.grad" for j in range(3)])
    bars.axhline(0, color=COLORS["black"], linewidth=0.8)
    bars.set_title("x.grad = v @ J")
    # |v| <= 2 per entry, so |x.grad[j]| <= 2 * (column j's absolute sum)
    columns = zip(*state.jacobian, strict=True)
    limit = 1.05 * 2.0 * max(sum(abs(value) for value in column) for column in columns)
    bars.set_ylim(-limit, limit)
    figure.tight_layout()

    def draw():
        current = vjp_state(tuple(slider.value for slider in sliders))
        for bar, height in zip(drawn, current.backward_grad, strict=True):
            bar.set_height(height)
        return [current.text(), figure]

    return Playground("Vector-Jacobian explorer", sliders, draw)


# ------------------------------------------------------------------------ training explorer


def regression_data(points: int = 30, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A small synthetic regression set: y = 2x + 1 plus a little noise, x in [-1, 1]."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.linspace(-1.0, 1.0, points)
    y = 2 * x + 1 + 0.2 * torch.randn(points, generator=generator)
    return x, y


@dataclass(frozen=True)
class TrainingRun:
    """The result of :func:`train_line`.

    Attributes:
        losses: the mean squared error before each step.
        weight, bias: the fitted line's slope and intercept.
        diverged: True if the loss became infinite or not a number, or ended more than
            ten times higher than it started.
    """

    losses: tuple[float, ...]
    weight: float
    bias: float
    diverged: bool

    def text(self) -> str:
        if self.diverged:
            return (
                f"diverged: the loss grew to {self.losses[-1]:.3g} in {len(self.losses)} steps. "
                "The learning rate is too large: each step overshoots the minimum."
            )
        return (
            f"{len(self.losses)} steps: loss {self.losses[0]:.3f} → {self.losses[-1]:.3f}, "
            f"fitted line y = {self.weight:.2f}x + {self.bias:.2f} (the data: y = 2x + 1 + noise)"
        )


def train_line(learning_rate: float = 0.1, steps: int = 50, zero_grad: bool = True) -> TrainingRun:
    """Fit y = w·x + b to :func:`regression_data` by gradient descent with autograd.

    Args:
        learning_rate: the step size.
        steps: how many updates.
        zero_grad: reset the gradients after each step (switch off to see accumulation).
    """
    x, y = regression_data()
    weight = torch.zeros((), requires_grad=True)
    bias = torch.zeros((), requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((weight * x + bias - y) ** 2).mean()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
        loss.backward()
        with torch.no_grad():
            weight -= learning_rate * weight.grad
            bias -= learning_rate * bias.grad
        if zero_grad:
            weight.grad = None
            bias.grad = None
    diverged = not math.isfinite(losses[-1]) or losses[-1] > 10 * losses[0]
    return TrainingRun(tuple(losses), weight.item(), bias.item(), diverged)


def training_explorer(learning_rate: float = 0.1, steps: int = 50) -> Playground:
    """Learning-rate and steps sliders, and a "forget zero_grad" switch, on a line fit."""
    from matplotlib.ticker import NullFormatter

    rate = widgets.FloatLogSlider(
        value=learning_rate,
        base=10,
        min=-3,
        max=0.3,
        step=0.1,
        description="learning rate",
        style={"description_width": "initial"},  # the whole label, not "learning r…"
    )
    step_count = widgets.IntSlider(value=steps, min=1, max=100, description="steps")
    forget = widgets.Checkbox(value=False, description="forget zero_grad", indent=False)
    x, y = regression_data()
    figure, (loss_axes, fit_axes) = new_figure(size=(8.0, 3.2), ncols=2)
    (loss_line,) = loss_axes.plot([], [], color=COLORS["blue"])
    loss_axes.set_yscale("log")
    loss_axes.yaxis.set_minor_formatter(NullFormatter())  # fewer labels: a quicker redraw
    # Fixed axes: runs compare at a glance, and only the two lines are redrawn per move.
    # A diverging run leaves through the top.
    loss_axes.set_xlim(0, step_count.max)
    loss_axes.set_ylim(0.02, 100)
    loss_axes.set_xlabel("step")
    loss_axes.set_title("loss")
    fit_axes.plot(x.numpy(), y.numpy(), "o", color=COLORS["sky"], markersize=4)
    (fit_line,) = fit_axes.plot([], [], color=COLORS["vermillion"])
    loss_line.set_animated(True)
    fit_line.set_animated(True)
    fit_axes.set_ylim(-2.5, 4.5)
    fit_axes.set_title("data and fitted line")
    figure.tight_layout()

    def draw():
        run = train_line(rate.value, step_count.value, zero_grad=not forget.value)
        finite = [value if math.isfinite(value) else 1e30 for value in run.losses]
        loss_line.set_data(range(len(finite)), finite)
        ends = torch.tensor([-1.0, 1.0])
        weight = run.weight if math.isfinite(run.weight) else 0.0
        bias = run.bias if math.isfinite(run.bias) else 0.0
        fit_line.set_data(ends.numpy(), (weight * ends + bias).numpy())
        return [run.text(), figure]

    return Playground("Training explorer", [rate, step_count, forget], draw)
