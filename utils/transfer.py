"""Exercises that ask for transfer: each needs a notebook's idea in a setting it did not show.

They follow the conventions of ``utils.exercises``: a float64 reference, hints from gentle to
explicit, a model solution shown by ``solution()``, and a judge that calls the learner's code
only through ``call_safely`` and never shows an expected value.

Where an exercise asks for autograd, its judge makes a formula typed in by hand fail: the
check chooses the function to differentiate (so no formula can be prepared for it), or it
differentiates the learner's result itself, or it watches the function it hands over and
sees whether it was ever given a tensor that requires grad.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from utils.feedback import (
    Exercise,
    Feedback,
    Floats,
    call_safely,
    close,
    correct,
    float_list,
    hint_pointer,
    is_number,
    not_yet,
    show,
    validate_floats,
)


class Watched:
    """A function the check hands to the learner's code; it counts how it is called.

    Attributes:
        function: the function itself (tensor in, tensor out).
        description: how messages name it, e.g. ``"sin x"``.
        calls: how many times it was called.
        tracked_calls: how many of those calls had a tensor argument that requires grad.
    """

    def __init__(self, function: Callable, description: str) -> None:
        self.function = function
        self.description = description
        self.calls = 0
        self.tracked_calls = 0

    def __call__(self, *args):
        self.calls += 1
        if any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
            self.tracked_calls += 1
        return self.function(*args)

    def __repr__(self) -> str:
        return f"f(x) = {self.description}"


def _with_advice(problem: str, advice: str, when: str) -> str:
    """``problem`` with ``advice`` in place of "Fix the error" when it contains ``when``."""
    if when not in problem:
        return problem
    return problem.replace("Fix the error and check again.", advice)


# =============================================================== 01: a derivative curve

CURVE_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "x³ + 2x": lambda x: x**3 + 2 * x,
    "sin x": torch.sin,
    "x·e^(−x)": lambda x: x * torch.exp(-x),
    "tanh(2x) + x²": lambda x: torch.tanh(2 * x) + x**2,
}


def _derivative_curve(function_name: str, points: list[float]) -> list[float]:
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    CURVE_FUNCTIONS[function_name](x).sum().backward()
    return x.grad.tolist()


def _judge_derivative_curve(function: Callable, exercise: Exercise) -> Feedback:
    """Right derivatives of functions the check chooses, from one call of f that autograd saw."""
    first = exercise.cases[0]
    answers = []
    for function_name, points in (first, *exercise.cases):
        expected = exercise.reference(function_name, points)
        formula = [3 * p**2 + 2 for p in points]  # the derivative of x³ + 2x, typed in
        watched = Watched(CURVE_FUNCTIONS[function_name], function_name)
        x_values = torch.tensor(points)
        call = f"{exercise.name}(f, x_values) with f(x) = {function_name}"
        answer, problem = call_safely(function, exercise, (watched, x_values), call)
        if problem:
            return not_yet(problem)
        values = float_list(answer, len(points))
        if values is None:
            return not_yet(
                f"{call} returned {show(answer)}; return one derivative per point: a tensor "
                "with the shape of x_values (x.grad has it)."
            )
        if watched.calls == 0:
            return not_yet(
                f"{call} never called f. The check hands over other functions than x³ + 2x, "
                "so no formula typed in can be right for all of them: compute f on the points "
                "and let autograd differentiate it."
            )
        if watched.tracked_calls == 0:
            return not_yet(
                f"{call} called f, but never on a tensor that requires grad, so autograd did "
                "not compute the derivatives. Give f a copy of x_values that requires grad, "
                f"then call backward(). {hint_pointer(exercise)}"
            )
        answers.append(values)
        if len(answers) == 2 and close(tuple(answers[0]), tuple(expected)):
            if not close(tuple(answers[0]), tuple(answers[1])):
                return not_yet(
                    f"calling {call} twice gave two different answers: the gradient is "
                    "accumulating from one call to the next. Start from a fresh copy of "
                    "x_values on each call."
                )
        if not close(tuple(values), tuple(expected)):
            if close(tuple(values), tuple(formula)):
                return not_yet(
                    f"{call} returned the derivative of x³ + 2x, but this f is "
                    f"{function_name}. Differentiate the f you are given, with autograd."
                )
            return not_yet(
                f"{call}: not every value is the derivative of f at its point. "
                f"{hint_pointer(exercise)}"
            )
        if watched.calls > 1:
            return not_yet(
                f"{call}: the derivatives are right, but f was called more than once (once "
                "per point?). The exercise asks for the whole curve from one call of f on all "
                f"the points and one backward(). {hint_pointer(exercise)}"
            )
    return correct(exercise)


DERIVATIVE_CURVE = Exercise(
    name="derivative_curve",
    reference=_derivative_curve,
    cases=(
        ("x³ + 2x", [-2.0, -1.0, 0.0, 0.5, 1.5]),
        ("sin x", [-3.0, -1.0, 0.25, 2.0]),
        ("x·e^(−x)", [-1.0, 0.0, 1.0, 2.5, 4.0]),
        ("tanh(2x) + x²", [-1.5, -0.2, 0.3, 1.2]),
    ),
    hints=(
        "backward() starts from one number. Which single number has, as its derivative "
        "with respect to the point xᵢ, exactly f'(xᵢ)?",
        "The sum of f over all the points: each term depends on one point only, so "
        "∂/∂xᵢ Σⱼ f(xⱼ) = f'(xᵢ).",
        "Make x = x_values.clone().requires_grad_(), call f(x).sum().backward(), and "
        "return x.grad.",
    ),
    solution="""
