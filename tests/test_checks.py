"""The exercise checks: right answers pass, typical wrong answers get a kind, exact message.

PyTorch in float64 and hand-derived formulas are the oracles; a failing check must
never reveal the expected value.
"""

import math
import re

import pytest
import torch

from tools.course import NOTEBOOKS
from utils.checks import CORRECT, NOT_YET, check, compare, evaluate, finite_difference, hint
from utils.checks import solution as show_solution
from utils.exercises import (
    EXERCISES,
    FIT_SLOPE,
    MANY_POINTS,
    MULTIVARIATE,
    PREDICT,
    SECOND_DERIVATIVE,
    SIGMOID_SLOPE,
    SIMPLE_FUNCTION,
    TRAIN_STEP,
    VJP_TWO_WAYS,
)

# --------------------------------------------------------------------------- the references


@pytest.mark.parametrize("args", SIMPLE_FUNCTION.cases)
def test_simple_function_reference_matches_hand_derivative_and_finite_difference(args):
    (x,) = args
    expected = 3 * x**2 + 2
    assert SIMPLE_FUNCTION.reference(x) == pytest.approx(expected, rel=1e-12)
    assert finite_difference(lambda t: t**3 + 2 * t, x) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("args", MULTIVARIATE.cases)
def test_multivariate_reference_matches_hand_derivatives(args):
    a, b = args
    assert MULTIVARIATE.reference(a, b) == pytest.approx((3.0, 8 * b), rel=1e-12)
    assert finite_difference(lambda t: 3 * t + 4 * b**2, a) == pytest.approx(3.0, rel=1e-7)
    assert finite_difference(lambda t: 3 * a + 4 * t**2, b) == pytest.approx(8 * b, rel=1e-6)


def test_finite_difference_of_sine_is_cosine():
    for x in (-2.0, 0.0, 0.7):
        assert finite_difference(torch.sin, x) == pytest.approx(math.cos(x), abs=1e-8)


# ------------------------------------------------------------------ answers learners write


