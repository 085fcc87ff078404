"""The transfer exercises: references checked independently, and their checks on answers
learners write (the model solution, typical wrong answers, and a formula typed in instead of
autograd), each with the right verdict, one kind message and no expected value in it.
"""

import json
import math
import re

import pytest
import torch

from tools.course import NOTEBOOKS
from utils.checks import CORRECT, NOT_YET, evaluate, finite_difference
from utils.exercises import EXERCISES
from utils.transfer import (
    BRANCHY_TOTAL,
    CURVE_FUNCTIONS,
    DERIVATIVE_CURVE,
    ENGINE_CASES,
    ENGINE_EXP,
    ENGINE_SOURCE,
    ENGINE_TANH,
    FINE_TUNE,
    INPUT_GRADIENT,
    PER_EXAMPLE,
    PER_EXAMPLE_LOSSES,
    TRAIN_AND_VALIDATE,
    UNEQUAL_MICRO_BATCHES,
    Watched,
    _engine_reference,
    _fine_tune_last_layer,
    engine_class,
    fine_tune_data,
    fine_tune_model,
    micro_batch_data,
    per_example_data,
    saliency_model,
    validation_setup,
)

TRANSFER = [  # those whose notebook cells exist: the ones registered with the checks
    exercise
    for exercise in (
        DERIVATIVE_CURVE,
        BRANCHY_TOTAL,
        UNEQUAL_MICRO_BATCHES,
        FINE_TUNE,
        PER_EXAMPLE,
        TRAIN_AND_VALIDATE,
        INPUT_GRADIENT,
        ENGINE_TANH,
        ENGINE_EXP,
    )
    if EXERCISES.get(exercise.name) is exercise
]


@pytest.fixture(autouse=True)
def kernel_left_as_the_notebook_expects():
    yield
    state = (torch.is_grad_enabled(), torch.get_default_dtype(), torch.is_inference_mode_enabled())
    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)
    assert state == (True, torch.float32, False), "a check left the kernel's state changed"


# ------------------------------------------------------------------------------ helpers


def numbers_in(value) -> list[float]:
    """Every number in a reference's answer (nested tuples and lists flattened)."""
    if isinstance(value, list | tuple):
        return [n for part in value for n in numbers_in(part)]
    return [float(value)] if isinstance(value, int | float) else []


def leaks(message: str, exercise) -> list[str]:
    """Expected values written in ``message`` (whole numbers below 10 are not searched for)."""
    text = re.sub(r"returned (\(.*?\)|\[.*?\]|'.*?'|\S+)", "returned ...", message)
    found = []
    for args in exercise.cases:
        for value in numbers_in(exercise.reference(*args)):
            for shown in {f"{value:g}", f"{value:.4f}", f"{value:.3f}", f"{value:.2f}"}:
                if re.fullmatch(r"-?\d", shown) or shown in ("0.00", "-0.00", "0.000", "0.0000"):
                    continue
                if re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w]|\.\d)", text):
                    found.append(shown)
    return found


def checked(function, exercise, capsys) -> str:
    """What the check says (as check() prints it), asserted to be one kind, honest message."""
    feedback = evaluate(function, exercise)
    out = capsys.readouterr()
    assert out.out + out.err == "", "evaluate() printed"
    text = "\n".join(part for part in (feedback.printed, feedback.message) if part)
    assert "Traceback" not in text and 'File "' not in text, text
    assert text.count(CORRECT) + text.count(NOT_YET) == 1, text
    assert not leaks(text, exercise), f"expected values shown: {leaks(text, exercise)} in {text}"
    return text


def passes(function, exercise, capsys) -> str:
    text = checked(function, exercise, capsys)
    assert CORRECT in text, text
    return text


def fails(function, exercise, capsys, *says) -> str:
    text = checked(function, exercise, capsys)
    assert NOT_YET in text and CORRECT not in text, text
    for words in says:
        assert words in text, f"{words!r} not in: {text}"
    return text


def told(function, exercise, capsys, message: str) -> None:
    """The check's whole message, word for word, as the learner reads it."""
    assert checked(function, exercise, capsys) == f"{NOT_YET}: {message}"


def model_solution(exercise):
    namespace = {"torch": torch}
    exec(exercise.solution, namespace)
    return namespace[exercise.name]


def test_every_notebook_has_a_transfer_exercise():
    assert sorted({exercise.notebook[:2] for exercise in TRANSFER}) == [
        f"{n:02d}" for n in range(1, 9)
    ]


@pytest.mark.parametrize("exercise", TRANSFER, ids=[e.name for e in TRANSFER])
def test_every_model_solution_passes(exercise, capsys):
    passes(model_solution(exercise), exercise, capsys)


@pytest.mark.parametrize("exercise", TRANSFER, ids=[e.name for e in TRANSFER])
def test_every_stub_of_the_student_edition_is_told_it_is_not_written_yet(exercise, capsys):
    def stub(*args):
        raise NotImplementedError

    fails(stub, exercise, capsys, "not written yet")


