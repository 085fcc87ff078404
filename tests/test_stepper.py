"""The backward stepper ends exactly where backward() ends, one visible move at a time."""

import pytest
import torch

from utils.stepper import BackwardStepper


def graphs():
    """Small graphs with shared inputs, several paths and non-trivial local derivatives."""
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    w = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    return {
        "a·b + a": (lambda: a * b + a, {"a": a, "b": b}),
        "x³ + 2x": (lambda: x**3 + 2 * x, {"x": x}),
        "sin(a·x)·b²": (lambda: torch.sin(a * x) * b**2, {"a": a, "b": b, "x": x}),
        "sum(w²)·a": (lambda: (w**2).sum() * a, {"w": w, "a": a}),
        # h = a·b feeds two paths, and a also feeds the sum directly
        "sin(h) + cos(h) + a": (lambda: shared_product(a, b), {"a": a, "b": b}),
    }


def shared_product(a, b):
    h = a * b
    return torch.sin(h) + torch.cos(h) + a


@pytest.mark.parametrize("name", list(graphs()))
def test_final_gradients_equal_backward(name):
    build, leaves = graphs()[name]
    stepper = BackwardStepper(build(), leaves)
    while not stepper.done:
        stepper.step()
    output = build()
    output.backward()
    assert set(stepper.leaf_grads) == set(leaves)
    for label, leaf in leaves.items():
        torch.testing.assert_close(stepper.leaf_grads[label], leaf.grad)


def test_every_node_runs_after_all_of_its_consumers():
    build, leaves = graphs()["a·b + a"]
    stepper = BackwardStepper(build(), leaves)
    names = [stepper.node_name(node) for node in stepper.order]
    assert names[0] == "AddBackward0"
    # a feeds both the product and the sum, so its AccumulateGrad runs after MulBackward0
    assert names.index("MulBackward0") < names.index("AccumulateGrad (a)")


def test_steps_say_what_flows_where():
    build, leaves = graphs()["a·b + a"]
    stepper = BackwardStepper(build(), leaves)
    texts = []
    while not stepper.done:
        texts.append(stepper.step().text())
    assert (
        texts[0]
        == "step 1: AddBackward0 receives 1 and sends 1 to MulBackward0, 1 to AccumulateGrad (a)"
    )
    assert texts[1] == (
        "step 2: MulBackward0 receives 1 and sends 3 to AccumulateGrad (a), 2 to AccumulateGrad (b)"
    )
    # a receives 1 along the sum and b = 3 along the product: 1 + 3
    assert "stores 4 in a.grad" in texts[2]
    assert "stores 2 in b.grad" in texts[3]


def test_reset_starts_over_and_stepping_past_the_end_is_explained():
    build, leaves = graphs()["x³ + 2x"]
    stepper = BackwardStepper(build(), leaves)
    while not stepper.done:
        stepper.step()
    with pytest.raises(StopIteration, match="complete"):
        stepper.step()
    stepper.reset()
    assert stepper.steps == [] and stepper.leaf_grads == {} and not stepper.done


def test_the_stepper_leaves_the_tensors_alone():
    build, leaves = graphs()["a·b + a"]
    stepper = BackwardStepper(build(), leaves)
    while not stepper.done:
        stepper.step()
    assert all(leaf.grad is None for leaf in leaves.values())


def test_outputs_it_cannot_step_through_are_explained():
    with pytest.raises(ValueError) as no_history:
        BackwardStepper(torch.tensor(1.0))
    assert str(no_history.value) == "the output has no grad_fn: nothing to step through"
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(ValueError) as vector:
        BackwardStepper(w * 2)
    assert str(vector.value) == (
        "step through a scalar output (for a vector, step through y.sum())"
    )


def test_a_leaf_without_a_name_is_called_leaf():
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    stepper = BackwardStepper(x.exp(), {})
    texts = [stepper.step().text(), stepper.step().text()]
    assert texts[0].endswith("sends 1.649 to AccumulateGrad (leaf)")  # e^0.5 = 1.6487...
    assert texts[1] == "step 2: AccumulateGrad (leaf) stores 1.649 in leaf.grad"
    assert list(stepper.leaf_grads) == ["leaf"]
    torch.testing.assert_close(stepper.leaf_grads["leaf"], torch.tensor(0.5).exp().double())


def test_an_input_that_needs_no_gradient_is_skipped_not_the_rest():
    """c · a with a constant c first: the product's first input has no backward function."""
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(3.0, dtype=torch.float64)
    stepper = BackwardStepper(c * a + a, {"a": a})
    while not stepper.done:
        stepper.step()
    assert stepper.leaf_grads["a"].item() == 4.0  # d(3a + a)/da = 3 + 1
    stepper = BackwardStepper(c * a, {"a": a})  # a is reached only after the constant
    while not stepper.done:
        stepper.step()
    assert stepper.leaf_grads["a"].item() == 3.0


def test_stepping_past_the_end_says_the_pass_is_complete():
    build, leaves = graphs()["x³ + 2x"]
    stepper = BackwardStepper(build(), leaves)
    while not stepper.done:
        stepper.step()
    with pytest.raises(StopIteration) as stop:
        stepper.step()
    assert str(stop.value) == "the backward pass is complete: every leaf has its gradient"
