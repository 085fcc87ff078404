"""Notebook 09's tools: gradient norms per layer, anomaly reports, the saved-tensor ledger,
graph sizes, the plain SGD step, and the two diagnose-and-fix exercises."""

import math

import nbformat
import pytest
import torch

from tools.course import course_notebooks
from utils.checks import evaluate
from utils.debugging import (
    ACTIVATIONS,
    FIT_RELATIVE,
    TRAIN_REGRESSOR,
    SavedTensorLedger,
    anomaly_report,
    chain_batch,
    chain_loss,
    deep_chain,
    gradient_norm_explorer,
    gradient_norm_state,
    graph_size,
    nan_trail,
    read_anomaly_warning,
    sgd_step,
)
from utils.exercises import EXERCISES
from utils.playground import FigureView

# ------------------------------------------------------------------ gradient norms per layer


def gradients_at_layer_outputs(depth, scale, activation):
    """An independent computation: keep each linear layer's output, ask torch.autograd.grad."""
    model = deep_chain(depth, scale, activation)
    inputs, readout = chain_batch()
    outputs, value = [], inputs
    for module in model:
        value = module(value)
        if isinstance(module, torch.nn.Linear):
            outputs.append(value)
    gradients = torch.autograd.grad(chain_loss(value, readout), outputs)
    return [g.norm().item() for g in gradients]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize(("depth", "scale"), [(3, 1.0), (12, 0.5), (20, 3.0)])
def test_hooks_record_the_gradient_reaching_each_layer(activation, depth, scale):
    state = gradient_norm_state(depth, scale, activation)
    expected = gradients_at_layer_outputs(depth, scale, activation)
    assert len(state.output_grad_norms) == depth
    assert state.output_grad_norms == pytest.approx(expected, rel=1e-5)


def test_without_activation_each_layer_multiplies_by_its_weight():
    """By hand: the gradient reaching layer k is g_top @ W_depth @ ... @ W_(k+1)."""
    depth = 5
    model = deep_chain(depth, 1.3, "none (linear)")
    inputs, readout = chain_batch()
    weights = [m.weight.detach().double() for m in model if isinstance(m, torch.nn.Linear)]
    # loss = mean(outputs @ readout): the gradient at the top is readout / batch, every row
    gradient = readout.double().expand(len(inputs), -1) / len(inputs)
    by_hand = [gradient.norm().item()]
    for weight in reversed(weights[1:]):
        gradient = gradient @ weight
        by_hand.append(gradient.norm().item())
    state = gradient_norm_state(depth, 1.3, "none (linear)")
    assert state.output_grad_norms == pytest.approx(list(reversed(by_hand)), rel=1e-4)


def test_the_chain_is_built_as_its_docstring_says():
    """Linear(32, 32, bias=False) layers, weights from N(0, (scale / √32)²)."""
    model = deep_chain(40, 2.0, "relu")
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 40 and all(isinstance(m, torch.nn.ReLU) for m in model[1::2])
    assert all(m.bias is None and m.weight.shape == (32, 32) for m in linears)
    weights = torch.cat([m.weight.detach().flatten() for m in linears])  # 40 960 draws
    assert weights.mean().item() == pytest.approx(0.0, abs=0.01)
    assert weights.std().item() == pytest.approx(2.0 / math.sqrt(32), rel=0.02)
    assert torch.equal(deep_chain(3, 1.0, "tanh")[0].weight, deep_chain(3, 1.0, "tanh")[0].weight)


def test_the_chain_leaves_the_global_random_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    gradient_norm_state(8, 1.0, "tanh")
    assert torch.equal(torch.rand(3), expected), "a slider move would change later cells"


def test_weight_gradient_norms_are_those_of_an_ordinary_backward():
    model = deep_chain(6, 0.8, "relu")
    inputs, readout = chain_batch()
    chain_loss(model(inputs), readout).backward()
    expected = [m.weight.grad.norm().item() for m in model if isinstance(m, torch.nn.Linear)]
    assert gradient_norm_state(6, 0.8, "relu").weight_grad_norms == pytest.approx(expected)