@pytest.mark.parametrize("exercise", TRANSFER, ids=[e.name for e in TRANSFER])
def test_every_transfer_exercise_is_in_its_notebook_with_its_check(exercise):
    cells = json.loads((NOTEBOOKS / f"{exercise.notebook}.ipynb").read_text("utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells]
    index = next(i for i, s in enumerate(sources) if f"check({exercise.name})" in s)
    assert f"def {exercise.name}(" in sources[index] and "### BEGIN SOLUTION" in sources[index]
    outputs = "".join("".join(o.get("text", "")) for o in cells[index]["outputs"])
    assert outputs.startswith(CORRECT), outputs
    assert any(f"# hint({exercise.name})" in s for s in sources[index:])


# ------------------------------------------------------------- 01: the derivative curve

HAND_DERIVATIVES = {
    "x³ + 2x": lambda x: 3 * x**2 + 2,
    "sin x": math.cos,
    "x·e^(−x)": lambda x: (1 - x) * math.exp(-x),
    "tanh(2x) + x²": lambda x: 2 / math.cosh(2 * x) ** 2 + 2 * x,
}


@pytest.mark.parametrize("case", DERIVATIVE_CURVE.cases, ids=lambda c: str(c[0]))
def test_derivative_curve_reference_is_the_hand_derivative_and_a_finite_difference(case):
    name, points = case
    by_hand = [HAND_DERIVATIVES[name](p) for p in points]
    assert DERIVATIVE_CURVE.reference(name, points) == pytest.approx(by_hand, rel=1e-10)
    function = CURVE_FUNCTIONS[name]
    numeric = [finite_difference(lambda t: function(torch.as_tensor(t)), p) for p in points]
    assert numeric == pytest.approx(by_hand, rel=1e-5, abs=1e-6)


def curve_with_a_loop(f, x_values):
    gradients = []
    for value in x_values:
        x = value.clone().requires_grad_()
        f(x).backward()
        gradients.append(x.grad.item())
    return gradients


def curve_by_finite_differences(f, x_values):
    step = 1e-3
    return (f(x_values + step) - f(x_values - step)) / (2 * step)


def curve_looking_at_f_first(f, x_values):
    f(x_values)  # a first look at the values: a second call of f
    x = x_values.clone().requires_grad_()
    f(x).sum().backward()
    return x.grad


def curve_without_the_sum(f, x_values):
    x = x_values.clone().requires_grad_()
    f(x).backward()
    return x.grad


_kept_x = torch.zeros(5, requires_grad=True)


def curve_that_accumulates(f, x_values):
    with torch.no_grad():
        _kept_x.copy_(x_values[:5]) if len(x_values) == 5 else None
    x = _kept_x if len(x_values) == 5 else x_values.clone().requires_grad_()
    f(x).sum().backward()
    return x.grad.clone()


CURVE_CALL = "derivative_curve(f, x_values) with f(x) = x³ + 2x"  # the first case's call


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            lambda f, x_values: 3 * x_values**2 + 2,  # the formula, typed in
            f"{CURVE_CALL} never called f. The check hands over other functions than x³ + 2x, "
            "so no formula typed in can be right for all of them: compute f on the points and "
            "let autograd differentiate it.",
        ),
        (
            curve_by_finite_differences,
            f"{CURVE_CALL} called f, but never on a tensor that requires grad, so autograd did "
            "not compute the derivatives. Give f a copy of x_values that requires grad, then "
            "call backward(). Stuck? hint(derivative_curve)",
        ),
        (
            curve_with_a_loop,
            f"{CURVE_CALL}: the derivatives are right, but f was called more than once (once "
            "per point?). The exercise asks for the whole curve from one call of f on all the "
            "points and one backward(). Stuck? hint(derivative_curve)",
        ),
        (
            curve_looking_at_f_first,
            f"{CURVE_CALL}: the derivatives are right, but f was called more than once (once "
            "per point?). The exercise asks for the whole curve from one call of f on all the "
            "points and one backward(). Stuck? hint(derivative_curve)",
        ),
        (
            curve_without_the_sum,
            f"{CURVE_CALL} raised RuntimeError: grad can be implicitly created only for scalar "
            "outputs. Fix the error and check again. Stuck? hint(derivative_curve)",
        ),
        (
            curve_that_accumulates,
            f"calling {CURVE_CALL} twice gave two different answers: the gradient is "
            "accumulating from one call to the next. Start from a fresh copy of x_values on "
            "each call.",
        ),
        (
            lambda f, x_values: f(x_values.clone().requires_grad_()),
            f"{CURVE_CALL}: not every value is the derivative of f at its point. "
            "Stuck? hint(derivative_curve)",
        ),
        (
            lambda f, x_values: [1.0, 2.0],
            f"{CURVE_CALL} returned [1.0, 2.0]; return one derivative per point: a tensor with "
            "the shape of x_values (x.grad has it).",
        ),
    ],
)
def test_derivative_curve_wrong_answers(answer, message, capsys):
    told(answer, DERIVATIVE_CURVE, capsys, message)


def test_derivative_curve_names_the_formula_for_the_first_function(capsys):
    def formula_but_calls_f(f, x_values):
        f(x_values.clone().requires_grad_())  # calls f, then ignores it
        return 3 * x_values**2 + 2

    fails(formula_but_calls_f, DERIVATIVE_CURVE, capsys, "derivative of x³ + 2x, but this f")


def test_derivative_curve_accepts_backward_with_ones(capsys):
    def with_ones(f, x_values):
        x = x_values.detach().clone().requires_grad_(True)
        y = f(x)
        y.backward(torch.ones_like(y))
        return x.grad.tolist()

    passes(with_ones, DERIVATIVE_CURVE, capsys)


# ---------------------------------------------------------------- 02: branches per entry


@pytest.mark.parametrize("case", BRANCHY_TOTAL.cases)
def test_branchy_total_reference_matches_the_branches_by_hand(case):
    (points,) = case
    total, gradient = BRANCHY_TOTAL.reference(points)
    assert total == pytest.approx(sum(p**2 if p > 0 else -3 * p for p in points))
    assert gradient == pytest.approx([2 * p if p > 0 else -3.0 for p in points])


def branchy(x):
    if x > 0:
        return x**2
    return -3 * x


def branchy_on_the_whole_vector(x):
    return branchy(x).sum()


def branchy_from_numbers(x):
    return torch.tensor(sum(branchy(entry).item() for entry in x))


def branchy_one_branch_detached(x):
    return sum(entry**2 if entry > 0 else -3 * entry.detach() for entry in x)


def branchy_changing_x(x):
    with torch.no_grad():
        x.clamp_(min=0.0)  # "negative entries do not count": the learner's x is changed
    return sum(branchy(entry) for entry in x)


def branchy_as_an_integer_tensor(x):
    return torch.tensor(7)


def branchy_gradient_by_hand(x):  # the formula typed in: the gradient, not a total
    return torch.tensor([2 * v if v > 0 else -3.0 for v in x.tolist()])


BRANCHY_CALL = "branchy_total(torch.tensor([2.0, -1.0, 0.5], requires_grad=True))"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            branchy_on_the_whole_vector,
            f"{BRANCHY_CALL} raised RuntimeError: Boolean value of Tensor with more than one "
            "value is ambiguous. An `if` needs one True or False, but x holds several entries: "
            "apply the rule to one entry at a time (for entry in x: ...). "
            "Stuck? hint(branchy_total)",
        ),
        (
            branchy_from_numbers,
            f"{BRANCHY_CALL}: the total is right, but autograd has no graph for it (no "
            "grad_fn), so it cannot be differentiated. torch.tensor(...), float(...) or .item() "
            "copy numbers out of the graph: build the total from x's entries with tensor "
            "operations (+, *, torch.stack).",
        ),
        (
            branchy_one_branch_detached,
            f"{BRANCHY_CALL}: the total is right, but its gradient with respect to some "
            "entries is not: is every branch computed from the entry itself (not from .item(), "
            ".detach() or a new tensor)?",
        ),
        (
            branchy_gradient_by_hand,
            f"{BRANCHY_CALL} returned a tensor of shape (3,) and dtype torch.float32; return "
            "one real number, the sum over all entries.",
        ),
        (
            lambda x: (x**2).sum(),
            f"{BRANCHY_CALL}: the total is not Σ branchy(xᵢ). Stuck? hint(branchy_total)",
        ),
        (
            lambda x: sum(branchy(e) for e in x).item(),  # 4 + 3 + 0.25
            f"{BRANCHY_CALL} returned 7.25, not a tensor. Autograd differentiates tensors: "
            "return the total as a tensor (without .item()).",
        ),
        (
            lambda x: sum(branchy(e) for e in x.detach()) + 0 * torch.ones((), requires_grad=True),
            f"{BRANCHY_CALL}: the total has a graph, but it does not lead back to x (after "
            "backward(), x.grad is None). Compute it from x itself, not from a copy or "
            "x.detach().",
        ),
        (
            branchy_changing_x,
            f"{BRANCHY_CALL} changed x. The total only reads it.",
        ),
        (
            branchy_as_an_integer_tensor,
            f"{BRANCHY_CALL} returned a tensor of shape () and dtype torch.int64; return one "
            "real number, the sum over all entries.",
        ),
    ],
)
def test_branchy_total_wrong_answers(answer, message, capsys):
    told(answer, BRANCHY_TOTAL, capsys, message)


def branchy_total_differentiated_already(x):
    total = sum(branchy(entry) for entry in x)
    total.backward()  # the check's own backward() then finds the graph freed
    return total


def test_branchy_total_that_cannot_be_differentiated_again_is_told_why(capsys):
    text = fails(branchy_total_differentiated_already, BRANCHY_TOTAL, capsys)
    assert text.startswith(
        f"{NOT_YET}: {BRANCHY_CALL} raised RuntimeError: Trying to backward through the graph "
        "a second time"
    ), text
    assert text.endswith("Fix the error and check again. Stuck? hint(branchy_total)"), text


