"""Every check against right, typical wrong and hostile answers, as learners really write them.

A check must give the right verdict in one kind message: no traceback, no expected value,
no hanging, no flood of printed lines, and the kernel left as the notebook expects it
(gradients on, float32, no inference or anomaly mode), whatever the learner's code did.
Everything is driven through ``check()``, ``evaluate()`` and ``hint()``, as in a notebook.
"""

import gc
import itertools
import json
import math
import re
import sys
import time

import pytest
import torch

from tools.course import NOTEBOOKS
from utils.checks import CORRECT, NOT_YET, check, evaluate, hint, solution
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

# ------------------------------------------------------------------------ the kernel's state


def kernel_state() -> dict:
    return {
        "gradients on": torch.is_grad_enabled(),
        "forward-mode gradients on": torch._C._is_fwd_grad_enabled(),
        "inference mode": torch.is_inference_mode_enabled(),
        "default dtype": torch.get_default_dtype(),
        "default device": torch.get_default_device().type,
        "anomaly detection": torch.is_anomaly_enabled(),
    }


STANDARD_STATE = {
    "gradients on": True,
    "forward-mode gradients on": True,
    "inference mode": False,
    "default dtype": torch.float32,
    "default device": "cpu",
    "anomaly detection": False,
}

_kept_alive = []  # an inference-mode object a hostile answer entered and never exited


@pytest.fixture(autouse=True)
def the_check_leaves_the_kernel_as_the_notebook_expects():
    """After every check, the global autograd state is the course's standard one."""
    yield
    state = kernel_state()
    # put things back whatever happened, so that one failure does not spread to other tests
    _kept_alive.clear()
    torch.set_grad_enabled(True)
    torch._C._set_fwd_grad_enabled(True)
    torch.set_default_dtype(torch.float32)
    torch.set_default_device(None)
    torch.set_anomaly_enabled(False)
    assert state == STANDARD_STATE, "the check left the kernel's global state changed"


# ------------------------------------------------------------------------------- helpers


def expected_values(exercise) -> list[float]:
    """Every number a right answer holds, over all the exercise's cases."""
    values = []
    for args in exercise.cases:
        answer = exercise.reference(*args)
        values.extend(
            itertools.chain.from_iterable(
                part if isinstance(part, list | tuple) else [part]
                for part in (answer if isinstance(answer, tuple) else [answer])
            )
        )
    return values


def leaked_values(message: str, exercise) -> list[str]:
    """Expected values that appear in the message (calls like ``name(2.0)`` left out).

    The learner's own answer, echoed after "returned", is left out too, and one-digit
    whole numbers are not searched for: "step 2 of 25" or "a tuple of 2" are not answers.
    """
    text = re.sub(rf"{re.escape(exercise.name)}\([^)]*\)", "", message)
    text = re.sub(r"returned (\(.*?\)|\[.*?\]|'.*?'|\S+)", "returned ...", text)
    found = []
    for value in expected_values(exercise):
        for shown in {f"{value:g}", f"{value:.4f}", f"{value:.3f}", f"{value:.2f}", repr(value)}:
            if re.fullmatch(r"-?\d", shown):
                continue
            if re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w]|\.\d)", text):
                found.append(shown)
    return found


def checked(function, exercise, capsys) -> str:
    """What check() prints for ``function``, asserted to be one kind, honest message."""
    check(function, exercise=exercise.name)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and 'File "' not in text, text
    assert text.count(CORRECT) + text.count(NOT_YET) == 1, text
    verdict = text[min(i for i in (text.find(CORRECT), text.find(NOT_YET)) if i >= 0) :]
    assert not leaked_values(verdict, exercise), f"expected values shown: {verdict}"
    return text


def passes(function, exercise, capsys) -> str:
    text = checked(function, exercise, capsys)
    assert CORRECT in text, text
    return text


def fails(function, exercise, capsys, *says: str) -> str:
    text = checked(function, exercise, capsys)
    assert NOT_YET in text and CORRECT not in text, text
    for words in says:
        assert words in text, f"{words!r} not in: {text}"
    return text


