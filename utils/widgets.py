"""Interactive playgrounds: move a slider, see autograd's answer change.

Each playground is one call in a notebook, e.g. ``tangent_explorer()``. Behind each
is a plain function (``tangent_state``, ``two_variable_state``) that computes what
the playground shows; the tests call those directly.

Every playground first shows its default state as ordinary output (text and a
figure), so the page makes sense where no widget front end runs: on GitHub, in a
static HTML page, or under the test runner. In JupyterLab, moving a control
replaces that output in place, updating the existing figure rather than building
a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from utils.checks import finite_difference
from utils.graph import draw_graph
from utils.plotting import COLORS

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
        self.figure, self.axes = plt.subplots(figsize=(6.4, 3.6))
        plt.close(self.figure)  # shown explicitly by the playground, never twice
        (self.curve,) = self.axes.plot([], [], color=COLORS["blue"], label="f(x)")
        (self.tangent,) = self.axes.plot(
            [], [], color=COLORS["vermillion"], linestyle="--", label="tangent, slope = x.grad"
        )
        (self.point,) = self.axes.plot([], [], "o", color=COLORS["black"])
        self.axes.set_xlabel("x")
        self.axes.set_xlim(-3.2, 3.2)
        self.axes.legend(loc="upper left")
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
        self.axes.set_title(
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


# ----------------------------------------------------------------------------- shared machinery


class Playground(widgets.VBox):
    """Controls above an output area that is redrawn whenever a control changes.

    Attributes:
        title: the playground's name, used in its text form.
        controls: the sliders, menus and buttons, in display order.
        output: the area that shows the drawing.
        items: what the last drawing showed (strings are printed, the rest displayed).
    """

    def __init__(self, title: str, controls: list, draw: Callable[[], list]):
        self.title = title
        self.controls = list(controls)
        self.output = widgets.Output()
        self.items: list = []
        self._draw = draw
        super().__init__([widgets.HBox(self.controls), self.output])
        for control in self.controls:
            if isinstance(control, widgets.Button):
                control.on_click(self.redraw)
            else:
                control.observe(self.redraw, names="value")

    def draw(self) -> list:
        """Compute what the playground shows for the controls' current values."""
        self.items = list(self._draw())
        return self.items

    def redraw(self, change=None) -> None:
        """Replace the output area's content (called when a control changes)."""
        items = self.draw()
        with self.output:
            self.output.clear_output(wait=True)
            _show_items(items)

    def _ipython_display_(self) -> None:
        # The widget, then its first drawing as ordinary output, so that the default
        # state shows where no widget front end runs. No clear_output() here: it would
        # also clear the controls displayed just above.
        display(self._repr_mimebundle_(), raw=True)
        with self.output:
            _show_items(self.draw())

    def __repr__(self) -> str:
        return f"{self.title}: run this cell in JupyterLab to use the controls."


def _show_items(items: list) -> None:
    for item in items:
        if isinstance(item, str):
            print(item)
        else:
            display(item)