def test_branchy_total_accepts_torch_where(capsys):
    passes(lambda x: torch.where(x > 0, x**2, -3 * x).sum(), BRANCHY_TOTAL, capsys)


# ---------------------------------------------------------- 03: unequal micro-batches


@pytest.mark.parametrize("case", UNEQUAL_MICRO_BATCHES.cases)
def test_micro_batch_reference_is_the_hand_derivative_of_the_mean_squared_error(case):
    sizes, w, b = case
    inputs, targets = micro_batch_data()
    xs, ys = inputs.tolist(), targets.tolist()
    residuals = [w * x + b - y for x, y in zip(xs, ys, strict=True)]
    by_hand = (
        sum(2 * r * x for r, x in zip(residuals, xs, strict=True)) / len(xs),
        sum(2 * r for r in residuals) / len(xs),
    )
    assert UNEQUAL_MICRO_BATCHES.reference(sizes, w, b) == pytest.approx(by_hand, rel=1e-10)


def mean_squared_error(weight, bias, x, y):
    return ((weight * x + bias - y) ** 2).mean()


def parts_weighted_equally(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        (mean_squared_error(weight, bias, x_part, y_part) / len(sizes)).backward()
    return weight.grad.item(), bias.grad.item()


def parts_unscaled(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        mean_squared_error(weight, bias, x_part, y_part).backward()
    return weight.grad.item(), bias.grad.item()


def parts_reset_between(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        weight.grad, bias.grad = None, None
        (mean_squared_error(weight, bias, x_part, y_part) * len(x_part) / len(inputs)).backward()
    return weight.grad.item(), bias.grad.item()


def full_batch_at_once(weight, bias, inputs, targets, sizes):
    mean_squared_error(weight, bias, inputs, targets).backward()
    return weight.grad.item(), bias.grad.item()


def micro_batch_formula(weight, bias, inputs, targets, sizes):  # the gradient typed in
    residuals = weight.detach() * inputs + bias.detach() - targets
    return (2 * residuals * inputs).mean().item(), (2 * residuals).mean().item()


def parts_each_taken_twice(weight, bias, inputs, targets, sizes):  # right, but 2 passes a part
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        share = len(x_part) / len(inputs)
        loss = mean_squared_error(weight, bias, x_part, y_part) * share
        (loss / 2).backward(retain_graph=True)
        (loss / 2).backward()
    return weight.grad.item(), bias.grad.item()


def full_batch_summed(weight, bias, inputs, targets, sizes):  # one backward(), and not the mean
    ((weight * inputs + bias - targets) ** 2).sum().backward()
    return weight.grad.item(), bias.grad.item()


def parts_weighted_by_the_square_of_their_share(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        share = len(x_part) / len(inputs)
        (mean_squared_error(weight, bias, x_part, y_part) * share**2).backward()
    return weight.grad.item(), bias.grad.item()


def parts_with_an_update(weight, bias, inputs, targets, sizes):
    gradients = model_solution(UNEQUAL_MICRO_BATCHES)(weight, bias, inputs, targets, sizes)
    with torch.no_grad():
        bias -= 0.1 * bias.grad  # an optimizer's step: not the exercise
    return gradients


def parts_returning_the_gradient_tensors(weight, bias, inputs, targets, sizes):
    model_solution(UNEQUAL_MICRO_BATCHES)(weight, bias, inputs, targets, sizes)
    return weight.grad, bias.grad


def parts_averaged_in_grad_at_the_end(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        mean_squared_error(weight, bias, x_part, y_part).backward()
    with torch.no_grad():  # the mean of the parts' gradients: every part weighs the same
        weight.grad /= len(sizes)
        bias.grad /= len(sizes)
    return weight.grad.item(), bias.grad.item()


def parts_with_the_bias_left_out(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        share = len(x_part) / len(inputs)
        (mean_squared_error(weight, bias.detach(), x_part, y_part) * share).backward()
    return weight.grad.item(), 0.0


def parts_returning_zeros(weight, bias, inputs, targets, sizes):
    model_solution(UNEQUAL_MICRO_BATCHES)(weight, bias, inputs, targets, sizes)
    return 0.0, 0.0  # not what .grad holds


MICRO_CALL = "accumulate_unequal_parts(weight, bias, inputs, targets, sizes=[2, 6])"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            parts_weighted_equally,
            f"{MICRO_CALL}: every part weighs the same, but the parts have different sizes, so "
            "a part of 2 examples counts as much as a part of 6. "
            "Stuck? hint(accumulate_unequal_parts)",
        ),
        (
            parts_unscaled,
            f"{MICRO_CALL}: each part adds its full mean, so the sum is too large. Scale each "
            "part's loss. Stuck? hint(accumulate_unequal_parts)",
        ),
        (
            parts_reset_between,
            f"{MICRO_CALL}: only the last part's gradient remains. Let the gradients add up in "
            ".grad: do not reset them between the parts.",
        ),
        (
            full_batch_at_once,
            f"{MICRO_CALL}: the gradient is right, but it came from one backward(). The "
            "exercise is to accumulate it part by part, one backward() per part (as when the "
            "full batch does not fit in memory).",
        ),
        (
            micro_batch_formula,
            f"{MICRO_CALL}: after it, weight.grad or bias.grad is None. Call backward() on each "
            "part's loss, computed with the weight and bias you are given.",
        ),
        (
            parts_each_taken_twice,
            f"{MICRO_CALL}: backward() reached the weight a number of times different from the "
            "number of parts. Call backward() once for each part.",
        ),
        (
            full_batch_summed,
            f"{MICRO_CALL}: backward() reached the weight a number of times different from the "
            "number of parts. Call backward() once for each part.",
        ),
        (
            parts_weighted_by_the_square_of_their_share,
            f"{MICRO_CALL}: the accumulated gradient is not the full batch's. "
            "Stuck? hint(accumulate_unequal_parts)",
        ),
        (
            parts_averaged_in_grad_at_the_end,
            f"{MICRO_CALL}: every part weighs the same, but the parts have different sizes, so "
            "a part of 2 examples counts as much as a part of 6. "
            "Stuck? hint(accumulate_unequal_parts)",
        ),
        (
            parts_with_the_bias_left_out,
            f"{MICRO_CALL}: after it, weight.grad or bias.grad is None. Call backward() on each "
            "part's loss, computed with the weight and bias you are given.",
        ),
        (
            parts_with_an_update,
            f"{MICRO_CALL} changed the weight or the bias. Only accumulate their gradients; "
            "updating them is the optimizer's job.",
        ),
        (
            parts_returning_the_gradient_tensors,
            f"{MICRO_CALL} returned a tensor as part of its answer; the exercise asks for a "
            "tuple of 2 Python floats. Turn a one-element tensor into a float with .item(), "
            "e.g. x.grad.item().",
        ),
        (
            parts_returning_zeros,
            f"{MICRO_CALL} returned (0, 0), which is not what weight.grad and bias.grad hold "
            "afterwards. Return (weight.grad.item(), bias.grad.item()).",
        ),
    ],
)
def test_micro_batch_wrong_answers(answer, message, capsys):
    told(answer, UNEQUAL_MICRO_BATCHES, capsys, message)


def parts_shared_as_in_the_first_split(weight, bias, inputs, targets, sizes):
    # the shares of the split [2, 6], written in: right for that split only
    for share, x_part, y_part in zip(
        (0.25, 0.75), inputs.split(sizes), targets.split(sizes), strict=False
    ):
        (mean_squared_error(weight, bias, x_part, y_part) * share).backward()
    return weight.grad.item(), bias.grad.item()


def test_micro_batch_check_tries_every_split_not_only_the_first(capsys):
    told(
        parts_shared_as_in_the_first_split,
        UNEQUAL_MICRO_BATCHES,
        capsys,
        "accumulate_unequal_parts(weight, bias, inputs, targets, sizes=[1, 3, 4]): "
        "backward() reached the weight a number of times different from the number of "
        "parts. Call backward() once for each part.",
    )


# ------------------------------------------------------------------- 04: freezing


@pytest.mark.parametrize("case", FINE_TUNE.cases)
def test_fine_tune_reference_names_exactly_the_last_layer_unless_no_step(case):
    layers, seed, steps = case
    last = 2 * (layers - 1)  # Linear, Tanh, Linear, ...: the last Linear's index
    expected = [] if steps == 0 else [f"{last}.bias", f"{last}.weight"]
    model = fine_tune_model(layers, seed)
    assert _fine_tune_last_layer(model, *fine_tune_data(seed), steps) == expected
    frozen = [p for name, p in model.named_parameters() if not name.startswith(f"{last}.")]
    assert frozen and all(not p.requires_grad and p.grad is None for p in frozen)
    assert all(p.requires_grad for p in model[-1].parameters())
    last_layer = torch.cat([p.detach().flatten() for p in model[-1].parameters()]).tolist()
    assert FINE_TUNE.reference(layers, seed, steps) == pytest.approx(last_layer)


def test_fine_tune_reference_moves_the_last_layer_as_hand_written_gradient_descent():
    model = fine_tune_model(2, 0)
    inputs, targets = fine_tune_data(0)
    hidden = torch.tanh(model[0](inputs)).detach()
    weight, bias = model[2].weight.detach().clone(), model[2].bias.detach().clone()
    for _ in range(5):  # by hand: d/dW mean((hW + b - y)²) = 2/n · residualᵀ h
        residual = hidden @ weight.T + bias - targets
        weight_gradient = 2 * residual.T @ hidden / residual.numel()
        bias_gradient = 2 * residual.sum(0) / residual.numel()
        weight, bias = weight - 0.1 * weight_gradient, bias - 0.1 * bias_gradient
    _fine_tune_last_layer(model, inputs, targets, 5)
    assert torch.allclose(model[2].weight, weight, atol=1e-6)
    assert torch.allclose(model[2].bias, bias, atol=1e-6)


def fine_tune_without_freezing(model, inputs, targets, steps):
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for _ in range(steps):
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter -= 0.1 * parameter.grad
                parameter.grad = None
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


def fine_tune_updating_only_the_last_layer(model, inputs, targets, steps):
    # does not move the rest, but autograd still computes its gradients
    for _ in range(steps):
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        with torch.no_grad():
            for parameter in model[-1].parameters():
                parameter -= 0.1 * parameter.grad
                parameter.grad = None
    return ["2.bias", "2.weight"]


def fine_tune_naming_what_requires_grad(model, inputs, targets, steps):
    solution = model_solution(FINE_TUNE)
    solution(model, inputs, targets, steps)
    return [n for n, p in model.named_parameters() if p.requires_grad]


def fine_tune_with_hard_coded_names(model, inputs, targets, steps):  # the "formula"
    solution = model_solution(FINE_TUNE)
    solution(model, inputs, targets, steps)
    return ["2.bias", "2.weight"]


def fine_tune_with_half_the_learning_rate(model, inputs, targets, steps):
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for parameter in model[-1].parameters():
        parameter.requires_grad_(True)
    for _ in range(steps):
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        with torch.no_grad():
            for parameter in model[-1].parameters():
                parameter -= 0.05 * parameter.grad
                parameter.grad = None
    return [f"{len(model) - 1}.bias", f"{len(model) - 1}.weight"]


def fine_tune_counting_the_names(model, inputs, targets, steps):
    return len(model_solution(FINE_TUNE)(model, inputs, targets, steps))


def fine_tune_adding_a_scale(model, inputs, targets, steps):
    names = model_solution(FINE_TUNE)(model, inputs, targets, steps)
    model[-1].scale = torch.nn.Parameter(torch.ones(()))  # a new parameter of the last layer
    return names


FINE_TUNE_CALL = "fine_tune_last_layer(model, inputs, targets, steps=5)"  # the first case


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            fine_tune_without_freezing,
            f"{FINE_TUNE_CALL} changed 0.bias, which is not in the last layer. Freeze every "
            "parameter outside model[-1] before training.",
        ),
        (
            fine_tune_updating_only_the_last_layer,
            f"{FINE_TUNE_CALL}: 0.bias did not move, but autograd still computed its gradient "
            "(its .grad is set). Freezing means requires_grad_(False), so that backward() does "
            "not compute gradients nobody will use.",
        ),
        (
            fine_tune_naming_what_requires_grad,  # the third case takes 0 steps
            "fine_tune_last_layer(model, inputs, targets, steps=0): with 0 steps nothing can "
            "move, yet it names '2.weight'. Find the moved parameters by comparing each one's "
            "values before and after training, not by which ones require grad.",
        ),
        (
            fine_tune_with_hard_coded_names,  # the second case has three layers: 4.weight, ...
            "fine_tune_last_layer(model, inputs, targets, steps=3): the names returned are not "
            "those of the parameters whose values changed. Keep a copy of each parameter before "
            "training (p.detach().clone()) and compare afterwards with torch.equal.",
        ),
        (
            fine_tune_with_half_the_learning_rate,
            f"{FINE_TUNE_CALL}: the last layer did not end where 5 steps of gradient descent "
            "(learning rate 0.1) on the mean squared error take it. "
            "Stuck? hint(fine_tune_last_layer)",
        ),
        (
            fine_tune_counting_the_names,
            f"{FINE_TUNE_CALL} returned 2; return a list of parameter names (the names "
            "model.named_parameters() gives, like '0.weight').",
        ),
        (
            fine_tune_adding_a_scale,
            f"{FINE_TUNE_CALL} added or removed parameters of the model.",
        ),
    ],
)
def test_fine_tune_wrong_answers(answer, message, capsys):
    told(answer, FINE_TUNE, capsys, message)