def section_defining(notebook: str, line: str) -> str:
    """The last heading above the first code cell of ``notebook`` that contains ``line``."""
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text("utf-8"))["cells"]
    heading = None
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for text in source.splitlines():
                if text.startswith("## ") or text.startswith("### "):
                    heading = text.lstrip("#").strip()
        elif line in source.splitlines():
            return heading
    raise AssertionError(f"no cell of {notebook} has the line {line!r}")


# ------------------------------------------------------------ hostile behaviour, reusable


def switches_gradients_off(result):
    def answer(*args):
        torch.set_grad_enabled(False)
        return result(*args)

    return answer


def sets_float64_default(result):
    def answer(*args):
        torch.set_default_dtype(torch.float64)
        return result(*args)

    return answer


def leaves_anomaly_detection_on(result):
    def answer(*args):
        torch.autograd.set_detect_anomaly(True)
        return result(*args)

    return answer


def leaves_inference_mode_on(result):
    def answer(*args):
        mode = torch.inference_mode()
        mode.__enter__()  # and never __exit__
        _kept_alive.append(mode)
        return result(*args)

    return answer


def prints_a_lot(result, lines=10_000):
    def answer(*args):
        for number in range(lines):
            print("debugging", number)
        return result(*args)

    return answer


# ------------------------------------------------------------------- 01: simple function


def simple_right(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    y.backward()
    return x.grad.item()


def simple_right_with_autograd_grad(x_value):
    x = torch.tensor(x_value, dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(x**3 + 2 * x, x)
    return gradient.item()


@pytest.mark.parametrize(
    "answer",
    [
        simple_right,
        simple_right_with_autograd_grad,
        lambda x_value: simple_right(x_value) * (1 + 1e-6),  # float32 rounding is fine
        prints_a_lot(simple_right, lines=3),
    ],
)
def test_simple_function_right_answers_pass(answer, capsys):
    passes(answer, SIMPLE_FUNCTION, capsys)


class Unreadable:
    """An answer whose every conversion fails."""

    def __repr__(self):
        raise RuntimeError("no repr")

    def __float__(self):
        raise RuntimeError("no float")


class BrokenError(Exception):
    def __str__(self):
        raise RuntimeError("no str")


def raises_broken_error(x_value):
    raise BrokenError


def returns_a_generator(x_value):
    yield simple_right(x_value)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda x_value: 3 * x_value**2, "not the gradient"),
        (lambda x_value: simple_right(x_value) * 1.001, "not the gradient"),  # 0.1 % off
        (lambda x_value: simple_right(x_value) * 1.05, "not the gradient"),  # 5 % off
        (lambda x_value: True, "returned True"),
        (lambda x_value: torch.tensor(3 * x_value**2 + 2), ".item()"),
        (lambda x_value: float("nan"), "not the gradient"),
        (lambda x_value: float("inf"), "not the gradient"),
        (lambda x_value: 10**400, "too large"),
        (lambda x_value: Unreadable(), "Unreadable"),
        (lambda x_value: "14", "Python float"),
        (returns_a_generator, "generator"),
        (raises_broken_error, "raised BrokenError"),
        (lambda x_value: sys.exit(), "exit()"),
        (lambda x_value: [][0], "raised IndexError"),
    ],
)
def test_simple_function_wrong_and_strange_answers_are_named(answer, says, capsys):
    fails(answer, SIMPLE_FUNCTION, capsys, says)


def test_a_generator_is_shown_without_its_memory_address(capsys):
    text = fails(returns_a_generator, SIMPLE_FUNCTION, capsys)
    assert "0x" not in text


@pytest.mark.parametrize(
    ("hostile", "says"),
    [
        (switches_gradients_off, "gradient tracking switched off"),
        (sets_float64_default, "default dtype"),
        (leaves_anomaly_detection_on, "anomaly detection"),
        (leaves_inference_mode_on, "inference mode"),
    ],
)
def test_a_function_that_changes_the_kernel_for_good_is_told_and_the_kernel_restored(
    hostile, says, capsys
):
    text = fails(hostile(simple_right), SIMPLE_FUNCTION, capsys, says, "put it back")
    assert "rest of the notebook" in text


@pytest.fixture
def no_automatic_garbage_collection():
    """Garbage is collected only where the test says so."""
    gc.disable()
    yield
    gc.enable()


