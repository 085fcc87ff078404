"""Playgrounds: the numbers they show, how they react to controls, and their static view."""

import math
import re

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from utils.playground import PLAYGROUND_MARKER, FigureView
from utils.widgets import (
    GRAD_MODES,
    TANGENT_FUNCTIONS,
    TWO_VARIABLE_FUNCTIONS,
    VJP_POINT,
    AccumulationLab,
    accumulation_explorer,
    backward_stepper,
    grad_mode_explorer,
    grad_mode_state,
    regression_data,
    tangent_explorer,
    tangent_state,
    train_line,
    training_explorer,
    two_variable_explorer,
    two_variable_state,
    vjp_explorer,
    vjp_state,
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
    assert first.data["text/plain"] == f"Tangent explorer: {PLAYGROUND_MARKER}"
    assert "JupyterLab" in PLAYGROUND_MARKER, "the static view says where the controls work"
    assert "application/vnd.jupyter.widget-view+json" in first.data
    readout, *figures = rest
    assert "slope from x.grad = 14.000" in readout.data["text/plain"]
    assert [o.data["text/plain"][:7] for o in figures] == ["<Figure"], "one figure, once"


def test_a_control_change_updates_the_displayed_items_in_place():
    InteractiveShell.instance()
    playground = tangent_explorer()
    with capture_output() as captured:
        playground._ipython_display_()
        playground.controls[1].value = 1.0
    readouts = [o for o in captured.outputs if "slope" in o.data.get("text/plain", "")]
    assert [o.update for o in readouts] == [False, True], "shown once, then replaced in place"
    assert readouts[0].transient["display_id"] == readouts[1].transient["display_id"]
    assert "slope from x.grad = 5.000" in readouts[1].data["text/plain"]


# ----------------------------------------------------------------------- backward stepper


def test_backward_stepper_walks_to_the_gradients_backward_gives():
    playground = backward_stepper()
    next_button, reset_button = playground.controls
    playground.draw()
    assert "Press 'next step'" in playground.items[0]
    for _ in range(10):  # more clicks than steps: the extra ones change nothing
        next_button.click()
    text, graph = playground.items
    a, b = 2.0, 3.0  # the default example y = a·b + a
    assert f"stores {b + 1:g} in a.grad" in text and f"stores {a:g} in b.grad" in text
    assert "Done" in text
    assert f"grad = {b + 1:g}" in graph.source
    reset_button.click()
    assert "Press 'next step'" in playground.items[0]


def test_backward_stepper_outlines_the_current_node():
    playground = backward_stepper()
    playground.controls[0].click()
    graph = playground.items[1]
    nodes = re.findall(r'\t(n\d+) \[label="?([^"\]]*)"? ([^\]]*)\]', graph.source)
    outlined = [label for _, label, attrs in nodes if "#D55E00" in attrs]
    assert len(outlined) == 1 and outlined[0].startswith("AddBackward0")


# ------------------------------------------------------------------- accumulation explorer


def test_accumulation_lab_reproduces_four_then_eight():
    lab = AccumulationLab(2.0)
    lab.new_backward()
    lab.new_backward()
    assert lab.history == [2 * 2.0, 2 * (2 * 2.0)]


def test_accumulation_lab_backward_twice_is_explained_and_retain_graph_fixes_it():
    lab = AccumulationLab(2.0)
    lab.new_backward()
    lab.backward_again()
    assert "Trying to backward through the graph a second time" in lab.message
    assert "retain_graph=True" in lab.message
    assert lab.history[-1] == 4.0, "a failed backward() adds nothing"
    lab = AccumulationLab(2.0)
    lab.new_backward(retain_graph=True)
    lab.backward_again()
    assert lab.history == [4.0, 8.0]


def test_accumulation_lab_zero():
    lab = AccumulationLab(2.0)
    lab.zero()
    assert lab.history == [None], "zeroing before any backward leaves .grad as None"
    lab.new_backward()
    lab.zero()
    assert lab.history[-1] == 0.0


def test_accumulation_explorer_buttons_update_the_plot():
    playground = accumulation_explorer()
    new_backward = playground.controls[0]
    new_backward.click()
    new_backward.click()
    line = playground.items[1].axes[0].lines[0]
    assert list(line.get_ydata()) == [4.0, 8.0]
    assert "x.grad = 8" in playground.items[0]


# --------------------------------------------------------------------- grad-mode explorer


@pytest.mark.parametrize(
    ("mode", "tracked"),
    [
        ("tracking on (default)", True),
        ("torch.no_grad()", False),
        ("w.detach()", False),
        ("torch.inference_mode()", False),
        ("requires_grad=False", False),
        ("model.eval()", True),  # eval() changes layers, not gradient tracking
    ],
)
def test_grad_modes(mode, tracked):
    assert mode in GRAD_MODES
    state, graph = grad_mode_state(mode)
    assert state.has_grad_fn is tracked and state.requires_grad is tracked
    assert (state.backward == "works") is tracked
    if tracked:
        assert "digraph" in graph.source
    else:
        assert "does not require grad" in state.backward
        assert graph.startswith("No graph")


def test_grad_mode_explorer_follows_the_menu():
    playground = grad_mode_explorer()
    playground.controls[0].value = "torch.no_grad()"
    assert playground.items[0].startswith("torch.no_grad(): y.grad_fn is None")


# --------------------------------------------------------------- vector-Jacobian explorer


def test_vjp_state_matches_the_hand_jacobian():
    x0, x1, x2 = VJP_POINT
    jacobian = [[x1, x0, 0.0], [0.0, 2 * x1, 0.0], [0.0, 0.0, math.cos(x2)]]
    v = (0.5, -1.0, 2.0)
    state = vjp_state(v)
    for row, expected in zip(state.jacobian, jacobian, strict=True):
        assert row == pytest.approx(expected, abs=1e-12)
    by_hand = [sum(v[i] * jacobian[i][j] for i in range(3)) for j in range(3)]
    assert state.backward_grad == pytest.approx(by_hand, abs=1e-12)
    assert state.v_times_jacobian == pytest.approx(by_hand, abs=1e-12)


def test_vjp_explorer_moves_the_bars():
    playground = vjp_explorer()
    playground.controls[1].value = 0.0  # v1 = 0: y1 = x1² no longer contributes
    bars = playground.items[1].axes[1].patches
    expected = vjp_state((1.0, 0.0, 1.0)).backward_grad
    assert [bar.get_height() for bar in bars] == pytest.approx(expected)


# --------------------------------------------------------------------- training explorer


def test_training_fits_the_line_the_data_came_from():
    run = train_line(learning_rate=0.1, steps=100)
    assert not run.diverged
    assert run.losses[-1] < run.losses[0] / 10
    assert run.weight == pytest.approx(2.0, abs=0.15) and run.bias == pytest.approx(1.0, abs=0.15)


def test_training_gradients_match_a_hand_derivation():
    x, y = regression_data()
    first = train_line(learning_rate=0.1, steps=2)
    # one step from w = b = 0: dL/dw = -2·mean(x·y), dL/db = -2·mean(y)
    weight = 0.1 * 2 * float((x * y).mean())
    bias = 0.1 * 2 * float(y.mean())
    assert first.losses[0] == pytest.approx(float((y**2).mean()))
    assert first.losses[1] == pytest.approx(float(((weight * x + bias - y) ** 2).mean()), rel=1e-5)


def test_too_large_a_learning_rate_diverges_and_says_so():
    run = train_line(learning_rate=1.5, steps=60)
    assert run.diverged
    assert "too large" in run.text()


def test_forgetting_zero_grad_trains_worse():
    good = train_line(learning_rate=0.1, steps=50)
    bad = train_line(learning_rate=0.1, steps=50, zero_grad=False)
    assert bad.losses[-1] > 10 * good.losses[-1]


def test_training_explorer_redraws_the_loss_curve():
    playground = training_explorer()
    playground.controls[1].value = 20  # steps
    loss_line = playground.items[1].axes[0].lines[0]
    assert len(loss_line.get_xdata()) == 20
    playground.controls[0].value = 1.5  # learning rate
    assert playground.items[0].startswith("diverged")


def test_a_playground_figure_shows_as_a_png_of_the_figure_size():
    figure = tangent_explorer().draw()[1]
    png = FigureView(figure)._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = (int(v) for v in figure.get_size_inches() * figure.dpi)
    assert int.from_bytes(png[16:20], "big") == width
    assert int.from_bytes(png[20:24], "big") == height
    assert repr(FigureView(figure)) == f"<Figure size {width}x{height} with 1 Axes>"


def _pixels(png: bytes):
    import io

    import PIL.Image

    return PIL.Image.open(io.BytesIO(png)).convert("RGBA").tobytes()


@pytest.mark.parametrize(
    ("make", "moves"),
    [
        (tangent_explorer, [(1, 0.5), (1, -2.0), (0, "sin(x)"), (1, 1.5)]),
        (vjp_explorer, [(0, -2.0), (2, 1.75), (1, 0.0)]),
        (training_explorer, [(1, 10), (0, 1.5), (2, True), (0, 0.01)]),
    ],
    ids=["tangent", "vjp", "training"],
)
def test_a_redrawn_frame_is_the_picture_a_fresh_drawing_gives(make, moves):
    """Only the moving parts are redrawn per move: no trace of the old frame may remain."""
    playground = make()
    playground.draw()
    figure = next(item for item in playground.items if not isinstance(item, str))
    kept = FigureView(figure)
    first = kept._repr_png_()
    for index, value in moves:
        playground.controls[index].value = value
        redrawn = kept._repr_png_()
        assert _pixels(redrawn) == _pixels(FigureView(figure)._repr_png_()), (index, value)
    assert _pixels(redrawn) != _pixels(first), "the moves changed the picture"


def test_a_slider_move_redraws_only_the_moving_parts(monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    playground = tangent_explorer()
    figure = playground.draw()[1]
    view = FigureView(figure)
    view._repr_png_()
    full_draws = []
    monkeypatch.setattr(FigureCanvasAgg, "draw", lambda canvas: full_draws.append(canvas))
    playground.controls[1].value = 0.5  # x: the tangent, the point and the title move
    view._repr_png_()
    assert full_draws == [], "a move of x redraws the whole figure"
    playground.controls[0].value = "sin(x)"  # a new curve and new limits: all of it
    view._repr_png_()
    assert len(full_draws) == 1


@pytest.mark.parametrize(
    "make",
    [tangent_explorer, accumulation_explorer, vjp_explorer, training_explorer],
    ids=["tangent", "accumulation", "vjp", "training"],
)
def test_every_label_of_a_playground_figure_is_inside_the_picture(make):
    figure = next(item for item in make().draw() if not isinstance(item, str))
    FigureView(figure)._repr_png_()
    renderer = figure.canvas.get_renderer()
    texts = []
    for axes in figure.axes:
        texts += [axes.title, axes.xaxis.label, axes.yaxis.label, *axes.texts]
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            texts += [t.label1 for t in axis.get_major_ticks() if low <= t.get_loc() <= high]
    texts = [t for t in texts if t.get_visible() and t.get_text().strip()]
    assert len(texts) > 5
    inside = figure.bbox
    for text in texts:
        box = text.get_window_extent(renderer)
        assert (
            box.x0 >= inside.x0 - 1 and box.y0 >= inside.y0 - 1
            and box.x1 <= inside.x1 + 1 and box.y1 <= inside.y1 + 1
        ), f"{text.get_text()!r} is cut off at the figure's edge"  # fmt: skip


# ------------------------------------------------ each control reaches the numbers it drives


def test_two_variable_explorer_reacts_to_a():
    playground = two_variable_explorer("a·b", a=1.0, b=2.0)
    playground.controls[1].value = -1.5  # the a slider
    text, graph = playground.items
    assert "a = -1.50" in text
    assert f"z = {-1.5 * 2.0:.3f}" in text
    assert f"∂z/∂b = b.grad = {-1.5:.3f}" in text, "∂(a·b)/∂b = a"
    assert "a = -1.5" in graph.source


def test_two_variable_explorer_follows_its_menu():
    playground = two_variable_explorer()
    playground.controls[0].value = "a·b"
    assert playground.items[0].startswith("z = a·b")
    assert "∂z/∂a = a.grad = 2.000" in playground.items[0], "∂(a·b)/∂a = b = 2"


def test_training_explorer_follows_forget_zero_grad():
    playground = training_explorer()
    loss_line = playground.draw()[1].axes[0].lines[0]
    good = list(loss_line.get_ydata())
    playground.controls[2].value = True  # forget zero_grad
    forgot = list(loss_line.get_ydata())
    assert len(forgot) == len(good) == 50
    assert forgot[0] == good[0], "the same start"
    assert forgot[-1] > 10 * good[-1], "gradients that add up spoil the fit"
    playground.controls[2].value = False
    assert list(loss_line.get_ydata()) == good


def test_training_explorer_draws_the_fitted_line():
    playground = training_explorer()
    playground.controls[1].value = 100  # steps
    fit_line = playground.items[1].axes[1].lines[1]
    (x0, x1), (y0, y1) = fit_line.get_xdata(), fit_line.get_ydata()
    assert (x0, x1) == (-1.0, 1.0)
    assert (y1 - y0) / 2 == pytest.approx(2.0, abs=0.15), "slope of y = 2x + 1"
    assert (y1 + y0) / 2 == pytest.approx(1.0, abs=0.15), "intercept of y = 2x + 1"


def test_accumulation_explorer_retain_graph_box():
    playground = accumulation_explorer()
    new_backward, again, zero, retain = playground.controls
    new_backward.click()
    again.click()
    assert "RuntimeError" in playground.items[0], "without retain_graph the graph is freed"
    retain.value = True
    new_backward.click()
    again.click()
    assert "same graph again: x.grad = 12" in playground.items[0], "4, failed, + 4, + 4"
    zero.click()
    line = playground.items[1].axes[0].lines[0]
    assert list(line.get_ydata()) == [4.0, 4.0, 8.0, 12.0, 0.0]


def test_backward_stepper_reset_starts_a_new_walk():
    playground = backward_stepper()
    next_button, reset_button = playground.controls
    next_button.click()
    next_button.click()
    reset_button.click()
    next_button.click()
    assert playground.items[0].count("\n") == 0, "one step shown after a reset"
    assert "AddBackward0" in playground.items[0]


# ------------------------------------------------------------- what a learner sees of each


# Each playground's controls as the notebooks' text describes them: the label a learner reads,
# the starting value, and for a slider its range and step.
CONTROLS = {
    tangent_explorer: (
        "Tangent explorer",
        [("f(x)", "x³ + 2x"), ("x", 2.0, -3.0, 3.0, 0.1)],
    ),
    two_variable_explorer: (
        "Two-variable explorer",
        [("z(a, b)", "3a + 4b²"), ("a", 1.0, -3.0, 3.0, 0.25), ("b", 2.0, -3.0, 3.0, 0.25)],
    ),
    backward_stepper: ("Backward stepper", [("next step",), ("start over",)]),
    accumulation_explorer: (
        "Accumulation explorer",
        [
            ("new y = x², then backward()",),
            ("backward() on the same y",),
            ("x.grad.zero_()",),
            ("retain_graph=True", False),
        ],
    ),
    grad_mode_explorer: ("Grad-mode explorer", [("mode", "tracking on (default)")]),
    vjp_explorer: (
        "Vector-Jacobian explorer",
        [(f"v{i}", 1.0, -2.0, 2.0, 0.25) for i in range(3)],
    ),
    training_explorer: (
        "Training explorer",
        [
            ("learning rate", 0.1, -3.0, 0.3, 0.1),  # a log slider: 10**-3 to 10**0.3
            ("steps", 50, 1, 100, 1),
            ("forget zero_grad", False),
        ],
    ),
}


@pytest.mark.parametrize("make", list(CONTROLS), ids=lambda make: make.__name__)
def test_each_playground_shows_the_controls_its_notebook_describes(make):
    title, expected = CONTROLS[make]
    playground = make()
    assert repr(playground).startswith(f"{title}: ")
    shown = []
    for control, wanted in zip(playground.controls, expected, strict=True):
        seen = (control.description,)
        if len(wanted) > 1:
            seen += (control.value,)
        if len(wanted) > 2:
            seen += (control.min, control.max, control.step)
        shown.append(seen)
    assert shown == [tuple(wanted) for wanted in expected]


def test_the_menus_offer_every_function_and_mode():
    assert tangent_explorer().controls[0].options == tuple(TANGENT_FUNCTIONS)
    assert two_variable_explorer().controls[0].options == tuple(TWO_VARIABLE_FUNCTIONS)
    assert grad_mode_explorer().controls[0].options == tuple(GRAD_MODES)


def test_backward_again_before_any_y_says_so_and_changes_nothing():
    lab = AccumulationLab(2.0)
    lab.backward_again()
    assert lab.message.startswith("There is no y yet")
    assert lab.history == [] and lab.actions == []


def test_a_failed_backward_again_is_recorded_as_an_error():
    lab = AccumulationLab(2.0)
    lab.new_backward()
    lab.backward_again()
    assert lab.actions == ["new y, backward()", "same y again: error"]
    assert lab.message.startswith("RuntimeError: Trying to backward through the graph")


def test_the_accumulation_messages_name_the_gradient():
    lab = AccumulationLab(2.0)
    assert "dy/dx = 2x = 4" in lab.message
    lab.new_backward()
    assert lab.message == "new graph, backward(): x.grad = 4"
    lab.zero()
    assert lab.message == "x.grad.zero_(): x.grad = 0"
    fresh = AccumulationLab(2.0)
    fresh.zero()
    assert fresh.message == "x.grad.zero_(): x.grad = None"


# y = sum(3·w) with w = [1, 2]: y = 9, under every mode (tracking changes only the graph).
@pytest.mark.parametrize(
    ("mode", "leaf"),
    [
        ("tracking on (default)", "w = [1, 2]"),
        ("model.eval()", "model.weight = [3, 3]"),  # the layer's weight plays the 3
    ],
)
def test_a_tracked_mode_draws_y_and_its_leaf_without_a_legend(mode, leaf):
    state, graph = grad_mode_state(mode)
    assert state.text() == f"{mode}: y.grad_fn is set, y.requires_grad = True, y.backward(): works"
    assert 'label="y = 9"' in graph.source
    assert f'label="{leaf}"' in graph.source
    assert "cluster_legend" not in graph.source, "a playground's graph is small: no legend"


@pytest.mark.parametrize("mode", ["torch.no_grad()", "w.detach()", "torch.inference_mode()"])
def test_an_untracked_mode_says_why_backward_fails(mode):
    from utils.widgets import grad_mode_output

    names, y = grad_mode_output(mode)
    assert y.item() == 9.0 and list(names) == ["w"]
    state, _ = grad_mode_state(mode)
    assert state.text() == (
        f"{mode}: y.grad_fn is None, y.requires_grad = False, y.backward(): RuntimeError: "
        "element 0 of tensors does not require grad and does not have a grad_fn"
    )


def test_two_variable_graph_names_z_without_a_legend():
    _, graph = two_variable_state("3a + 4b²", 1.0, 2.0)
    assert 'label="z = 19"' in graph.source  # 3·1 + 4·2²
    assert "cluster_legend" not in graph.source
    assert two_variable_state("a·b", 1.0, 2.0)[0].function == "a·b"


def test_the_stepper_shows_where_it_is_and_labels_its_graph():
    playground = backward_stepper()
    text, graph = playground.draw()
    assert text == "Press 'next step': backward starts at the output with gradient 1."
    assert 'label="y = 8"' in graph.source and 'label="a = 2"' in graph.source  # 2·3 + 2
    for _ in range(4):
        playground.controls[0].click()
    text = playground.items[0]
    assert len(text.splitlines()) == 5, "one line per step, then the closing line"
    assert text.splitlines()[-1] == (
        "Done: every leaf holds the gradient that backward() would give it."
    )


def test_retain_graph_kept_on_every_backward_keeps_the_graph_for_the_next():
    playground = accumulation_explorer()
    new_backward, again, _, retain = playground.controls
    retain.value = True
    new_backward.click()
    again.click()
    again.click()  # works only if the second backward() kept the graph too
    assert "same graph again: x.grad = 12" in playground.items[0]


def test_the_accumulation_plot_numbers_actions_from_one_and_skips_a_missing_grad():
    playground = accumulation_explorer()
    new_backward, _, zero, _ = playground.controls
    zero.click()  # before any backward(): x.grad is None, so no point
    new_backward.click()
    axes = playground.items[1].axes[0]
    line = axes.lines[0]
    assert list(line.get_xdata()) == [1, 2]
    first, second = line.get_ydata()
    assert math.isnan(first) and second == 4.0
    assert line.get_marker() == "o", "each action is a visible point"
    assert axes.get_xlim() == (0.5, 4.5), "room for four actions from the start"
    assert axes.get_ylim() == pytest.approx((-0.5, 4.0 * 1.15))
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("action number", "x.grad")
    assert axes.get_title() == "x.grad after each action"
    for _ in range(4):
        new_backward.click()
    assert axes.get_xlim() == (0.5, 6.5), "the axis grows with the actions"
    assert axes.get_ylim() == pytest.approx((-0.5, 20.0 * 1.15)), "4 + 4·4 = 20 fits"


def test_the_vjp_figure_shows_the_jacobian_and_names_its_axes():
    figure = vjp_explorer().draw()[1]
    heat, bars = figure.axes
    state = vjp_state((1.0, 1.0, 1.0))
    written = [float(text.get_text()) for text in heat.texts]
    assert written == pytest.approx([v for row in state.jacobian for v in row], abs=0.005)
    assert [t.get_text() for t in heat.get_xticklabels()] == ["x0", "x1", "x2"]
    assert [t.get_text() for t in heat.get_yticklabels()] == ["y0", "y1", "y2"]
    assert heat.get_title() == "Jacobian J = ∂y/∂x"
    assert [t.get_text() for t in bars.get_xticklabels()] == ["x0.grad", "x1.grad", "x2.grad"]
    assert bars.get_title() == "x.grad = v @ J"
    low, high = bars.get_ylim()
    assert low == -high
    for v in [(2.0, 2.0, 2.0), (-2.0, -2.0, -2.0), (2.0, -2.0, 2.0)]:  # the sliders' corners
        assert all(low <= g <= high for g in vjp_state(v).backward_grad), "bars stay in view"


# ------------------------------------------------------------- how each figure reads


@pytest.fixture
def plain_matplotlib():
    """matplotlib's own defaults: a playground's figure must not rely on the course style
    having been applied (a notebook opened without its set-up cell run)."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        yield


def _colour(artist_colour) -> str:
    from matplotlib.colors import to_hex

    return to_hex(artist_colour).lower()


OKABE_ITO = {"#0072b2", "#e69f00", "#009e73", "#d55e00", "#56b4e9", "#cc79a7", "#f0e442", "#000000"}


def test_the_tangent_figure_draws_f_its_tangent_and_the_point(plain_matplotlib):
    playground = tangent_explorer("x²", 1.0)
    text, figure = playground.draw()
    axes = figure.axes[0]
    curve, tangent, point = axes.lines
    colours = [_colour(line.get_color()) for line in (curve, tangent, point)]
    assert set(colours) <= OKABE_ITO and len(set(colours)) == 3, "three colour-blind-safe colours"
    assert colours[2] == "#000000", "the point is black"
    assert tangent.get_linestyle() == "--", "the lesson calls the tangent the dashed line"
    assert curve.get_linestyle() == "-"
    assert point.get_marker() == "o" and point.get_linestyle() == "None"
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ["f(x)", "tangent, slope = x.grad"]
    assert axes.get_xlabel() == "x"
    assert axes.get_title() == "f(x) = x², slope at x = 1.00: 2.000"
    # the curve: f on a fine grid over the slider's range (-3 to 3) and a little more
    xs, ys = curve.get_xdata(), curve.get_ydata()
    low, high = axes.get_xlim()
    assert (xs[0], xs[-1]) == (low, high), "the curve runs from edge to edge"
    assert low < -3.0 and high > 3.0 and high - low < 7.0
    assert max(xs[1:] - xs[:-1]) < 0.05, "fine enough to look smooth"
    assert list(ys) == pytest.approx([float(u) ** 2 for u in xs], abs=1e-12), (
        "f in double precision"
    )
    spare = 0.1 * (max(ys) - min(ys))
    assert axes.get_ylim() == pytest.approx((min(ys) - spare, max(ys) + spare)), "a tenth spare"
    # the tangent: through (x, f(x)) with slope f'(x) = 2x, one unit either side of x
    (x0, x1), (y0, y1) = tangent.get_xdata(), tangent.get_ydata()
    assert (x0, x1) == pytest.approx((0.0, 2.0))
    assert (y0, y1) == pytest.approx((1.0 - 2.0, 1.0 + 2.0))
    assert (list(point.get_xdata()), list(point.get_ydata())) == ([1.0], [1.0])
    moving = [artist for artist in (curve, tangent, point, axes.title) if artist.get_animated()]
    assert moving == [tangent, point, axes.title], "only what moves with x is redrawn per move"
    playground.controls[0].value = "sin(x)"  # a curve below zero too: the same tenth spare
    ys = curve.get_ydata()
    spare = 0.1 * (max(ys) - min(ys))
    assert axes.get_ylim() == pytest.approx((min(ys) - spare, max(ys) + spare))


def test_the_tangent_explorer_starts_where_it_is_asked_to():
    playground = tangent_explorer("sin(x)", -1.0)
    assert [control.value for control in playground.controls] == ["sin(x)", -1.0]
    assert playground.draw()[0].startswith("function: sin(x)   x = -1.00")


def test_the_grad_mode_explorer_starts_with_the_mode_it_is_given():
    playground = grad_mode_explorer("w.detach()")
    assert playground.controls[0].value == "w.detach()"
    assert playground.draw()[0].startswith("w.detach(): y.grad_fn is None")


def test_the_vjp_heat_map_is_readable(plain_matplotlib):
    from matplotlib.colors import to_rgb

    figure = vjp_explorer().draw()[1]
    heat, bars = figure.axes
    (image,) = heat.images
    assert image.get_cmap().name == "cividis", "a colour map made for colour-blind readers"
    state = vjp_state((1.0, 1.0, 1.0))
    assert [list(row) for row in image.get_array()] == [list(row) for row in state.jacobian]
    assert not any(line.get_visible() for line in heat.get_xgridlines() + heat.get_ygridlines())

    def luminance(rgb):  # WCAG relative luminance
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for text in heat.texts:
        j, i = text.get_position()
        value = state.jacobian[i][j]
        assert float(text.get_text()) == pytest.approx(value, abs=0.005), (
            "J[i][j] in row i, column j"
        )
        assert (text.get_ha(), text.get_va()) == ("center", "center")
        cell = image.get_cmap()(image.norm(value))[:3]
        lighter, darker = sorted([luminance(cell), luminance(to_rgb(text.get_color()))])[::-1]
        assert (lighter + 0.05) / (darker + 0.05) >= 3, f"{text.get_text()} is hard to read"


def test_the_vjp_bars_sit_on_a_zero_line_with_little_spare(plain_matplotlib):
    figure = vjp_explorer().draw()[1]
    heat, bars = figure.axes
    colours = {_colour(bar.get_facecolor()) for bar in bars.patches}
    assert len(colours) == 1 and colours <= OKABE_ITO
    assert all(bar.get_animated() for bar in bars.patches), "only the bars move"
    (zero_line,) = bars.lines
    assert list(zero_line.get_ydata()) == [0, 0] and _colour(zero_line.get_color()) == "#000000"
    assert zero_line.get_linewidth() < 1, "a thin line, not a bar"
    # |v| <= 2 per entry: the largest bar is 2 · (largest absolute column sum of J)
    jacobian = vjp_state((1.0, 1.0, 1.0)).jacobian
    largest = 2 * max(sum(abs(row[j]) for row in jacobian) for j in range(3))
    assert largest < bars.get_ylim()[1] <= 1.1 * largest
    widths = [axes.get_position(original=True).width for axes in (heat, bars)]
    assert 1.05 < widths[1] / widths[0] < 1.6, "the bars get a little more room than J"


def test_the_training_figure_axes(plain_matplotlib):
    playground = training_explorer()
    _, figure = playground.draw()
    loss_axes, fit_axes = figure.axes
    (loss_line,) = loss_axes.lines
    points, fit_line = fit_axes.lines
    assert loss_axes.get_yscale() == "log"
    assert (loss_axes.get_xlabel(), loss_axes.get_title()) == ("step", "loss")
    assert loss_axes.get_xlim() == (0, playground.controls[1].max), "room for the most steps"
    low, high = loss_axes.get_ylim()
    losses = train_line().losses
    assert low < min(losses) and max(losses) < high, "the default run fits"
    assert fit_axes.get_title() == "data and fitted line"
    x, y = regression_data()
    assert list(points.get_xdata()) == x.tolist() and list(points.get_ydata()) == y.tolist()
    assert points.get_marker() == "o" and points.get_linestyle() == "None"
    assert points.get_markersize() < fit_line.get_linewidth() * 3, "small dots under the line"
    low, high = fit_axes.get_ylim()
    assert low < min(y.tolist()) and max(y.tolist()) < high, "every data point in view"
    colours = [_colour(line.get_color()) for line in (loss_line, points, fit_line)]
    assert set(colours) <= OKABE_ITO and colours[1] != colours[2]
    assert loss_line.get_animated() and fit_line.get_animated() and not points.get_animated()


def test_the_controls_show_their_whole_labels():
    rate, _, forget = training_explorer().controls
    assert rate.style.description_width == "initial", "'learning rate', not 'learning r…'"
    assert forget.indent is False
    *buttons, retain = accumulation_explorer().controls
    assert [button.layout.width for button in buttons] == ["auto"] * 3
    assert retain.indent is False


def test_the_accumulation_plot_joins_its_points(plain_matplotlib):
    playground = accumulation_explorer()
    line = playground.draw()[1].axes[0].lines[0]
    assert line.get_linestyle() == "-" and _colour(line.get_color()) in OKABE_ITO


def test_the_stepper_buttons_carry_step_and_undo_icons():
    # Font Awesome names, which are case-sensitive: a wrong one shows an empty button face
    next_button, reset_button = backward_stepper().controls
    assert (next_button.icon, reset_button.icon) == ("step-forward", "undo")


def test_clicking_next_step_after_the_last_step_shows_no_error():
    InteractiveShell.instance()
    playground = backward_stepper()
    next_button = playground.controls[0]
    for _ in range(4):  # y = a·b + a: four backward functions
        next_button.click()
    done = playground.items[0]
    assert done.endswith("would give it.")
    with capture_output() as captured:
        next_button.click()
    assert "Error" not in captured.stdout + captured.stderr
    assert "StopIteration" not in captured.stdout + captured.stderr
    assert playground.items[0] == done


def test_the_backward_again_error_says_why_and_both_fixes():
    lab = AccumulationLab(2.0)
    lab.new_backward()
    lab.backward_again()
    assert lab.message == (
        "RuntimeError: Trying to backward through the graph a second time. "
        "The first backward() freed the values the graph saved (x, for x²). "
        "Tick retain_graph=True before the first backward() to keep them, or build a new y."
    )


def test_the_lab_names_every_action_it_ran():
    lab = AccumulationLab(2.0)
    lab.new_backward(retain_graph=True)
    lab.backward_again()
    lab.zero()
    assert lab.actions == ["new y, backward()", "same y, backward()", "zero_()"]
    assert lab.history == [4.0, 8.0, 0.0]


def test_a_run_has_diverged_once_its_loss_ends_ten_times_higher_than_it_began():
    # learning rate 1.5: each step multiplies the loss by about four (1, 1.5, 6, 24, ... times)
    losses = train_line(1.5, 10).losses
    steps = next(n for n in range(1, 11) if losses[n - 1] > 10 * losses[0])
    crossed, before = train_line(1.5, steps), train_line(1.5, steps - 1)
    assert crossed.diverged and not before.diverged
    assert crossed.text() == (
        f"diverged: the loss grew to {max(crossed.losses):.3g} in {steps} steps. "
        "The learning rate is too large: each step overshoots the minimum."
    )


def test_training_stops_at_the_first_infinite_loss():
    run = train_line(10**0.3, 100)  # the slider's largest learning rate
    assert math.isinf(run.losses[-1]) and all(math.isfinite(v) for v in run.losses[:-1])
    assert len(run.losses) < 100 and run.diverged
    assert run.text().startswith(f"diverged: the loss grew to inf in {len(run.losses)} steps.")


def test_the_training_readout_gives_the_first_and_the_last_loss():
    run = train_line(0.1, 5)
    assert run.text().startswith(f"5 steps: loss {max(run.losses):.3f} → {min(run.losses):.3f}, ")


def test_the_learning_rate_slider_runs_from_a_thousandth_to_about_two():
    rate = training_explorer().controls[0]
    assert rate.base**rate.min == pytest.approx(1e-3)
    assert rate.base**rate.max == pytest.approx(2.0, abs=0.01)


def test_a_run_that_reaches_an_infinite_loss_still_draws_every_step():
    playground = training_explorer(learning_rate=10**0.3, steps=100)
    loss_line = playground.draw()[1].axes[0].lines[0]
    heights = list(loss_line.get_ydata())
    assert len(heights) == len(train_line(10**0.3, 100).losses)
    assert all(math.isfinite(h) for h in heights), "the last step leaves through the top"
    assert heights[-1] > loss_line.axes.get_ylim()[1]


def test_backward_again_frees_the_graph_unless_asked_to_keep_it():
    lab = AccumulationLab(2.0)
    lab.new_backward(retain_graph=True)
    lab.backward_again()  # works, but (like backward()) frees the graph by default
    lab.backward_again()
    assert lab.actions[-1] == "same y again: error"