# ----------------------------------------------------------- 05: per-example gradients


def hand_per_example(name, weight, inputs, targets):
    rows = []
    for x, y in zip(inputs.double(), targets.double(), strict=True):
        z = float(x @ weight.double())
        if name.startswith("squared"):
            factor = 2 * (z - float(y))
        elif name.startswith("absolute"):
            factor = math.copysign(1.0, z - float(y))
        else:  # d/dz log(1 + e^(−yz)) = −y σ(−yz)
            factor = -float(y) / (1 + math.exp(float(y) * z))
        rows.append([factor * float(v) for v in x])
    return rows


@pytest.mark.parametrize("case", PER_EXAMPLE.cases, ids=lambda c: str(c[0])[:8])
def test_per_example_reference_is_the_hand_derivative(case):
    name, seed = case
    weight, inputs, targets = per_example_data(seed)
    expected = hand_per_example(name, weight, inputs, targets)
    flat = [value for row in expected for value in row]
    assert PER_EXAMPLE.reference(name, seed) == pytest.approx(flat)


def per_example_summed(loss_fn, weight, inputs, targets):
    w = weight.clone().requires_grad_()
    loss_fn(w, inputs, targets).sum().backward()
    return w.grad


def per_example_accumulating(loss_fn, weight, inputs, targets):
    w = weight.clone().requires_grad_()
    rows = []
    for i in range(len(inputs)):
        loss_fn(w, inputs[i : i + 1], targets[i : i + 1]).sum().backward()
        rows.append(w.grad.clone())
    return torch.stack(rows)