def right_simple(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    y.backward()
    return x.grad.item()


def returns_tensor(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    (x**3 + 2 * x).backward()
    return x.grad


def wrong_derivative(x_value):
    return 3 * x_value**2  # forgot the + 2


def returns_function_value(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    y.backward()
    return y.item()


def reads_grad_before_backward(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    gradient = x.grad
    y.backward()
    return gradient


def not_written_yet(x_value):
    raise NotImplementedError


def stub_with_ellipsis(x_value): ...


def raises_error(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    return x.grad.item()  # AttributeError: None has no .item()


_shared = torch.tensor(2.0, requires_grad=True)


def forgets_to_zero(x_value):
    """Re-uses one tensor and never zeroes it: the second call doubles the answer."""
    with torch.no_grad():
        _shared.copy_(torch.tensor(x_value))
    (_shared**3 + 2 * _shared).backward()
    return _shared.grad.item()


def as_simple_function(function):
    """Give a test double the exercise's name, as a learner's function would have."""
    function.__name__ = SIMPLE_FUNCTION.name
    return function


def test_right_answer_passes():
    feedback = evaluate(right_simple, SIMPLE_FUNCTION)
    assert feedback.passed
    assert feedback.message.startswith(CORRECT)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (returns_tensor, ".item()"),
        (wrong_derivative, "not the gradient"),
        (returns_function_value, "not the gradient"),
        (reads_grad_before_backward, "before it, .grad is None"),
        (not_written_yet, "not written yet"),
        (stub_with_ellipsis, "returned None"),
        (raises_error, "raised AttributeError"),
    ],
)
def test_typical_wrong_answers_get_a_specific_message(answer, says):
    feedback = evaluate(answer, SIMPLE_FUNCTION)
    assert not feedback.passed
    assert feedback.message.startswith(NOT_YET)
    assert says in feedback.message


@pytest.mark.parametrize(
    "answer", [returns_tensor, wrong_derivative, returns_function_value, forgets_to_zero]
)
def test_a_failed_check_never_reveals_the_expected_value(answer):
    _shared.grad = None  # forgets_to_zero starts afresh, whichever tests ran before
    message = evaluate(answer, SIMPLE_FUNCTION).message
    said = re.sub(rf"{SIMPLE_FUNCTION.name}\([^)]*\)", "", message)  # the call shown is no leak
    shown = [float(n) for n in re.findall(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?", said)]
    expected = [SIMPLE_FUNCTION.reference(*args) for args in SIMPLE_FUNCTION.cases]
    for value in expected:
        assert not any(math.isclose(abs(value), number) for number in shown), message


def test_accumulating_gradient_is_detected_by_calling_twice():
    _shared.grad = None
    feedback = evaluate(forgets_to_zero, SIMPLE_FUNCTION)
    assert not feedback.passed
    assert "accumulating" in feedback.message


def test_exception_message_is_one_line_without_traceback():
    def fails(x_value):
        raise ValueError("something broke\nsecond line of detail")

    message = evaluate(fails, SIMPLE_FUNCTION).message
    assert "raised ValueError: something broke" in message
    assert "second line" not in message
    assert "Traceback" not in message


def test_passing_the_result_instead_of_the_function_is_explained():
    message = evaluate(14.0, SIMPLE_FUNCTION).message
    assert "function itself" in message
    assert f"check({SIMPLE_FUNCTION.name})" in message


def test_check_finds_the_exercise_by_the_function_name(capsys):
    check(as_simple_function(right_simple))
    assert capsys.readouterr().out.startswith(CORRECT)


def test_check_with_an_unknown_name_lists_the_exercises(capsys):
    def my_gradient(x_value):
        return 0.0

    check(my_gradient)
    out = capsys.readouterr().out
    assert out.startswith(NOT_YET)
    assert "'my_gradient'" in out
    for name in EXERCISES:
        assert name in out


def test_check_with_an_explicit_exercise_name(capsys):
    def my_gradient(x_value):
        return right_simple(x_value)

    check(my_gradient, exercise=SIMPLE_FUNCTION.name)
    assert capsys.readouterr().out.startswith(CORRECT)


# ------------------------------------------------------------------------- multivariate


def right_multivariate(a_value, b_value):
    a = torch.tensor(a_value, requires_grad=True)
    b = torch.tensor(b_value, requires_grad=True)
    (3 * a + 4 * b**2).backward()
    return a.grad.item(), b.grad.item()


def test_multivariate_right_answer_passes():
    assert evaluate(right_multivariate, MULTIVARIATE).passed


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda a, b: (torch.tensor(3.0), torch.tensor(8 * b)), ".item()"),
        (lambda a, b: torch.tensor([3.0, 8 * b]), ".item()"),
        (lambda a, b: 3.0, "tuple of 2"),
        (lambda a, b: (8 * b, 3.0), "not the gradient"),  # swapped
        (lambda a, b: (3.0, 4 * b), "not the gradient"),  # forgot the power rule's 2
        (lambda a, b: (3.0, "8b"), "tuple of 2 Python floats"),
    ],
)
def test_multivariate_typical_wrong_answers(answer, says):
    feedback = evaluate(answer, MULTIVARIATE)
    assert not feedback.passed
    assert says in feedback.message


# ------------------------------------------------------------------------ hints, solutions


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_every_solution_passes_its_own_check(exercise, capsys):
    show_solution(exercise.name)
    code = capsys.readouterr().out
    namespace = {"torch": torch}
    exec(code, namespace)
    assert evaluate(namespace[exercise.name], exercise).passed


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_hints_lead_on_without_giving_the_solution(exercise, capsys):
    hint(exercise.name)
    first = capsys.readouterr().out
    assert first.startswith(f"Hint 1 of {len(exercise.hints)}")
    assert f"hint({exercise.name}, 2)" in first
    hint(exercise.name, 99)  # past the last hint: shows the last one
    assert capsys.readouterr().out.startswith(f"Hint {len(exercise.hints)} of")


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_each_hint_shows_that_hint_and_nothing_more(exercise, capsys):
    """Exactly the hint and where the next one is: no model solution, no other hint."""
    count = len(exercise.hints)
    for number, text in enumerate(exercise.hints, start=1):
        hint(exercise.name, number)
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == f"Hint {number} of {count}: {text}"
        more = [f"(More: hint({exercise.name}, {number + 1}))"] if number < count else []
        assert lines[1:] == more


# ------------------------------------------------------------------------------- compare


def test_compare_reports_exact_and_close(capsys):
    compare("same", torch.tensor([1.0, 2.0]), [1.0, 2.0])
    compare("nearly", torch.tensor(1.0), 1.0 + 1e-9)
    compare("different", torch.tensor(1.0), 1.1)
    same, nearly, different = capsys.readouterr().out.splitlines()
    assert "exact: True" in same and "close: True" in same
    assert "exact: False" in nearly and "close: True" in nearly
    assert "close: False" in different


def test_compare_uses_the_tolerance_it_is_given(capsys):
    compare("loose", torch.tensor(1.0), 1.001, tolerance=1e-2)
    compare("tight", torch.tensor(1.0), 1.001, tolerance=1e-4)
    compare("default", torch.tensor(1.0), 1.0 + 1e-5)
    loose, tight, default = capsys.readouterr().out.splitlines()
    assert "close: True" in loose and "(tolerance 0.01)" in loose
    assert "close: False" in tight and "(tolerance 0.0001)" in tight
    assert "close: False" in default and "(tolerance 1e-06)" in default


def test_compare_tolerance_is_absolute_near_zero_and_relative_for_large_values(capsys):
    compare("near zero", torch.tensor(0.0), 1e-7)  # |difference| 1e-7 <= 1e-6
    compare("large", torch.tensor(1000.0), 1000.5, tolerance=1e-3)  # 0.5 <= 1e-3 * 1000.5
    near_zero, large = capsys.readouterr().out.splitlines()
    assert "close: True" in near_zero
    assert "close: True" in large


def test_compare_explains_a_shape_mismatch(capsys):
    compare("shapes", torch.zeros(2), torch.zeros(3))
    assert "shapes differ: (2,) vs (3,)" in capsys.readouterr().out


# -------------------------------------------------------------- gradients at many points


def leaks_between_points(x_values):
    x = torch.tensor(0.0, requires_grad=True)
    gradients = []
    for value in x_values:
        with torch.no_grad():
            x.copy_(torch.tensor(value))
        (x**3 + 2 * x).backward()
        gradients.append(x.grad.item())  # never reset: each answer adds the ones before
    return gradients


def test_many_points_right_answer_matches_the_hand_derivative():
    values = [1.0, -2.0, 0.5]
    assert MANY_POINTS.reference(values) == pytest.approx([3 * v**2 + 2 for v in values])


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (leaks_between_points, "accumulating"),
        (lambda xs: [3 * x**2 for x in xs], "not all of these are the gradient"),
        (lambda xs: torch.tensor([3 * x**2 + 2 for x in xs]), "returned a tensor"),
        (lambda xs: 3 * xs[0] ** 2 + 2, "one gradient for each"),
        (lambda xs: [torch.tensor(3 * x**2 + 2) for x in xs], ".item()"),
    ],
)
def test_many_points_wrong_answers(answer, says):
    feedback = evaluate(answer, MANY_POINTS)
    assert not feedback.passed
    assert says in feedback.message


