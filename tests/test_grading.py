"""Autograding for teachers: the graded check raises on a wrong answer, and nbgrader grades
the course's assignment as a teacher expects.

The slow test builds the assignment with `tools/course.py assignment`, which runs nbgrader's
own `generate_assignment`, then lets nbgrader's `autograde` grade three submissions: every
exercise right, every exercise left as its stub, and a typical wrong answer to each.
"""

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from tools.course import (
    ASSIGNMENT,
    POINTS,
    ROOT,
    EditedByHand,
    assignment_edition,
    course_notebooks,
    student_notebooks,
    write_assignment,
)
from utils.checks import check
from utils.exercises import EXERCISES
from utils.grading import assert_correct

MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION\n", re.MULTILINE)

# A mistake learners really make in each exercise (each passes no check).
TYPICAL_WRONG_ANSWERS = {
    "compute_gradient_simple_function": """
def compute_gradient_simple_function(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    return y.item()  # the value of the function, not its slope
""",
    "compute_gradient_multivariate": """
def compute_gradient_multivariate(a_value, b_value):
    a = torch.tensor(a_value, requires_grad=True)
    b = torch.tensor(b_value, requires_grad=True)
    (3 * a + 4 * b**2).backward()
    return b.grad.item(), a.grad.item()  # in the wrong order
""",
    "gradients_at_many_points": """
def gradients_at_many_points(x_values):
    x = torch.tensor(0.0, requires_grad=True)
    gradients = []
    for value in x_values:
        with torch.no_grad():
            x.copy_(torch.tensor(value))
        (x**3 + 2 * x).backward()
        gradients.append(x.grad.item())  # never zeroed: the gradients accumulate
    return gradients
""",
    "predict": """
def predict(model, inputs):
    return model(inputs)  # records a graph nobody needs
""",
    "vjp_two_ways": """
def vjp_two_ways(v_values):
    def f(x):
        return torch.stack([x[0] * x[1], x[1] ** 2, torch.sin(x[2])])

    v = torch.tensor(v_values)
    x = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
    f(x).backward(v)
    jacobian = torch.autograd.functional.jacobian(f, x.detach())
    return x.grad.tolist(), (jacobian @ v).tolist()  # J v, not vᵀ J
""",
    "train_step": """
def train_step(model, optimizer, loss_fn, x, y):
    loss = loss_fn(model(x), y)  # no zero_grad(): old gradients add up
    loss.backward()
    optimizer.step()
    return loss.item()
""",
    "slope_of_sigmoid": """
def slope_of_sigmoid(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    return torch.sigmoid(x).item()  # the value, not the slope
""",
    "fit_slope": """
def fit_slope(steps):
    inputs = torch.tensor([1.0, 2.0, 3.0, 4.0])
    targets = 2.0 * inputs
    weight = torch.tensor(0.0, requires_grad=True)
    for _ in range(steps):
        loss = ((weight * inputs - targets) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            weight -= 0.01 * weight.grad  # .grad never cleared
    return weight.item()
""",
    "second_derivative": """
def second_derivative(x_value):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    (first,) = torch.autograd.grad(y, x)  # no create_graph=True: cannot differentiate again
    (second,) = torch.autograd.grad(first, x)
    return second.item()
""",
    "fit_relative": """
def fit_relative(steps: int) -> float:
    inputs = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    targets = torch.tensor([0.0, 1.6, 2.9, 4.6, 6.1])
    weight = torch.tensor(0.5, requires_grad=True)
    for _ in range(steps):
        errors = weight * inputs - targets
        relative = torch.where(targets != 0, errors / targets, errors)  # the NaN trap, kept
        loss = (relative**2).mean()
        loss.backward()
        with torch.no_grad():
            weight -= 0.1 * weight.grad
        weight.grad = None
    return weight.item()
""",
    "train_regressor": """
def train_regressor(steps: int) -> list[float]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(32, 3, generator=generator)
    targets = torch.sin(inputs.sum(dim=1, keepdim=True))
    hidden_weight = (0.5 * torch.randn(3, 8, generator=generator)).requires_grad_()
    output_weight = (0.5 * torch.randn(8, 1, generator=generator)).requires_grad_()
    hidden = torch.tanh(inputs @ hidden_weight).detach()  # built once: the first layer never learns
    losses = []
    for _ in range(steps):
        predictions = hidden @ output_weight
        loss = ((predictions - targets) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            output_weight -= 0.1 * output_weight.grad
            output_weight.grad = None
        losses.append(loss.item())
    return losses
""",
    "per_sample_gradients": """
def per_sample_gradients(loss_of_one, weight, inputs, targets):
    gradient_of_one = torch.func.grad(loss_of_one)
    gradients = [gradient_of_one(weight, x, t) for x, t in zip(inputs, targets)]
    return torch.stack(gradients).sum(dim=0)  # summed: the batch's gradient, not each example's
""",
    "directional_derivative": """
def directional_derivative(function, point, direction):
    return direction @ torch.func.jacrev(function)(point)  # reverse mode, and v @ J, not J @ v
""",
    "Softplus": """
class Softplus(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.log1p(torch.exp(x))

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return torch.sigmoid(x)  # forgets grad_output: the chain rule stops here
""",
    "derivative_curve": """
def derivative_curve(f, x_values):
    return 3 * x_values**2 + 2  # the formula for one f, typed in: no autograd
""",
    "branchy_total": """
def branchy(x):
    if x > 0:
        return x**2
    return -3 * x


def branchy_total(x):
    total = 0.0
    for entry in x:
        total += branchy(entry).item()  # a number: the graph is cut
    return torch.tensor(total)
""",
    "accumulate_unequal_parts": """
def accumulate_unequal_parts(weight, bias, inputs, targets, sizes):
    for x_part, y_part in zip(inputs.split(sizes), targets.split(sizes), strict=True):
        loss = ((weight * x_part + bias - y_part) ** 2).mean() / len(sizes)  # equal shares
        loss.backward()
    return weight.grad.item(), bias.grad.item()
""",
    "fine_tune_last_layer": """
def fine_tune_last_layer(model, inputs, targets, steps):
    for _ in range(steps):  # nothing frozen: every layer gets a gradient
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter -= 0.1 * parameter.grad
                parameter.grad = None
    return sorted(name for name, parameter in model.named_parameters())
""",
    "per_example_gradients": """
def per_example_gradients(loss_fn, weight, inputs, targets):
    w = weight.clone().requires_grad_()
    loss_fn(w, inputs, targets).sum().backward()  # the batch's gradient, summed over examples
    return w.grad.expand(len(inputs), *w.shape)
""",
    "train_and_validate": """
def train_and_validate(model, optimizer, loss_fn, training, validation, batch_size, epochs):
    x_train, y_train = training
    x_valid, y_valid = validation
    validation_losses = []
    for _ in range(epochs):
        for start in range(0, len(x_train), batch_size):
            optimizer.zero_grad()
            x_batch = x_train[start : start + batch_size]
            loss = loss_fn(model(x_batch), y_train[start : start + batch_size])
            loss.backward()
            optimizer.step()
        validation_losses.append(loss_fn(model(x_valid), y_valid).item())  # tracked: a graph
    return validation_losses
""",
    "input_gradient": """
def input_gradient(model, values):
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True).float()  # not a leaf
    model(x).sum().backward()
    return x.grad
""",
}
# The engine exercises: the model solution with the gradient assigned instead of accumulated.
for _name in ("engine_tanh", "engine_exp"):
    _solution = EXERCISES[_name].solution
    _head, _, _tail = _solution.partition(f"def {_name}(node):")
    TYPICAL_WRONG_ANSWERS[_name] = (
        _head + f"def {_name}(node):" + _tail.replace("node.grad +=", "node.grad =")
    )
    assert TYPICAL_WRONG_ANSWERS[_name] != _solution
