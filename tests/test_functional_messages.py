"""Notebook 10's checks, word for word: what a learner reads for each typical wrong answer.

The messages name the call that went wrong (with which hidden loss or function), the rule the
answer broke and where to look next; they never show an expected value. The wrong answers are
the ones learners write (a loop, a backward pass, a formula, the transposed product, ...).
"""

import pytest
import torch

from utils.checks import evaluate
from utils.functional import (
    DIRECTIONAL_DERIVATIVE,
    PER_SAMPLE_GRADIENTS,
    SOFTPLUS,
    ReverseModeUsed,
)

from .test_functional import (
    as_list,
    batch_gradient,
    combined_style,
    finite_difference,
    loop_of_backward,
    not_written,
    only_the_value,
    right_backward,
    right_forward,
    softplus_class,
    squared_error_formula,
    transposed,
    with_jacrev,
    wrong_side,
)

NOT_YET = "✘ Not yet: "
PER_SAMPLE_CALL = "per_sample_gradients(loss_of_one, weight, inputs, targets) with "
DIRECTIONAL_CALL = "directional_derivative(function, point, direction) with "


@pytest.fixture(autouse=True, scope="module")
def torch_func_loaded():
    """torch.func loads part of PyTorch at its first use: not inside a timed check."""
    torch.func.vmap(torch.func.grad(torch.sin))(torch.ones(2))


def message_of(answer, exercise):
    feedback = evaluate(answer, exercise)
    assert not feedback.passed
    assert "\n" not in feedback.message
    return feedback.message


# per_sample_gradients --------------------------------------------------------------------


def zeros_of_the_right_shape(loss_of_one, weight, inputs, targets):
    return torch.zeros(len(inputs), *weight.shape)


def flattened_gradients(loss_of_one, weight, inputs, targets):
    gradients = torch.func.vmap(torch.func.grad(loss_of_one), (None, 0, 0))(weight, inputs, targets)
    return gradients.flatten(1) if weight.dim() > 1 else gradients


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            loop_of_backward,
            "the squared error: the gradients are right, but loss_of_one ran once per example, "
            "in a Python loop. vmap runs it once for the whole batch: that is the point of the "
            "exercise.",
        ),
        (
            batch_gradient,
            "the squared error returned one gradient of the weight's shape: the gradient of the "
            "batch's summed loss, in which the examples' gradients are added together. Return "
            "each example's own gradient.",
        ),
        (
            squared_error_formula,
            "a logistic loss: the gradients are not right, although the squared error's were. "
            "A formula for one loss does not carry over to another: let torch.func.grad "
            "differentiate loss_of_one. Stuck? hint(per_sample_gradients)",
        ),
        (
            transposed,
            "the squared error returned a tensor of shape (15,); the exercise asks for shape "
            "(5, 3): (examples, *weight.shape).",
        ),
        (
            flattened_gradients,
            "a loss of a 2 × 3 weight matrix returned a tensor of shape (4, 6); the exercise "
            "asks for shape (4, 2, 3): (examples, *weight.shape).",
        ),
        (
            zeros_of_the_right_shape,
            "the squared error: these are not the examples' gradients. "
            "Stuck? hint(per_sample_gradients)",
        ),
    ],
)
def test_per_sample_messages_word_for_word(answer, message):
    answer.__name__ = "per_sample_gradients"
    assert message_of(answer, PER_SAMPLE_GRADIENTS) == NOT_YET + PER_SAMPLE_CALL + message


def test_per_sample_a_list_is_asked_to_become_one_tensor():
    message = message_of(as_list, PER_SAMPLE_GRADIENTS)
    assert message.startswith(NOT_YET + PER_SAMPLE_CALL + "the squared error returned [tensor(")
    assert message.endswith(
        "; return one tensor of shape (5, 3): one gradient per example, stacked along the "
        "first dimension."
    )


def test_per_sample_problems_in_the_learners_code_are_passed_on():
    assert message_of(not_written, PER_SAMPLE_GRADIENTS).startswith(
        NOT_YET + "per_sample_gradients is not written yet"
    )
    assert message_of(lambda *args: None, PER_SAMPLE_GRADIENTS).startswith(
        NOT_YET + PER_SAMPLE_CALL + "the squared error returned None."
    )


