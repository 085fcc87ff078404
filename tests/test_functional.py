"""Notebook 10's helpers: the forward-or-reverse playground and the three exercises' judges.

Oracles are independent of the code under test: the Jacobian of sin(M @ x) by hand
(cos(M @ x) · M), ``torch.autograd.functional.jacobian``, and a loop of ``backward()``.
"""

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from utils.checks import evaluate
from utils.exercises import EXERCISES
from utils.functional import (
    DIRECTIONAL_DERIVATIVE,
    LARGEST_SIZE,
    PER_SAMPLE_GRADIENTS,
    SOFTPLUS,
    ModeCost,
    example_function,
    forward_reverse_explorer,
    jacobian_by_columns,
    jacobian_by_rows,
    mode_cost_state,
)

# ------------------------------------------------------------------------------ playground


@pytest.mark.parametrize(("inputs", "outputs"), [(1, 1), (3, 5), (7, 2)])
def test_example_function_has_the_jacobian_derived_by_hand(inputs, outputs):
    function, point = example_function(inputs, outputs)
    assert function(point).shape == (outputs,)
    # f(x) = sin(M @ x): recover M from f's values at unit vectors' multiples is not needed;
    # the same seed gives the same M, and J = cos(M @ x) · M, row by row.
    generator = torch.Generator().manual_seed(0)
    mixing = torch.randn(outputs, inputs, generator=generator, dtype=torch.float64)
    by_hand = torch.cos(mixing @ point).unsqueeze(1) * mixing
    autograd = torch.autograd.functional.jacobian(function, point)
    assert torch.allclose(autograd, by_hand, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("inputs", "outputs"), [(1, 6), (4, 4), (6, 1)])
def test_rows_and_columns_build_the_jacobian_with_one_pass_per_row_or_column(inputs, outputs):
    function, point = example_function(inputs, outputs)
    expected = torch.autograd.functional.jacobian(function, point)
    by_rows, backward_passes = jacobian_by_rows(function, point)
    by_columns, forward_passes = jacobian_by_columns(function, point)
    assert torch.allclose(by_rows, expected, rtol=1e-12, atol=1e-12)
    assert torch.allclose(by_columns, expected, rtol=1e-12, atol=1e-12)
    assert (backward_passes, forward_passes) == (outputs, inputs)