# ------------------------------------------------------------------------------ predict


def predict_in_eval_mode(model, inputs):
    model.eval()
    return model(inputs)


def predict_detached_numpy(model, inputs):
    return model(inputs).detach().numpy()


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (predict_in_eval_mode, "model.eval() does not turn tracking off"),
        (lambda model, inputs: model(inputs), "recorded a graph"),
        (predict_detached_numpy, "return the tensor"),
        (lambda model, inputs: model(inputs[:1]).detach(), "does not return model(inputs)"),
    ],
)
def test_predict_wrong_answers(answer, says):
    feedback = evaluate(answer, PREDICT)
    assert not feedback.passed
    assert says in feedback.message


def test_predict_accepts_no_grad_and_inference_mode():
    def with_inference_mode(model, inputs):
        with torch.inference_mode():
            return model(inputs)

    assert evaluate(with_inference_mode, PREDICT).passed


# ---------------------------------------------------------------------------- vjp_two_ways

HAND_JACOBIAN = [  # of (x0·x1, x1², sin x2) at (1, 2, 0.5), by hand
    [2.0, 1.0, 0.0],
    [0.0, 4.0, 0.0],
    [0.0, 0.0, math.cos(0.5)],
]


def test_vjp_reference_matches_the_hand_jacobian():
    v = [0.5, -1.0, 2.0]
    by_hand = [sum(v[i] * HAND_JACOBIAN[i][j] for i in range(3)) for j in range(3)]
    via_backward, via_jacobian = VJP_TWO_WAYS.reference(v)
    assert via_backward == pytest.approx(by_hand) and via_jacobian == pytest.approx(by_hand)


def j_times_v(v_values):
    v = torch.tensor(v_values, dtype=torch.float64)
    jacobian = torch.tensor(HAND_JACOBIAN, dtype=torch.float64)
    return (v @ jacobian).tolist(), (jacobian @ v).tolist()


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (j_times_v, "the second answer is J @ v"),
        (lambda v: (v, v), "the first answer is not x.grad"),
        (lambda v: j_times_v(v)[0], "return a pair"),
        (lambda v: ([1.0, 2.0], [1.0, 2.0]), "three numbers"),
        (lambda v: (j_times_v(v)[0], [0.0, 0.0, 0.0]), "the second answer is not v @ J"),
    ],
)
def test_vjp_wrong_answers(answer, says):
    feedback = evaluate(answer, VJP_TWO_WAYS)
    assert not feedback.passed
    assert says in feedback.message