@pytest.mark.parametrize(
    ("scale", "activation", "verdict"),
    [
        (0.5, "tanh", "vanishing"),
        (1.0, "tanh", "stable"),
        (3.0, "tanh", "exploding"),
        (1.0, "relu", "vanishing"),  # relu halves: it needs about √2
        (1.4, "relu", "stable"),
        (3.0, "sigmoid", "vanishing"),  # a slope of at most 1/4: no scale saves it
    ],
)
def test_verdicts_at_depth_20(scale, activation, verdict):
    state = gradient_norm_state(20, scale, activation)
    assert state.verdict == verdict
    assert verdict in state.text()
    meaning = {
        "vanishing": "the first layers get almost no gradient: they barely learn.",
        "exploding": "the first layers get huge gradients: one step can wreck them.",
        "stable": "every layer gets a gradient of a similar size.",
    }[verdict]
    assert state.text().endswith(f"{verdict}, {meaning}")
    assert f"{state.output_grad_norms[-1]:.3g} at layer 20," in state.text()
    assert f"{state.output_grad_norms[0]:.3g} at layer 1" in state.text()


def test_the_explorer_draws_one_bar_per_layer_and_follows_the_sliders():
    playground = gradient_norm_explorer()
    text, figure = playground.draw()
    assert text.startswith("20 layers, tanh, scale 0.50") and "vanishing" in text
    depth_slider, scale_slider, chooser = playground.controls
    depth_slider.value = 8
    scale_slider.value = 1.0
    chooser.value = "relu"
    state = gradient_norm_state(8, 1.0, "relu")
    bars = [bar for bar in figure.axes[0].containers[0] if bar.get_visible()]
    assert len(bars) == 8
    assert [bar.get_height() for bar in bars] == pytest.approx(list(state.output_grad_norms))
    assert playground.items[0] == state.text()


def test_the_explorer_colours_the_bars_by_the_verdict():
    from matplotlib.colors import to_hex

    from utils.plotting import COLORS

    playground = gradient_norm_explorer(depth=20, scale=0.5, activation="tanh")
    figure = playground.draw()[1]
    state = gradient_norm_state(20, 0.5, "tanh")
    last = state.output_grad_norms[-1]
    colours = [to_hex(bar.get_facecolor()) for bar in figure.axes[0].containers[0][:20]]
    for norm, colour in zip(state.output_grad_norms, colours, strict=True):
        expected = COLORS["sky"] if norm < last / 100 else COLORS["blue"]
        assert colour == expected.lower()
    assert colours[0] == COLORS["sky"].lower() and colours[-1] == COLORS["blue"].lower()
    playground.controls[2].value = "none (linear)"
    playground.controls[1].value = 2.0
    assert to_hex(figure.axes[0].containers[0][0].get_facecolor()) == COLORS["vermillion"].lower()


def test_the_explorer_figure_renders_with_its_labels_inside():
    from utils.playground import FigureView

    playground = gradient_norm_explorer()
    figure = playground.draw()[1]
    png = FigureView(figure)._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    for text in (axes.title, axes.xaxis.label, axes.yaxis.label):
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1
        assert box.x1 <= figure.bbox.x1 + 1 and box.y1 <= figure.bbox.y1 + 1, text.get_text()


# ---------------------------------------------------------------------- anomaly detection

WARNING_TEXT = (
    "Error detected in PowBackward0. Traceback of forward call that caused the error:\n"
    '  File "<frozen runpy>", line 198, in _run_module_as_main\n'
    '  File "/home/someone/project/train.py", line 12, in <module>\n'
    "    loss = model(batch)\n"
    '  File "/home/someone/project/model.py", line 30, in forward\n'
    "    squared = (points - center) ** 2\n"
    f'  File "{torch.__file__.rsplit("/", 1)[0]}/_tensor.py", line 40, in wrapped\n'
    "    return f(*args, **kwargs)\n"
    " (Triggered internally at /somewhere/python_anomaly_mode.cpp:122.)"
)


def test_the_forward_line_is_the_last_one_outside_pytorch():
    assert read_anomaly_warning(WARNING_TEXT) == (
        "PowBackward0",
        "squared = (points - center) ** 2",
    )