def test_per_sample_the_hidden_cases_are_three_losses_with_fixed_data():
    """Every check sees the same data (a learner's retry is judged the same way), and the
    logistic loss gets labels of both signs, ±1, as that loss expects."""
    seen = []

    def recording(loss_of_one, weight, inputs, targets):
        seen.append((weight.clone(), inputs.clone(), targets.clone()))
        return torch.func.vmap(torch.func.grad(loss_of_one), (None, 0, 0))(weight, inputs, targets)

    recording.__name__ = "per_sample_gradients"
    assert evaluate(recording, PER_SAMPLE_GRADIENTS).passed
    assert evaluate(recording, PER_SAMPLE_GRADIENTS).passed
    first, second = seen[:3], seen[3:]
    assert len(first) == len(second) == 3
    for one, other in zip(first, second, strict=True):
        assert all(torch.equal(a, b) for a, b in zip(one, other, strict=True))
    assert [tuple(weight.shape) for weight, _, _ in first] == [(3,), (4,), (2, 3)]
    labels = first[1][2]
    assert set(labels.tolist()) == {-1.0, 1.0}
    weight, inputs, targets = first[2]
    assert targets.shape == (len(inputs), len(weight)), "one target per output of the 2 × 3 model"


def test_per_sample_the_hidden_losses_are_the_ones_named():
    """The squared error (x·w − t)², the logistic loss log(1 + e^(−t·x·w)) for labels ±1, and a
    loss of a weight matrix: each example's loss is one number, never negative."""
    seen = []

    def recording(loss_of_one, weight, inputs, targets):
        seen.append((loss_of_one, weight, inputs, targets))
        return torch.func.vmap(torch.func.grad(loss_of_one), (None, 0, 0))(weight, inputs, targets)

    recording.__name__ = "per_sample_gradients"
    assert evaluate(recording, PER_SAMPLE_GRADIENTS).passed
    (squared, *squared_data), (logistic, *logistic_data), (matrix_loss, *matrix_data) = seen
    for loss, by_hand, (weight, inputs, targets) in [
        (squared, lambda w, x, t: (x @ w - t) ** 2, squared_data),
        (logistic, lambda w, x, t: torch.log1p(torch.exp(-t * (x @ w))), logistic_data),
    ]:
        for example, target in zip(inputs, targets, strict=True):
            assert torch.allclose(loss(weight, example, target), by_hand(weight, example, target))
    weight, inputs, targets = matrix_data
    for example, target in zip(inputs, targets, strict=True):
        value = matrix_loss(weight, example, target)
        assert value.shape == () and value >= 0


# directional_derivative ------------------------------------------------------------------


def right_only_the_first_times(times):
    """An answer that is right for the first ``times`` hidden functions only."""
    calls = []

    def directional_derivative(function, point, direction):
        calls.append(1)
        derivative = torch.func.jvp(function, (point,), (direction,))[1]
        return derivative if len(calls) <= times else 2 * derivative

    return directional_derivative


def at_a_moved_point(function, point, direction):
    """Close to the right numbers, but the point was moved a little along the direction."""
    return torch.func.jvp(function, (point + 0.1 * direction,), (direction,))[1]


def raises_an_error(function, point, direction):
    raise ValueError("no derivative yet")


