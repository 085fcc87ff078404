"""The course's exercises: what each asks, a reference answer, hints, a model solution,
and, where comparing with the reference on each case is not enough, the exercise's own judge.

Each reference computes the expected answer with autograd in float64; the tests
check every reference against the hand-derived derivative and a finite difference.
``EXERCISES`` is the registry the checks look names up in.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import torch

from utils.feedback import (
    ONE_FLOAT,
    Exercise,
    Feedback,
    Floats,
    call_safely,
    call_text,
    close,
    correct,
    float_list,
    hint_pointer,
    is_number,
    not_yet,
    number_problem,
    show,
)
from utils.transfer import (
    BRANCHY_TOTAL,
    DERIVATIVE_CURVE,
    ENGINE_EXP,
    ENGINE_TANH,
    FINE_TUNE,
    INPUT_GRADIENT,
    PER_EXAMPLE,
    TRAIN_AND_VALIDATE,
    UNEQUAL_MICRO_BATCHES,
)


def _simple_function_gradient(x_value: float) -> float:
    x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
    y = x**3 + 2 * x
    y.backward()
    return x.grad.item()


def _multivariate_gradient(a_value: float, b_value: float) -> tuple[float, float]:
    a = torch.tensor(a_value, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(b_value, dtype=torch.float64, requires_grad=True)
    z = 3 * a + 4 * b**2
    z.backward()
    return a.grad.item(), b.grad.item()


SIMPLE_FUNCTION = Exercise(
    name="compute_gradient_simple_function",
    reference=_simple_function_gradient,
    cases=((2.0,), (-1.0,), (0.5,), (3.0,)),
    returns=ONE_FLOAT,
    hints=(
        "Make x a tensor that autograd tracks: torch.tensor(x_value, requires_grad=True).",
        "Compute y = x ** 3 + 2 * x, call y.backward(), then read x.grad.",
        "x.grad is a tensor; return a Python float with x.grad.item().",
    ),
    solution="""