def derivative_curve(f, x_values):
    x = x_values.clone().requires_grad_()
    f(x).sum().backward()
    return x.grad
""",
    praise="one call of f and one backward() gave the derivative at every point, for "
    "functions you had not seen: each f(xᵢ) depends on xᵢ alone, so the sum's gradient "
    "is the derivative curve.",
    judge=_judge_derivative_curve,
    notebook="01_requires_grad",
)


# ========================================================= 02: control flow on a vector


def _branchy(x: torch.Tensor) -> torch.Tensor:
    if x > 0:
        return x**2
    return -3 * x


def _branchy_total(points: list[float]) -> tuple[float, list[float]]:
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    total = sum(_branchy(entry) for entry in x)
    total.backward()
    return total.item(), x.grad.tolist()


def _backward(total: torch.Tensor) -> bool:
    """Differentiate the learner's total (a one-element tensor); True when done."""
    total.reshape(()).backward()
    return True


def _judge_branchy_total(function: Callable, exercise: Exercise) -> Feedback:
    """The learner returns the total; the check differentiates it, so only a graph passes."""
    for (points,) in exercise.cases:
        expected_total, expected_gradient = exercise.reference(points)
        x = torch.tensor(points, requires_grad=True)
        x_before = x.detach().clone()
        call = f"{exercise.name}(torch.tensor({points}, requires_grad=True))"
        answer, problem = call_safely(function, exercise, (x,), call)
        if problem:
            return not_yet(
                _with_advice(
                    problem,
                    "An `if` needs one True or False, but x holds several entries: apply "
                    "the rule to one entry at a time (for entry in x: ...).",
                    "Boolean value of Tensor",
                )
            )
        if not torch.equal(x.detach(), x_before):
            return not_yet(f"{call} changed x. The total only reads it.")
        if not isinstance(answer, torch.Tensor):
            return not_yet(
                f"{call} returned {show(answer)}, not a tensor. Autograd differentiates "
                "tensors: return the total as a tensor (without .item())."
            )
        if answer.numel() != 1 or not answer.is_floating_point():
            return not_yet(
                f"{call} returned a tensor of shape {tuple(answer.shape)} and dtype "
                f"{answer.dtype}; return one real number, the sum over all entries."
            )
        if not close(answer.item(), expected_total):
            return not_yet(f"{call}: the total is not Σ branchy(xᵢ). {hint_pointer(exercise)}")
        if answer.grad_fn is None:
            return not_yet(
                f"{call}: the total is right, but autograd has no graph for it (no grad_fn), "
                "so it cannot be differentiated. torch.tensor(...), float(...) or .item() "
                "copy numbers out of the graph: build the total from x's entries with "
                "tensor operations (+, *, torch.stack)."
            )
        _, problem = call_safely(_backward, exercise, (answer,), call)
        if problem:
            return not_yet(problem)
        if x.grad is None:
            return not_yet(
                f"{call}: the total has a graph, but it does not lead back to x (after "
                "backward(), x.grad is None). Compute it from x itself, not from a copy or "
                "x.detach()."
            )
        if not close(tuple(x.grad.tolist()), tuple(expected_gradient)):
            return not_yet(
                f"{call}: the total is right, but its gradient with respect to some entries "
                "is not: is every branch computed from the entry itself (not from .item(), "
                ".detach() or a new tensor)?"
            )
    return correct(exercise)


BRANCHY_TOTAL = Exercise(
    name="branchy_total",
    reference=_branchy_total,
    cases=(([2.0, -1.0, 0.5],), ([-2.5, -0.5, 1.5, 3.0],), ([0.75],), ([-1.25, -2.0],)),
    hints=(
        "branchy(x) (section 2) decides with `if x > 0`, which needs a single number. Your "
        "x is a vector: how can each entry take its own branch?",
        "Loop over the entries: `for entry in x:` gives 0-dimensional tensors that are still "
        "part of the graph, so branchy(entry) works and is recorded.",
        "Start from total = torch.zeros(()) and add branchy(entry) for each entry; return "
        "the tensor total, without .item().",
    ),
    solution="""
def branchy(x):
    if x > 0:
        return x**2
    return -3 * x


def branchy_total(x):
    total = torch.zeros(())
    for entry in x:
        total = total + branchy(entry)
    return total
""",
    praise="each entry took its own branch, and the graph recorded exactly the branches "
    "that ran: the check's backward() found 2xᵢ for positive entries and −3 for the others.",
    judge=_judge_branchy_total,
    notebook="02_computation_graph",
)


# =============================================================== 03: unequal micro-batches

_MICRO_DATA_SEED = 3