STUB = """
def {name}(*args):
    # Your code here: replace the next line.
    raise NotImplementedError
"""
# An exercise whose answer is a class (a custom autograd.Function) has a class as its stub.
CLASS_STUB = """
class {name}(torch.autograd.Function):
    @staticmethod
    def forward(x):
        # Your code here: replace the next line.
        raise NotImplementedError

    @staticmethod
    def setup_context(ctx, inputs, output):
        # Your code here: replace the next line.
        raise NotImplementedError
"""


def define(source: str, name: str):
    """The function ``name`` that ``source`` defines, as a notebook cell would."""
    namespace = {"torch": torch}
    exec(source, namespace)
    return namespace[name]


def printed(call) -> str:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        call()
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_graded_check_passes_a_model_solution(name):
    function = define(EXERCISES[name].solution, name)
    assert printed(lambda: assert_correct(function)).startswith("✔ Correct")


@pytest.mark.parametrize("name", sorted(TYPICAL_WRONG_ANSWERS))
def test_the_graded_check_raises_on_a_wrong_answer_where_check_stays_kind(name):
    function = define(TYPICAL_WRONG_ANSWERS[name], name)
    kind = printed(lambda: check(function)).strip()  # never raises
    assert kind.startswith("✘ Not yet")
    with pytest.raises(AssertionError) as raised:
        assert_correct(function)
    assert str(raised.value) == kind, "the graded check says what check() says"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_graded_check_raises_on_the_stub(name):
    is_class = EXERCISES[name].solution.lstrip().startswith("class ")
    stub = (CLASS_STUB if is_class else STUB).format(name=name)
    with pytest.raises(AssertionError, match="not written yet"):
        assert_correct(define(stub, name))


