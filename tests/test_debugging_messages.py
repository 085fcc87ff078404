"""What notebook 09's two exercise checkers tell a learner, sentence by sentence.

Each wrong answer here is one a learner can give; the message must name what is wrong in
words that point at the fix, and end with the way to a hint."""

import math

import pytest
import torch

from utils.checks import evaluate
from utils.debugging import FIT_RELATIVE, TRAIN_REGRESSOR


def fit_relative_returning(value):
    def fit_relative(steps):
        return value

    return evaluate(fit_relative, FIT_RELATIVE)


def train_regressor_returning(make):
    def train_regressor(steps):
        return make(steps)

    return evaluate(train_regressor, TRAIN_REGRESSOR)


def assert_says(feedback, *sentences):
    assert not feedback.passed
    for sentence in sentences:
        assert sentence in feedback.message, (sentence, feedback.message)


# ------------------------------------------------------------------------- fit_relative


@pytest.mark.parametrize(
    ("answer", "shown"),
    [(torch.tensor(0.7), "tensor(0.7000)"), ("0.7", "'0.7'"), ([0.7], "[0.7]")],
    ids=["tensor", "str", "list"],
)
def test_fit_relative_asks_for_a_float(answer, shown):
    assert_says(
        fit_relative_returning(answer),
        f"fit_relative(1) returned {shown}; return the weight as a Python float (weight.item()).",
    )


def test_fit_relative_names_the_nan_and_the_tool_that_finds_it():
    assert_says(
        fit_relative_returning(math.nan),
        "fit_relative(1) returned nan: a gradient is still NaN. Run the loop under "
        "torch.autograd.detect_anomaly() to see which backward function produces it.",
    )


def test_fit_relative_says_a_weight_that_never_moved_was_silenced_not_repaired():
    assert_says(
        fit_relative_returning(0.5),  # the starting weight: NaN gradients replaced by 0
        "fit_relative(1) returned the starting weight: it never moved. Replacing NaN "
        "gradients by 0 stops the damage, and the learning too: remove the NaN where it "
        "is made. Stuck? hint(fit_relative)",
    )


def test_fit_relative_says_which_parts_of_the_loop_to_keep():
    assert_says(
        fit_relative_returning(0.75),
        "fit_relative(1) returned 0.75, which is not the weight the repaired loop reaches. "
        "Keep the loss, the data, the start and the learning rate as they are; change only "
        "how the relative error is computed. Stuck? hint(fit_relative)",
    )


# ---------------------------------------------------------------------- train_regressor


@pytest.mark.parametrize(
    ("make", "shown"),
    [(lambda steps: 0.25, "0.25"), (lambda steps: [0.25] * (steps + 1), "[0.25, 0.25]")],
    ids=["a number", "one loss too many"],
)
def test_train_regressor_asks_for_one_loss_per_step(make, shown):
    assert_says(
        train_regressor_returning(make),
        f"train_regressor(1) returned {shown}; return a list with one loss per step.",
    )


def test_train_regressor_says_why_loss_tensors_cost_memory():
    weight = torch.tensor(1.0, requires_grad=True)
    assert_says(
        train_regressor_returning(lambda steps: [weight * 2 for _ in range(steps)]),
        "train_regressor(1) trains, but its list holds loss tensors, and each one keeps its "
        "step's whole graph alive: memory grows with every step. Store loss.item(), a plain "
        "number.",
    )


@pytest.mark.parametrize(
    "make",
    [lambda steps: [torch.tensor(0.5)] * steps, lambda steps: ["0.5"] * steps],
    ids=["tensors without a graph", "strings"],
)
def test_train_regressor_asks_for_floats(make):
    feedback = train_regressor_returning(make)
    assert_says(feedback, "train_regressor(1): return the losses as Python floats (loss.item()).")
    assert "graph alive" not in feedback.message


def test_train_regressor_explains_why_only_the_output_layer_learns():
    from tests.test_debugging import regressor

    assert_says(
        train_regressor_returning(lambda steps: regressor(steps, inside_loop=False, retain=True)),
        "train_regressor(40): only output_weight learns. The hidden layer was computed once, "
        "before the loop, from the starting hidden_weight, so the updates of hidden_weight "
        "never reach the predictions (retain_graph=True or detach() only hide the error). "
        "Stuck? hint(train_regressor)",
    )


def test_train_regressor_says_which_parts_of_the_loop_to_keep():
    assert_says(
        train_regressor_returning(lambda steps: [0.0] * steps),
        "train_regressor(1): these are not the losses the repaired loop gives. Keep the data, "
        "the start and the update as they are. Stuck? hint(train_regressor)",
    )