def test_without_a_frame_of_your_own_the_innermost_line_is_kept():
    inside_torch = torch.__file__.rsplit("/", 1)[0]
    warning = (
        "Error detected in MulBackward0. Traceback of forward call that caused the error:\n"
        f'  File "{inside_torch}/nn/modules/module.py", line 1, in _call_impl\n'
        "    return forward_call(*args, **kwargs)\n"
        f'  File "{inside_torch}/nn/modules/linear.py", line 2, in forward\n'
        "    return F.linear(input, self.weight, self.bias)\n"
    )
    assert read_anomaly_warning(warning) == (
        "MulBackward0",
        "return F.linear(input, self.weight, self.bias)",
    )


def test_a_warning_of_another_kind_gives_nothing():
    assert read_anomaly_warning("Anomaly Detection has been enabled.") == (None, None)


def test_the_report_finds_where_the_nan_first_appears():
    points = torch.tensor([[0.0, 0.0], [3.0, 0.0]])
    center = torch.zeros(2, requires_grad=True)

    def run():
        squared = ((points - center) ** 2).sum(dim=1)
        squared.sqrt().mean().backward()

    report = anomaly_report(run)
    # sqrt's backward returns inf (not checked); ** 2's backward turns inf · 0 into NaN
    assert report.backward_function == "PowBackward0"
    assert report.forward_line == "squared = ((points - center) ** 2).sum(dim=1)"
    assert "returned nan values" in report.error
    assert "PowBackward0" in report.text() and "/" not in report.text().split("\n")[2]


def test_an_in_place_error_names_the_operation_whose_result_changed():
    layer = torch.nn.Linear(3, 3)
    inputs = torch.randn(2, 3, requires_grad=True)

    def run():
        out = torch.relu(layer(inputs))
        out += inputs
        out.sum().backward()

    report = anomaly_report(run)
    assert report.backward_function == "ReluBackward0"
    assert report.forward_line == "out = torch.relu(layer(inputs))"
    assert "modified by an inplace operation" in report.error


def test_an_error_anomaly_detection_does_not_trace_is_still_reported():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    report = anomaly_report(lambda: (x * 2).backward())  # not a scalar: no backward ran
    assert report.error == "grad can be implicitly created only for scalar outputs"
    assert (report.backward_function, report.forward_line) == (None, None)


def test_a_healthy_backward_reports_nothing():
    x = torch.tensor(2.0, requires_grad=True)
    report = anomaly_report(lambda: (x**2).backward())
    assert report == type(report)(None, None, None)
    assert x.grad.item() == 4.0


def test_the_nan_trail_shows_the_infinity_before_the_first_nan():
    points = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    center = torch.zeros(2, requires_grad=True)
    loss = ((points - center) ** 2).sum(dim=1).sqrt().mean()
    trail = nan_trail(loss, {"center": center, "loss": loss})
    assert trail.steps == (
        ("MeanBackward0", "finite"),
        ("SqrtBackward0", "inf"),  # 1/(2·√0)
        ("SumBackward1", "inf"),
        ("PowBackward0", "NaN"),  # inf · 2(c − p) = inf · 0
        ("SubBackward0", "NaN"),
        ("AccumulateGrad", "NaN"),
    )
    assert trail.first_nan == "PowBackward0"
    assert "4. PowBackward0     returns NaN   ← the first NaN" in trail.text()
    assert trail.graph.source.count("#D55E00") == 1, "one node outlined"
    assert 'PowBackward0\nreturns NaN" color="#D55E00"' in trail.graph.source
    assert "SqrtBackward0\nreturns inf" in trail.graph.source
    assert torch.isnan(center.grad).all(), "the trail ran an ordinary backward()"


def test_a_finite_trail_outlines_nothing_and_leaves_no_hooks_behind():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    trail = nan_trail(y)
    assert trail.steps == (("PowBackward0", "finite"), ("AccumulateGrad", "finite"))
    assert trail.first_nan is None and "#D55E00" not in trail.graph.source
    calls = []
    z = x * 2
    z.grad_fn.register_hook(lambda *args: calls.append(1))
    nan_trail(z)
    assert calls == [1], "the trail's own hooks are gone; the learner's hook ran once"