def test_the_graded_check_raises_on_an_unknown_exercise_or_a_result():
    with pytest.raises(AssertionError, match="no exercise called"):
        assert_correct(lambda: 1.0)
    with pytest.raises(AssertionError, match="without parentheses"):
        assert_correct(14.0, "compute_gradient_simple_function")


def test_every_exercise_has_a_typical_wrong_answer_to_grade():
    assert set(TYPICAL_WRONG_ANSWERS) <= set(EXERCISES)
    missing = sorted(set(EXERCISES) - set(TYPICAL_WRONG_ANSWERS))
    assert not missing, f"add a typical wrong answer for {missing} to TYPICAL_WRONG_ANSWERS"


# ------------------------------------------------------------------ the assignment's form


@pytest.fixture(params=course_notebooks(), ids=lambda p: p.name)
def assignment(request):
    return assignment_edition(nbformat.read(request.param, as_version=4))


def test_each_exercise_is_a_solution_cell_followed_by_a_locked_graded_cell(assignment):
    cells = assignment.cells
    exercises = [i for i, c in enumerate(cells) if "### BEGIN SOLUTION" in c.source]
    assert exercises, "every notebook has an exercise"
    for index in exercises:
        name = re.search(r"^check\((\w+)\)", cells[index].source, re.MULTILINE).group(1)
        assert cells[index].metadata["nbgrader"] == {
            "grade": False,
            "grade_id": name,
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
        graded = [c for c in cells[index + 1 : index + 3] if c.metadata.get("nbgrader")]
        assert len(graded) == 1, f"{name}: one graded cell right after the exercise"
        assert graded[0].metadata["nbgrader"]["locked"] is True
        assert graded[0].metadata["nbgrader"]["grade"] is True
        assert graded[0].metadata["nbgrader"]["points"] == POINTS
        assert graded[0].source.endswith(f"assert_correct({name})")
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)) == 2 * len(exercises)


def test_the_assignment_never_offers_solution(assignment):
    for cell in assignment.cells:
        assert not re.search(r"\bsolution\(|import .*\bsolution\b", cell.source), cell.source
        assert cell.cell_type != "code" or not cell.outputs


