"""The exercises' references and judges, held to what a learner reads.

References are compared with the hand-derived derivatives at inputs that float32 cannot
hold exactly, tightly enough that only a float64 computation passes (the module promises
float64). Judges are driven through ``evaluate()`` with typical wrong answers; each must
get the message that names its mistake and the advice that goes with it.
"""

import dataclasses
import math

import pytest
import torch

from tests.test_checks import step_without_optimizer_step as never_steps
from tests.test_checks import step_without_zero_grad as forgets_zero_grad
from tests.test_hostile_answers import train_step_right
from utils.checks import evaluate
from utils.exercises import (
    MANY_POINTS,
    MULTIVARIATE,
    PREDICT,
    SECOND_DERIVATIVE,
    SIGMOID_SLOPE,
    SIMPLE_FUNCTION,
    TRAIN_STEP,
    VJP_POINT,
    VJP_TWO_WAYS,
    vjp_function,
    vjp_jacobian,
)

TIGHT = 1e-12  # float64 agrees to this; float32 misses by about 1e-8
POINTS = [0.1, -1 / 3, 0.7, 2.3]


def message(function, exercise) -> str:
    feedback = evaluate(function, exercise)
    assert not feedback.passed, feedback.message
    return feedback.message


# -------------------------------------------------------------------- the references


@pytest.mark.parametrize("x", POINTS)
def test_the_one_variable_references_are_float64_exact(x):
    assert SIMPLE_FUNCTION.reference(x) == pytest.approx(3 * x**2 + 2, rel=TIGHT)
    assert SECOND_DERIVATIVE.reference(x) == pytest.approx(6 * x, rel=TIGHT)
    sigmoid = 1 / (1 + math.exp(-x))
    assert SIGMOID_SLOPE.reference(x) == pytest.approx(sigmoid * (1 - sigmoid), rel=TIGHT)


def test_the_multivariate_reference_is_float64_exact():
    for a, b in [(0.1, 0.1), (-1 / 3, 0.7)]:
        da, db = MULTIVARIATE.reference(a, b)
        assert da == 3.0
        assert db == pytest.approx(8 * b, rel=TIGHT)


def test_the_many_points_reference_gives_each_point_its_own_gradient_in_float64():
    gradients = MANY_POINTS.reference(POINTS)
    assert gradients == pytest.approx([3 * x**2 + 2 for x in POINTS], rel=TIGHT)


def test_the_vector_function_and_its_jacobian_match_the_hand_derivation():
    x0, x1, x2 = 0.3, -1.7, 0.9
    assert vjp_function(torch.tensor([x0, x1, x2], dtype=torch.float64)).tolist() == (
        pytest.approx([x0 * x1, x1**2, math.sin(x2)], rel=TIGHT)
    )
    p0, p1, p2 = VJP_POINT
    by_hand = [[p1, p0, 0.0], [0.0, 2 * p1, 0.0], [0.0, 0.0, math.cos(p2)]]
    jacobian = vjp_jacobian()
    assert jacobian.dtype == torch.float64  # as its docstring promises
    for row, expected in zip(jacobian.tolist(), by_hand, strict=True):
        assert row == pytest.approx(expected, rel=TIGHT, abs=TIGHT)


def test_the_vjp_reference_gives_v_times_j_both_ways_in_float64():
    v = [0.1, -1 / 3, 0.7]
    p0, p1, p2 = VJP_POINT
    by_hand = [v[0] * p1, v[0] * p0 + v[1] * 2 * p1, v[2] * math.cos(p2)]
    via_backward, via_jacobian = VJP_TWO_WAYS.reference(v)
    assert via_backward == pytest.approx(by_hand, rel=TIGHT)
    assert via_jacobian == pytest.approx(by_hand, rel=TIGHT)


# ------------------------------------------------------------ 03: gradients at many points


def many_points_right(x_values):
    return [3 * x**2 + 2 for x in x_values]


def test_many_points_one_gradient_per_point_passes():
    assert evaluate(many_points_right, MANY_POINTS).passed


def test_many_points_an_error_is_named():
    text = message(lambda xs: [x.grad for x in xs], MANY_POINTS)
    assert "gradients_at_many_points([1.0, 2.0, 3.0]) raised AttributeError" in text


def test_many_points_a_tensor_is_not_a_list():
    text = message(lambda xs: torch.tensor(many_points_right(xs)), MANY_POINTS)
    assert "returned a tensor; the exercise asks for a list of floats." in text


def test_many_points_a_list_of_the_wrong_length_is_shown_and_counted():
    text = message(lambda xs: [0.5], MANY_POINTS)
    assert text.endswith(
        "gradients_at_many_points([1.0, 2.0, 3.0]) returned [0.5]; the exercise asks for a "
        "list with one gradient for each of the 3 inputs."
    )