# ---------------------------------------------------------------------- saved-tensor ledger


def test_the_ledger_counts_saved_bytes_from_the_shapes():
    layer = torch.nn.Linear(5, 7)
    batch = torch.randn(3, 5)
    with SavedTensorLedger() as ledger:
        loss = torch.relu(layer(batch)).sum()
    # addmm saves the batch (3 × 5; not the weight: the batch needs no gradient);
    # relu saves its 3 × 7 output; float32 = 4 bytes
    assert ledger.saved_bytes == (3 * 5 + 3 * 7) * 4
    assert ledger.held_bytes == ledger.saved_bytes
    loss.backward()
    assert ledger.held_bytes == 0, "backward() frees what it used"


def test_the_ledger_sees_a_retained_graph_until_it_is_deleted():
    weight = torch.randn(4, requires_grad=True)
    with SavedTensorLedger() as ledger:
        loss = (weight.exp() * 2).sum()  # exp saves its 4-number result
    loss.backward(retain_graph=True)
    assert ledger.held_bytes == 4 * 4
    del loss
    assert ledger.held_bytes == 0


def test_the_ledger_counts_only_inside_its_block():
    weight = torch.randn(4, requires_grad=True)
    with SavedTensorLedger() as ledger:
        pass
    kept = weight.exp().sum()
    assert ledger.saved_bytes == 0 and kept.requires_grad


# ----------------------------------------------------------------------- graph size, sgd


def test_graph_size_counts_backward_functions():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert graph_size((x * 2).sum()) == 3  # SumBackward0, MulBackward0, AccumulateGrad
    assert graph_size((x * 2 + x).sum()) == 4  # AccumulateGrad is shared, counted once
    assert graph_size(torch.ones(2)) == 0


def test_graph_size_grows_with_a_running_total_of_losses():
    x = torch.tensor(1.0, requires_grad=True)
    total, sizes = 0.0, []
    for _ in range(3):
        total = total + x * 2
        sizes.append(graph_size(total))
    assert sizes[1] - sizes[0] == sizes[2] - sizes[1] > 0


def test_sgd_step_updates_resets_and_skips_missing_gradients():
    used = torch.tensor([1.0, -2.0], requires_grad=True)
    unused = torch.tensor(5.0, requires_grad=True)
    (used**2).sum().backward()
    sgd_step([used, unused], learning_rate=0.1)
    assert used.tolist() == pytest.approx([1.0 - 0.1 * 2.0, -2.0 + 0.1 * 4.0])
    assert used.grad is None and used.is_leaf
    assert unused.item() == 5.0


# ------------------------------------------------------------------------------ exercises


def test_the_exercises_are_registered():
    assert EXERCISES["fit_relative"] is FIT_RELATIVE
    assert EXERCISES["train_regressor"] is TRAIN_REGRESSOR


def test_fit_relative_reference_reaches_the_least_squares_weight():
    """By hand: minimising Σ ((w·x − y)/y)² over y ≠ 0 gives w = Σ(x/y) / Σ(x²/y²)."""
    inputs = [1.0, 2.0, 3.0, 4.0]
    targets = [1.6, 2.9, 4.6, 6.1]
    best = sum(x / y for x, y in zip(inputs, targets, strict=True)) / sum(
        (x / y) ** 2 for x, y in zip(inputs, targets, strict=True)
    )
    assert FIT_RELATIVE.reference(300) == pytest.approx(best, rel=1e-4)
    assert 0.5 < FIT_RELATIVE.reference(1) < FIT_RELATIVE.reference(10) < best


def relative_fit(steps, compute_relative, clean_gradient=False):
    """The exercise's loop with a chosen way of computing the relative error."""
    inputs = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    targets = torch.tensor([0.0, 1.6, 2.9, 4.6, 6.1])
    weight = torch.tensor(0.5, requires_grad=True)
    for _ in range(steps):
        errors = weight * inputs - targets
        loss = (compute_relative(errors, targets) ** 2).mean()
        loss.backward()
        if clean_gradient:
            weight.grad = torch.nan_to_num(weight.grad, nan=0.0)
        with torch.no_grad():
            weight -= 0.1 * weight.grad
        weight.grad = None
    return weight.item()