def test_the_passes_are_really_made():
    """Count the tangents and cotangents that reach the function's last operation."""
    seen = {"forward": 0, "backward": 0}

    class Watch(torch.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x.clone()

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def jvp(ctx, tangent):
            seen["forward"] += 1
            return tangent

        @staticmethod
        def backward(ctx, grad_output):
            seen["backward"] += 1
            return grad_output

    function, point = example_function(3, 5)
    jacobian_by_rows(lambda x: Watch.apply(function(x)), point)
    jacobian_by_columns(lambda x: Watch.apply(function(x)), point)
    assert seen == {"forward": 3, "backward": 5}


@pytest.mark.parametrize(
    ("inputs", "outputs", "cheaper"),
    [(4, 16, "forward mode"), (16, 4, "reverse mode"), (64, 1, "reverse mode"), (5, 5, "neither")],
)
def test_state_counts_passes_and_names_the_cheaper_mode(inputs, outputs, cheaper):
    state = mode_cost_state(inputs, outputs)
    assert (state.reverse_passes, state.forward_passes) == (outputs, inputs)
    assert state.cheaper == cheaper
    assert state.jacobians_agree
    assert state.reverse_seconds is None and state.forward_seconds is None
    text = state.text()
    assert f"{outputs} backward pass{'es' if outputs > 1 else ''}" in text
    assert f"{inputs} forward passes" in text
    assert f"fewer passes: {cheaper}" in text
    assert "ms" not in text, "the default view holds no timings (stored outputs stay stable)"


def test_measuring_adds_times_to_the_text():
    state = mode_cost_state(2, 30, measure=True)
    assert state.reverse_seconds > 0 and state.forward_seconds > 0
    assert "measured on this machine" in state.text()
    assert "reverse / forward" in state.text()


@pytest.mark.parametrize("size", [0, LARGEST_SIZE + 1, 2.5, True, "4"])
def test_bad_sizes_get_a_one_line_message(size):
    with pytest.raises(ValueError, match=r"whole number from 1 to 64") as raised:
        mode_cost_state(size, 4)
    assert "\n" not in str(raised.value)


def test_explorer_default_view_and_a_slider_move():
    playground = forward_reverse_explorer()
    text, figure = playground.draw()
    assert "4 inputs → 16 outputs" in text
    bars = figure.axes[0].patches
    assert [bar.get_width() for bar in bars[:2]] == [16, 4]
    assert [label.get_text() for label in figure.axes[0].texts] == ["16", "4"]
    assert figure.axes[0].title.get_text() == "fewer passes: forward mode"
    playground.controls[1].value = 2  # outputs: now fewer than the 4 inputs
    text, same_figure = playground.items
    assert same_figure is figure, "the figure is updated in place"
    assert "2 backward passes" in text
    assert [bar.get_width() for bar in bars[:2]] == [2, 4]
    assert figure.axes[0].title.get_text() == "fewer passes: reverse mode"
    playground.controls[1].value = 1
    assert "1 backward pass\n" in playground.items[0], "one pass, singular"
    playground.controls[2].value = True  # time both
    assert "measured on this machine" in playground.items[0]


def test_explorer_refuses_bad_sizes_before_building_widgets():
    with pytest.raises(ValueError, match="inputs must be"):
        forward_reverse_explorer(inputs=0)


def test_example_function_gives_the_same_pair_at_every_call():
    """The docstring's promise: the seed fixes M and the point, so stored outputs stay stable."""
    first_function, first_point = example_function(3, 2)
    second_function, second_point = example_function(3, 2)
    assert torch.equal(first_point, second_point)
    assert torch.equal(first_function(first_point), second_function(first_point))


def test_fastest_time_runs_three_times_and_keeps_the_shortest(monkeypatch):
    """A fake clock: the three runs last 0.5 s, 0.2 s and 0.3 s."""
    import utils.functional

    ticks = iter([10.0, 10.5, 20.0, 20.2, 30.0, 30.3])
    monkeypatch.setattr(utils.functional.time, "perf_counter", lambda: next(ticks))
    runs = []
    shortest = utils.functional.fastest_time(lambda: runs.append(1))
    monkeypatch.undo()
    assert len(runs) == 3, "the notebook says: the fastest of three runs"
    assert shortest == pytest.approx(0.2)


def test_mode_cost_state_defaults_match_the_explorer_default_view():
    """The tests call the plain function for the explorer: both start at 4 inputs, 16 outputs."""
    text = mode_cost_state().text()
    assert "f: 4 inputs → 16 outputs" in text
    assert text.splitlines()[-1] == "tick 'time both' to measure the two on this machine"


def test_measured_times_are_shown_in_milliseconds_with_their_ratio():
    state = ModeCost(4, 16, 16, 4, True, reverse_seconds=0.025, forward_seconds=0.0125)
    text = state.text()
    assert text.splitlines()[-1] == (
        "measured on this machine: reverse 25.00 ms, forward 12.50 ms (reverse / forward = 2.00)"
    )
    assert "tick" not in text
    half_measured = ModeCost(4, 16, 16, 4, True, reverse_seconds=0.006)
    assert "tick 'time both'" in half_measured.text(), "a time alone has no ratio to show"


def test_a_bad_number_of_outputs_is_named_in_the_message():
    with pytest.raises(ValueError, match=r"^outputs must be a whole number from 1 to 64, not 0$"):
        mode_cost_state(4, 0)
    with pytest.raises(ValueError, match=r"^outputs must be"):
        forward_reverse_explorer(outputs=LARGEST_SIZE + 1)


def test_explorer_controls_span_one_to_the_largest_size():
    input_slider, output_slider, timing = forward_reverse_explorer().controls
    assert (input_slider.min, input_slider.max, input_slider.description) == (1, 64, "inputs n")
    assert (output_slider.min, output_slider.max, output_slider.description) == (
        1,
        64,
        "outputs m",
    )
    assert timing.description == "time both" and timing.value is False
    assert timing.indent is False, "the box sits at the left edge, under the sliders"


def test_explorer_picture_bars_labels_and_counts():
    from matplotlib.colors import to_hex

    from utils.playground import FigureView

    playground = forward_reverse_explorer()
    _, figure = playground.draw()
    axes = figure.axes[0]
    reverse_bar, forward_bar = axes.patches[:2]
    assert to_hex(reverse_bar.get_facecolor()) != to_hex(forward_bar.get_facecolor())
    assert reverse_bar.get_y() >= forward_bar.get_y() + forward_bar.get_height(), "bars apart"
    labels = [label.get_text() for label in axes.get_yticklabels()]
    ticks = dict(zip(axes.get_yticks(), labels, strict=True))
    assert ticks == {
        reverse_bar.get_y() + reverse_bar.get_height() / 2: "reverse: backward passes",
        forward_bar.get_y() + forward_bar.get_height() / 2: "forward: forward passes",
    }
    assert axes.get_xlabel() == "passes to build the whole Jacobian"
    assert axes.get_xlim()[0] == 0, "a bar's length is its number of passes"

    view = FigureView(figure)
    view._repr_png_()
    playground.controls[1].value = LARGEST_SIZE  # the longest bar there is
    assert not figure.stale, "a slider move redraws only the bars, counts and title"
    blitted = view._repr_png_()
    renderer = figure.canvas.get_renderer()
    for bar, count in zip((reverse_bar, forward_bar), axes.texts, strict=True):
        x, y = count.get_position()
        assert count.get_text() == str(int(bar.get_width()))
        assert y == bar.get_y() + bar.get_height() / 2 and count.get_va() == "center"
        assert 0 < x - bar.get_width() < 1, "the count just after the bar's end"
        inside = axes.get_window_extent(renderer)
        assert count.get_window_extent(renderer).x1 <= inside.x1, "the count fits in the axes"
    title = axes.title.get_window_extent(renderer)
    assert axes.title.get_text() == "fewer passes: forward mode"
    assert title.y1 <= figure.bbox.y1, "the layout kept room for the title"
    figure.stale = True
    assert FigureView(figure)._repr_png_() == blitted, "the quick redraw shows the full picture"


def test_explorer_figure_is_a_strip_as_wide_as_the_other_playgrounds():
    """Two bars need less height than a playground's usual figure; the width is the same,
    so the notebook's pictures line up."""
    import inspect

    from utils.playground import new_figure

    usual_width, usual_height = inspect.signature(new_figure).parameters["size"].default
    _, figure = forward_reverse_explorer().draw()
    width, height = figure.get_size_inches()
    assert width == usual_width
    assert height < usual_height


def test_mode_cost_state_notices_jacobians_that_differ_by_more_than_rounding(monkeypatch):
    """float64 rounding is about 1e-16; a difference of 1e-9 is a real disagreement."""
    import utils.functional

    def off_by_a_little(function, x):
        jacobian, passes = jacobian_by_columns(function, x)
        return jacobian + 1e-9, passes

    monkeypatch.setattr(utils.functional, "jacobian_by_columns", off_by_a_little)
    state = mode_cost_state(3, 2)
    assert state.jacobians_agree is False
    assert "both Jacobians agree: False" in state.text()


def test_explorer_is_named_where_no_controls_can_show():
    """As in notebook 10's stored output, outside JupyterLab."""
    assert repr(forward_reverse_explorer()).startswith("Forward-or-reverse explorer: ")


def test_measuring_times_three_more_builds_of_each_jacobian(monkeypatch):
    """One build to compare the Jacobians, then the fastest of three runs of each mode."""
    import utils.functional

    builds = {"rows": 0, "columns": 0}

    def counted(kind, build):
        def wrapper(*args):
            builds[kind] += 1
            return build(*args)

        return wrapper

    monkeypatch.setattr(utils.functional, "jacobian_by_rows", counted("rows", jacobian_by_rows))
    monkeypatch.setattr(
        utils.functional, "jacobian_by_columns", counted("columns", jacobian_by_columns)
    )
    mode_cost_state(2, 3)
    assert builds == {"rows": 1, "columns": 1}
    mode_cost_state(2, 3, measure=True)
    assert builds == {"rows": 5, "columns": 5}


# ------------------------------------------------------------------------------- exercises


def test_the_three_exercises_are_registered():
    for exercise in (PER_SAMPLE_GRADIENTS, DIRECTIONAL_DERIVATIVE, SOFTPLUS):
        assert EXERCISES[exercise.name] is exercise


def solution_of(exercise):
    namespace = {"torch": torch}
    exec(exercise.solution, namespace)
    return namespace[exercise.name]


# per_sample_gradients --------------------------------------------------------------------


def test_per_sample_solution_passes():
    feedback = evaluate(solution_of(PER_SAMPLE_GRADIENTS), PER_SAMPLE_GRADIENTS)
    assert feedback.passed, feedback.message


def test_per_sample_reference_matches_the_hand_gradient():
    generator = torch.Generator().manual_seed(1)
    weight, inputs, targets = (torch.randn(*s, generator=generator) for s in ((3,), (4, 3), (4,)))
    reference = PER_SAMPLE_GRADIENTS.reference(
        lambda w, x, t: (x @ w - t) ** 2, weight, inputs, targets
    )
    by_hand = 2 * (inputs @ weight - targets).unsqueeze(1) * inputs
    assert torch.allclose(reference, by_hand.double(), rtol=1e-5, atol=1e-6)


def loop_of_backward(loss_of_one, weight, inputs, targets):
    gradients = []
    for example, target in zip(inputs, targets, strict=True):
        tracked = weight.clone().requires_grad_()
        loss_of_one(tracked, example, target).backward()
        gradients.append(tracked.grad)
    return torch.stack(gradients)


def batch_gradient(loss_of_one, weight, inputs, targets):
    tracked = weight.clone().requires_grad_()
    sum(loss_of_one(tracked, x, t) for x, t in zip(inputs, targets, strict=True)).backward()
    return tracked.grad


def squared_error_formula(loss_of_one, weight, inputs, targets):
    return 2 * (inputs @ weight - targets).unsqueeze(1) * inputs


def as_list(loss_of_one, weight, inputs, targets):
    return list(
        torch.func.vmap(torch.func.grad(loss_of_one), (None, 0, 0))(weight, inputs, targets)
    )


def transposed(loss_of_one, weight, inputs, targets):
    grads = torch.func.vmap(torch.func.grad(loss_of_one), (None, 0, 0))(weight, inputs, targets)
    return grads.flatten()


def not_written(loss_of_one, weight, inputs, targets):
    raise NotImplementedError


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (loop_of_backward, "once per example"),
        (batch_gradient, "summed loss"),
        (squared_error_formula, "A formula for one loss does not carry over"),
        (as_list, "return one tensor of shape"),
        (transposed, "the exercise asks for shape"),
        (not_written, "not written yet"),
        (lambda *args: None, "returned None"),
    ],
)
def test_per_sample_typical_wrong_answers(answer, says):
    answer.__name__ = "per_sample_gradients"
    feedback = evaluate(answer, PER_SAMPLE_GRADIENTS)
    assert not feedback.passed
    assert says in feedback.message
    assert "\n" not in feedback.message