def first_three_outputs(function, point, direction):
    return torch.func.jvp(function, (point,), (direction,))[1][:3]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            with_jacrev,
            "a function of 3 inputs ran a backward pass: that is reverse mode (backward, vjp, "
            "jacrev, torch.autograd.grad, or torch.autograd.functional.jvp, which uses backward "
            "passes). Push the direction forwards through the function instead: "
            "torch.func.jvp, or dual numbers.",
        ),
        (
            finite_difference,
            "a function of 3 inputs returned the right numbers, but no tangent went through the "
            "function, so they came from somewhere else than forward-mode autograd (a finite "
            "difference, or a formula). Use torch.func.jvp or dual numbers.",
        ),
        (
            wrong_side,
            "a function of 3 inputs returned direction @ J, a weighted sum of the Jacobian's "
            "rows. The directional derivative is J @ direction: the direction moves the inputs.",
        ),
        (
            only_the_value,
            "a function of 3 inputs did not return J @ direction. "
            "Stuck? hint(directional_derivative)",
        ),
        (
            lambda function, point, direction: "J @ d",
            "a function of 3 inputs returned 'J @ d'; return J @ direction, a tensor with one "
            "number per output of the function (3 here).",
        ),
        (
            at_a_moved_point,
            "a function of 3 inputs did not return J @ direction. "
            "Stuck? hint(directional_derivative)",
        ),
        (
            lambda function, point, direction: torch.zeros_like(function(point)),
            "a function of 3 inputs did not return J @ direction. "
            "Stuck? hint(directional_derivative)",
        ),
        (
            lambda function, point, direction: 1.5,
            "a function of 3 inputs returned 1.5; return J @ direction, a tensor with one "
            "number per output of the function (3 here).",
        ),
        (
            raises_an_error,
            "a function of 3 inputs raised ValueError: no derivative yet. Fix the error and "
            "check again. Stuck? hint(directional_derivative)",
        ),
    ],
)
def test_directional_messages_word_for_word(answer, message):
    assert message_of(answer, DIRECTIONAL_DERIVATIVE) == NOT_YET + DIRECTIONAL_CALL + message


@pytest.mark.parametrize(
    ("times", "description"),
    [(1, "another function of 3 inputs"), (2, "a function from 2 inputs to 4 outputs")],
)
def test_directional_every_hidden_function_is_checked(times, description):
    answer = right_only_the_first_times(times)  # a new answer: it counts its own calls
    assert message_of(answer, DIRECTIONAL_DERIVATIVE) == (
        f"{NOT_YET}{DIRECTIONAL_CALL}{description} did not return J @ direction. "
        "Stuck? hint(directional_derivative)"
    )


def test_directional_the_wide_function_asks_for_four_numbers():
    message = message_of(first_three_outputs, DIRECTIONAL_DERIVATIVE)
    assert message.startswith(
        NOT_YET + DIRECTIONAL_CALL + "a function from 2 inputs to 4 outputs returned tensor("
    )
    assert message.endswith("one number per output of the function (4 here).")


def test_directional_answers_as_lists_or_tuples_of_floats_are_read():
    def as_floats(function, point, direction):
        return tuple(torch.func.jvp(function, (point,), (direction,))[1].tolist())

    def as_booleans(function, point, direction):
        return [True] * function(point).numel()

    def complex_numbers(function, point, direction):
        return torch.func.jvp(function, (point,), (direction,))[1].to(torch.complex128)

    assert evaluate(as_floats, DIRECTIONAL_DERIVATIVE).passed
    assert "returned [True, True, True]; return J @ direction" in message_of(
        as_booleans, DIRECTIONAL_DERIVATIVE
    )
    assert "; return J @ direction, a tensor with one number" in message_of(
        complex_numbers, DIRECTIONAL_DERIVATIVE
    )


def test_directional_hidden_cases_match_their_descriptions():
    """3, 3 and 2 inputs (the last with 4 outputs), in float64; each function refuses
    backward passes and carries tangents forward."""
    seen = []

    def recording(function, point, direction):
        seen.append((function, point, direction))
        return torch.func.jvp(function, (point,), (direction,))[1]

    assert evaluate(recording, DIRECTIONAL_DERIVATIVE).passed
    sizes = [(len(point), len(direction)) for _, point, direction in seen]
    assert sizes == [(3, 3), (3, 3), (2, 2)]
    assert all(p.dtype == d.dtype == torch.float64 for _, p, d in seen)
    function, point, _ = seen[2]
    assert function(point).shape == (4,)
    tracked = point.clone().requires_grad_()
    with pytest.raises(ReverseModeUsed, match="^this check's function accepts forward mode only$"):
        function(tracked).sum().backward()


# Softplus --------------------------------------------------------------------------------


def backward_that_raises(ctx, grad_output):
    raise ValueError("no slope yet")


def forward_that_raises(x):
    raise ValueError("no value yet")


