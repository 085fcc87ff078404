"""A learner's work is never lost: no command of the course overwrites or deletes it.

Each test works in a copy of the repository (a git repository of its own) and acts as a
learner would: `make workspace` (the preparation step of `make lab EDITION=student`), answers
typed into notebooks, an ``Untitled.ipynb`` and a ``-Copy1`` notebook saved beside them. Then it
runs every make target that writes files and checks that each of those edits and files is still
there, byte for byte, or that the command stopped with its message and changed nothing.

To keep `make outputs` and `make site` quick, the copy holds the first notebook of the course
only (and its student edition); the commands are the same for eight notebooks or one.
"""

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from tools.course import ROOT, course_notebooks

VENV = ROOT / ".venv"
FIRST = course_notebooks()[0].name
STUB = "    # Your code here: replace the next line.\n    raise NotImplementedError\n"
ANSWER = (
    "    x = torch.tensor(x_value, requires_grad=True)\n"
    "    (x**3 + 2 * x).backward()\n"
    "    return x.grad.item()  # typed by a learner\n"
)
WRITERS = ["navigation", "outputs", "site", "format", "workspace"]

pytestmark = pytest.mark.slow


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)


def make(course: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run make in the copy with this checkout's virtual environment, which it never re-installs."""
    return run(
        [
            "make",
            "-s",
            "--no-print-directory",
            f"VENV={VENV}",
            "-o",
            f"{VENV}/.test-installed",
            "-o",
            f"{VENV}/.lab-installed",
            *arguments,
        ],
        course,
    )


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the repository, settled (navigation up to date) and committed."""
    copy = tmp_path / "course"
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        parts = Path(name).parts
        other_notebook = parts[0] == "notebooks" and name.endswith(".ipynb") and parts[-1] != FIRST
        if source.is_file() and not other_notebook:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    settled = run([str(VENV / "bin/python"), "tools/course.py", "navigation"], copy)
    assert settled.returncode == 0, settled.stderr
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "copy"],
    ):
        assert run(command, copy).returncode == 0
    return copy


def type_an_answer(path: Path) -> None:
    """Write the exercise's answer into a notebook and save it, as JupyterLab would."""
    notebook = nbformat.read(path, as_version=4)
    exercise = next(c for c in notebook.cells if STUB in c.source)
    exercise.source = exercise.source.replace(STUB, ANSWER)
    nbformat.write(notebook, path)


def save_new_notebooks(folder: Path) -> None:
    """What File > New and File > Duplicate leave in a folder."""
    untitled = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("my_notes = 1")])
    nbformat.write(untitled, folder / "Untitled.ipynb")
    shutil.copy2(folder / FIRST, folder / FIRST.replace(".ipynb", "-Copy1.ipynb"))


def learner_files(course: Path, folder: str) -> dict[str, bytes]:
    names = [FIRST, "Untitled.ipynb", FIRST.replace(".ipynb", "-Copy1.ipynb")]
    return {name: (course / folder / name).read_bytes() for name in names}


def snapshot(course: Path) -> dict[str, bytes]:
    """Every file of the copy, except git's own and what the site and the tools cache."""
    skipped = {".git", "_site", ".ruff_cache", "__pycache__", ".pytest_cache"}
    return {
        str(p.relative_to(course)): p.read_bytes()
        for p in course.rglob("*")
        if p.is_file() and not skipped & set(p.relative_to(course).parts)
    }


def test_the_workspace_is_copied_once_then_only_gains_new_notebooks(course):
    first = make(course, "workspace", "EDITION=student")
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in (course / "my-work").iterdir()) == [FIRST]
    assert first.stdout.strip().splitlines() == [
        "my-work/: your own copy of the student edition (1 notebooks). Work there: course "
        "commands and updates never change it."
    ]
    type_an_answer(course / "my-work" / FIRST)
    save_new_notebooks(course / "my-work")
    before = learner_files(course, "my-work")

    # A course update: the student notebook changes and a new notebook arrives.
    updated = nbformat.read(course / "notebooks/student" / FIRST, as_version=4)
    updated.cells[0].source += "\n\nA sentence added by an update."
    nbformat.write(updated, course / "notebooks/student" / FIRST)
    shutil.copy2(course / "notebooks/student" / FIRST, course / "notebooks/student/02_new.ipynb")

    again = make(course, "workspace", "EDITION=student")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines() == [
        "my-work/: added 02_new.ipynb; the notebooks you already had are as you left them."
    ]
    assert learner_files(course, "my-work") == before
    assert (course / "my-work/02_new.ipynb").exists()
    assert "my-work" not in run(["git", "status", "--porcelain"], course).stdout, "git ignores it"

    # `make lab EDITION=student` runs this step first, then opens the learner's copy.
    plan = make(course, "-n", "lab", "EDITION=student").stdout.splitlines()
    assert plan[0].endswith("-m tools.course workspace my-work")
    assert f"--LabApp.default_url=/lab/tree/my-work/{FIRST}" in plan[-1]