def compute_gradient_simple_function(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    y.backward()
    return x.grad.item()
""",
    praise="autograd's d/dx (x³ + 2x) matches 3x² + 2 at every input tried.",
    notebook="01_requires_grad",
)

MULTIVARIATE = Exercise(
    name="compute_gradient_multivariate",
    reference=_multivariate_gradient,
    cases=((1.0, 2.0), (-0.5, 0.25), (2.0, -3.0)),
    returns=Floats(2),
    hints=(
        "Make both a and b tensors with requires_grad=True.",
        "Compute z = 3 * a + 4 * b ** 2 and call z.backward() once: it fills a.grad and b.grad.",
        "Return (a.grad.item(), b.grad.item()), a tuple of two Python floats.",
    ),
    solution="""
def compute_gradient_multivariate(a_value, b_value):
    a = torch.tensor(a_value, requires_grad=True)
    b = torch.tensor(b_value, requires_grad=True)
    z = 3 * a + 4 * b**2
    z.backward()
    return a.grad.item(), b.grad.item()
""",
    praise="one backward() gave both ∂z/∂a = 3 and ∂z/∂b = 8b at every input tried.",
    notebook="02_computation_graph",
)


def _gradients_at_many_points(x_values: list[float]) -> list[float]:
    gradients = []
    for x_value in x_values:
        x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
        (x**3 + 2 * x).backward()
        gradients.append(x.grad.item())
    return gradients


def _judge_list_of_gradients(function: Callable, exercise: Exercise) -> Feedback:
    """The answer is a list with one gradient per input; nothing may leak between them."""
    for (values,) in exercise.cases:
        call = call_text(exercise, (values,))
        expected = exercise.reference(values)
        answer, problem = call_safely(function, exercise, (values,))
        if problem:
            return not_yet(problem)
        if isinstance(answer, torch.Tensor):
            return not_yet(f"{call} returned a tensor; the exercise asks for a list of floats.")
        if not isinstance(answer, list | tuple) or len(answer) != len(values):
            return not_yet(
                f"{call} returned {show(answer)}; the exercise asks for a list with one "
                f"gradient for each of the {len(values)} inputs."
            )
        for item in answer:
            problem = number_problem(item, call, "a list of Python floats", part=True)
            if problem:
                return not_yet(problem)
        running = [sum(expected[: i + 1]) for i in range(len(expected))]
        if len(values) > 1 and close(tuple(answer), tuple(running)):
            return not_yet(
                f"{call}: each answer includes the gradients of the points before it. The "
                "gradient is accumulating in x.grad: reset it after each point."
            )
        if not close(tuple(answer), tuple(expected)):
            return not_yet(
                f"{call} returned {show(tuple(answer))}: not all of these are the gradient. "
                f"{hint_pointer(exercise)}"
            )
    return correct(exercise)


MANY_POINTS = Exercise(
    name="gradients_at_many_points",
    reference=_gradients_at_many_points,
    cases=(([1.0, 2.0, 3.0],), ([0.0, -1.0, 0.5, 2.0],), ([1.5],)),
    hints=(
        "Create one tensor x before the loop, and in each pass copy the new value into it "
        "under torch.no_grad(): x.copy_(torch.tensor(value)).",
        "After y.backward(), read x.grad.item(); then reset the gradient before the next pass.",
        "Reset with x.grad.zero_() (or x.grad = None) at the end of each pass.",
    ),
    solution="""
def gradients_at_many_points(x_values):
    x = torch.tensor(0.0, requires_grad=True)
    gradients = []
    for value in x_values:
        with torch.no_grad():
            x.copy_(torch.tensor(value))
        y = x**3 + 2 * x
        y.backward()
        gradients.append(x.grad.item())
        x.grad.zero_()
    return gradients
""",
    praise="one gradient per point, and none leaked into the next.",
    judge=_judge_list_of_gradients,
    notebook="03_gradient_accumulation",
)


def _predict(model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(inputs)


def _judge_predictions(function: Callable, exercise: Exercise) -> Feedback:
    """Predictions must be right, carry no graph, and leave the model and kernel as they were."""
    generator = torch.Generator().manual_seed(0)
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    inputs = torch.randn(4, 3, generator=generator)
    weights_before = [parameter.detach().clone() for parameter in model.parameters()]
    inputs_before = inputs.clone()
    expected = exercise.reference(model, inputs)
    call = f"{exercise.name}(model, inputs)"
    answer, problem = call_safely(function, exercise, (model, inputs), call)
    if problem:
        return not_yet(problem)
    weights_after = [parameter.detach() for parameter in model.parameters()]
    if len(weights_after) != len(weights_before) or not all(
        map(torch.equal, weights_before, weights_after)
    ):
        return not_yet(
            f"{call} changed the model's weights. A prediction only reads the model: "
            "compute model(inputs) and leave the parameters as they are."
        )
    if not torch.equal(inputs, inputs_before):
        return not_yet(f"{call} changed the inputs. A prediction only reads them.")
    if not isinstance(answer, torch.Tensor):
        return not_yet(f"{call} returned {show(answer)}; return the tensor model(inputs) gives.")
    if not answer.is_floating_point():
        return not_yet(
            f"{call} returned a tensor of {answer.dtype}, but predictions are real numbers: "
            "return model(inputs) as it comes, without converting it."
        )
    values = answer.detach().to(torch.float64)
    if values.shape != expected.shape or not torch.allclose(
        values, expected.to(torch.float64), rtol=1e-5, atol=1e-6
    ):
        return not_yet(f"{call} does not return model(inputs). {hint_pointer(exercise)}")
    if answer.grad_fn is not None:
        return not_yet(
            f"{call} returns the right numbers, but autograd recorded a graph for them "
            f"(the result has grad_fn = {type(answer.grad_fn).__name__}). model.eval() does "
            "not turn tracking off: compute inside `with torch.no_grad():`."
        )
    if answer.requires_grad:
        return not_yet(
            f"{call} returns the right numbers, but they require grad, so autograd would "
            "track everything computed from them. Compute inside `with torch.no_grad():`."
        )
    return correct(exercise)


PREDICT = Exercise(
    name="predict",
    reference=_predict,
    cases=(),
    hints=(
        "Predictions need no gradients, so autograd should not record anything.",
        "Compute model(inputs) inside a `with torch.no_grad():` block and return the result.",
    ),
    solution="""
def predict(model, inputs):
    with torch.no_grad():
        return model(inputs)
""",
    praise="the predictions are right and carry no graph (no grad_fn), so no memory is spent "
    "on one.",
    judge=_judge_predictions,
    notebook="04_no_grad",
)

VJP_POINT = (1.0, 2.0, 0.5)


def vjp_function(x: torch.Tensor) -> torch.Tensor:
    """The vector function of notebook 05's exercise and explorer: y = (x₀·x₁, x₁², sin x₂)."""
    return torch.stack([x[0] * x[1], x[1] ** 2, torch.sin(x[2])])


def vjp_jacobian() -> torch.Tensor:
    """The Jacobian of ``vjp_function`` at ``VJP_POINT``, in float64."""
    point = torch.tensor(VJP_POINT, dtype=torch.float64)
    return torch.autograd.functional.jacobian(vjp_function, point)


def _vjp_two_ways(v_values: list[float]) -> tuple[list[float], list[float]]:
    x = torch.tensor(VJP_POINT, dtype=torch.float64, requires_grad=True)
    v = torch.tensor(v_values, dtype=torch.float64)
    vjp_function(x).backward(v)
    return x.grad.tolist(), (v @ vjp_jacobian()).tolist()


def _judge_two_ways(function: Callable, exercise: Exercise) -> Feedback:
    """A vector-Jacobian product computed with backward(v) and with v @ J."""
    for (v_values,) in exercise.cases:
        call = call_text(exercise, (v_values,))
        expected, _ = exercise.reference(v_values)
        j_times_v = (vjp_jacobian() @ torch.tensor(v_values, dtype=torch.float64)).tolist()
        answer, problem = call_safely(function, exercise, (v_values,))
        if problem:
            return not_yet(problem)
        if not isinstance(answer, tuple | list) or len(answer) != 2:
            return not_yet(
                f"{call} returned {show(answer)}; return a pair: "
                "(x.grad after y.backward(v), v @ J)."
            )
        via_backward, via_jacobian = (float_list(part, 3) for part in answer)
        if via_backward is None or via_jacobian is None:
            return not_yet(
                f"{call}: each of the two answers should hold three numbers, one per entry of "
                "x (a list, or a tensor of shape (3,))."
            )
        if not close(tuple(via_backward), tuple(expected)):
            return not_yet(
                f"{call}: the first answer is not x.grad after y.backward(v). "
                f"{hint_pointer(exercise)}"
            )
        if close(tuple(via_jacobian), tuple(j_times_v)) and not close(
            tuple(via_jacobian), tuple(expected)
        ):
            return not_yet(
                f"{call}: the second answer is J @ v. v has one entry per output, so it "
                "multiplies the Jacobian from the left: v @ J."
            )
        if not close(tuple(via_jacobian), tuple(expected)):
            return not_yet(f"{call}: the second answer is not v @ J. {hint_pointer(exercise)}")
    return correct(exercise)


VJP_TWO_WAYS = Exercise(
    name="vjp_two_ways",
    reference=_vjp_two_ways,
    cases=(([1.0, 1.0, 1.0],), ([0.5, -1.0, 2.0],), ([0.0, 2.0, -0.5],)),
    hints=(
        "Way 1: make x = torch.tensor([1.0, 2.0, 0.5], requires_grad=True), compute y, and call "
        "y.backward(v); the answer is x.grad. Way 2: J = torch.autograd.functional.jacobian(f, x).",
        "v has one entry per *output*, so it multiplies J from the left: v @ J.",
        "Return (x.grad.tolist(), (v @ J).tolist()).",
    ),
    solution="""
def vjp_two_ways(v_values):
    def f(x):
        return torch.stack([x[0] * x[1], x[1] ** 2, torch.sin(x[2])])

    v = torch.tensor(v_values)
    x = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
    f(x).backward(v)
    jacobian = torch.autograd.functional.jacobian(f, x.detach())
    return x.grad.tolist(), (v @ jacobian).tolist()
""",
    praise="y.backward(v) and v @ J agree: backward computes vector-Jacobian products "
    "without ever building J.",
    judge=_judge_two_ways,
    notebook="05_vector_outputs",
)


def _train_step(model, optimizer, loss_fn, x, y) -> float:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _training_setup():
    """A small model, optimizer, loss and data, the same on every call."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.linspace(-1.0, 1.0, 16).unsqueeze(1)
    targets = 2 * inputs + 1 + 0.1 * torch.randn(inputs.shape, generator=generator)
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(-0.5)
        model.bias.fill_(0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, optimizer, torch.nn.MSELoss(), inputs, targets


TRAINING_STEPS = 25


def _train(
    step: Callable, exercise: Exercise, learners: bool = True
) -> tuple[list[object], torch.Tensor, str | None]:
    """Train with ``step``: (losses, final parameters, None) or (..., what went wrong).

    Args:
        step: a training step, ``step(model, optimizer, loss_fn, x, y) -> loss``.
        exercise: the exercise (for the messages).
        learners: True when ``step`` is the learner's, to be called safely.
    """
    model, optimizer, loss_fn, inputs, targets = _training_setup()
    call = f"{exercise.name}(model, optimizer, loss_fn, x, y)"
    arguments = (model, optimizer, loss_fn, inputs, targets)
    losses = []
    for _ in range(TRAINING_STEPS):
        if learners:
            loss, problem = call_safely(step, exercise, arguments, call)
        else:
            loss, problem = step(*arguments), None
        if problem:
            return losses, torch.empty(0), problem
        losses.append(loss)
    return losses, torch.cat([p.detach().flatten() for p in model.parameters()]), None


def _forgets_zero_grad(model, optimizer, loss_fn, x, y) -> float:
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _judge_training_step(function: Callable, exercise: Exercise) -> Feedback:
    """Train with the learner's step: the loss must fall, and the parameters must match."""
    call = f"{exercise.name}(model, optimizer, loss_fn, x, y)"
    expected_losses, expected, _ = _train(exercise.reference, exercise, learners=False)
    _, accumulating, _ = _train(_forgets_zero_grad, exercise, learners=False)
    losses, parameters, problem = _train(function, exercise)
    if problem:
        return not_yet(problem)
    if any(isinstance(loss, torch.Tensor) for loss in losses):
        return not_yet(
            f"{call} returned a tensor; return the loss as a Python float with loss.item()."
        )
    strange = next((loss for loss in losses if not is_number(loss)), None)
    if strange is not None:
        return not_yet(f"{call} returned {show(strange)}; return the loss as a float.")
    losses = [float(loss) for loss in losses]
    blown_up = next((i for i, loss in enumerate(losses) if not math.isfinite(loss)), None)
    if blown_up is not None or not torch.isfinite(parameters).all():
        what = (
            f"the loss became {losses[blown_up]} at step {blown_up + 1} of {TRAINING_STEPS}"
            if blown_up is not None
            else "the model's parameters became inf or nan"
        )
        return not_yet(
            f"{call}: {what}, so training blew up instead of learning. Use the optimizer and "
            f"the loss function you are given, in the five steps' order. {hint_pointer(exercise)}"
        )
    if torch.allclose(parameters, expected, atol=1e-5):
        if not math.isclose(losses[0], expected_losses[0], rel_tol=1e-4):
            return not_yet(
                f"{call} trains the model, but returns something other than this step's loss "
                "(compute the loss before optimizer.step() and return loss.item())."
            )
        return correct(exercise)
    if torch.allclose(parameters, accumulating, atol=1e-5):
        return not_yet(
            f"{call} never zeroes the gradients, so each step adds the new gradient to all the "
            "old ones. Call optimizer.zero_grad() at the start of each step."
        )
    if losses[-1] >= losses[0]:
        return not_yet(
            f"{call}: after {TRAINING_STEPS} steps the loss has not fallen. Does the step call "
            "loss.backward() and then optimizer.step()?"
        )
    return not_yet(
        f"{call}: the loss falls, but the parameters differ from the five-step pattern's. "
        f"{hint_pointer(exercise)}"
    )


TRAIN_STEP = Exercise(
    name="train_step",
    reference=_train_step,
    cases=(),
    hints=(
        "The five steps, in order: zero the gradients, forward pass, loss, backward, step.",
        "optimizer.zero_grad(); predictions = model(x); loss = loss_fn(predictions, y); "
        "then loss.backward() and optimizer.step().",
        "Return loss.item(), the loss as a Python float.",
    ),
    solution="""
def train_step(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    predictions = model(x)
    loss = loss_fn(predictions, y)
    loss.backward()
    optimizer.step()
    return loss.item()
""",
    praise="the loss falls step after step, and each step starts from zeroed gradients.",
    judge=_judge_training_step,
    notebook="06_training_loop",
)


def _second_derivative(x_value: float) -> float:
    x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
    y = x**3 + 2 * x
    (first,) = torch.autograd.grad(y, x, create_graph=True)
    (second,) = torch.autograd.grad(first, x)
    return second.item()


SECOND_DERIVATIVE = Exercise(
    name="second_derivative",
    reference=_second_derivative,
    cases=((2.0,), (-1.0,), (0.5,), (3.0,)),
    returns=ONE_FLOAT,
    hints=(
        "torch.autograd.grad(y, x) returns a tuple with dy/dx. To differentiate that result "
        "again, it must itself be recorded in a graph.",
        "Pass create_graph=True to the first torch.autograd.grad call, then call "
        "torch.autograd.grad(first_derivative, x).",
        "Both calls return tuples: unpack with (first,) = ... and return second.item().",
    ),
    solution="""
def second_derivative(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    (first,) = torch.autograd.grad(y, x, create_graph=True)
    (second,) = torch.autograd.grad(first, x)
    return second.item()
""",
    praise="autograd differentiated its own result: d²/dx² (x³ + 2x) = 6x at every input tried.",
    answer_is="the second derivative",
    notebook="08_going_further",
)


def _slope_of_sigmoid(x_value: float) -> float:
    x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).backward()
    return x.grad.item()