def backward_that_treats_a_single_value_apart(ctx, grad_output):
    (x,) = ctx.saved_tensors
    return grad_output * torch.sigmoid(x) * (1 if grad_output.dim() else 2)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            softplus_class(right_forward, backward_that_raises),
            "Softplus.apply(x).sum().backward() raised ValueError: no slope yet. Fix the error "
            "and check again. Stuck? hint(Softplus)",
        ),
        (
            softplus_class(forward_that_raises, right_backward),
            "Softplus.apply(x) raised ValueError: no value yet. Fix the error and check again. "
            "Stuck? hint(Softplus)",
        ),
        (
            softplus_class(right_forward, lambda ctx, grad_output: grad_output * 0.25),
            "after Softplus.apply(x).sum().backward(), x.grad is not the derivative of "
            "log(1 + eˣ) (torch.autograd.gradcheck agrees). Look at what backward returns: the "
            "chain rule multiplies grad_output by the local derivative. Stuck? hint(Softplus)",
        ),
        (
            softplus_class(lambda x: torch.exp(x), right_backward),
            "Softplus.apply(x) does not give log(1 + eˣ): look at forward. Stuck? hint(Softplus)",
        ),
        (
            softplus_class(right_forward, backward_that_treats_a_single_value_apart),
            "backward() gives the right gradient, but vmap(grad(Softplus.apply)) does not. Does "
            "backward use only the tensors setup_context saved? Stuck? hint(Softplus)",
        ),
        (
            softplus_class(right_forward, right_backward, vmap_rule=False),
            "vmap(grad(Softplus.apply))(x) raised RuntimeError: ",
        ),
        (
            combined_style(),
            "backward() works, but torch.func refuses the Function: forward must not take ctx. "
            "Compute in forward(x) and save in setup_context(ctx, inputs, output).",
        ),
        (
            torch.nn.Softplus,
            "check(Softplus) needs the class itself: a subclass of torch.autograd.Function with "
            "forward, setup_context and backward.",
        ),
    ],
)
def test_softplus_messages_word_for_word(answer, message):
    assert message_of(answer, SOFTPLUS).startswith(NOT_YET + message)


def test_softplus_messages_about_saving_gradcheck_and_ctx():
    def keeps_x_on_ctx(ctx, inputs, output):
        ctx.x = inputs[0]

    def backward_from_ctx(ctx, grad_output):
        return grad_output * torch.sigmoid(ctx.x)

    def backward_without_grad_output(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.sigmoid(x)

    attribute = softplus_class(right_forward, backward_from_ctx)
    attribute.setup_context = staticmethod(keeps_x_on_ctx)
    assert message_of(attribute, SOFTPLUS) == NOT_YET + (
        "backward() gives the right gradient, but setup_context saved no tensor with "
        "ctx.save_for_backward: the input is kept some other way (an attribute of ctx?). Save "
        "tensors with ctx.save_for_backward, so that autograd can check that nothing changed "
        "them in place before backward, and free them after it."
    )
    assert message_of(softplus_class(right_forward, backward_without_grad_output), SOFTPLUS) == (
        NOT_YET + "torch.autograd.gradcheck finds that backward disagrees with finite "
        "differences at some inputs. Stuck? hint(Softplus)"
    )


@pytest.mark.parametrize(
    ("failing_call", "step"),
    [
        (1, "Softplus.apply(x)"),
        (2, "Softplus.apply(x).sum().backward()"),
        (3, "Softplus.apply(x)"),
        (4, "gradcheck(Softplus.apply, (x,))"),
    ],
)
def test_softplus_an_error_names_the_step_of_the_check_that_met_it(failing_call, step):
    """The check calls Softplus for its values, for backward(), for the tensors it saves, then
    in gradcheck: an error at any of these is reported with the call that raised it."""
    calls = []

    def forward(x):
        calls.append(1)
        if len(calls) == failing_call:
            raise ValueError("forward failed this time")
        return torch.log1p(torch.exp(x))

    message = message_of(softplus_class(forward, right_backward), SOFTPLUS)
    assert message == (
        f"{NOT_YET}{step} raised ValueError: forward failed this time. Fix the error and check "
        "again. Stuck? hint(Softplus)"
    )