def test_vjp_accepts_tensors():
    def with_tensors(v_values):
        via_backward, via_jacobian = VJP_TWO_WAYS.reference(v_values)
        return torch.tensor(via_backward), torch.tensor(via_jacobian)

    assert evaluate(with_tensors, VJP_TWO_WAYS).passed


# ------------------------------------------------------------------------------ train_step


def step_without_zero_grad(model, optimizer, loss_fn, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_without_optimizer_step(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss.item()


def step_returning_tensor(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


def step_zeroing_at_the_end(model, optimizer, loss_fn, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def step_returning_loss_after_update(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
    return loss_fn(model(x), y).item()


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (step_without_zero_grad, "never zeroes the gradients"),
        (step_without_optimizer_step, "has not fallen"),
        (step_returning_tensor, "loss.item()"),
        (step_returning_loss_after_update, "other than this step's loss"),
        (lambda model, optimizer, loss_fn, x, y: None, "returned None"),
    ],
)
def test_train_step_wrong_answers(answer, says):
    feedback = evaluate(answer, TRAIN_STEP)
    assert not feedback.passed
    assert says in feedback.message


def test_train_step_may_zero_at_the_end_of_the_step():
    assert evaluate(step_zeroing_at_the_end, TRAIN_STEP).passed


# ------------------------------------------------------------- second derivative, notebook 07


@pytest.mark.parametrize("args", SECOND_DERIVATIVE.cases)
def test_second_derivative_reference_is_six_x(args):
    (x,) = args
    assert SECOND_DERIVATIVE.reference(x) == pytest.approx(6 * x)


def first_derivative_only(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    (first,) = torch.autograd.grad(x**3 + 2 * x, x)
    return first.item()


def without_create_graph(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    (first,) = torch.autograd.grad(x**3 + 2 * x, x)
    (second,) = torch.autograd.grad(first, x)
    return second.item()


def test_second_derivative_wrong_answers():
    feedback = evaluate(first_derivative_only, SECOND_DERIVATIVE)
    assert "not the second derivative" in feedback.message
    feedback = evaluate(without_create_graph, SECOND_DERIVATIVE)
    assert "raised RuntimeError" in feedback.message and "Traceback" not in feedback.message


@pytest.mark.parametrize("args", SIGMOID_SLOPE.cases)
def test_sigmoid_slope_reference(args):
    (x,) = args
    sigma = 1 / (1 + math.exp(-x))
    assert SIGMOID_SLOPE.reference(x) == pytest.approx(sigma * (1 - sigma))


def test_fit_slope_reference_approaches_two_and_the_bugs_are_caught():
    assert FIT_SLOPE.reference(40) == pytest.approx(2.0, abs=0.05)
    assert 0 < FIT_SLOPE.reference(1) < FIT_SLOPE.reference(5) < FIT_SLOPE.reference(40)

    def never_zeroes(steps):
        inputs = torch.tensor([1.0, 2.0, 3.0, 4.0])
        weight = torch.tensor(0.0, requires_grad=True)
        for _ in range(steps):
            ((weight * inputs - 2.0 * inputs) ** 2).mean().backward()
            with torch.no_grad():
                weight -= 0.01 * weight.grad
        return weight.item()

    feedback = evaluate(never_zeroes, FIT_SLOPE)
    assert "not the weight the repaired loop reaches" in feedback.message


@pytest.mark.parametrize(
    ("factor", "passes"), [(1 + 1e-6, True), (1 - 1e-6, True), (1.001, False), (1.05, False)]
)
def test_a_right_answer_may_be_off_by_rounding_but_not_by_a_tenth_of_a_percent(factor, passes):
    feedback = evaluate(lambda x_value: right_simple(x_value) * factor, SIMPLE_FUNCTION)
    assert feedback.passed is passes


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_a_number(value):
    for exercise, answer in (
        (SIMPLE_FUNCTION, lambda x_value: value),
        (MULTIVARIATE, lambda a, b: (value, 8 * b)),
        (MANY_POINTS, lambda xs: [value] * len(xs)),
        (TRAIN_STEP, lambda model, optimizer, loss_fn, x, y: value),
    ):
        feedback = evaluate(answer, exercise)
        assert not feedback.passed and f"returned {value}" in feedback.message


def test_an_exercise_is_judged_by_its_reference_or_by_its_own_judge():
    from utils.feedback import Exercise

    with pytest.raises(TypeError, match="judge or returns"):
        Exercise("x", abs, ((1.0,),), ("a hint",), "code", "praise")


# ------------------------------------------------------- one source for each model solution


def notebook_solution(notebook: str, name: str) -> list[str]:
    """The body of the notebook's solution cell for ``name``, line by line, stripped."""
    import json

    path = NOTEBOOKS / f"{notebook}.ipynb"
    for cell in json.loads(path.read_text("utf-8"))["cells"]:
        source = "".join(cell["source"])
        defines = f"def {name}(" in source or f"class {name}(" in source
        if defines and "### BEGIN SOLUTION" in source:
            # a class may have a solution block in each method
            blocks = [
                part.split("### END SOLUTION")[0] for part in source.split("### BEGIN SOLUTION")[1:]
            ]
            return [line.strip() for block in blocks for line in block.strip().splitlines()]
    raise AssertionError(f"{notebook} has no solution cell for {name}")


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_the_model_solution_is_the_notebooks_solution(exercise):
    """solution() shows the code of the notebook's solution cell (plus, at most, a helper the
    notebook defined in an earlier cell, so that the shown solution runs on its own)."""
    assert exercise.notebook, f"{exercise.name}: say which notebook ends with it (notebook=...)"
    shown = {line.strip() for line in exercise.solution.strip().splitlines()}
    missing = [
        line for line in notebook_solution(exercise.notebook, exercise.name) if line not in shown
    ]
    assert not missing, f"solution() and the notebook differ: {missing}"


def test_a_playground_imports_no_checker():
    import subprocess
    import sys

    code = "import sys, utils.widgets; print('utils.checks' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_every_exercise_defined_is_registered():
    import utils.exercises as module

    defined = {v.name for v in vars(module).values() if isinstance(v, module.Exercise)}
    assert defined == set(EXERCISES)


# ------------------------------------------------- one-line answers to a mistyped command


@pytest.mark.parametrize("command", [check, hint, show_solution])
def test_an_unknown_exercise_gets_one_line_listing_every_exercise(command, capsys):
    command("no_such_exercise")
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{NOT_YET}: there is no exercise called 'no_such_exercise'")
    listed = line.split("the exercises are: ")[1].split(", ")
    assert sorted(listed) == sorted(EXERCISES), "every exercise, separated by commas"


@pytest.mark.parametrize(
    ("number", "shown"),
    [("two", "'two'"), ([2], "list"), (2.5, "2.5"), (None, "None"), (True, "True")],
)
def test_a_hint_number_that_is_not_one_is_quoted_back(number, shown, capsys):
    hint(SIMPLE_FUNCTION.name, number)
    assert capsys.readouterr().out.rstrip().endswith(f"; {shown} is not one.")


def test_a_long_value_given_as_a_hint_number_is_cut_to_thirty_characters(capsys):
    fits = "x" * 28  # its repr, with the quotes, is 30 characters: shown whole
    hint(SIMPLE_FUNCTION.name, fits)
    assert capsys.readouterr().out.rstrip().endswith(f"; {fits!r} is not one.")
    long = "y" * 29  # 31 characters with the quotes: cut
    hint(SIMPLE_FUNCTION.name, long)
    quoted = capsys.readouterr().out.rstrip().removesuffix(" is not one.").rsplit("; ", 1)[1]
    assert len(quoted) == 30 and quoted.endswith("...")
    assert repr(long).startswith(quoted.removesuffix("..."))


def test_hint_zero_first_says_where_hints_start(capsys):
    hint(SIMPLE_FUNCTION.name, 0)
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert "numbered from 1" in first
    assert second.startswith("Hint 1 of")


def test_past_the_last_hint_points_to_the_model_solution(capsys):
    hint(SIMPLE_FUNCTION.name, 99)
    last = capsys.readouterr().out.splitlines()[-1]
    assert f"solution({SIMPLE_FUNCTION.name}) shows a model solution." in last


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))
def test_a_check_leaves_the_notebooks_random_numbers_as_they_were(exercise):
    """A seeded notebook draws the same numbers after a check cell as it would without it."""
    torch.manual_seed(0)
    expected = torch.rand(3)
    namespace = {"torch": torch}
    exec(exercise.solution, namespace)
    torch.manual_seed(0)
    assert evaluate(namespace[exercise.name], exercise).passed
    assert torch.equal(torch.rand(3), expected)