def test_no_generator_changes_the_learner_workspace(course):
    assert make(course, "workspace", "EDITION=student").returncode == 0
    type_an_answer(course / "my-work" / FIRST)
    save_new_notebooks(course / "my-work")
    save_new_notebooks(course / "notebooks/student")  # beside the student edition, untouched
    before = {
        "my-work": learner_files(course, "my-work"),
        "student": (course / "notebooks/student/Untitled.ipynb").read_bytes(),
        "copy": (
            course / "notebooks/student" / FIRST.replace(".ipynb", "-Copy1.ipynb")
        ).read_bytes(),
    }
    for target in WRITERS:
        done = make(course, target, "EDITION=student")
        assert done.returncode == 0, f"make {target}: {done.stderr}"
        after = {
            "my-work": learner_files(course, "my-work"),
            "student": (course / "notebooks/student/Untitled.ipynb").read_bytes(),
            "copy": (
                course / "notebooks/student" / FIRST.replace(".ipynb", "-Copy1.ipynb")
            ).read_bytes(),
        }
        assert after == before, f"make {target} changed a learner's file"


def test_generators_refuse_to_replace_a_student_notebook_edited_by_hand(course):
    student = course / "notebooks/student"
    type_an_answer(student / FIRST)
    save_new_notebooks(student)
    # A pending change to the course notebook, which navigation would carry into the student
    # edition and the README's course map.
    source = nbformat.read(course / "notebooks" / FIRST, as_version=4)
    source.cells[0].source = source.cells[0].source.replace(" · ", " · Revised: ", 1)
    nbformat.write(source, course / "notebooks" / FIRST)
    before = snapshot(course)

    for target in ["navigation", "outputs"]:
        stopped = make(course, target)
        assert stopped.returncode != 0, f"make {target} replaced a learner's edits"
        message = stopped.stderr.strip().splitlines()[0]
        assert message.startswith(f"Stopped, nothing changed: notebooks/student/{FIRST} was ")
        assert "edited by hand" in message and "my-work/" in message
        assert snapshot(course) == before, f"make {target} changed files before stopping"

    stranger = run(
        [
            str(VENV / "bin/python"),
            "tools/course.py",
            "outputs",
            "notebooks/student/Untitled.ipynb",
        ],
        course,
    )
    assert stranger.returncode != 0 and "is not a course notebook" in stranger.stderr
    assert snapshot(course) == before

    for target in ["site", "format", "workspace"]:
        done = make(course, target, "EDITION=student")
        assert done.returncode == 0, f"make {target}: {done.stderr}"
        assert learner_files(course, "notebooks/student") == {
            name: before[f"notebooks/student/{name}"]
            for name in learner_files(course, "notebooks/student")
        }, f"make {target} changed a learner's file"


def test_a_student_notebook_made_before_answers_were_folded_is_brought_up_to_date(course):
    """A student notebook exactly as the older generator made it from the committed notebook is
    the generator's to replace; the same file with a learner's answer in it is not."""
    from tools.course import PREDICT_ANSWER, student_edition, write

    source_path, student_path = course / "notebooks" / FIRST, course / "notebooks/student" / FIRST
    source = nbformat.read(source_path, as_version=4)
    answer = next(c for c in source.cells[1:] if c.cell_type == "markdown")
    answer.metadata["tags"] = [PREDICT_ANSWER]
    nbformat.write(source, source_path)
    write(student_edition(source, fold_answers=False), student_path)  # no fingerprint
    commit = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qam", "older"]
    assert run(commit, course).returncode == 0

    type_an_answer(student_path)
    before = snapshot(course)
    stopped = make(course, "navigation")
    assert stopped.returncode != 0 and "edited by hand" in stopped.stderr
    assert snapshot(course) == before

    assert run(["git", "checkout", "--", str(student_path)], course).returncode == 0
    updated = make(course, "navigation")
    assert updated.returncode == 0, updated.stderr
    folded = nbformat.read(student_path, as_version=4).cells[source.cells.index(answer)]
    assert folded.source.startswith("<details>")