def per_example_squared_error_formula(loss_fn, weight, inputs, targets):
    residuals = inputs @ weight - targets
    return 2 * residuals.unsqueeze(1) * inputs


def per_example_changing_the_weight(loss_fn, weight, inputs, targets):
    weight.requires_grad_()
    return torch.stack(
        [
            torch.autograd.grad(loss_fn(weight, x[None], y[None]).sum(), weight)[0]
            for x, y in zip(inputs, targets, strict=True)
        ]
    )


def per_example_divided_by_the_batch_size(loss_fn, weight, inputs, targets):
    # as if each example's loss were its share of the batch's mean
    solution = model_solution(PER_EXAMPLE)
    return solution(loss_fn, weight, inputs, targets) / len(inputs)


def per_example_by_finite_differences(loss_fn, weight, inputs, targets):
    step = 1e-3
    rows = []
    for i in range(len(inputs)):
        row = []
        for j in range(len(weight)):
            shift = torch.zeros_like(weight)
            shift[j] = step
            up = loss_fn(weight + shift, inputs[i : i + 1], targets[i : i + 1]).sum()
            down = loss_fn(weight - shift, inputs[i : i + 1], targets[i : i + 1]).sum()
            row.append(((up - down) / (2 * step)).item())
        rows.append(row)
    return rows


PER_EXAMPLE_CALL = (
    "per_example_gradients(loss_fn, weight, inputs, targets) with the squared error (xᵢ·w − yᵢ)²"
)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            per_example_summed,
            f"{PER_EXAMPLE_CALL} returned one gradient for the whole batch: the sum of the "
            "examples' gradients. backward() adds up what flows into weight, so one backward() "
            "cannot keep the examples apart: take one per example.",
        ),
        (
            per_example_accumulating,
            f"{PER_EXAMPLE_CALL}: each row includes the gradients of the examples before it: "
            "the gradient is accumulating. Start each example from a fresh copy of the weight, "
            "or reset .grad.",
        ),
        (
            per_example_squared_error_formula,
            f"{PER_EXAMPLE_CALL} never called loss_fn. The check passes several losses, so a "
            "formula for one of them cannot be right for all: differentiate loss_fn with "
            "autograd.",
        ),
        (
            per_example_changing_the_weight,
            f"{PER_EXAMPLE_CALL} changed the weight it was given (it now requires grad or has "
            "a .grad). Work on a copy: weight.clone().requires_grad_().",
        ),
        (
            per_example_divided_by_the_batch_size,
            f"{PER_EXAMPLE_CALL}: not every row is the gradient of that example's loss. "
            "Stuck? hint(per_example_gradients)",
        ),
        (
            per_example_by_finite_differences,
            f"{PER_EXAMPLE_CALL} never gave loss_fn a weight that requires grad, so autograd "
            "did not compute these gradients. Stuck? hint(per_example_gradients)",
        ),
        (
            lambda loss_fn, weight, inputs, targets: [1.0, 2.0],
            f"{PER_EXAMPLE_CALL} returned [1.0, 2.0]; return a tensor of shape (examples, "
            "weights): one row per example, each the gradient of that example's loss.",
        ),
    ],
)
def test_per_example_wrong_answers(answer, message, capsys):
    told(answer, PER_EXAMPLE, capsys, message)


@pytest.mark.parametrize(
    "answer",
    [  # as many zeros as a right answer has, in the wrong shape: none is one row per example
        torch.zeros(12),
        torch.zeros(4, 3, 1),
        [[0.0, 0.0, 0.0]] * 3,
        [[0.0, 0.0]] * 6,
        [[0.0, 0.0, 0.0]] * 3 + [[0.0, 0.0]],
    ],
    ids=["flat", "three dimensions", "three rows", "six rows of two", "short row"],
)
def test_per_example_asks_for_one_row_per_example(answer, capsys):
    fails(
        lambda *args: answer, PER_EXAMPLE, capsys, "; return a tensor of shape (examples, weights)"
    )


def test_per_example_accepts_a_list_of_rows(capsys):
    def as_lists(loss_fn, weight, inputs, targets):
        return model_solution(PER_EXAMPLE)(loss_fn, weight, inputs, targets).tolist()

    passes(as_lists, PER_EXAMPLE, capsys)


def test_per_example_accepts_the_jacobian(capsys):
    def with_jacobian(loss_fn, weight, inputs, targets):
        return torch.autograd.functional.jacobian(lambda w: loss_fn(w, inputs, targets), weight)

    passes(with_jacobian, PER_EXAMPLE, capsys)


def test_the_losses_the_check_passes_differ_so_one_formula_cannot_fit_all():
    weight, inputs, targets = per_example_data(0)
    values = [loss(weight, inputs, targets) for loss in PER_EXAMPLE_LOSSES.values()]
    assert not torch.allclose(values[0], values[1]) and not torch.allclose(values[1], values[2])


# ------------------------------------------------------ 06: mini-batches and validation


def test_validation_reference_falls_and_matches_a_hand_written_loop():
    model, _, _, (x_train, y_train), (x_valid, y_valid) = validation_setup()
    w, b = model.weight.item(), model.bias.item()
    xs, ys = x_train.flatten().tolist(), y_train.flatten().tolist()
    losses = []
    for _ in range(3):
        for start in range(0, len(xs), 5):  # plain gradient descent on each batch, by hand
            batch = list(zip(xs[start : start + 5], ys[start : start + 5], strict=True))
            dw = sum(2 * (w * x + b - y) * x for x, y in batch) / len(batch)
            db = sum(2 * (w * x + b - y) for x, y in batch) / len(batch)
            w, b = w - 0.1 * dw, b - 0.1 * db
        pairs = zip(x_valid.flatten().tolist(), y_valid.flatten().tolist(), strict=True)
        losses.append(sum((w * x + b - y) ** 2 for x, y in pairs) / len(x_valid))
    reference = TRAIN_AND_VALIDATE.reference(5, 3)
    assert reference == pytest.approx(losses, rel=1e-4)
    assert reference[0] > reference[-1]