SIGMOID_SLOPE = Exercise(
    name="slope_of_sigmoid",
    reference=_slope_of_sigmoid,
    cases=((0.0,), (2.0,), (-1.5,)),
    returns=ONE_FLOAT,
    hints=(
        "Read the error the broken version raises: which tensor does not require grad?",
        "Create x with requires_grad=True, and take its value as a float: the tensor "
        "torch.tensor(x_value, requires_grad=True).",
    ),
    solution="""
def slope_of_sigmoid(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = torch.sigmoid(x)
    y.backward()
    return x.grad.item()
""",
    praise="the slope of the sigmoid, σ(x)(1 − σ(x)), at every input tried.",
    notebook="07_common_pitfalls",
)


# pragma: no mutate start (solution() shows this source: make mutation keeps it as written)
def _fit_slope(steps):
    inputs = torch.tensor([1.0, 2.0, 3.0, 4.0])
    targets = 2.0 * inputs
    weight = torch.tensor(0.0, requires_grad=True)
    for _ in range(steps):
        loss = ((weight * inputs - targets) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            weight -= 0.01 * weight.grad
        weight.grad = None
    return weight.item()


# pragma: no mutate end


FIT_SLOPE = Exercise(
    name="fit_slope",
    reference=_fit_slope,
    cases=((1,), (5,), (40,)),
    returns=ONE_FLOAT,
    hints=(
        "There are two bugs. Run the broken loop and read the error: it names the first.",
        "The update must run under torch.no_grad(); and .grad must be reset after each step, or "
        "the steps grow larger and larger.",
    ),
    # The reference is the repaired loop itself, so its source is the model solution.
    solution="\n" + inspect.getsource(_fit_slope).replace("def _fit_slope", "def fit_slope"),
    praise="the loop updates under no_grad and zeroes the gradient: the weight moves towards 2.",
    answer_is="the weight the repaired loop reaches",
    notebook="07_common_pitfalls",
)

EXERCISES = {
    exercise.name: exercise
    for exercise in (
        SIMPLE_FUNCTION,
        DERIVATIVE_CURVE,
        MULTIVARIATE,
        BRANCHY_TOTAL,
        MANY_POINTS,
        UNEQUAL_MICRO_BATCHES,
        PREDICT,
        FINE_TUNE,
        VJP_TWO_WAYS,
        PER_EXAMPLE,
        TRAIN_STEP,
        TRAIN_AND_VALIDATE,
        SIGMOID_SLOPE,
        FIT_SLOPE,
        INPUT_GRADIENT,
        SECOND_DERIVATIVE,
        ENGINE_TANH,
        ENGINE_EXP,
    )
}

# Lesson modules define their exercises beside the lesson's helpers; they are registered here.
from utils.debugging import FIT_RELATIVE, TRAIN_REGRESSOR  # noqa: E402  (notebook 09)

EXERCISES.update({exercise.name: exercise for exercise in (FIT_RELATIVE, TRAIN_REGRESSOR)})

from utils.functional import DIRECTIONAL_DERIVATIVE, PER_SAMPLE_GRADIENTS, SOFTPLUS  # noqa: E402  (notebook 10)

EXERCISES.update({e.name: e for e in (PER_SAMPLE_GRADIENTS, DIRECTIONAL_DERIVATIVE, SOFTPLUS)})