def test_per_sample_accepts_jacrev_of_the_vmapped_losses():
    def via_jacobian(loss_of_one, weight, inputs, targets):
        losses = torch.func.vmap(loss_of_one, in_dims=(None, 0, 0))
        return torch.func.jacrev(lambda w: losses(w, inputs, targets))(weight)

    assert evaluate(via_jacobian, PER_SAMPLE_GRADIENTS).passed


# directional_derivative ------------------------------------------------------------------


def test_directional_solution_passes():
    feedback = evaluate(solution_of(DIRECTIONAL_DERIVATIVE), DIRECTIONAL_DERIVATIVE)
    assert feedback.passed, feedback.message


def test_directional_reference_matches_the_hand_jacobian():
    def f(x):
        return torch.stack([x[0] * x[1], x[1] ** 2, torch.sin(x[2])])

    point = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    direction = torch.tensor([1.0, 0.5, -1.0], dtype=torch.float64)
    table = torch.tensor([[2.0, 1.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, math.cos(0.5)]])
    expected = table.double() @ direction
    assert torch.allclose(DIRECTIONAL_DERIVATIVE.reference(f, point, direction), expected)


def with_dual_numbers(function, point, direction):
    import torch.autograd.forward_ad as forward_ad

    with forward_ad.dual_level():
        output = function(forward_ad.make_dual(point, direction))
        return forward_ad.unpack_dual(output).tangent