def guarded(errors, targets):  # the broken version: the where trap
    return torch.where(targets != 0, errors / targets, errors)


def clamped(errors, targets):  # another correct repair
    return torch.where(targets != 0, errors / targets.clamp(min=1e-6), errors)


def only_nonzero(errors, targets):  # changes the loss: the mean over four points, not five
    keep = targets != 0
    return errors[keep] / targets[keep]


@pytest.mark.parametrize(
    ("compute_relative", "clean", "says"),
    [
        (guarded, False, "still NaN"),
        (guarded, True, "never moved"),
        (only_nonzero, False, "not the weight the repaired loop reaches"),
    ],
    ids=["broken", "nan_to_num", "drops a point"],
)
def test_fit_relative_wrong_repairs_are_named(compute_relative, clean, says):
    def fit_relative(steps):
        return relative_fit(steps, compute_relative, clean)

    feedback = evaluate(fit_relative, FIT_RELATIVE)
    assert not feedback.passed
    assert says in feedback.message


def test_fit_relative_accepts_another_correct_repair():
    def fit_relative(steps):
        return relative_fit(steps, clamped)

    assert evaluate(fit_relative, FIT_RELATIVE).passed


def test_fit_relative_wants_a_float():
    def fit_relative(steps):
        return torch.tensor(relative_fit(steps, clamped))

    assert "weight.item()" in evaluate(fit_relative, FIT_RELATIVE).message