def test_a_teacher_s_edit_to_the_assignment_is_never_replaced(tmp_path):
    first = course_notebooks()[:1]
    [written] = write_assignment(tmp_path, ASSIGNMENT, first)
    assert write_assignment(tmp_path, ASSIGNMENT, first) == [written], "unchanged: rewritten"
    edited = nbformat.read(written, as_version=4)
    edited.cells[0].source += "\n\nDue on Friday."
    nbformat.write(edited, written)
    before = written.read_bytes()
    with pytest.raises(EditedByHand, match="edited by hand"):
        write_assignment(tmp_path, ASSIGNMENT, first)
    assert written.read_bytes() == before


# --------------------------------------------------------- nbgrader grades three submissions


def nbgrader(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    bin_folder = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(bin_folder / "nbgrader"), *arguments],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def submit(folder: Path, student: str, answer) -> None:
    """Copy the released notebooks as ``student`` and write ``answer(name, cell)`` into each
    exercise (None: leave the stub)."""
    release = folder / "release" / ASSIGNMENT
    submitted = folder / "submitted" / student / ASSIGNMENT
    submitted.mkdir(parents=True)
    for path in sorted(release.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        source = nbformat.read(folder / "source" / ASSIGNMENT / path.name, as_version=4)
        for cell, original in zip(notebook.cells, source.cells, strict=True):
            if cell.metadata.get("nbgrader", {}).get("solution"):
                written = answer(cell.metadata.nbgrader.grade_id, original.source)
                if written is not None:
                    cell.source = written
        nbformat.write(notebook, submitted / path.name)


def right(name: str, source: str) -> str:
    return MARKERS.sub("", source)


def wrong(name: str, source: str) -> str:
    return f"{TYPICAL_WRONG_ANSWERS[name].strip()}\n\n\ncheck({name})"


@pytest.mark.slow
def test_nbgrader_grades_right_empty_and_wrong_submissions(tmp_path):
    built = subprocess.run(
        [sys.executable, "tools/course.py", "assignment", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    release = sorted((tmp_path / "release" / ASSIGNMENT).glob("*.ipynb"))
    assert [p.name for p in release] == [p.name for p in course_notebooks()]
    for path in release:
        released = nbformat.read(path, as_version=4)
        student = nbformat.read(ROOT / "notebooks/student" / path.name, as_version=4)
        text = nbformat.writes(released)
        assert "BEGIN SOLUTION" not in text and "solution(" not in text
        stubs = [c.source for c in released.cells if "raise NotImplementedError" in c.source]
        assert stubs == [c.source for c in student.cells if "raise NotImplementedError" in c.source]
    assert len(student_notebooks()) == len(release)

    submit(tmp_path, "right", right)
    submit(tmp_path, "empty", lambda name, source: None)
    submit(tmp_path, "wrong", wrong)
    graded = nbgrader(tmp_path, "autograde", ASSIGNMENT)
    assert graded.returncode == 0, graded.stderr[-3000:]

    from nbgrader.api import Gradebook

    exercises = sum(
        "### BEGIN SOLUTION" in c.source
        for p in course_notebooks()
        for c in nbformat.read(p, as_version=4).cells
    )
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in ("right", "empty", "wrong"):
            submission = gradebook.find_submission(ASSIGNMENT, student)
            assert submission.max_score == exercises * POINTS
            scores[student] = {
                grade.name: grade.score for nb in submission.notebooks for grade in nb.grades
            }
    assert len(scores["right"]) == exercises
    assert set(scores["right"].values()) == {POINTS}, scores["right"]
    assert set(scores["empty"].values()) == {0}, scores["empty"]
    assert set(scores["wrong"].values()) == {0}, scores["wrong"]
    # Graded for the right reason: the graded check's kind message, not some other error.
    for student, ename in (("wrong", "AssertionError"), ("empty", "AssertionError")):
        for path in sorted((tmp_path / "autograded" / student / ASSIGNMENT).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.metadata.get("nbgrader", {}).get("grade"):
                    [error] = [o for o in cell.outputs if o.output_type == "error"]
                    assert error.ename == ename and error.evalue.startswith("✘ Not yet"), error
