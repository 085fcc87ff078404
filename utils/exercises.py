"""The course's exercises: what each asks, a reference answer, hints and a model solution.

Each reference computes the expected answer with autograd in float64; the tests
check every reference against the hand-derived derivative and a finite difference.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Exercise:
    """One exercise the checks know.

    Attributes:
        name: the name of the function the learner writes.
        reference: computes the right answer for the same arguments.
        cases: the argument tuples the check tries, in order.
        returns: how many floats the function returns (1: a float; 2: a tuple of two).
        hints: from gentlest to most explicit; none gives the answer away.
        solution: a model solution, as code.
        praise: said when the check passes: what the exercise showed.
        kind: how the check judges answers: ``"gradient"`` (compare with the reference
            on each case) or the name of a special check in ``utils.checks``.
        answer_is: what a right answer is, for the message about a wrong one.
    """

    name: str
    reference: Callable
    cases: tuple[tuple, ...]
    returns: int
    hints: tuple[str, ...]
    solution: str
    praise: str
    kind: str = "gradient"
    answer_is: str = "the gradient"


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
    returns=1,
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
)

MULTIVARIATE = Exercise(
    name="compute_gradient_multivariate",
    reference=_multivariate_gradient,
    cases=((1.0, 2.0), (-0.5, 0.25), (2.0, -3.0)),
    returns=2,
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
)


def _gradients_at_many_points(x_values: list[float]) -> list[float]:
    gradients = []
    for x_value in x_values:
        x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
        (x**3 + 2 * x).backward()
        gradients.append(x.grad.item())
    return gradients


MANY_POINTS = Exercise(
    name="gradients_at_many_points",
    reference=_gradients_at_many_points,
    cases=(([1.0, 2.0, 3.0],), ([0.0, -1.0, 0.5, 2.0],), ([1.5],)),
    returns=0,  # a list, as long as the input
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
    kind="list of gradients",
)


def _predict(model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(inputs)


PREDICT = Exercise(
    name="predict",
    reference=_predict,
    cases=(),
    returns=1,
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
    kind="no graph",
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


VJP_TWO_WAYS = Exercise(
    name="vjp_two_ways",
    reference=_vjp_two_ways,
    cases=(([1.0, 1.0, 1.0],), ([0.5, -1.0, 2.0],), ([0.0, 2.0, -0.5],)),
    returns=0,
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
    kind="two ways",
)


def _train_step(model, optimizer, loss_fn, x, y) -> float:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


TRAIN_STEP = Exercise(
    name="train_step",
    reference=_train_step,
    cases=(),
    returns=1,
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
    kind="training step",
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
    returns=1,
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
)


def _slope_of_sigmoid(x_value: float) -> float:
    x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).backward()
    return x.grad.item()


SIGMOID_SLOPE = Exercise(
    name="slope_of_sigmoid",
    reference=_slope_of_sigmoid,
    cases=((0.0,), (2.0,), (-1.5,)),
    returns=1,
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
)


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


FIT_SLOPE = Exercise(
    name="fit_slope",
    reference=_fit_slope,
    cases=((1,), (5,), (40,)),
    returns=1,
    hints=(
        "There are two bugs. Run the broken loop and read the error: it names the first.",
        "The update must run under torch.no_grad(); and .grad must be reset after each step, or "
        "the steps grow larger and larger.",
    ),
    # The reference is the repaired loop itself, so its source is the model solution.
    solution="\n" + inspect.getsource(_fit_slope).replace("def _fit_slope", "def fit_slope"),
    praise="the loop updates under no_grad and zeroes the gradient: the weight moves towards 2.",
    answer_is="the weight the repaired loop reaches",
)

EXERCISES = {
    exercise.name: exercise
    for exercise in (
        SIMPLE_FUNCTION,
        MULTIVARIATE,
        MANY_POINTS,
        PREDICT,
        VJP_TWO_WAYS,
        TRAIN_STEP,
        SIGMOID_SLOPE,
        FIT_SLOPE,
        SECOND_DERIVATIVE,
    )
}
