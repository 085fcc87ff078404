"""Playgrounds: the numbers they show, how they react to controls, and their static view."""

import math

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from utils.widgets import (
    TANGENT_FUNCTIONS,
    TWO_VARIABLE_FUNCTIONS,
    tangent_explorer,
    tangent_state,
    two_variable_explorer,
    two_variable_state,
)

# Hand-derived derivatives: the oracle for the tangent explorer.
DERIVATIVES = {
    "x³ + 2x": lambda x: 3 * x**2 + 2,
    "x²": lambda x: 2 * x,
    "sin(x)": math.cos,
    "exp(-x²)": lambda x: -2 * x * math.exp(-(x**2)),
}
PARTIALS = {
    "3a + 4b²": lambda a, b: (3.0, 8 * b),
    "a·b": lambda a, b: (b, a),
    "sin(a)·b²": lambda a, b: (math.cos(a) * b**2, 2 * math.sin(a) * b),
}


def test_every_menu_function_has_an_oracle():
    assert set(TANGENT_FUNCTIONS) == set(DERIVATIVES)
    assert set(TWO_VARIABLE_FUNCTIONS) == set(PARTIALS)


@pytest.mark.parametrize("function", list(DERIVATIVES))
@pytest.mark.parametrize("x", [-2.5, -0.3, 0.0, 1.0, 2.0])
def test_tangent_state_slope_and_finite_difference(function, x):
    state = tangent_state(function, x)
    assert state.slope == pytest.approx(DERIVATIVES[function](x), abs=1e-12)
    assert state.finite_difference == pytest.approx(state.slope, abs=1e-6)


def test_tangent_text_shows_the_numbers():
    text = tangent_state("x³ + 2x", 2.0).text()
    assert "x = 2.00" in text
    assert "f(x) = 12.000" in text
    assert f"slope from x.grad = {3 * 2.0**2 + 2:.3f}" in text


def tangent_slope_drawn(playground) -> float:
    figure = playground.items[1]
    tangent = figure.axes[0].lines[1]
    (x0, x1), (y0, y1) = tangent.get_xdata(), tangent.get_ydata()
    return (y1 - y0) / (x1 - x0)


def test_moving_the_slider_redraws_the_tangent():
    playground = tangent_explorer()
    playground.draw()
    assert tangent_slope_drawn(playground) == pytest.approx(14.0)
    figure = playground.items[1]
    playground.controls[1].value = 1.0  # the x slider
    assert f"slope from x.grad = {3 * 1.0**2 + 2:.3f}" in playground.items[0]
    assert tangent_slope_drawn(playground) == pytest.approx(5.0)
    assert playground.items[1] is figure, "the same figure is updated, not a new one"


def test_choosing_another_function_redraws_the_curve():
    playground = tangent_explorer()
    playground.controls[0].value = "x²"
    curve = playground.items[1].axes[0].lines[0]
    xs, ys = curve.get_xdata(), curve.get_ydata()
    assert ys == pytest.approx(xs**2)
    assert tangent_slope_drawn(playground) == pytest.approx(2 * 2.0)


@pytest.mark.parametrize("function", list(PARTIALS))
def test_two_variable_state_gradients(function):
    a, b = 0.75, -1.5
    state, graph = two_variable_state(function, a, b)
    assert (state.grad_a, state.grad_b) == pytest.approx(PARTIALS[function](a, b), abs=1e-12)
    assert "a = 0.75" in graph.source and "b = -1.5" in graph.source
    assert f"grad = {state.grad_a:.4g}" in graph.source


def test_two_variable_explorer_reacts_to_b():
    playground = two_variable_explorer()
    playground.controls[2].value = -1.0  # the b slider
    assert f"∂z/∂b = b.grad = {8 * -1.0:.3f}" in playground.items[0]


def test_without_a_front_end_the_default_state_is_ordinary_output():
    InteractiveShell.instance()
    with capture_output() as captured:
        tangent_explorer()._ipython_display_()
    first, *rest = captured.outputs
    assert first.data["text/plain"] == (
        "Tangent explorer: run this cell in JupyterLab to use the controls."
    )
    assert "application/vnd.jupyter.widget-view+json" in first.data
    assert "slope from x.grad = 14.000" in captured.stdout
    figures = [o for o in rest if o.data.get("text/plain", "").startswith("<Figure")]
    assert len(figures) == 1, "the default figure is shown once"