def test_what_a_failed_call_held_is_freed_before_a_later_check_runs(
    no_automatic_garbage_collection, capsys
):
    def enters_inference_mode_then_fails(x_value):
        mode = torch.inference_mode()
        mode.__enter__()  # held only by this call's frame, and never __exit__
        return simple_right(x_value)  # backward() fails: nothing is tracked in inference mode

    fails(enters_inference_mode_then_fails, SIMPLE_FUNCTION, capsys, "inference mode")

    def leaves_inference_mode_on_once_then_collects_garbage(x_value):
        if not _kept_alive:  # the first call only
            mode = torch.inference_mode()
            mode.__enter__()  # and never __exit__
            _kept_alive.append(mode)
        gc.collect()  # as the collector may, at any moment of a later check
        return 3 * x_value**2 + 2

    # the earlier call's inference mode, freed now, would end this one's: the check would
    # pass a function that leaves inference mode on
    fails(
        leaves_inference_mode_on_once_then_collects_garbage,
        SIMPLE_FUNCTION,
        capsys,
        "inference mode",
    )


def test_after_such_a_function_the_notebook_can_differentiate_again(capsys):
    fails(switches_gradients_off(simple_right), SIMPLE_FUNCTION, capsys)
    x = torch.tensor(2.0, requires_grad=True)
    (x**2).backward()
    assert x.grad.item() == 4.0


@pytest.mark.parametrize(
    ("break_the_kernel", "says"),
    [
        (lambda: torch.set_grad_enabled(False), "gradient tracking was switched off"),
        (lambda: torch.set_default_dtype(torch.float64), "default dtype"),
        (lambda: torch.set_anomaly_enabled(True), "anomaly detection was on"),
        (lambda: torch._C._set_fwd_grad_enabled(False), "forward-mode gradients were switched"),
    ],
)
def test_state_left_by_an_earlier_cell_does_not_fail_a_right_answer(break_the_kernel, says, capsys):
    break_the_kernel()  # a cell above left the kernel changed
    text = passes(simple_right, SIMPLE_FUNCTION, capsys)
    assert says in text and "put it back" in text


def test_an_inference_mode_left_in_a_functions_forward_does_not_stop_forward_mode_later(capsys):
    # The Function's forward runs with forward mode off; the inference mode entered there,
    # freed later, puts that state back on the whole kernel.
    softplus = EXERCISES["Softplus"]
    fails(wrapped(leaves_inference_mode_on, model_solution(softplus)), softplus, capsys)
    _kept_alive.clear()
    gc.collect()

    def with_dual_numbers(function, point, direction):
        import torch.autograd.forward_ad as forward_ad

        with forward_ad.dual_level():
            output = function(forward_ad.make_dual(point, direction))
            return forward_ad.unpack_dual(output).tangent

    text = passes(with_dual_numbers, EXERCISES["directional_derivative"], capsys)
    assert "forward-mode gradients were switched off" in text


def test_printing_is_capped_and_counted(capsys):
    text = passes(prints_a_lot(simple_right), SIMPLE_FUNCTION, capsys)
    lines = text.splitlines()
    assert len(lines) <= 25
    assert lines[:2] == ["debugging 0", "debugging 1"]
    assert re.search(r"\.\.\. \d+ more lines", text)


def test_one_enormous_printed_line_is_cut(capsys):
    def prints_one_huge_line(x_value):
        print("x" * 1_000_000)
        return simple_right(x_value)

    assert len(passes(prints_one_huge_line, SIMPLE_FUNCTION, capsys)) < 10_000


def test_an_endless_sleep_is_stopped_within_seconds(capsys):
    start = time.monotonic()

    def sleeps(x_value):
        while time.monotonic() < start + 20:  # would keep the check busy for 20 s per call
            time.sleep(0.1)
        return simple_right(x_value)

    fails(sleeps, SIMPLE_FUNCTION, capsys, "did not finish within", "seconds")
    assert time.monotonic() - start < 10


def test_an_endless_loop_that_catches_exceptions_is_stopped_too(capsys):
    start = time.monotonic()

    def swallows_everything(x_value):
        while time.monotonic() < start + 20:
            try:
                time.sleep(0.1)
            except Exception:  # a learner's catch-all must not defeat the time limit
                pass
        return 0.0

    fails(swallows_everything, SIMPLE_FUNCTION, capsys, "did not finish within")
    assert time.monotonic() - start < 10