def with_jacfwd(function, point, direction):
    return torch.func.jacfwd(function)(point) @ direction


def test_directional_accepts_dual_numbers_and_jacfwd():
    assert evaluate(with_dual_numbers, DIRECTIONAL_DERIVATIVE).passed
    assert evaluate(with_jacfwd, DIRECTIONAL_DERIVATIVE).passed


def with_jacrev(function, point, direction):
    return torch.func.jacrev(function)(point) @ direction


def with_functional_jvp(function, point, direction):
    return torch.autograd.functional.jvp(function, point, direction)[1]


def with_backward(function, point, direction):
    tracked = point.clone().requires_grad_()
    rows = []
    output = function(tracked)
    for i in range(output.numel()):
        (row,) = torch.autograd.grad(output[i], tracked, retain_graph=True)
        rows.append(row)
    return torch.stack(rows) @ direction


def finite_difference(function, point, direction):
    step = 1e-6
    with torch.no_grad():
        return (function(point + step * direction) - function(point - step * direction)) / (
            2 * step
        )


def wrong_side(function, point, direction):
    return direction @ torch.func.jacfwd(function)(point)


def only_the_value(function, point, direction):
    return torch.func.jvp(function, (point,), (direction,))[0]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (with_jacrev, "reverse mode"),
        (with_functional_jvp, "torch.autograd.functional.jvp"),
        (with_backward, "ran a backward pass"),
        (finite_difference, "no tangent went through the function"),
        (wrong_side, "direction @ J"),
        (only_the_value, "did not return J @ direction"),
        (lambda f, p, d: "J @ d", "return J @ direction"),
    ],
)
def test_directional_typical_wrong_answers(answer, says):
    feedback = evaluate(answer, DIRECTIONAL_DERIVATIVE)
    assert not feedback.passed
    assert says in feedback.message


