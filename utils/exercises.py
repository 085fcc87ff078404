"""The course's exercises: what each asks, a reference answer, hints and a model solution.

Each reference computes the expected answer with autograd in float64; the tests
check every reference against the hand-derived derivative and a finite difference.
"""

from __future__ import annotations

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
    """

    name: str
    reference: Callable
    cases: tuple[tuple, ...]
    returns: int
    hints: tuple[str, ...]
    solution: str
    praise: str
    kind: str = "gradient"


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

EXERCISES = {
    exercise.name: exercise for exercise in (SIMPLE_FUNCTION, MULTIVARIATE, MANY_POINTS, PREDICT)
}