# --------------------------------------------------------------- NameError: which section


def learner_function(source: str, name: str, namespace: dict):
    """Define a learner's function in a notebook-like namespace that lacks some names."""
    exec(source, namespace)
    return namespace[name]


def test_a_name_from_an_earlier_section_is_traced_to_that_section(capsys):
    # notebook 05 defines f before the exercise; the learner has not run that cell
    answer = learner_function(
        "def vjp_two_ways(v_values):\n"
        "    v = torch.tensor(v_values)\n"
        "    x = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)\n"
        "    f(x).backward(v)\n"
        "    return x.grad.tolist(), x.grad.tolist()\n",
        "vjp_two_ways",
        {"torch": torch},
    )
    section = section_defining("05_vector_outputs", "def f(x):")
    fails(answer, VJP_TWO_WAYS, capsys, "NameError", "`f`", f'"{section}"', "Run All Above")


def test_a_name_from_the_set_up_cell_is_traced_to_it(capsys):
    answer = learner_function(
        "def compute_gradient_simple_function(x_value):\n"
        "    x = torch.tensor(x_value, requires_grad=True)\n"
        "    return 0.0\n",
        "compute_gradient_simple_function",
        {},
    )
    section = section_defining("01_requires_grad", "import torch")
    fails(answer, SIMPLE_FUNCTION, capsys, "`torch`", f'"{section}"')


def test_a_misspelt_name_is_not_blamed_on_the_notebook(capsys):
    def misspelt(x_value):
        return torhc.tensor(x_value)  # noqa: F821

    text = fails(misspelt, SIMPLE_FUNCTION, capsys, "NameError", "`torhc`", "spelled")
    assert "section" not in text


# ------------------------------------------------------------------------- 02: two inputs


def multivariate_right(a_value, b_value):
    a = torch.tensor(a_value, requires_grad=True)
    b = torch.tensor(b_value, requires_grad=True)
    (3 * a + 4 * b**2).backward()
    return a.grad.item(), b.grad.item()


def test_multivariate_right_answers_pass(capsys):
    passes(multivariate_right, MULTIVARIATE, capsys)
    passes(lambda a, b: list(multivariate_right(a, b)), MULTIVARIATE, capsys)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda a, b: multivariate_right(a, b)[::-1], "not the gradient"),
        (lambda a, b: (True, multivariate_right(a, b)[1]), "returned True"),
        (lambda a, b: (*multivariate_right(a, b), 0.0), "tuple of 2"),
        (lambda a, b: (float("nan"), float("nan")), "not the gradient"),
        (lambda a, b: iter(multivariate_right(a, b)), "tuple of 2"),
        (switches_gradients_off(multivariate_right), "switched off"),
    ],
)
def test_multivariate_wrong_and_hostile_answers(answer, says, capsys):
    fails(answer, MULTIVARIATE, capsys, says)


# -------------------------------------------------------------------- 03: many points


def many_points_right(x_values):
    gradients = []
    for value in x_values:
        x = torch.tensor(value, requires_grad=True)
        (x**3 + 2 * x).backward()
        gradients.append(x.grad.item())
    return gradients


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda xs: [float("nan")] * len(xs), "not all of these"),
        (lambda xs: [True] * len(xs), "returned True"),
        (lambda xs: list(range(1_000_000)), "one gradient for each"),
        (lambda xs: many_points_right(xs) + [0.0], "one gradient for each"),
        (prints_a_lot(lambda xs: [0.0] * len(xs)), "not all of these"),
        (sets_float64_default(many_points_right), "default dtype"),
    ],
)
def test_many_points_wrong_and_hostile_answers(answer, says, capsys):
    text = fails(answer, MANY_POINTS, capsys, says)
    assert len(text) < 3000


def test_many_points_right_answer_passes(capsys):
    passes(many_points_right, MANY_POINTS, capsys)


# ------------------------------------------------------------------------- 04: predict


def predict_right(model, inputs):
    with torch.no_grad():
        return model(inputs)


def predict_in_float64(model, inputs):
    with torch.no_grad():
        return model(inputs).double()