def test_many_points_a_part_that_is_not_a_number_is_named():
    text = message(lambda xs: ["5.0"] * len(xs), MANY_POINTS)
    assert text.endswith(
        "gradients_at_many_points([1.0, 2.0, 3.0]) returned '5.0' as part of its answer; the "
        "exercise asks for a list of Python floats."
    )


def test_many_points_running_sums_are_blamed_on_accumulating_gradients():
    def accumulates(x_values):
        total, answers = 0.0, []
        for gradient in many_points_right(x_values):
            total += gradient
            answers.append(total)
        return answers

    text = message(accumulates, MANY_POINTS)
    assert text.endswith(
        "gradients_at_many_points([1.0, 2.0, 3.0]): each answer includes the gradients of the "
        "points before it. The gradient is accumulating in x.grad: reset it after each point."
    )
    # two points are enough to see it
    two_points = dataclasses.replace(MANY_POINTS, cases=(([1.0, 2.0],),))
    assert "accumulating in x.grad" in message(accumulates, two_points)


def test_many_points_a_wrong_list_is_shown_with_a_pointer_to_the_hints():
    text = message(lambda xs: [0.0] * len(xs), MANY_POINTS)
    assert text.endswith(
        "gradients_at_many_points([1.0, 2.0, 3.0]) returned (0, 0, 0): not all of these are the "
        "gradient. Stuck? hint(gradients_at_many_points)"
    )


# ------------------------------------------------------------------------- 04: predict


def test_predict_a_right_answer_computed_by_hand_in_float64_passes():
    def by_hand(model, inputs):
        with torch.no_grad():
            return inputs.double() @ model.weight.double().T + model.bias.double()

    assert evaluate(by_hand, PREDICT).passed


def test_predict_adding_a_parameter_changes_the_model():
    def adds_a_parameter(model, inputs):
        model.register_parameter("scale", torch.nn.Parameter(torch.ones(())))
        with torch.no_grad():
            return model(inputs)

    text = message(adds_a_parameter, PREDICT)
    assert text.endswith(
        "predict(model, inputs) changed the model's weights. A prediction only reads the model: "
        "compute model(inputs) and leave the parameters as they are."
    )


def test_predict_an_error_is_named_with_the_call_as_the_learner_wrote_it():
    def calls_a_method_models_lack(model, inputs):
        return model.predict(inputs)

    text = message(calls_a_method_models_lack, PREDICT)
    assert "predict(model, inputs) raised AttributeError" in text
    assert "Stuck? hint(predict)" in text


def test_predict_messages_name_the_mistake_and_the_fix():
    def no_grad(model, inputs):
        with torch.no_grad():
            return model(inputs)

    cases = {
        lambda model, inputs: no_grad(model, inputs).tolist(): "predict(model, inputs) returned [[",
        lambda model, inputs: no_grad(model, inputs).long(): "predict(model, inputs) returned a "
        "tensor of torch.int64, but predictions are real numbers: return model(inputs) as it "
        "comes, without converting it.",
        lambda model, inputs: no_grad(model, inputs) * 1.01: "predict(model, inputs) does not "
        "return model(inputs). Stuck? hint(predict)",
        lambda model, inputs: model(inputs): "predict(model, inputs) returns the right numbers, "
        "but autograd recorded a graph for them (the result has grad_fn = AddmmBackward0). "
        "model.eval() does not turn tracking off: compute inside `with torch.no_grad():`.",
        lambda model, inputs: no_grad(model, inputs).requires_grad_(): "predict(model, inputs) "
        "returns the right numbers, but they require grad, so autograd would track everything "
        "computed from them. Compute inside `with torch.no_grad():`.",
    }
    for answer, says in cases.items():
        assert says in message(answer, PREDICT)
    assert "; return the tensor model(inputs) gives." in message(
        lambda model, inputs: no_grad(model, inputs).tolist(), PREDICT
    )


# ---------------------------------------------------------------------------- 05: vjp


def vjp_right(v_values):
    return VJP_TWO_WAYS.reference(v_values)


def test_vjp_backward_and_v_times_j_pass():
    def two_ways(v_values):
        x = torch.tensor(VJP_POINT, requires_grad=True)
        v = torch.tensor(v_values)
        vjp_function(x).backward(v)
        jacobian = torch.autograd.functional.jacobian(vjp_function, x.detach())
        return x.grad, v @ jacobian

    assert evaluate(two_ways, VJP_TWO_WAYS).passed