# Softplus --------------------------------------------------------------------------------


def softplus_class(forward, backward, setup=True, vmap_rule=True):
    """A Softplus Function with the given forward and backward bodies."""
    attributes = {
        "generate_vmap_rule": vmap_rule,
        "forward": staticmethod(forward),
        "backward": staticmethod(backward),
    }
    if setup:

        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        attributes["setup_context"] = staticmethod(setup_context)
    return type("Softplus", (torch.autograd.Function,), attributes)


def right_forward(x):
    return torch.log1p(torch.exp(x))


def right_backward(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return grad_output * torch.sigmoid(x)


def test_softplus_solution_passes():
    feedback = evaluate(solution_of(SOFTPLUS), SOFTPLUS)
    assert feedback.passed, feedback.message
    assert evaluate(softplus_class(right_forward, right_backward), SOFTPLUS).passed


def test_softplus_reference_slope_is_the_sigmoid():
    x = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    SOFTPLUS.reference(x).sum().backward()
    assert torch.allclose(x.grad, 1 / (1 + torch.exp(-x.detach())))


def combined_style():
    class Softplus(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.log1p(torch.exp(x))

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * torch.sigmoid(x)

    return Softplus


def no_vmap_rule():
    return softplus_class(right_forward, right_backward, vmap_rule=False)


def forgets_grad_output():
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.sigmoid(x)

    return softplus_class(right_forward, backward)


def wrong_derivative():
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.exp(x)

    return softplus_class(right_forward, backward)


def stub():
    def forward(x):
        raise NotImplementedError

    return softplus_class(forward, right_backward)


def wrong_forward():
    return softplus_class(lambda x: torch.exp(x), right_backward)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (combined_style, "forward must not take ctx"),
        (no_vmap_rule, "vmap"),
        (wrong_derivative, "x.grad is not the derivative"),
        (wrong_forward, "does not give log(1 + eˣ)"),
        (stub, "not written yet"),
        (lambda: lambda x: x, "needs the class itself"),
    ],
)
def test_softplus_typical_wrong_answers(answer, says):
    feedback = evaluate(answer(), SOFTPLUS)
    assert not feedback.passed
    assert says in feedback.message