def predict_eval_and_no_grad(model, inputs):
    model.eval()
    with torch.no_grad():
        return model(inputs)


@pytest.mark.parametrize("answer", [predict_right, predict_in_float64, predict_eval_and_no_grad])
def test_predict_right_answers_pass(answer, capsys):
    passes(answer, PREDICT, capsys)


def predict_switches_gradients_off_for_good(model, inputs):
    torch.set_grad_enabled(False)
    return model(inputs)


def predict_zeroes_the_weights(model, inputs):
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
        return model(inputs)


def predict_nudges_the_weights(model, inputs):
    with torch.no_grad():
        model.weight += 0.01
        return model(inputs)


def predict_zeroes_the_inputs(model, inputs):
    with torch.no_grad():
        inputs.zero_()
        return model(inputs)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (predict_switches_gradients_off_for_good, "gradient tracking switched off"),
        (predict_zeroes_the_weights, "changed the model's weights"),
        (predict_nudges_the_weights, "changed the model's weights"),
        (predict_zeroes_the_inputs, "changed the inputs"),
        (lambda model, inputs: predict_right(model, inputs).long(), "torch.int64"),
        (lambda model, inputs: predict_right(model, inputs) > 0, "torch.bool"),
        (lambda model, inputs: predict_right(model, inputs).to(torch.complex64), "complex"),
        (lambda model, inputs: predict_right(model, inputs).double() + 0.001, "does not return"),
        (lambda model, inputs: predict_right(model, inputs).T, "does not return"),
        (lambda model, inputs: model(inputs), "recorded a graph"),
        (lambda model, inputs: predict_right(model, inputs).requires_grad_(), "require grad"),
        (lambda model, inputs: predict_right(model, inputs).tolist(), "return the tensor"),
    ],
)
def test_predict_wrong_and_hostile_answers(answer, says, capsys):
    fails(answer, PREDICT, capsys, says)


# ---------------------------------------------------------------------------- 05: vjp


def vjp_right(v_values):
    def f(x):
        return torch.stack([x[0] * x[1], x[1] ** 2, torch.sin(x[2])])

    v = torch.tensor(v_values)
    x = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
    f(x).backward(v)
    jacobian = torch.autograd.functional.jacobian(f, x.detach())
    return x.grad, v @ jacobian


def test_vjp_right_answers_pass(capsys):
    passes(vjp_right, VJP_TWO_WAYS, capsys)
    passes(lambda v: tuple(part.double() for part in vjp_right(v)), VJP_TWO_WAYS, capsys)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda v: tuple(part.to(torch.complex64) for part in vjp_right(v)), "three numbers"),
        (lambda v: tuple(part.long() for part in vjp_right(v)), "not x.grad"),
        (lambda v: (vjp_right(v)[0], [math.nan] * 3), "not v @ J"),
        (lambda v: ([True] * 3, [True] * 3), "three numbers"),
        (lambda v: vjp_right, "return a pair"),
        (leaves_anomaly_detection_on(vjp_right), "anomaly detection"),
    ],
)
def test_vjp_wrong_and_hostile_answers(answer, says, capsys):
    fails(answer, VJP_TWO_WAYS, capsys, says)


# ---------------------------------------------------------------------- 06: train_step


def train_step_right(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_step_exploding(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y) * 1e20
    loss.backward()
    optimizer.step()
    return loss.item()


def train_step_with_huge_learning_rate(model, optimizer, loss_fn, x, y):
    for group in optimizer.param_groups:
        group["lr"] = 1e6
    return train_step_right(model, optimizer, loss_fn, x, y)


def train_step_returning_nan(model, optimizer, loss_fn, x, y):
    train_step_right(model, optimizer, loss_fn, x, y)
    return float("nan")


def train_step_slow(model, optimizer, loss_fn, x, y):
    time.sleep(1)  # 25 steps: 25 s without a limit for the whole check
    return train_step_right(model, optimizer, loss_fn, x, y)


def test_train_step_right_answer_passes(capsys):
    passes(train_step_right, TRAIN_STEP, capsys)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (train_step_exploding, "blew up"),
        (train_step_with_huge_learning_rate, "blew up"),
        (train_step_returning_nan, "nan"),
        (lambda model, optimizer, loss_fn, x, y: True, "returned True"),
        (switches_gradients_off(train_step_right), "switched off"),
    ],
)
def test_train_step_hostile_answers(answer, says, capsys):
    text = fails(answer, TRAIN_STEP, capsys, says)
    assert "the loss falls" not in text