def micro_batch_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The data of the micro-batch exercise: 8 points near the line y = 3x + 0.5 (float64)."""
    generator = torch.Generator().manual_seed(_MICRO_DATA_SEED)
    inputs = torch.linspace(-1.0, 1.0, 8, dtype=torch.float64)
    noise = 0.1 * torch.randn(8, generator=generator, dtype=torch.float64)
    return inputs, 3 * inputs + 0.5 + noise


def _mean_squared_error(weight, bias, x, y):
    return ((weight * x + bias - y) ** 2).mean()


def _full_batch_gradient(sizes: list[int], weight_value: float, bias_value: float):
    inputs, targets = micro_batch_data()
    weight = torch.tensor(weight_value, dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(bias_value, dtype=torch.float64, requires_grad=True)
    _mean_squared_error(weight, bias, inputs, targets).backward()
    return weight.grad.item(), bias.grad.item()


def _accumulated_with(sizes, weight_value, bias_value, scale: Callable[[int], float]):
    """What accumulating over the parts gives when part k's mean loss is scaled by scale(k)."""
    inputs, targets = micro_batch_data()
    weight = torch.tensor(weight_value, dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(bias_value, dtype=torch.float64, requires_grad=True)
    for size, x_part, y_part in zip(sizes, inputs.split(sizes), targets.split(sizes), strict=True):
        (_mean_squared_error(weight, bias, x_part, y_part) * scale(size)).backward()
    return weight.grad.item(), bias.grad.item()


def _judge_unequal_micro_batches(function: Callable, exercise: Exercise) -> Feedback:
    """The accumulated gradient must equal the full batch's, from one backward() per part."""
    for sizes, weight_value, bias_value in exercise.cases:
        expected = exercise.reference(sizes, weight_value, bias_value)
        parts = len(sizes)
        equal_weights = _accumulated_with(
            sizes, weight_value, bias_value, lambda _, parts=parts: 1 / parts
        )
        unscaled = _accumulated_with(sizes, weight_value, bias_value, lambda s: 1.0)
        inputs, targets = (t.float() for t in micro_batch_data())
        weight = torch.tensor(weight_value, requires_grad=True)
        bias = torch.tensor(bias_value, requires_grad=True)
        passes: list[float] = []
        weight.register_hook(lambda gradient, passes=passes: passes.append(gradient.item()))
        call = f"{exercise.name}(weight, bias, inputs, targets, sizes={sizes})"
        arguments = (weight, bias, inputs, targets, list(sizes))
        answer, problem = call_safely(function, exercise, arguments, call)
        if problem:
            return not_yet(problem)
        if weight.item() != weight_value or bias.item() != bias_value:
            return not_yet(
                f"{call} changed the weight or the bias. Only accumulate their gradients; "
                "updating them is the optimizer's job."
            )
        answer, problem = validate_floats(answer, Floats(2), call)
        if problem:
            return not_yet(problem)
        if weight.grad is None or bias.grad is None:
            return not_yet(
                f"{call}: after it, weight.grad or bias.grad is None. Call backward() on each "
                "part's loss, computed with the weight and bias you are given."
            )
        in_grad = (weight.grad.item(), bias.grad.item())
        if not close(answer, in_grad):
            return not_yet(
                f"{call} returned {show(answer)}, which is not what weight.grad and bias.grad "
                "hold afterwards. Return (weight.grad.item(), bias.grad.item())."
            )
        if len(passes) != len(sizes):
            if close(in_grad, expected) and len(passes) == 1:
                return not_yet(
                    f"{call}: the gradient is right, but it came from one backward(). The "
                    "exercise is to accumulate it part by part, one backward() per part (as "
                    "when the full batch does not fit in memory)."
                )
            return not_yet(
                f"{call}: backward() reached the weight a number of times different from the "
                "number of parts. Call backward() once for each part."
            )
        if close(in_grad, expected):
            continue  # this split is right: on to the next one
        if len(sizes) > 1 and close(passes[-1], in_grad[0]) and not close(in_grad[0], sum(passes)):
            return not_yet(
                f"{call}: only the last part's gradient remains. Let the gradients add up "
                "in .grad: do not reset them between the parts."
            )
        if close(in_grad, equal_weights):
            return not_yet(
                f"{call}: every part weighs the same, but the parts have different sizes, so "
                f"a part of 2 examples counts as much as a part of 6. {hint_pointer(exercise)}"
            )
        if close(in_grad, unscaled):
            return not_yet(
                f"{call}: each part adds its full mean, so the sum is too large. Scale each "
                f"part's loss. {hint_pointer(exercise)}"
            )
        return not_yet(
            f"{call}: the accumulated gradient is not the full batch's. {hint_pointer(exercise)}"
        )
    return correct(exercise)


UNEQUAL_MICRO_BATCHES = Exercise(
    name="accumulate_unequal_parts",
    reference=_full_batch_gradient,
    cases=(([2, 6], 0.0, 0.0), ([1, 3, 4], 1.0, -0.5), ([5, 3], -2.0, 1.0), ([8], 0.5, 0.25)),
    hints=(
        "A part's mean loss averages over that part's examples only. The full batch's mean "
        "averages over all of them: how much of the full mean is one part's examples?",
        "A part of n examples out of N holds n/N of the examples: multiply its mean loss by "
        "len(x_part) / len(inputs) before backward(), and do not reset .grad between parts.",
        "for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes)): compute the "
        "part's mean squared error, scale it by len(x_part) / len(inputs), call backward(); "
        "then return (weight.grad.item(), bias.grad.item()).",
    ),
    solution="""
def mean_squared_error(weight, bias, x, y):
    return ((weight * x + bias - y) ** 2).mean()


def accumulate_unequal_parts(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        share = len(x_part) / len(inputs)  # this part's share of the examples
        loss = mean_squared_error(weight, bias, x_part, y_part) * share
        loss.backward()
    return weight.grad.item(), bias.grad.item()
""",
    praise="parts of any sizes, each mean weighted by its share of the examples, add up in "
    ".grad to the full batch's gradient, one backward() per part.",
    judge=_judge_unequal_micro_batches,
    notebook="03_gradient_accumulation",
)


# =========================================================== 04: freeze, and prove it

FINE_TUNE_LEARNING_RATE = 0.1


def fine_tune_model(layers: int, seed: int) -> torch.nn.Sequential:
    """A small model of ``layers`` Linear layers with tanh between them, the same per seed."""
    torch_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    modules: list[torch.nn.Module] = []
    for index in range(layers):
        modules.append(torch.nn.Linear(2 if index == 0 else 3, 1 if index == layers - 1 else 3))
        if index < layers - 1:
            modules.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*modules)
    torch.random.set_rng_state(torch_state)  # the notebook's own random numbers stay as they were
    return model