def regressor(steps, inside_loop=True, keep_tensors=False, retain=False, detach_hidden=False):
    """The exercise's loop with each of its two bugs, and the tempting wrong repairs."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(32, 3, generator=generator)
    targets = torch.sin(inputs.sum(dim=1, keepdim=True))
    hidden_weight = (0.5 * torch.randn(3, 8, generator=generator)).requires_grad_()
    output_weight = (0.5 * torch.randn(8, 1, generator=generator)).requires_grad_()
    hidden = torch.tanh(inputs @ hidden_weight)
    if detach_hidden:
        hidden = hidden.detach()
    losses = []
    for _ in range(steps):
        if inside_loop:
            hidden = torch.tanh(inputs @ hidden_weight)
        loss = ((hidden @ output_weight - targets) ** 2).mean()
        loss.backward(retain_graph=retain)
        with torch.no_grad():
            for weight in (hidden_weight, output_weight):
                if weight.grad is not None:
                    weight -= 0.1 * weight.grad
                    weight.grad = None
        losses.append(loss if keep_tensors else loss.item())
    return losses


def test_train_regressor_reference_trains():
    losses = TRAIN_REGRESSOR.reference(40)
    assert all(isinstance(loss, float) for loss in losses)
    assert losses[-1] < losses[0] / 3
    assert losses == pytest.approx(regressor(40))


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"inside_loop": False}, "backward through the graph a second time"),
        # retain_graph=True runs, but keeps training on the starting hidden layer
        ({"inside_loop": False, "retain": True}, "only output_weight learns"),
        ({"keep_tensors": True}, "keeps its step's whole graph alive"),
        ({"inside_loop": False, "detach_hidden": True}, "only output_weight learns"),
    ],
    ids=["broken", "retain_graph", "tensors kept", "detached hidden layer"],
)
def test_train_regressor_wrong_repairs_are_named(options, says):
    def train_regressor(steps):
        return regressor(steps, **options)

    feedback = evaluate(train_regressor, TRAIN_REGRESSOR)
    assert not feedback.passed
    assert says in feedback.message


def test_train_regressor_right_answer_passes():
    def train_regressor(steps):
        return regressor(steps)

    assert evaluate(train_regressor, TRAIN_REGRESSOR).passed


@pytest.mark.parametrize("exercise", [FIT_RELATIVE, TRAIN_REGRESSOR], ids=lambda e: e.name)
def test_a_stub_is_told_it_is_not_written_yet(exercise):
    def stub(steps):
        raise NotImplementedError

    stub.__name__ = exercise.name
    feedback = evaluate(stub, exercise)
    assert not feedback.passed and "not written yet" in feedback.message


def test_no_exercise_message_reveals_a_reference_value():
    def fit_relative(steps):
        return 1.0

    message = evaluate(fit_relative, FIT_RELATIVE).message
    for steps in (1, 10, 60):
        assert f"{FIT_RELATIVE.reference(steps):.4g}" not in message
    assert not math.isnan(FIT_RELATIVE.reference(60))


# ------------------------------------------------- what notebook 09 shows (stored outputs)

DEBUGGING = next(p for p in course_notebooks() if p.name == "09_debugging_gradients.ipynb")


def stored_outputs(source: str) -> list[str]:
    """The plain-text outputs notebook 09 stores for the code cell ``source`` (strict nbval
    checks them against a fresh run, so they are what PyTorch and the course really print)."""
    cell = next(
        cell
        for cell in nbformat.read(DEBUGGING, as_version=4).cells
        if cell.cell_type == "code" and cell.source.strip() == source
    )
    return [
        output.get("text", "") or output.get("data", {}).get("text/plain", "")
        for output in cell.outputs
    ]


def test_the_explorer_shows_what_the_notebook_stores():
    """Its first drawing (the default settings, the chain's seeds, the read-out, the figure
    size) is what a reader sees on GitHub and what nbval checks."""
    playground = gradient_norm_explorer()
    shown = [repr(playground)] + [
        item if isinstance(item, str) else repr(FigureView(item)) for item in playground.draw()
    ]
    assert shown == [text.rstrip("\n") for text in stored_outputs("gradient_norm_explorer()")]


def test_the_nan_trail_prints_and_draws_what_the_notebook_stores():
    points = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    center = torch.zeros(2, requires_grad=True)
    loss = ((points - center) ** 2).sum(dim=1).sqrt().mean()
    trail = nan_trail(loss, {"center": center, "loss": loss})
    printed, drawn = stored_outputs(
        "center = torch.zeros(2, requires_grad=True)\n"
        "loss = ((points - center) ** 2).sum(dim=1).sqrt().mean()\n"
        'trail = nan_trail(loss, {"center": center, "loss": loss})\n'
        "print(trail.text())\n"
        "trail.graph"
    )
    assert trail.text() + "\n" == printed
    assert trail.graph.source.strip() == drawn.strip()
    assert "6. AccumulateGrad   stores NaN in .grad" in printed
    assert "stores NaN" in drawn and "returns NaN" in drawn


def test_the_trail_follows_every_branch_of_the_graph():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([3.0], requires_grad=True)
    trail = nan_trail((x * 2).sum() + (y * 3).sum())
    # by hand: one add, two sums, two multiplications by a constant, two leaves
    assert sorted(name for name, _ in trail.steps) == sorted(
        ["AddBackward0"] + ["SumBackward0"] * 2 + ["MulBackward0"] * 2 + ["AccumulateGrad"] * 2
    )


def test_a_finite_trail_says_stores_for_accumulate_grad_and_marks_nothing():
    x = torch.tensor(3.0, requires_grad=True)
    trail = nan_trail(x**2)
    lines = trail.text().splitlines()
    assert lines[0].split() == ["1.", "PowBackward0", "returns", "finite"]
    assert lines[1].split() == ["2.", "AccumulateGrad", "stores", "finite", "in", ".grad"]
    assert "←" not in trail.text()
    assert "stores finite" in trail.graph.source and "returns finite" in trail.graph.source


# ------------------------------------------------------------- the explorer's picture


def test_the_explorer_controls_span_the_documented_ranges():
    depth, scale, activation = gradient_norm_explorer().controls
    assert [c.description for c in (depth, scale, activation)] == ["depth", "scale", "activation"]
    assert (depth.min, depth.max) == (2, 40)
    assert (scale.min, scale.max) == (0.25, 3.0)
    assert list(activation.options) == list(ACTIVATIONS)
    starting = gradient_norm_explorer(depth=8, scale=1.4, activation="relu").controls
    assert [control.value for control in starting] == [8, 1.4, "relu"]
    # the scales the notebook names (0.5, 1.0, relu's "about √2 ≈ 1.4", 3) sit on the grid
    for named in (0.5, 1.0, 1.4, 3.0):
        steps = (named - scale.min) / scale.step
        assert steps == pytest.approx(round(steps)), named


def test_the_explorer_frame_stays_put_and_the_limit_lines_follow_the_verdict():
    from matplotlib.colors import to_hex

    from utils.plotting import COLORS

    playground = gradient_norm_explorer(depth=20, scale=0.5, activation="tanh")
    figure = playground.draw()[1]
    axes = figure.axes[0]
    bars = axes.containers[0]
    high, low = axes.get_lines()
    assert len(bars) == 40 and [bar.get_x() + bar.get_width() / 2 for bar in bars] == list(
        range(1, 41)
    ), "bar k is layer k"
    frame = (axes.get_xlim(), axes.get_ylim(), axes.get_yscale())
    assert axes.get_yscale() == "log"
    assert axes.get_ylim() == pytest.approx((1e-8, 1e8))
    left_gap = bars[0].get_x() - axes.get_xlim()[0]
    right_gap = axes.get_xlim()[1] - (bars[-1].get_x() + bars[-1].get_width())
    assert left_gap > 0 and right_gap == pytest.approx(left_gap), "40 bars, centred"
    for depth, scale, activation in [(20, 0.5, "tanh"), (40, 3.0, "none (linear)")]:
        playground.controls[0].value = depth
        playground.controls[1].value = scale
        playground.controls[2].value = activation
        state = gradient_norm_state(depth, scale, activation)
        last = state.output_grad_norms[-1]
        assert (axes.get_xlim(), axes.get_ylim(), axes.get_yscale()) == frame
        # the verdict's limits (GradientNormState.verdict): 100 times the last layer's norm
        # and a hundredth of it; a bar beyond a line has that line's colour
        assert list(high.get_ydata()) == pytest.approx([100 * last] * 2)
        assert list(low.get_ydata()) == pytest.approx([last / 100] * 2)
        for norm, bar in zip(state.output_grad_norms, bars, strict=False):
            if norm > 100 * last:
                expected = COLORS["vermillion"]
            elif norm < last / 100:
                expected = COLORS["sky"]
            else:
                expected = COLORS["blue"]
            assert to_hex(bar.get_facecolor()) == expected.lower(), (depth, norm, last)
    assert to_hex(high.get_color()) == COLORS["vermillion"].lower()
    assert to_hex(low.get_color()) == COLORS["sky"].lower()
    assert high.get_linestyle() == low.get_linestyle() == "--"
    assert min(high.get_zorder(), low.get_zorder()) > bars[0].get_zorder(), "lines over bars"
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert any("exploding above" in t and "100" in t for t in legend), legend
    assert any("vanishing below" in t and "100" in t for t in legend), legend
    assert legend[0].startswith("× 100 the last layer's") and legend[0].endswith("above")
    assert legend[1].startswith("÷ 100 the last layer's") and legend[1].endswith("below")
    assert axes.get_xlabel().startswith("layer (1 = nearest the input")
    assert "right to left" in axes.get_xlabel()
    assert axes.get_ylabel() == "‖grad_output‖"
    assert axes.get_title() == "gradient reaching each layer's output"


def test_only_the_bars_and_the_limit_lines_are_redrawn_when_a_slider_moves():
    figure = gradient_norm_explorer().draw()[1]
    axes = figure.axes[0]
    moving = figure.findobj(lambda artist: artist.get_animated())
    assert len(moving) == 40 + 2
    assert set(moving) == set(axes.containers[0]) | set(axes.get_lines())


def test_the_bars_stand_in_front_of_the_course_grid():
    import matplotlib

    from utils.plotting import course_style

    with matplotlib.rc_context(course_style()):
        axes = gradient_norm_explorer().draw()[1].axes[0]
    # where matplotlib draws grid lines (Axes.set_axisbelow): True 0.5, "line" 1.5, False 2.5
    grid = {True: 0.5, "line": 1.5, False: 2.5}[axes.get_axisbelow()]
    assert axes.containers[0][0].get_zorder() > grid, "grid lines would cross the bars"