def validation_with_gradients(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    x_train, y_train = training
    losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            optimizer.zero_grad()
            loss_fn(
                model(x_train[start : start + batch_size]), y_train[start : start + batch_size]
            ).backward()
            optimizer.step()
        losses.append(loss_fn(model(validation[0]), validation[1]).item())  # no no_grad
    return losses


def full_batch_training(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss_fn(model(training[0]), training[1]).backward()
        optimizer.step()
        with torch.no_grad():
            losses.append(loss_fn(model(validation[0]), validation[1]).item())
    return losses


def training_losses_returned(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    x_train, y_train = training
    losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            optimizer.zero_grad()
            loss = loss_fn(
                model(x_train[start : start + batch_size]), y_train[start : start + batch_size]
            )
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            model(validation[0])
        losses.append(loss.item())
    return losses


def no_zero_grad(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    x_train, y_train = training
    losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            loss_fn(
                model(x_train[start : start + batch_size]), y_train[start : start + batch_size]
            ).backward()
            optimizer.step()
        with torch.no_grad():
            losses.append(loss_fn(model(validation[0]), validation[1]).item())
    return losses


def validation_in_tracked_mini_batches(
    model, optimizer, loss_fn, training, validation, batch_size, epochs
):
    x_train, y_train = training
    x_valid, y_valid = validation
    losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            optimizer.zero_grad()
            loss = loss_fn(
                model(x_train[start : start + batch_size]), y_train[start : start + batch_size]
            )
            loss.backward()
            optimizer.step()
        parts = [  # the validation set in mini-batches too, and with gradient tracking on
            loss_fn(model(x_valid[start : start + batch_size]), y_valid[start : start + batch_size])
            for start in range(0, len(x_valid), batch_size)
        ]
        losses.append(sum(part.item() for part in parts) / len(parts))
    return losses


def training_from_the_last_mini_batch(
    model, optimizer, loss_fn, training, validation, batch_size, epochs
):
    x_train, y_train = training
    losses = []
    for _ in range(epochs):
        for start in reversed(range(0, len(x_train), batch_size)):  # not in order
            optimizer.zero_grad()
            loss = loss_fn(
                model(x_train[start : start + batch_size]), y_train[start : start + batch_size]
            )
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            losses.append(loss_fn(model(validation[0]), validation[1]).item())
    return losses


def training_with_a_huge_loss(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    x_train, y_train = training
    losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            optimizer.zero_grad()
            loss = loss_fn(
                model(x_train[start : start + batch_size]), y_train[start : start + batch_size]
            )
            (1e30 * loss).backward()  # steps far too large: the parameters overflow
            optimizer.step()
        with torch.no_grad():
            losses.append(loss_fn(model(validation[0]), validation[1]).item())
    return losses


def validation_losses_counted(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    solution = model_solution(TRAIN_AND_VALIDATE)
    return len(solution(model, optimizer, loss_fn, training, validation, batch_size, epochs))


TRAIN_CALL = (  # the first case
    "train_and_validate(model, optimizer, loss_fn, training, validation, batch_size=5, epochs=3)"
)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            validation_with_gradients,
            f"{TRAIN_CALL}: the model ran on validation examples with gradient tracking on, so "
            "autograd recorded a graph nobody uses (and the validation data could leak into an "
            "update). Run the validation pass inside `with torch.no_grad():`.",
        ),
        (
            full_batch_training,
            f"{TRAIN_CALL} gave the model more than batch_size training examples at once. Go "
            "through the training data in mini-batches: x[start : start + batch_size].",
        ),
        (
            training_losses_returned,
            f"{TRAIN_CALL}: the model trains right, but the list is not the validation loss "
            "after each epoch (the loss on the whole validation set, computed once per epoch "
            "after its updates).",
        ),
        (
            no_zero_grad,
            f"{TRAIN_CALL}: the model did not end where training in order, one optimizer step "
            "per mini-batch (zero_grad, forward, loss, backward, step), takes it. "
            "Stuck? hint(train_and_validate)",
        ),
        (
            lambda *args: [0.5] * args[-1],
            f"{TRAIN_CALL} never ran the model on the validation inputs. After each epoch, "
            "compute the loss on the whole validation set.",
        ),
        (
            validation_in_tracked_mini_batches,
            f"{TRAIN_CALL}: the model ran on validation examples with gradient tracking on, so "
            "autograd recorded a graph nobody uses (and the validation data could leak into an "
            "update). Run the validation pass inside `with torch.no_grad():`.",
        ),
        (
            training_from_the_last_mini_batch,
            f"{TRAIN_CALL}: the model did not end where training in order, one optimizer step "
            "per mini-batch (zero_grad, forward, loss, backward, step), takes it. "
            "Stuck? hint(train_and_validate)",
        ),
        (
            training_with_a_huge_loss,
            f"{TRAIN_CALL}: the parameters became inf or nan: training blew up.",
        ),
        (
            validation_losses_counted,
            f"{TRAIN_CALL} returned 3; return a list with one validation loss per epoch, as "
            "Python floats.",
        ),
    ],
)
def test_train_and_validate_wrong_answers(answer, message, capsys):
    told(answer, TRAIN_AND_VALIDATE, capsys, message)


# ---------------------------------------------------------- 07: the input gradient


@pytest.mark.parametrize("case", INPUT_GRADIENT.cases)
def test_input_gradient_reference_is_a_finite_difference(case):
    (values,) = case
    model = saliency_model().double()
    expected = INPUT_GRADIENT.reference(values)
    for i in range(len(values)):

        def along_i(t, i=i):
            x = torch.tensor(values, dtype=torch.float64)
            x[i] = t
            return model(x).sum()

        assert finite_difference(along_i, values[i]) == pytest.approx(expected[i], rel=1e-6)


def broken_input_gradient(model, values):
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True).float()
    model(x).sum().backward()
    return x.grad


def input_gradient_of_the_weights(model, values):
    x = torch.tensor(values)
    model(x).sum().backward()
    return model[0].weight.grad.sum(0)


def input_gradient_linear_formula(model, values):  # ignores the tanh: a formula typed in
    return (model[2].weight @ model[0].weight).flatten().detach()


def input_gradient_after_a_step(model, values):
    x = torch.tensor(values, requires_grad=True)
    model(x).sum().backward()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter -= 0.1 * parameter.grad  # a training step: not asked for
    return x.grad


def input_gradient_returning_the_output(model, values):
    x = torch.tensor(values, requires_grad=True)
    output = model(x).sum()
    output.backward()
    return output


INPUT_CALL = "input_gradient(model, [0.5, -1.0, 2.0])"  # the first case
NOT_THE_INPUT_GRADIENT = (
    f"{INPUT_CALL}: this is not the gradient of the model's output with respect to its input. "
    "Stuck? hint(input_gradient)"
)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            broken_input_gradient,
            f"{INPUT_CALL} returned None. If you are not done yet, that is fine. Otherwise, "
            "check that the function ends with a return statement, and that you read .grad "
            "after calling backward() (before it, .grad is None).",
        ),
        (input_gradient_of_the_weights, NOT_THE_INPUT_GRADIENT),
        (input_gradient_linear_formula, NOT_THE_INPUT_GRADIENT),
        (
            input_gradient_after_a_step,
            f"{INPUT_CALL} changed the model's weights. It should only read them.",
        ),
    ],
)
def test_input_gradient_wrong_answers(answer, message, capsys):
    with pytest.warns(UserWarning) if answer is broken_input_gradient else _nothing():
        told(answer, INPUT_GRADIENT, capsys, message)


def test_input_gradient_asks_for_one_number_per_input(capsys):
    text = fails(input_gradient_returning_the_output, INPUT_GRADIENT, capsys)
    assert re.fullmatch(
        rf"{NOT_YET}: {re.escape(INPUT_CALL)} returned tensor\(-?\d+\.\d+, "
        r"grad_fn=<SumBackward0>\); return the gradient with respect to the input: one number "
        r"per input value \(a tensor like x\.grad\)\.",
        text,
    ), text


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------- 08: the tiny engine


def test_the_engine_source_is_the_notebooks_engine():
    cells = json.loads((NOTEBOOKS / "08_going_further.ipynb").read_text("utf-8"))["cells"]
    engine = next(
        "".join(c["source"]) for c in cells if "".join(c["source"]).startswith("class Value")
    )
    assert engine.strip() == ENGINE_SOURCE.strip()