def fine_tune_data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (6, 2) and targets (6, 1) for the fine-tuning exercise."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(6, 2, generator=generator)
    return inputs, inputs[:, :1] - 0.5 * inputs[:, 1:] + 0.3


def _fine_tune_last_layer(model, inputs, targets, steps):
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    last_layer = model[-1]
    for parameter in last_layer.parameters():
        parameter.requires_grad_(True)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for _ in range(steps):
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        with torch.no_grad():
            for parameter in last_layer.parameters():
                parameter -= FINE_TUNE_LEARNING_RATE * parameter.grad
                parameter.grad = None
    return sorted(
        name for name, p in model.named_parameters() if not torch.equal(p.detach(), before[name])
    )


def _fine_tune_reference(layers: int, seed: int, steps: int) -> list[float]:
    """Where the last layer's parameters end (the names that moved come from the judge)."""
    model = fine_tune_model(layers, seed)
    _fine_tune_last_layer(model, *fine_tune_data(seed), steps)
    return torch.cat([p.detach().flatten() for p in model[-1].parameters()]).tolist()


def _judge_fine_tune(function: Callable, exercise: Exercise) -> Feedback:
    """Only the last layer moves, the rest gets no gradient at all, and the names prove it."""
    for layers, seed, steps in exercise.cases:
        reference_model = fine_tune_model(layers, seed)
        _fine_tune_last_layer(reference_model, *fine_tune_data(seed), steps)
        model = fine_tune_model(layers, seed)
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        last = {f"{len(model) - 1}.{name}" for name, _ in model[-1].named_parameters()}
        inputs, targets = fine_tune_data(seed)
        call = f"{exercise.name}(model, inputs, targets, steps={steps})"
        answer, problem = call_safely(function, exercise, (model, inputs, targets, steps), call)
        if problem:
            return not_yet(problem)
        after = dict(model.named_parameters())
        if set(after) != set(before):
            return not_yet(f"{call} added or removed parameters of the model.")
        moved = {name for name in before if not torch.equal(before[name], after[name].detach())}
        frozen_moved = sorted(moved - last)
        if frozen_moved:
            return not_yet(
                f"{call} changed {frozen_moved[0]}, which is not in the last layer. Freeze every "
                "parameter outside model[-1] before training."
            )
        touched = sorted(n for n in before if n not in last and after[n].grad is not None)
        if touched:
            return not_yet(
                f"{call}: {touched[0]} did not move, but autograd still computed its gradient "
                "(its .grad is set). Freezing means requires_grad_(False), so that backward() "
                "does not compute gradients nobody will use."
            )
        for name, parameter in reference_model.named_parameters():
            if not torch.allclose(after[name].detach(), parameter.detach(), atol=1e-6):
                return not_yet(
                    f"{call}: the last layer did not end where {steps} steps of gradient "
                    f"descent (learning rate {FINE_TUNE_LEARNING_RATE}) on the mean squared "
                    "error take it. "
                    f"{hint_pointer(exercise)}"
                )
        if not isinstance(answer, list | tuple) or not all(isinstance(n, str) for n in answer):
            return not_yet(
                f"{call} returned {show(answer)}; return a list of parameter names (the names "
                "model.named_parameters() gives, like '0.weight')."
            )
        if set(answer) != moved:
            if steps == 0 and answer:
                return not_yet(
                    f"{call}: with 0 steps nothing can move, yet it names {show(answer[0])}. "
                    "Find the moved parameters by comparing each one's values before and "
                    "after training, not by which ones require grad."
                )
            return not_yet(
                f"{call}: the names returned are not those of the parameters whose values "
                "changed. Keep a copy of each parameter before training (p.detach().clone()) "
                "and compare afterwards with torch.equal."
            )
    return correct(exercise)


FINE_TUNE = Exercise(
    name="fine_tune_last_layer",
    reference=_fine_tune_reference,
    cases=((2, 0, 5), (3, 1, 3), (2, 2, 0), (4, 3, 2)),
    hints=(
        "Freezing is a property of each parameter: which flag tells backward() to skip it? "
        "Then compare the parameters before and after training.",
        "p.requires_grad_(False) for every parameter of the model, then requires_grad_(True) "
        "for those of model[-1]; keep {name: p.detach().clone()} before training.",
        "Each step: torch.nn.functional.mse_loss(model(inputs), targets).backward(), then "
        "under torch.no_grad() p -= 0.1 * p.grad and p.grad = None for each p of model[-1]; "
        "finally return the names whose values are no longer torch.equal to their copies.",
    ),
    solution="""
def fine_tune_last_layer(model, inputs, targets, steps):
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for parameter in model[-1].parameters():
        parameter.requires_grad_(True)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        with torch.no_grad():  # an update is not part of the model
            for parameter in model[-1].parameters():
                parameter -= 0.1 * parameter.grad
                parameter.grad = None
    return sorted(
        name
        for name, parameter in model.named_parameters()
        if not torch.equal(parameter.detach(), before[name])
    )
""",
    praise="only the last layer moved, the frozen layers got no gradient at all, and the "
    "names came from comparing values, so they are a proof, not a guess.",
    judge=_judge_fine_tune,
    notebook="04_no_grad",
)