def test_softplus_input_kept_as_an_attribute_of_ctx_is_caught():
    def setup_context(ctx, inputs, output):
        ctx.x = inputs[0]

    def backward(ctx, grad_output):
        return grad_output * torch.sigmoid(ctx.x)

    attribute = softplus_class(right_forward, backward)
    attribute.setup_context = staticmethod(setup_context)
    feedback = evaluate(attribute, SOFTPLUS)
    assert not feedback.passed
    assert "ctx.save_for_backward" in feedback.message


def test_softplus_may_save_the_output_instead_of_the_input():
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return grad_output * -torch.expm1(-output)  # σ(x) = 1 − e^(−softplus(x))

    from_output = softplus_class(right_forward, backward)
    from_output.setup_context = staticmethod(setup_context)
    feedback = evaluate(from_output, SOFTPLUS)
    assert feedback.passed, feedback.message


def test_softplus_gradient_without_grad_output_is_caught():
    """With sum().backward() grad_output is 1, so only gradcheck's other weights catch it."""
    feedback = evaluate(forgets_grad_output(), SOFTPLUS)
    assert not feedback.passed
    assert "gradcheck" in feedback.message


@pytest.mark.parametrize(
    ("exercise", "answer"),
    [
        (PER_SAMPLE_GRADIENTS, squared_error_formula),
        (DIRECTIONAL_DERIVATIVE, wrong_side),
        (SOFTPLUS, wrong_derivative()),
    ],
)
def test_a_failed_check_never_shows_a_number(exercise, answer):
    message = evaluate(answer, exercise).message
    digits = [word for word in message.replace("(", " ").split() if any(c.isdigit() for c in word)]
    # only sizes and shapes (small whole numbers) may appear, never a computed value
    assert all("." not in word.strip(".,:") for word in digits), message


def test_importing_the_module_loads_no_widgets_or_figures():
    import subprocess
    import sys

    code = (
        "import sys, utils.functional; "
        "print(sorted(m for m in ('ipywidgets', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_name_from_an_earlier_section_is_traced_to_that_section():
    def per_sample_gradients(loss_of_one, weight, inputs, targets):
        return loss_in_segments(weight)  # noqa: F821  (defined in section 7 of the notebook)

    feedback = evaluate(per_sample_gradients, PER_SAMPLE_GRADIENTS)
    assert not feedback.passed
    assert 'section "7. Gradient checkpointing: memory for time"' in feedback.message


COURSE = Path(__file__).parents[1]


def test_the_slow_first_use_of_torch_func_is_not_charged_to_the_learner():
    """torch.func's first use in a kernel loads torch._dynamo (seconds on a slow laptop): each
    of notebook 10's checks does it before the learner's code runs under the time limit."""
    script = textwrap.dedent(
        """
        import sys
        from utils.checks import evaluate
        from utils.functional import DIRECTIONAL_DERIVATIVE, PER_SAMPLE_GRADIENTS, SOFTPLUS

        loaded = []

        def answer(*args):
            loaded.append("torch._dynamo" in sys.modules)

        for exercise in (PER_SAMPLE_GRADIENTS, DIRECTIONAL_DERIVATIVE):
            evaluate(answer, exercise)

        class Softplus(__import__("torch").autograd.Function):
            @staticmethod
            def forward(x):
                loaded.append("torch._dynamo" in sys.modules)
                return x

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, grad):
                return grad

        evaluate(Softplus, SOFTPLUS)
        print(loaded)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=COURSE
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[True, True, True]"