@pytest.mark.parametrize("exercise", [ENGINE_TANH, ENGINE_EXP], ids=["tanh", "exp"])
@pytest.mark.parametrize("case", ENGINE_CASES, ids=lambda c: str(c[0]))
def test_engine_references_are_finite_differences(exercise, case):
    expression, a, b = case
    value, a_grad, b_grad = exercise.reference(expression, a, b)
    f = math.tanh if exercise is ENGINE_TANH else math.exp

    def by_hand(a, b):  # the expression in plain floats
        return {
            "op(u) + u with u = a · b": lambda: f(a * b) + a * b,
            "op(a).sin() · b": lambda: math.sin(f(a)) * b,
            "t · t + b with t = op(a)": lambda: f(a) ** 2 + b,
            "op(op(a) + b)": lambda: f(f(a) + b),
        }[expression]()

    assert value == pytest.approx(by_hand(a, b))
    assert a_grad == pytest.approx(finite_difference(lambda t: by_hand(float(t), b), a), rel=1e-6)
    assert b_grad == pytest.approx(finite_difference(lambda t: by_hand(a, float(t)), b), rel=1e-6)


@pytest.mark.parametrize("exercise", [ENGINE_TANH, ENGINE_EXP], ids=["tanh", "exp"])
@pytest.mark.parametrize("case", ENGINE_CASES, ids=lambda c: str(c[0]))
def test_engine_references_are_the_chain_rule_by_hand_in_float64(exercise, case):
    expression, a, b = case
    if exercise is ENGINE_TANH:
        f, slope = math.tanh, lambda x: 1 - math.tanh(x) ** 2
    else:
        f, slope = math.exp, math.exp
    by_hand = {  # (value, d/da, d/db), each by the chain rule
        "op(u) + u with u = a · b": (
            f(a * b) + a * b,
            (slope(a * b) + 1) * b,
            (slope(a * b) + 1) * a,
        ),
        "op(a).sin() · b": (math.sin(f(a)) * b, math.cos(f(a)) * slope(a) * b, math.sin(f(a))),
        "t · t + b with t = op(a)": (f(a) ** 2 + b, 2 * f(a) * slope(a), 1.0),
        "op(op(a) + b)": (f(f(a) + b), slope(f(a) + b) * slope(a), slope(f(a) + b)),
    }[expression]
    assert exercise.reference(expression, a, b) == pytest.approx(by_hand, rel=1e-12, abs=1e-15)
    built_now = _engine_reference(torch.tanh if exercise is ENGINE_TANH else torch.exp)
    assert built_now(expression, a, b) == pytest.approx(by_hand, rel=1e-12, abs=1e-15)


def tanh_with_assignment(node):  # = instead of +=: a node used twice loses a path
    Value = engine_class()
    result = Value(math.tanh(node.data), (node,))

    def backward_step():
        node.grad = (1 - result.data**2) * result.grad

    result.backward_step = backward_step
    return result


def tanh_with_the_wrong_derivative(node):
    Value = engine_class()
    result = Value(math.tanh(node.data), (node,))

    def backward_step():
        node.grad += (1 - node.data**2) * result.grad  # tanh' written with x, not tanh x

    result.backward_step = backward_step
    return result


def tanh_without_backward_step(node):
    Value = engine_class()
    return Value(math.tanh(node.data), (node,))


def tanh_computed_by_pytorch(node):  # a number, not a node of the engine
    return torch.tanh(torch.tensor(node.data)).item()


def exp_with_the_wrong_data(node):
    Value = engine_class()
    result = Value(math.exp(node.data) - 1, (node,))

    def backward_step():
        node.grad += math.exp(node.data) * result.grad

    result.backward_step = backward_step
    return result


def tanh_with_a_tensor_gradient(node):  # the local derivative from PyTorch, left a tensor
    Value = engine_class()
    result = Value(math.tanh(node.data), (node,))

    def backward_step():
        node.grad += (1 - torch.tanh(torch.tensor(node.data)) ** 2) * result.grad

    result.backward_step = backward_step
    return result


def tanh_on_the_notebooks_value(node):  # the model solution, on the check's copy of Value
    Value = engine_class()
    result = Value(math.tanh(node.data), (node,))

    def backward_step():
        node.grad += (1 - result.data**2) * result.grad

    result.backward_step = backward_step
    return result


def tanh_differentiating_the_node(node):
    Value = engine_class()
    result = Value(math.tanh(node.data), (node,))

    def backward_step():
        node.grad += (1 - math.tanh(node) ** 2) * result.grad  # the node, not node.data

    result.backward_step = backward_step
    return result


def test_engine_tanh_on_the_notebooks_value_class_passes(capsys):
    passes(tanh_on_the_notebooks_value, ENGINE_TANH, capsys)


def tanh_with_tensor_data(node):
    Value = engine_class()
    return Value(torch.tanh(torch.tensor(node.data)), (node,))


GRADIENTS_DIFFER = (
    "u) + u with u = a · b at a = 0.5, b = -1.5: the value matches PyTorch, but the gradients "
    "do not. The backward_step should add (the local derivative) × result.grad to the node's "
    "grad, with +=. Stuck? hint(engine_"
)


@pytest.mark.parametrize(
    ("exercise", "answer", "message"),
    [
        (ENGINE_TANH, tanh_with_assignment, f"engine_tanh({GRADIENTS_DIFFER}tanh)"),
        (ENGINE_TANH, tanh_with_the_wrong_derivative, f"engine_tanh({GRADIENTS_DIFFER}tanh)"),
        (ENGINE_TANH, tanh_without_backward_step, f"engine_tanh({GRADIENTS_DIFFER}tanh)"),
        (
            ENGINE_TANH,
            tanh_computed_by_pytorch,
            "engine_tanh(Value(0.5)) returned 0.462117; return a new Value, made from the "
            "node's data with the node as its parent, as sin() does.",
        ),
        (
            ENGINE_EXP,
            exp_with_the_wrong_data,
            "engine_exp(u) + u with u = a · b at a = 0.5, b = -1.5: the value (.data) differs "
            "from PyTorch's. Check the forward part: the new node's data.",
        ),
        (
            ENGINE_EXP,
            lambda node: node,
            "engine_exp(Value(0.5)) returned the node it was given. Return a new Value, made "
            "from the node's data with the node as its parent, as sin() does.",
        ),
        (
            ENGINE_TANH,
            tanh_with_a_tensor_gradient,
            "engine_tanh(u) + u with u = a · b at a = 0.5, b = -1.5: the output's .data and the "
            "inputs' .grad should be Python floats, as with the engine's other operations.",
        ),
        (
            ENGINE_TANH,
            tanh_differentiating_the_node,
            "engine_tanh(u) + u with u = a · b at a = 0.5, b = -1.5 raised TypeError: must be "
            "real number, not Value. Fix the error and check again. Stuck? hint(engine_tanh)",
        ),
        (
            ENGINE_TANH,
            tanh_with_tensor_data,
            "engine_tanh(Value(0.5)): the result's .data is tensor(0.4621); it should be a "
            "Python float, as in the engine's other operations (math has the function).",
        ),
    ],
)
def test_engine_wrong_answers(exercise, answer, message, capsys):
    told(answer, exercise, capsys, message)