def test_vjp_messages_name_the_mistake_and_the_fix():
    first_case = "vjp_two_ways([1.0, 1.0, 1.0])"
    j_times_v = lambda v: (vjp_right(v)[0], (vjp_jacobian() @ torch.tensor(v).double()).tolist())  # noqa: E731
    cases = {
        lambda v: 1 / 0: f"{first_case} raised ZeroDivisionError",
        lambda v: vjp_right(v)[0]: f"{first_case} returned [",
        lambda v: (*vjp_right(v), 0.0): f"{first_case} returned (",
        lambda v: "two ways": f"{first_case} returned 'two ways'; return a pair: (x.grad after "
        "y.backward(v), v @ J).",
        lambda v: (vjp_right(v)[0], "v @ J"): f"{first_case}: each of the two answers should "
        "hold three numbers, one per entry of x (a list, or a tensor of shape (3,)).",
        lambda v: ([0.0] * 3, vjp_right(v)[1]): f"{first_case}: the first answer is not x.grad "
        "after y.backward(v). Stuck? hint(vjp_two_ways)",
        j_times_v: f"{first_case}: the second answer is J @ v. v has one entry per output, so it "
        "multiplies the Jacobian from the left: v @ J.",
        lambda v: (vjp_right(v)[0], [0.0] * 3): f"{first_case}: the second answer is not v @ J. "
        "Stuck? hint(vjp_two_ways)",
    }
    for answer, says in cases.items():
        assert says in message(answer, VJP_TWO_WAYS)
    assert "return a pair" in message(lambda v: (*vjp_right(v), 0.0), VJP_TWO_WAYS)


# ---------------------------------------------------------------------- 06: train_step

CALL = "train_step(model, optimizer, loss_fn, x, y)"


def mean_squared_error_by_hand(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).sum() / len(x)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer", [train_step_right, mean_squared_error_by_hand])
def test_train_step_the_five_steps_pass(answer):
    feedback = evaluate(answer, TRAIN_STEP)
    assert feedback.passed, feedback.message


def steps_twice(model, optimizer, loss_fn, x, y):
    loss = train_step_right(model, optimizer, loss_fn, x, y)
    train_step_right(model, optimizer, loss_fn, x, y)
    return loss


def returns_the_loss_after_the_step(model, optimizer, loss_fn, x, y):
    train_step_right(model, optimizer, loss_fn, x, y)
    with torch.no_grad():
        return loss_fn(model(x), y).item()


def returns_the_loss_tensor(model, optimizer, loss_fn, x, y):
    train_step_right(model, optimizer, loss_fn, x, y)
    return loss_fn(model(x), y)


def returns_words(model, optimizer, loss_fn, x, y):
    train_step_right(model, optimizer, loss_fn, x, y)
    return "falling"


def loss_becomes_infinite_at_step_three():
    calls = []

    def step(model, optimizer, loss_fn, x, y):
        calls.append(True)
        loss = train_step_right(model, optimizer, loss_fn, x, y)
        return math.inf if len(calls) == 3 else loss

    return step


def breaks_the_weights_at_the_last_step():
    calls = []

    def step(model, optimizer, loss_fn, x, y):
        calls.append(True)
        loss = train_step_right(model, optimizer, loss_fn, x, y)
        if len(calls) == 25:  # every loss returned is finite
            with torch.no_grad():
                model.weight.fill_(math.nan)
        return loss

    return step


STEPS_THAT_COUNT_THEIR_CALLS = (
    loss_becomes_infinite_at_step_three,
    breaks_the_weights_at_the_last_step,
)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda model, optimizer, loss_fn, x, y: model.fit(x, y), f"{CALL} raised AttributeError"),
        (
            returns_the_loss_tensor,
            f"{CALL} returned a tensor; return the loss as a Python float with loss.item().",
        ),
        (returns_words, f"{CALL} returned 'falling'; return the loss as a float."),
        (
            loss_becomes_infinite_at_step_three,
            f"{CALL}: the loss became inf at step 3 of 25, so "
            "training blew up instead of learning. Use the optimizer and the loss function you are "
            "given, in the five steps' order. Stuck? hint(train_step)",
        ),
        (
            breaks_the_weights_at_the_last_step,
            f"{CALL}: the model's parameters became inf or nan, so training blew up",
        ),
        (
            returns_the_loss_after_the_step,
            f"{CALL} trains the model, but returns something other "
            "than this step's loss (compute the loss before optimizer.step() and return "
            "loss.item()).",
        ),
        (
            forgets_zero_grad,
            f"{CALL} never zeroes the gradients, so each step adds the new "
            "gradient to all the old ones. Call optimizer.zero_grad() at the start of each step.",
        ),
        (
            never_steps,
            f"{CALL}: after 25 steps the loss has not fallen. Does the step call "
            "loss.backward() and then optimizer.step()?",
        ),
        (
            steps_twice,
            f"{CALL}: the loss falls, but the parameters differ from the five-step "
            "pattern's. Stuck? hint(train_step)",
        ),
    ],
    ids=lambda value: getattr(value, "__name__", "")[:30] or None,
)
def test_train_step_wrong_answers_get_their_own_message(answer, says):
    if answer in STEPS_THAT_COUNT_THEIR_CALLS:
        answer = answer()  # a fresh count for this check
    assert says in message(answer, TRAIN_STEP)