# ======================================================== 05: per-example gradients


def _squared_error(weight, inputs, targets):
    return (inputs @ weight - targets) ** 2


def _absolute_error(weight, inputs, targets):
    return (inputs @ weight - targets).abs()


def _logistic_loss(weight, inputs, targets):
    return torch.nn.functional.softplus(-targets * (inputs @ weight))


PER_EXAMPLE_LOSSES: dict[str, Callable] = {
    "squared error (xᵢ·w − yᵢ)²": _squared_error,
    "absolute error |xᵢ·w − yᵢ|": _absolute_error,
    "logistic loss log(1 + e^(−yᵢ xᵢ·w))": _logistic_loss,
}


def per_example_data(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """weight (3,), inputs (4, 3) and targets (4,) of ±1 for the per-example exercise."""
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(3, generator=generator)
    inputs = torch.randn(4, 3, generator=generator)
    targets = torch.tensor([1.0, -1.0, -1.0, 1.0])
    return weight, inputs, targets


def _per_example_gradients(loss_name: str, seed: int) -> list[float]:
    """The per-example gradients, row after row, as one flat list."""
    weight, inputs, targets = (t.double() for t in per_example_data(seed))
    flat = []
    for x, y in zip(inputs, targets, strict=True):
        w = weight.clone().requires_grad_()
        PER_EXAMPLE_LOSSES[loss_name](w, x.unsqueeze(0), y.unsqueeze(0)).sum().backward()
        flat.extend(w.grad.tolist())
    return flat


def _matrix(answer: object, rows: int, columns: int) -> list[float] | None:
    """A (rows, columns) answer, from a tensor or a list of rows, as one flat list; else None."""
    if isinstance(answer, torch.Tensor):
        return float_list(answer, rows * columns) if answer.dim() == 2 else None
    if not isinstance(answer, list | tuple) or len(answer) != rows:
        return None
    flat = []
    for row in answer:
        values = float_list(row, columns)
        if values is None:
            return None
        flat.extend(values)
    return flat


def _judge_per_example(function: Callable, exercise: Exercise) -> Feedback:
    """One gradient row per example, from autograd, for losses the check chooses."""
    for loss_name, seed in exercise.cases:
        flat_expected = tuple(exercise.reference(loss_name, seed))
        weight, inputs, targets = per_example_data(seed)
        rows, columns = inputs.shape
        matrix = torch.tensor(flat_expected).reshape(rows, columns)
        batch_sum = tuple(matrix.sum(0).tolist())
        running = tuple(matrix.cumsum(0).flatten().tolist())
        loss_fn = Watched(PER_EXAMPLE_LOSSES[loss_name], loss_name)
        call = f"{exercise.name}(loss_fn, weight, inputs, targets) with the {loss_name}"
        answer, problem = call_safely(function, exercise, (loss_fn, weight, inputs, targets), call)
        if problem:
            return not_yet(problem)
        if weight.requires_grad or weight.grad is not None:
            return not_yet(
                f"{call} changed the weight it was given (it now requires grad or has a "
                ".grad). Work on a copy: weight.clone().requires_grad_()."
            )
        values = _matrix(answer, rows, columns)
        if values is None:
            summed = float_list(answer, columns)
            if summed is not None and close(tuple(summed), batch_sum):
                return not_yet(
                    f"{call} returned one gradient for the whole batch: the sum of the "
                    "examples' gradients. backward() adds up what flows into weight, so "
                    "one backward() cannot keep the examples apart: take one per example."
                )
            return not_yet(
                f"{call} returned {show(answer)}; return a tensor of shape (examples, "
                "weights): one row per example, each the gradient of that example's loss."
            )
        if loss_fn.calls == 0:
            return not_yet(
                f"{call} never called loss_fn. The check passes several losses, so a formula "
                "for one of them cannot be right for all: differentiate loss_fn with autograd."
            )
        if loss_fn.tracked_calls == 0:
            return not_yet(
                f"{call} never gave loss_fn a weight that requires grad, so autograd did not "
                f"compute these gradients. {hint_pointer(exercise)}"
            )
        if close(tuple(values), running):
            return not_yet(
                f"{call}: each row includes the gradients of the examples before it: the "
                "gradient is accumulating. Start each example from a fresh copy of the "
                "weight, or reset .grad."
            )
        if not close(tuple(values), flat_expected):
            return not_yet(
                f"{call}: not every row is the gradient of that example's loss. "
                f"{hint_pointer(exercise)}"
            )
    return correct(exercise)


PER_EXAMPLE = Exercise(
    name="per_example_gradients",
    reference=_per_example_gradients,
    cases=(
        ("squared error (xᵢ·w − yᵢ)²", 0),
        ("logistic loss log(1 + e^(−yᵢ xᵢ·w))", 1),
        ("absolute error |xᵢ·w − yᵢ|", 2),
    ),
    hints=(
        "loss_fn(weight, inputs, targets) gives one loss per example. backward() on their sum "
        "adds all the examples' gradients together: how do you keep them apart?",
        "Take one example at a time: a fresh w = weight.clone().requires_grad_(), the loss of "
        "example i alone, backward(), and w.grad is row i.",
        "for i in range(len(inputs)): w = weight.clone().requires_grad_(); "
        "loss_fn(w, inputs[i : i + 1], targets[i : i + 1]).sum().backward(); keep w.grad; "
        "return torch.stack(rows).",
    ),
    solution="""
def per_example_gradients(loss_fn, weight, inputs, targets):
    rows = []
    for i in range(len(inputs)):
        w = weight.clone().requires_grad_()
        loss = loss_fn(w, inputs[i : i + 1], targets[i : i + 1]).sum()
        loss.backward()
        rows.append(w.grad)
    return torch.stack(rows)
""",
    praise="one gradient per example, for losses you had not seen; their sum is what a "
    "single backward() on the batch's summed loss gives.",
    judge=_judge_per_example,
    notebook="05_vector_outputs",
)


# ====================================================== 06: mini-batches and validation


def validation_setup():
    """Model, optimizer, loss, training and validation data of the exercise, the same each call."""
    generator = torch.Generator().manual_seed(6)
    x_train = torch.randn(20, 1, generator=generator)
    y_train = 2 * x_train + 1 + 0.1 * torch.randn(20, 1, generator=generator)
    x_valid = torch.randn(8, 1, generator=generator) + 0.05
    y_valid = 2 * x_valid + 1 + 0.1 * torch.randn(8, 1, generator=generator)
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(-0.5)
        model.bias.fill_(0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, optimizer, torch.nn.MSELoss(), (x_train, y_train), (x_valid, y_valid)


def _train_and_validate(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    x_train, y_train = training
    x_valid, y_valid = validation
    validation_losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            optimizer.zero_grad()
            loss = loss_fn(
                model(x_train[start : start + batch_size]), y_train[start : start + batch_size]
            )
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            validation_losses.append(loss_fn(model(x_valid), y_valid).item())
    return validation_losses


def _validation_reference(batch_size: int, epochs: int) -> list[float]:
    return _train_and_validate(*validation_setup(), batch_size, epochs)


def _rows_in(rows: torch.Tensor, pool: torch.Tensor) -> bool:
    """True when every row of ``rows`` is a row of ``pool``."""
    rows, pool = rows.detach().reshape(len(rows), -1), pool.reshape(len(pool), -1)
    return bool(((rows[:, None, :] == pool[None, :, :]).all(-1)).any(-1).all())


def _judge_train_and_validate(function: Callable, exercise: Exercise) -> Feedback:
    """Right updates in mini-batches; the validation pass records no graph and updates nothing."""
    for batch_size, epochs in exercise.cases:
        expected = exercise.reference(batch_size, epochs)
        reference_setup = validation_setup()
        _train_and_validate(*reference_setup, batch_size, epochs)
        reference_model = reference_setup[0]
        model, optimizer, loss_fn, training, validation = validation_setup()
        x_valid = validation[0].clone()
        tracked_validation, batch_sizes = [], []

        def watch(module, inputs, output, x_valid=x_valid, seen=(tracked_validation, batch_sizes)):
            (batch,) = inputs
            if _rows_in(batch, x_valid):
                seen[0].append(torch.is_grad_enabled())
            else:
                seen[1].append(len(batch))

        handle = model.register_forward_hook(watch)
        call = (
            f"{exercise.name}(model, optimizer, loss_fn, training, validation, "
            f"batch_size={batch_size}, epochs={epochs})"
        )
        arguments = (model, optimizer, loss_fn, training, validation, batch_size, epochs)
        try:
            answer, problem = call_safely(function, exercise, arguments, call)
        finally:
            handle.remove()
        if problem:
            return not_yet(problem)
        if any(tracked_validation):
            return not_yet(
                f"{call}: the model ran on validation examples with gradient tracking on, so "
                "autograd recorded a graph nobody uses (and the validation data could leak "
                "into an update). Run the validation pass inside `with torch.no_grad():`."
            )
        if not tracked_validation:
            return not_yet(
                f"{call} never ran the model on the validation inputs. After each epoch, "
                "compute the loss on the whole validation set."
            )
        if batch_sizes and max(batch_sizes) > batch_size:
            return not_yet(
                f"{call} gave the model more than batch_size training examples at once. Go "
                "through the training data in mini-batches: x[start : start + batch_size]."
            )
        parameters = torch.cat([p.detach().flatten() for p in model.parameters()])
        reference = torch.cat([p.detach().flatten() for p in reference_model.parameters()])
        if not torch.isfinite(parameters).all():
            return not_yet(f"{call}: the parameters became inf or nan: training blew up.")
        if not torch.allclose(parameters, reference, atol=1e-5):
            return not_yet(
                f"{call}: the model did not end where training in order, one optimizer step "
                "per mini-batch (zero_grad, forward, loss, backward, step), takes it. "
                f"{hint_pointer(exercise)}"
            )
        values = float_list(answer, epochs)
        if values is None:
            return not_yet(
                f"{call} returned {show(answer)}; return a list with one validation loss per "
                "epoch, as Python floats."
            )
        if not close(tuple(values), tuple(expected)):
            return not_yet(
                f"{call}: the model trains right, but the list is not the validation loss "
                "after each epoch (the loss on the whole validation set, computed once per "
                "epoch after its updates)."
            )
    return correct(exercise)


TRAIN_AND_VALIDATE = Exercise(
    name="train_and_validate",
    reference=_validation_reference,
    cases=((5, 3), (8, 2), (20, 4)),
    hints=(
        "Two loops: epochs outside, mini-batches inside. After each epoch's updates, measure "
        "the validation loss without recording a graph.",
        "for start in range(0, len(x_train), batch_size): slice x_train[start : start + "
        "batch_size] and the same of y_train, then the five steps of train_step.",
        "After the inner loop: with torch.no_grad(): "
        "validation_losses.append(loss_fn(model(x_valid), y_valid).item()).",
    ),
    solution="""
def train_and_validate(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    x_train, y_train = training
    x_valid, y_valid = validation
    validation_losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            x_batch = x_train[start : start + batch_size]
            y_batch = y_train[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
        with torch.no_grad():  # measuring only: no graph, no update
            validation_losses.append(loss_fn(model(x_valid), y_valid).item())
    return validation_losses
""",
    praise="one update per mini-batch, and a validation pass that records no graph and "
    "changes nothing: the validation loss falls epoch after epoch.",
    judge=_judge_train_and_validate,
    notebook="06_training_loop",
)


# ===================================================== 07: find the bug, in a new place


def saliency_model() -> torch.nn.Sequential:
    """A small fixed model (3 inputs, tanh, 1 output): the exercise asks its input gradient."""
    generator = torch.Generator().manual_seed(7)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    return model


def _input_gradient(values: list[float]) -> list[float]:
    model = saliency_model().double()
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    model(x).sum().backward()
    return x.grad.tolist()


def _judge_input_gradient(function: Callable, exercise: Exercise) -> Feedback:
    """The gradient of the model's output with respect to its input, for several inputs."""
    for (values,) in exercise.cases:
        expected = exercise.reference(values)
        model = saliency_model()
        weights_before = [p.detach().clone() for p in model.parameters()]
        call = f"{exercise.name}(model, {values})"
        answer, problem = call_safely(function, exercise, (model, list(values)), call)
        if problem:
            return not_yet(problem)
        if not all(map(torch.equal, weights_before, [p.detach() for p in model.parameters()])):
            return not_yet(f"{call} changed the model's weights. It should only read them.")
        gradient = float_list(answer, len(values))
        if gradient is None:
            return not_yet(
                f"{call} returned {show(answer)}; return the gradient with respect to the "
                "input: one number per input value (a tensor like x.grad)."
            )
        if not close(tuple(gradient), tuple(expected)):
            return not_yet(
                f"{call}: this is not the gradient of the model's output with respect to its "
                f"input. {hint_pointer(exercise)}"
            )
    return correct(exercise)


INPUT_GRADIENT = Exercise(
    name="input_gradient",
    reference=_input_gradient,
    cases=(([0.5, -1.0, 2.0],), ([0.0, 0.3, -0.7],), ([1.5, 1.5, -2.0],)),
    hints=(
        "Run the broken version and read what it returns, and the warning it prints. Which "
        "pitfall of this notebook gives that warning?",
        "x.float() returns a new tensor computed from x: a non-leaf, so .grad is not kept "
        "for it. Which tensor is the leaf that receives .grad?",
        "Convert first, then ask for gradients: "
        "x = torch.tensor(values, dtype=torch.float32, requires_grad=True).",
    ),
    solution="""
def input_gradient(model, values):
    x = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    output = model(x).sum()
    output.backward()
    return x.grad
""",
    praise="the leaf you asked gradients for is the tensor the model used, so x.grad is the "
    "gradient of the output with respect to the input (a saliency map).",
    judge=_judge_input_gradient,
    notebook="07_common_pitfalls",
)


# ========================================================= 08: tanh and exp for the engine

# The engine of notebook 08, section 5, exactly as the notebook shows it (a test compares
# them): the model solutions use it, and the checks build their expressions with a copy.
ENGINE_SOURCE = '''
class Value:
    """A number that remembers how it was computed, like a tensor with requires_grad=True."""

    def __init__(self, data, parents=()):
        self.data = data
        self.grad = 0.0
        self.parents = parents  # PyTorch: grad_fn.next_functions
        self.backward_step = lambda: None  # PyTorch: the grad_fn itself

    def __add__(self, other):
        result = Value(self.data + other.data, (self, other))

        def backward_step():
            self.grad += result.grad  # += : gradients accumulate, as in .grad
            other.grad += result.grad

        result.backward_step = backward_step
        return result

    def __mul__(self, other):
        result = Value(self.data * other.data, (self, other))

        def backward_step():
            self.grad += other.data * result.grad
            other.grad += self.data * result.grad

        result.backward_step = backward_step
        return result

    def sin(self):
        result = Value(math.sin(self.data), (self,))

        def backward_step():
            self.grad += math.cos(self.data) * result.grad

        result.backward_step = backward_step
        return result

    def backward(self):
        order, seen = [], set()

        def visit(node):  # depth first: parents before the nodes that use them
            if node not in seen:
                seen.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0  # d(output)/d(output)
        for node in reversed(order):
            node.backward_step()
'''


def engine_class() -> type:
    """A fresh copy of the notebook's ``Value`` class, made from :data:`ENGINE_SOURCE`."""
    namespace = {"math": math}
    exec(ENGINE_SOURCE, namespace)  # the engine's own text: nothing else is run
    return namespace["Value"]


class _Torch64:
    """A float64 tensor that requires grad, with the engine's method names."""

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor

    def __add__(self, other):
        return _Torch64(self.tensor + other.tensor)

    def __mul__(self, other):
        return _Torch64(self.tensor * other.tensor)

    def sin(self):
        return _Torch64(torch.sin(self.tensor))


def _input_used_twice(operation, a, b):
    u = a * b  # u feeds the operation and the sum: its gradient must add up (+=)
    return operation(u) + u


def _twice(operation, a, b):
    t = operation(a)  # one node used twice: its gradient must add up
    return t * t + b


# ``operation`` is the learner's tanh or exp (or PyTorch's, for the reference).
ENGINE_EXPRESSIONS: dict[str, Callable] = {
    "op(u) + u with u = a · b": _input_used_twice,
    "op(a).sin() · b": lambda operation, a, b: operation(a).sin() * b,
    "t · t + b with t = op(a)": _twice,
    "op(op(a) + b)": lambda operation, a, b: operation(operation(a) + b),
}
ENGINE_CASES = (
    ("op(u) + u with u = a · b", 0.5, -1.5),
    ("op(a).sin() · b", -0.8, 2.5),
    ("t · t + b with t = op(a)", 1.2, -0.3),
    ("op(op(a) + b)", 0.4, 0.7),
)


def _engine_reference(torch_operation: Callable):
    def reference(expression: str, a_value: float, b_value: float):
        a = torch.tensor(a_value, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(b_value, dtype=torch.float64, requires_grad=True)

        def operation(node: _Torch64) -> _Torch64:
            return _Torch64(torch_operation(node.tensor))

        output = ENGINE_EXPRESSIONS[expression](operation, _Torch64(a), _Torch64(b)).tensor
        output.backward()
        return output.item(), a.grad.item(), b.grad.item()

    return reference


def _is_node(value: object) -> bool:
    return all(hasattr(value, name) for name in ("data", "grad", "parents", "backward_step"))


def _judge_engine_operation(function: Callable, exercise: Exercise) -> Feedback:
    """Values and gradients of expressions with the learner's operation, against PyTorch."""
    value_class = engine_class()
    name = exercise.name
    probe = value_class(0.5)
    answer, problem = call_safely(function, exercise, (probe,), f"{name}(Value(0.5))")
    if problem:
        return not_yet(problem)
    if answer is probe:
        return not_yet(
            f"{name}(Value(0.5)) returned the node it was given. Return a new Value, made from "
            "the node's data with the node as its parent, as sin() does."
        )
    if not _is_node(answer):
        return not_yet(
            f"{name}(Value(0.5)) returned {show(answer)}; return a new Value, made from the "
            "node's data with the node as its parent, as sin() does."
        )
    if not is_number(answer.data):
        return not_yet(
            f"{name}(Value(0.5)): the result's .data is {show(answer.data)}; it should be a "
            "Python float, as in the engine's other operations (math has the function)."
        )
    for expression, a_value, b_value in exercise.cases:
        value, a_grad, b_grad = exercise.reference(expression, a_value, b_value)
        call = f"{expression.replace('op', name)} at a = {a_value}, b = {b_value}"

        def run(expression=expression, a_value=a_value, b_value=b_value):
            a, b = value_class(a_value), value_class(b_value)
            output = ENGINE_EXPRESSIONS[expression](function, a, b)
            output.backward()
            return output.data, a.grad, b.grad

        answer, problem = call_safely(run, exercise, (), call)
        if problem:
            return not_yet(problem)
        answer, problem = validate_floats(answer, Floats(3), call)
        if problem:
            return not_yet(
                f"{call}: the output's .data and the inputs' .grad should be Python floats, "
                "as with the engine's other operations."
            )
        output_data, found_a, found_b = answer
        if not close(output_data, value):
            return not_yet(
                f"{call}: the value (.data) differs from PyTorch's. Check the forward part: "
                "the new node's data."
            )
        if not close((found_a, found_b), (a_grad, b_grad)):
            return not_yet(
                f"{call}: the value matches PyTorch, but the gradients do not. The "
                "backward_step should add (the local derivative) × result.grad to the "
                f"node's grad, with +=. {hint_pointer(exercise)}"
            )
    return correct(exercise)


ENGINE_TANH = Exercise(
    name="engine_tanh",
    reference=_engine_reference(torch.tanh),
    cases=ENGINE_CASES,
    hints=(
        "Copy the shape of sin(): a new Value with the node as its parent, and a "
        "backward_step that passes the gradient back to the node.",
        "d/dx tanh x = 1 − tanh² x, and tanh x is the new node's data: result.data.",
        "result = Value(math.tanh(node.data), (node,)); its backward_step does "
        "node.grad += (1 - result.data**2) * result.grad; return result.",
    ),
    solution="\nimport math\n\n"
    + ENGINE_SOURCE
    + """

def engine_tanh(node):
    result = Value(math.tanh(node.data), (node,))

    def backward_step():
        node.grad += (1 - result.data**2) * result.grad  # tanh' = 1 - tanh²

    result.backward_step = backward_step
    return result
""",
    praise="tanh agrees with PyTorch in value and gradient, composed with the engine's other "
    "operations and used twice: one local derivative was all the engine needed.",
    judge=_judge_engine_operation,
    notebook="08_going_further",
)

ENGINE_EXP = Exercise(
    name="engine_exp",
    reference=_engine_reference(torch.exp),
    cases=ENGINE_CASES,
    hints=(
        "The same shape as engine_tanh: a new Value, and a backward_step for the node.",
        "d/dx eˣ = eˣ: the local derivative is the new node's own data.",
        "result = Value(math.exp(node.data), (node,)); its backward_step does "
        "node.grad += result.data * result.grad; return result.",
    ),
    solution="\nimport math\n\n"
    + ENGINE_SOURCE
    + """

def engine_exp(node):
    result = Value(math.exp(node.data), (node,))

    def backward_step():
        node.grad += result.data * result.grad  # exp' = exp

    result.backward_step = backward_step
    return result
""",
    praise="exp agrees with PyTorch in value and gradient, also composed with itself "
    "and used twice.",
    judge=_judge_engine_operation,
    notebook="08_going_further",
)