def test_engine_asks_for_a_node_with_all_its_parts(capsys):
    Value = engine_class()
    for missing in ("data", "grad", "parents", "backward_step"):

        def without_one_part(node, missing=missing):
            result = Value(math.exp(node.data), (node,))
            delattr(result, missing)
            return result

        text = fails(without_one_part, ENGINE_EXP, capsys)
        assert text.startswith(f"{NOT_YET}: engine_exp(Value(0.5)) returned <"), text
        assert text.endswith(
            "; return a new Value, made from the node's data with the node as its parent, as "
            "sin() does."
        ), text


# ------------------------------------------------- what a learner sees when printing f


def test_derivative_curve_printing_f_shows_the_function_handed_over(capsys):
    def curve_printing_f(f, x_values):
        print(f)  # a learner looking at what the check passes
        return model_solution(DERIVATIVE_CURVE)(f, x_values)

    text = passes(curve_printing_f, DERIVATIVE_CURVE, capsys)
    names = [name for name, _ in DERIVATIVE_CURVE.cases]
    printed = [f"f(x) = {name}" for name in (names[0], *names)]  # the first case runs twice
    assert text.startswith("\n".join(printed) + "\n"), text


def test_per_example_printing_loss_fn_shows_the_loss_handed_over(capsys):
    def per_example_printing_the_loss(loss_fn, weight, inputs, targets):
        print(loss_fn)
        return model_solution(PER_EXAMPLE)(loss_fn, weight, inputs, targets)

    text = passes(per_example_printing_the_loss, PER_EXAMPLE, capsys)
    printed = [f"f(x) = {name}" for name, _ in PER_EXAMPLE.cases]
    assert text.startswith("\n".join(printed) + "\n"), text


def test_the_watched_function_counts_its_calls_and_those_autograd_sees():
    watched = Watched(torch.sin, "sin x")
    tracked = torch.tensor([0.5, 1.0], requires_grad=True)
    results = [
        watched(tracked),
        watched(tracked.detach()),
        watched(tracked),
        watched(0.5 * tracked),
    ]
    assert (watched.calls, watched.tracked_calls) == (4, 3)  # the detached copy is not tracked
    assert torch.equal(results[1], torch.sin(tracked.detach()))
    assert watched.description == "sin x" and repr(watched) == "f(x) = sin x"


# ------------------------------------------- the exercises' data, as their docstrings say


def test_micro_batch_data_is_eight_points_near_the_line_y_3x_plus_half():
    inputs, targets = micro_batch_data()
    again = micro_batch_data()
    assert torch.equal(inputs, again[0]) and torch.equal(targets, again[1])  # the same each call
    assert inputs.shape == targets.shape == (8,)
    assert inputs.dtype == targets.dtype == torch.float64
    assert len(set(inputs.tolist())) == 8  # eight different points
    residuals = (targets - (3 * inputs + 0.5)).abs()
    assert 0 < residuals.max() < 0.3  # near the line, not on it


@pytest.mark.parametrize("layers", [2, 3, 4])
def test_fine_tune_model_is_linear_layers_with_tanh_between_the_same_per_seed(layers):
    model = fine_tune_model(layers, 1)
    kinds = [type(module) for module in model]
    assert kinds == [torch.nn.Linear, torch.nn.Tanh] * (layers - 1) + [torch.nn.Linear]
    linears = [module for module in model if isinstance(module, torch.nn.Linear)]
    inputs, targets = fine_tune_data(1)
    assert linears[0].in_features == inputs.shape[1] and linears[-1].out_features == 1
    for before, after in zip(linears, linears[1:], strict=False):
        assert before.out_features == after.in_features
    assert model(inputs).shape == targets.shape

    def values(model):
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    assert torch.equal(values(fine_tune_model(layers, 1)), values(model))
    assert not torch.equal(values(fine_tune_model(layers, 2)), values(model))


def test_fine_tune_model_leaves_the_notebooks_random_numbers_as_they_were():
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(0)
        expected = torch.rand(3)
        torch.manual_seed(0)
        fine_tune_model(3, 1)
        assert torch.equal(torch.rand(3), expected)
    finally:
        torch.random.set_rng_state(state)


def test_fine_tune_data_is_six_examples_the_same_per_seed():
    inputs, targets = fine_tune_data(3)
    assert inputs.shape == (6, 2) and targets.shape == (6, 1)
    again = fine_tune_data(3)
    assert torch.equal(inputs, again[0]) and torch.equal(targets, again[1])
    other = fine_tune_data(4)
    assert not torch.equal(inputs, other[0]) and not torch.equal(targets, other[1])


def test_per_example_data_has_the_shapes_its_docstring_gives_the_same_per_seed():
    weight, inputs, targets = per_example_data(1)
    assert weight.shape == (3,) and inputs.shape == (4, 3) and targets.shape == (4,)
    assert sorted(set(targets.tolist())) == [-1.0, 1.0]
    again = per_example_data(1)
    assert all(torch.equal(a, b) for a, b in zip((weight, inputs, targets), again, strict=True))
    other = per_example_data(2)
    assert not torch.equal(weight, other[0]) and not torch.equal(inputs, other[1])


def test_validation_setup_is_the_same_each_call_and_keeps_validation_apart():
    first, second = validation_setup(), validation_setup()
    model, optimizer, loss_fn, (x_train, y_train), (x_valid, y_valid) = first
    assert isinstance(model, torch.nn.Linear) and isinstance(loss_fn, torch.nn.MSELoss)
    assert [p for group in optimizer.param_groups for p in group["params"]] == list(
        model.parameters()
    )
    for a, b in zip(first[3] + first[4], second[3] + second[4], strict=True):
        assert torch.equal(a, b)
    assert torch.equal(first[0].weight, second[0].weight)
    assert (len(x_train), len(y_train), len(x_valid), len(y_valid)) == (20, 20, 8, 8)
    assert not set(x_valid.flatten().tolist()) & set(x_train.flatten().tolist())


@pytest.mark.parametrize("case", TRAIN_AND_VALIDATE.cases)
def test_the_validation_loss_falls_epoch_after_epoch_as_the_praise_says(case):
    losses = TRAIN_AND_VALIDATE.reference(*case)
    assert len(losses) == case[1]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False))


def test_the_saliency_model_is_small_and_fixed():
    model = saliency_model()
    assert model[0].in_features == 3 and isinstance(model[1], torch.nn.Tanh)
    assert model(torch.zeros(3)).shape == (1,)
    again = saliency_model()
    assert all(
        torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters(), strict=True)
    )


FIRST_CALLS = {  # how each check's first call is shown to the learner
    "derivative_curve": CURVE_CALL,
    "branchy_total": BRANCHY_CALL,
    "accumulate_unequal_parts": MICRO_CALL,
    "fine_tune_last_layer": FINE_TUNE_CALL,
    "per_example_gradients": PER_EXAMPLE_CALL,
    "train_and_validate": TRAIN_CALL,
    "input_gradient": INPUT_CALL,
    "engine_tanh": "engine_tanh(Value(0.5))",
    "engine_exp": "engine_exp(Value(0.5))",
}


@pytest.mark.parametrize("exercise", TRANSFER, ids=[e.name for e in TRANSFER])
def test_an_error_in_the_answer_is_told_with_the_call_that_raised_it(exercise, capsys):
    def dividing_by_zero(*args):
        return 1 / 0

    told(
        dividing_by_zero,
        exercise,
        capsys,
        f"{FIRST_CALLS[exercise.name]} raised ZeroDivisionError: division by zero. Fix the error "
        f"and check again. Stuck? hint({exercise.name})",
    )