def test_train_step_slow_steps_share_one_time_limit(capsys):
    start = time.monotonic()
    fails(train_step_slow, TRAIN_STEP, capsys, "did not finish within")
    assert time.monotonic() - start < 10


# ------------------------------------------------------------------- 07 and 08: the rest


def sigmoid_right(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    torch.sigmoid(x).backward()
    return x.grad.item()


def fit_slope_right(steps):
    inputs = torch.tensor([1.0, 2.0, 3.0, 4.0])
    weight = torch.tensor(0.0, requires_grad=True)
    for _ in range(steps):
        ((weight * inputs - 2.0 * inputs) ** 2).mean().backward()
        with torch.no_grad():
            weight -= 0.01 * weight.grad
        weight.grad = None
    return weight.item()


def second_right(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    (first,) = torch.autograd.grad(x**3 + 2 * x, x, create_graph=True)
    (second,) = torch.autograd.grad(first, x)
    return second.item()


@pytest.mark.parametrize(
    ("exercise", "answer"),
    [
        (SIGMOID_SLOPE, sigmoid_right),
        (FIT_SLOPE, fit_slope_right),
        (SECOND_DERIVATIVE, second_right),
    ],
)
def test_the_remaining_right_answers_pass(exercise, answer, capsys):
    passes(answer, exercise, capsys)


def fit_slope_forever(steps):
    weight = 0.0
    for _ in itertools.count():  # `while True` with a counter: the loop never ends
        weight += 0.0
    return weight


@pytest.mark.parametrize(
    ("exercise", "answer", "says"),
    [
        (SIGMOID_SLOPE, lambda x_value: 0.25, "not the gradient"),
        (SIGMOID_SLOPE, lambda x_value: sigmoid_right(x_value) * 1.01, "not the gradient"),
        (SIGMOID_SLOPE, switches_gradients_off(sigmoid_right), "switched off"),
        (FIT_SLOPE, lambda steps: True, "returned True"),
        (FIT_SLOPE, lambda steps: fit_slope_right(steps) + 1e-3, "not the weight"),
        (FIT_SLOPE, fit_slope_forever, "did not finish within"),
        (SECOND_DERIVATIVE, lambda x_value: 6 * x_value + 0.01, "not the second derivative"),
        (SECOND_DERIVATIVE, sets_float64_default(second_right), "default dtype"),
        (SECOND_DERIVATIVE, leaves_inference_mode_on(second_right), "inference mode"),
    ],
)
def test_the_remaining_wrong_and_hostile_answers(exercise, answer, says, capsys):
    fails(answer, exercise, capsys, says)


# ------------------------------------------------------- hint(), solution(), check() misuse


@pytest.mark.parametrize("number", ["two", None, float("nan"), float("inf"), 2.5, True, [2]])
def test_hint_with_a_number_that_is_not_one_says_so(number, capsys):
    hint(SIMPLE_FUNCTION.name, number)
    out = capsys.readouterr().out
    assert "whole number from 1 to 3" in out
    assert f"hint({SIMPLE_FUNCTION.name}, 2)" in out
    assert "Hint " not in out  # no hint is shown for a number that is not one


@pytest.mark.parametrize("number", [0, -1])
def test_hint_zero_or_below_says_hints_start_at_one_and_shows_the_first(number, capsys):
    hint(SIMPLE_FUNCTION.name, number)
    out = capsys.readouterr().out
    assert "numbered from 1" in out
    assert f"Hint 1 of 3: {SIMPLE_FUNCTION.hints[0]}" in out
    assert "Hint 0" not in out and "Hint -1" not in out


def test_hint_two_point_zero_is_hint_two(capsys):
    hint(SIMPLE_FUNCTION.name, 2.0)
    assert capsys.readouterr().out.startswith(f"Hint 2 of 3: {SIMPLE_FUNCTION.hints[1]}")


@pytest.mark.parametrize("command", [check, hint, solution])
def test_a_command_without_its_function_explains_itself(command, capsys):
    command()
    out = capsys.readouterr().out
    assert f"{command.__name__}(name_of_the_function)" in out


def test_check_of_a_value_instead_of_a_function(capsys):
    check(14.0, exercise=SIMPLE_FUNCTION.name)
    assert "function itself" in capsys.readouterr().out


# --------------------------------- every exercise, new ones included: its own model solution


def model_solution(exercise):
    """The exercise's model solution, as solution() shows it, defined in a fresh namespace."""
    namespace = {"torch": torch}
    exec(exercise.solution, namespace)
    return namespace[exercise.name]


def wrapped(hostile, solution):
    """``hostile(solution)``; for a class (a custom autograd.Function), a subclass whose
    forward is the hostile version of the solution's forward."""
    if isinstance(solution, type):
        forward = staticmethod(hostile(solution.forward))
        return type(solution.__name__, (solution,), {"forward": forward})
    return hostile(solution)


ALL = pytest.mark.parametrize("exercise", EXERCISES.values(), ids=list(EXERCISES))


@ALL
def test_every_model_solution_passes_even_when_it_prints(exercise, capsys):
    text = passes(wrapped(prints_a_lot, model_solution(exercise)), exercise, capsys)
    assert len(text.splitlines()) <= 25


@ALL
@pytest.mark.parametrize(
    ("hostile", "says"),
    [
        (switches_gradients_off, "gradient tracking switched off"),
        (sets_float64_default, "default dtype"),
        (leaves_inference_mode_on, "inference mode"),
    ],
)
def test_every_check_catches_a_solution_that_breaks_the_kernel(exercise, hostile, says, capsys):
    solution = model_solution(exercise)
    if isinstance(solution, type) and hostile is switches_gradients_off:
        # Function.apply puts back the gradient mode its forward changed: no harm is done
        passes(wrapped(hostile, solution), exercise, capsys)
        assert torch.is_grad_enabled()
        return
    fails(wrapped(hostile, solution), exercise, capsys, says, "put it back")


@ALL
@pytest.mark.parametrize("value", [True, None, "0.5", float("nan"), Unreadable()])
def test_every_check_rejects_strange_return_values_kindly(exercise, value, capsys):
    fails(lambda *args: value, exercise, capsys)


def test_evaluate_prints_nothing_even_when_the_answer_prints(capsys):
    feedback = evaluate(prints_a_lot(simple_right), SIMPLE_FUNCTION)
    assert capsys.readouterr().out == ""
    assert feedback.passed


def test_outside_the_main_thread_a_check_runs_without_a_time_limit():
    import threading

    results = []
    worker = threading.Thread(
        target=lambda: results.append(evaluate(simple_right, SIMPLE_FUNCTION))
    )
    worker.start()
    worker.join(timeout=60)
    assert results and results[0].passed


def test_a_late_timer_signal_after_the_check_changes_nothing():
    import signal

    if not hasattr(signal, "setitimer"):
        pytest.skip("no interval timers on this platform")
    before = signal.getsignal(signal.SIGALRM)
    evaluate(simple_right, SIMPLE_FUNCTION)
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_printing_keeps_the_first_twenty_lines_and_counts_the_rest_exactly():
    from utils.guard import guarded_call, session

    def prints(count):
        for number in range(count):
            print("line", number, end="\n" if number % 2 else "")
            print() if number % 2 == 0 else None
        print("no newline at the end", end="")
        return count

    with session() as output:
        assert guarded_call(prints, (10_000,)).answer == 10_000
    lines = output.text().splitlines()
    assert lines[:3] == ["line 0", "line 1", "line 2"] and len(lines) == 21
    assert lines[-1] == "... 9981 more lines (the check shows the first 20)"


def test_a_function_that_checks_itself_keeps_the_time_limit():
    start = time.monotonic()

    def checks_itself_then_sleeps(x_value):
        evaluate(simple_right, SIMPLE_FUNCTION)  # a check within the check
        while time.monotonic() < start + 20:
            time.sleep(0.1)
        return 0.0

    feedback = evaluate(checks_itself_then_sleeps, SIMPLE_FUNCTION)
    assert not feedback.passed and "did not finish within" in feedback.message
    assert time.monotonic() - start < 10
