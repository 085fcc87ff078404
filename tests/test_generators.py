"""The generators' commands, run on a small course of two notebooks in a temporary folder.

Each test calls ``tools/course.py``'s ``main`` as a maintainer, teacher or learner would from
the command line, and checks the files it writes and the lines it prints. The real course is
never touched: the module's folders are pointed at the temporary copy.
"""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

import tools.course as course

BINDER = "https://mybinder.org/v2/gh/autograd-hands-on/autograd-hands-on/stable"
COLAB = "https://colab.research.google.com/github/autograd-hands-on/autograd-hands-on/blob/stable"
README = (
    "# A small course\n\n<!-- badges:start -->\nold badges\n<!-- badges:end -->\n\n"
    "Some words a maintainer wrote.\n\n<!-- course-map:start -->\nold map\n"
    "<!-- course-map:end -->\n\nThe end.\n"
)


def lesson(number: int, title: str, exercise: str) -> nbformat.NotebookNode:
    """A notebook shaped like the course's: title, set-up, a prediction, an exercise, Next."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md(f"# {number:02d} · {title}\n\nWhat this notebook is about."),
        md("## Set-up"),
        code(
            "import math\n\nfrom utils.checks import check, hint, solution",
            metadata={"slideshow": {"slide_type": "fragment"}},  # left by an older layout
        ),
        md("Predict what the next cell prints."),
        code(
            "print(2 + 2)",
            metadata={"tags": ["predict-answer"]},
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="4\n")],
            execution_count=2,
        ),
        md("It prints 4: the answer.", metadata={"tags": ["predict-answer"]}),
        md(f"## Exercise: `{exercise}`\n\nWrite it. Run `solution({exercise})` to see one."),
        code(
            f"def {exercise}(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
            f"\n\ncheck({exercise})"
        ),
        code(f"# hint({exercise})\n# solution({exercise})"),
        md("## Next\n\nTo be generated."),
    ]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """A course of two notebooks and a README in ``tmp_path``, which the generators now use."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(lesson(1, "First steps", "double"), notebooks / "01_first.ipynb")
    nbformat.write(lesson(2, "Second steps", "triple"), notebooks / "02_second.ipynb")
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    for name, value in {
        "ROOT": tmp_path,
        "NOTEBOOKS": notebooks,
        "README": tmp_path / "README.md",
        "STUDENT": notebooks / "student",
        "WORKSPACE": tmp_path / "my-work",
        "ASSIGNMENT_FOLDER": tmp_path / "_nbgrader",
    }.items():
        monkeypatch.setattr(course, name, value)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    """Run one command: its exit status, its printed lines, and what it said on stderr."""
    status = course.main(list(argv))
    said = capsys.readouterr()
    return status, said.out.splitlines(), said.err


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def snapshot(root: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- navigation


def test_navigation_writes_next_links_the_map_and_the_student_edition(root, capsys):
    status, out, _ = run(capsys, "check-navigation")
    assert status == 1
    assert out[0].startswith("out of date (run: make outputs): ")
    for stale in ["notebooks/01_first.ipynb", "README.md", "notebooks/student/02_second.ipynb"]:
        assert stale in out[0].split()

    status, out, _ = run(capsys, "navigation")
    assert status == 0
    assert out == [
        "updated: notebooks/01_first.ipynb",
        "updated: notebooks/02_second.ipynb",
        "updated: README.md",
        "generated: notebooks/student/01_first.ipynb",
        "generated: notebooks/student/02_second.ipynb",
    ]
    first, second = (
        read(root / "notebooks/01_first.ipynb"),
        read(root / "notebooks/02_second.ipynb"),
    )
    assert first.cells[-1].source.startswith(
        "## Next\n\nContinue with [02 · Second steps](02_second.ipynb).\n\nWhen you move on"
    )
    assert second.cells[-1].source.startswith(
        "## Next\n\nThis is the last notebook: well done. "
        "Back to the [first notebook](01_first.ipynb).\n\nWhen you move on"
    )
    assert "stops this notebook's kernel" in first.cells[-1].source
    assert first.cells[0].source.startswith(
        f"# 01 · First steps\n\n[![Open in Colab]({course.COLAB_BADGE_IMAGE})]"
        f"({COLAB}/notebooks/01_first.ipynb)\n\nWhat this notebook is about."
    )
    assert first.cells[2].source.startswith(course.BOOTSTRAP + "\nimport math")
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in first.cells]
    assert kinds == [
        "slide",  # the title
        "slide",  # a section
        None,  # code stays with the prose above it
        "subslide",
        None,
        "subslide",
        "slide",
        None,
        "skip",  # the hidden hint and solution
        "slide",
    ]

    readme = (root / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# A small course\n\n<!-- badges:start -->\n[![Binder]")
    assert f"({BINDER}?urlpath=lab/tree/notebooks/01_first.ipynb)" in readme.split("\n")[3]
    assert "Some words a maintainer wrote." in readme and readme.endswith("The end.\n")
    rows = [line for line in readme.splitlines() if line.startswith("| 0")]
    assert len(rows) == 2
    assert rows[0].startswith("| 01 | [First steps](notebooks/01_first.ipynb) | [complete](")
    assert f"[student]({BINDER}?urlpath=lab/tree/notebooks/student/02_second.ipynb)" in rows[1]
    assert f"[student]({COLAB}/notebooks/student/02_second.ipynb)" in rows[1]
    assert "old map" not in readme and "old badges" not in readme

    text = (root / "notebooks/student/01_first.ipynb").read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n"), "one final newline, as git likes"
    student = read(root / "notebooks/student/01_first.ipynb")
    assert "Student edition" in student.cells[0].source
    assert f"({COLAB}/notebooks/student/01_first.ipynb)" in student.cells[0].source
    exercise = student.cells[7].source
    assert "return 2 * x" not in exercise and "    raise NotImplementedError\n" in exercise
    assert student.cells[5].source.startswith("<details>")
    assert student.cells[4].outputs == []

    before = snapshot(root)
    assert run(capsys, "navigation") == (0, [], "")
    assert run(capsys, "check-navigation") == (0, [], "")
    assert snapshot(root) == before, "a second run changes nothing"


@pytest.mark.parametrize(
    "last", [None, "## Summary\n\nWhat you learned."], ids=["code cell last", "no Next heading"]
)
def test_navigation_needs_a_next_cell_and_says_which_notebook_lacks_it(root, capsys, last):
    path = root / "notebooks/02_second.ipynb"
    notebook = read(path)
    notebook.cells.pop()
    if last is not None:
        notebook.cells.append(nbformat.v4.new_markdown_cell(last))
    nbformat.write(notebook, path)
    before = snapshot(root)
    status, out, err = run(capsys, "navigation")
    assert (status, out) == (1, [])
    assert err == "02_second.ipynb: the last cell must be a markdown '## Next' cell\n"
    assert snapshot(root) == before


def test_a_hand_edited_student_notebook_stops_navigation_before_any_write(root, capsys):
    run(capsys, "navigation")
    mine = root / "notebooks/student/01_first.ipynb"
    edited = read(mine)
    edited.cells[7].source = "def double(x):\n    return x + x  # my answer"
    nbformat.write(edited, mine)
    course_notebook = root / "notebooks/01_first.ipynb"
    changed = read(course_notebook)
    changed.cells[3].source = "Predict, then run the next cell."
    changed.cells[-1].source = "## Next\n\nAn old link."  # navigation would rewrite it
    nbformat.write(changed, course_notebook)
    before = snapshot(root)
    status, out, err = run(capsys, "navigation")
    assert (status, out) == (1, [])
    assert err.startswith(
        "Stopped, nothing changed: notebooks/student/01_first.ipynb was edited by hand, and "
        "this command would replace it. Your own work belongs in my-work/"
    )
    assert err.count("\n") == 1
    assert snapshot(root) == before


def test_a_student_notebook_holding_what_would_be_written_is_replaced_without_complaint(
    root, capsys
):
    run(capsys, "navigation")
    copied = root / "notebooks/student/01_first.ipynb"
    notebook = read(copied)
    notebook.metadata = {}  # the same cells, without the generator's mark
    nbformat.write(notebook, copied)
    assert run(capsys, "navigation") == (0, ["generated: notebooks/student/01_first.ipynb"], "")
    assert read(copied).metadata["course"]["edition"] == "student"


def test_a_left_over_student_notebook_is_removed_only_if_generated(root, capsys):
    run(capsys, "navigation")
    student = root / "notebooks/student"
    generated = read(student / "01_first.ipynb")
    course.write_generated(generated, student / "03_removed.ipynb")
    course.write_generated(generated, student / "05_removed_too.ipynb")
    mine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('mine')")])
    nbformat.write(mine, student / "04_mine.ipynb")
    nbformat.write(mine, student / "Untitled.ipynb")
    status, out, _ = run(capsys, "navigation")
    assert status == 0
    assert out == [
        "left alone: notebooks/student/04_mine.ipynb (no course notebook of that name; "
        "not generated)",
        "removed: notebooks/student/03_removed.ipynb",
        "removed: notebooks/student/05_removed_too.ipynb",
    ]
    assert not (student / "03_removed.ipynb").exists()
    assert not (student / "05_removed_too.ipynb").exists()
    assert read(student / "04_mine.ipynb").cells[0].source == "print('mine')"
    assert (student / "Untitled.ipynb").exists()


def test_a_student_notebook_from_the_committed_course_notebook_is_not_a_hand_edit(root, capsys):
    """An edition made by an older generator (no fingerprint) from the committed notebook."""
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "notebooks"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "course"], cwd=root, check=True)
    student = root / "notebooks/student"
    student.mkdir()
    committed = read(root / "notebooks/01_first.ipynb")
    for fold_answers in (True, False):
        older = course.student_edition(committed, fold_answers=fold_answers)
        del older.metadata[course.MARK]
        nbformat.write(older, student / "01_first.ipynb")
        assert not course.edited_by_hand(student / "01_first.ipynb")
    older.cells[7].source += "\n# a learner's note"
    nbformat.write(older, student / "01_first.ipynb")
    assert course.edited_by_hand(student / "01_first.ipynb")
    # Not a student notebook: no committed edition to compare with.
    other = root / "elsewhere.ipynb"
    nbformat.write(course.student_edition(committed), other)
    assert course.committed_student_editions(other) == []
    assert course.edited_by_hand(other)


def test_a_generated_notebook_that_is_no_notebook_any_more_is_a_hand_edit(root):
    conflict = root / "notebooks/student/01_first.ipynb"
    conflict.parent.mkdir()
    conflict.write_text("<<<<<<< HEAD\n", encoding="utf-8")
    assert course.edited_by_hand(conflict)
    assert not course.edited_by_hand(conflict.parent / "02_second.ipynb"), "missing: nothing lost"


# ------------------------------------------------------------------------------ workspace


def test_workspace_copies_the_student_edition_once_and_keeps_the_learners_work(root, capsys):
    run(capsys, "navigation")
    student = root / "notebooks/student"
    status, out, _ = run(capsys, "workspace")
    assert status == 0
    assert out == [
        "my-work/: your own copy of the student edition (2 notebooks). Work there: course "
        "commands and updates never change it."
    ]
    work = root / "my-work"
    for name in ["01_first.ipynb", "02_second.ipynb"]:
        assert (work / name).read_bytes() == (student / name).read_bytes()

    (work / "01_first.ipynb").write_text("my own answers", encoding="utf-8")
    (work / "02_second.ipynb").unlink()
    assert run(capsys, "workspace", str(work))[1] == [
        "my-work/: added 02_second.ipynb; the notebooks you already had are as you left them."
    ]
    assert (work / "01_first.ipynb").read_text(encoding="utf-8") == "my own answers"
    assert run(capsys, "workspace", str(work))[1] == [
        "my-work/: nothing new; your notebooks are as you left them."
    ]

    nested = root / "courses" / "autograd"
    assert run(capsys, "workspace", str(nested))[1][0].startswith("autograd/: your own copy")
    elsewhere = root / "deep" / "mine"
    elsewhere.mkdir(parents=True)
    (elsewhere / "Untitled.ipynb").write_text("{}", encoding="utf-8")
    assert run(capsys, "workspace", str(elsewhere))[1] == [
        "mine/: added 01_first.ipynb, 02_second.ipynb; the notebooks you already had are as "
        "you left them."
    ]
    assert (elsewhere / "Untitled.ipynb").read_text(encoding="utf-8") == "{}"


# ---------------------------------------------------------------------------- static site


class Texts(HTMLParser):
    """The text of each kind of element on a page, and any text outside them."""

    def __init__(self):
        super().__init__()
        self.by_tag, self.open, self.stray = {}, [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta",):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open.pop() == tag

    def handle_data(self, data):
        inside = [t for t in self.open if t in ("h1", "title", "p", "a")]
        if inside:
            self.by_tag.setdefault(inside[-1], []).append(data)
        elif data.strip():
            self.stray.append(data)


def test_site_writes_an_index_and_one_page_per_notebook(root, capsys):
    run(capsys, "navigation")
    site = root / "public" / "course"  # a folder that does not exist yet, nor its parent
    status, out, _ = run(capsys, "site", str(site))
    assert (status, out) == (0, [f"wrote 3 pages to {site}"])
    assert sorted(p.name for p in site.iterdir()) == [
        "01_first.html",
        "02_second.html",
        "index.html",
    ]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert index.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>Autograd, hands-on</title>" in index
    assert (
        '<ol>\n<li><a href="01_first.html">01 · First steps</a></li>\n'
        '<li><a href="02_second.html">02 · Second steps</a></li>\n</ol>'
    ) in index
    # As a reader sees it: the course's name (the README's title) as heading, a paragraph that
    # says where the code runs, the notebooks' titles as a list, and no stray text.
    course_name = (
        (Path(course.__file__).parent.parent / "README.md")
        .read_text(encoding="utf-8")
        .splitlines()[0]
        .removeprefix("# ")
    )
    texts = Texts()
    texts.feed(index)
    assert texts.by_tag["h1"] == [course_name] and texts.by_tag["title"] == [course_name]
    (paragraph,) = texts.by_tag["p"]
    assert "PyTorch" in paragraph and "JupyterLab" in paragraph
    assert texts.by_tag["a"] == ["01 · First steps", "02 · Second steps"]
    assert texts.stray == [], "no text outside the heading, the paragraph and the list"
    assert texts.open == [], "every element is closed"
    page = (site / "01_first.html").read_text(encoding="utf-8")
    assert '<a href="02_second.html">' in page and "02_second.ipynb" not in page
    loaded = re.findall(r'<(?:script|img)[^>]* src="([^"]+)"|<link[^>]* href="([^"]+)"', page)
    assert not [u for pair in loaded for u in pair if re.match(r"(https?:)?//", u)], (
        "the site loads nothing from the network"
    )
    assert 'href="index.html"' in page, "each page leads back to the contents"
    assert f'href="{COLAB}/notebooks/01_first.ipynb"' in page
    assert "<title>01_first</title>" in page


def test_site_goes_to_site_folder_unless_told(root, capsys, monkeypatch):
    built = []
    monkeypatch.setattr(course, "build_site", lambda target: built.append(target) or [target])
    assert run(capsys, "site") == (0, [f"wrote 1 pages to {root / '_site'}"], "")
    assert built == [root / "_site"]


# ----------------------------------------------------------------------------- assignment


def test_assignment_source_only_writes_the_nbgrader_source_and_a_config(root, capsys):
    run(capsys, "navigation")  # the course notebooks as stored: with slide metadata
    folder = root / "grading"
    status, out, _ = run(capsys, "assignment", str(folder), "--name", "week-1", "--source-only")
    assert (status, out) == (
        0,
        [f"nbgrader assignment 'week-1' in {folder}: 2 notebooks in source/week-1/"],
    )
    source = folder / "source" / "week-1"
    assert sorted(p.name for p in source.iterdir()) == ["01_first.ipynb", "02_second.ipynb"]
    config = (folder / "nbgrader_config.py").read_text(encoding="utf-8")
    assert 'c.CourseDirectory.course_id = "autograd-hands-on"' in config

    graded = read(source / "01_first.ipynb")
    sources = [c.source for c in graded.cells]
    title, blank, banner = sources[0].split("\n")[:3]
    assert (title, blank) == ("# 01 · First steps", "") and banner.startswith("> **Assignment.**")
    assert "from utils.checks import check, hint\n" in sources[2] + "\n"
    assert not any("slideshow" in c.metadata for c in graded.cells), "not a slide deck"
    assert not any("solution(" in s for s in sources), "nbgrader hides the solutions"
    assert sources[6] == "## Exercise: `double`\n\nWrite it."
    assert sources[2].startswith(course.BOOTSTRAP_START), "the Colab part stays"
    exercise = sources.index(next(s for s in sources if "### BEGIN SOLUTION" in s))
    assert graded.cells[exercise].metadata["nbgrader"]["solution"] is True
    assert sources[exercise + 1] == "# hint(double)"
    assert sources[exercise + 2].endswith("assert_correct(double)")
    assert sources[exercise + 2].startswith("# Graded (1 point): an error here means double")
    assert [c.id for c in graded.cells] == [f"cell-{n:02d}" for n in range(len(graded.cells))]
    assert graded.metadata["course"]["edition"] == "assignment"

    # A teacher's own settings are kept when the assignment is written again.
    (folder / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    run(capsys, "assignment", str(folder), "--name", "week-1", "--source-only")
    assert (folder / "nbgrader_config.py").read_text(encoding="utf-8") == "c = get_config()\n"


def test_a_teachers_edits_to_two_notebooks_are_both_named_and_kept(root, capsys):
    folder = root / "grading"
    run(capsys, "assignment", str(folder), "--source-only")
    written = sorted((folder / "source" / "autograd-hands-on").glob("*.ipynb"))
    for path in written:
        edited = read(path)
        edited.cells[0].source += "\n\nDue on Friday."
        nbformat.write(edited, path)
    before = snapshot(folder)
    status, out, err = run(capsys, "assignment", str(folder), "--source-only")
    assert (status, out) == (1, [])
    assert err.startswith(
        "Stopped, nothing changed: grading/source/autograd-hands-on/01_first.ipynb, "
        "grading/source/autograd-hands-on/02_second.ipynb were edited by hand, and this "
        "command would replace them. To keep your changes, build into another folder "
        "(tools/course.py assignment FOLDER)"
    )
    assert snapshot(folder) == before


def test_a_graded_cell_worth_two_points_says_points():
    cell = course.graded_cell("double", points=2)
    assert cell.source.startswith("# Graded (2 points): an error here means double is not")
    assert cell.metadata["nbgrader"]["points"] == 2
    assert cell.metadata["nbgrader"]["locked"] is True


def test_an_exercise_without_a_hint_cell_is_followed_by_its_graded_cell(root):
    notebook = lesson(1, "First steps", "double")
    del notebook.cells[8]  # the hint cell
    graded = course.assignment_edition(notebook)
    sources = [c.source for c in graded.cells]
    exercise = next(i for i, s in enumerate(sources) if "### BEGIN SOLUTION" in s)
    assert sources[exercise + 1].endswith("assert_correct(double)")
    assert sources[exercise + 2].startswith("## Next")


def fake_nbgrader(root: Path, monkeypatch, script: str) -> Path:
    """Put an ``nbgrader`` command beside a stand-in Python, as a virtual environment has it."""
    bin_folder = root / "env" / "bin"
    bin_folder.mkdir(parents=True)
    nbgrader = bin_folder / "nbgrader"
    nbgrader.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    nbgrader.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_folder / "python"))
    return bin_folder


def test_assignment_releases_with_nbgraders_own_command(root, capsys, monkeypatch):
    bin_folder = fake_nbgrader(
        root, monkeypatch, 'echo "$*" > called; echo "$PATH" >> called; pwd >> called\n'
    )
    status, out, _ = run(capsys, "assignment")
    folder = root / "_nbgrader"
    assert (status, out) == (
        0,
        [
            f"nbgrader assignment 'autograd-hands-on' in {folder}: 2 notebooks in "
            "source/autograd-hands-on/ and release/autograd-hands-on/"
        ],
    )
    arguments, path, cwd = (folder / "called").read_text(encoding="utf-8").splitlines()
    assert arguments == "generate_assignment autograd-hands-on --force"
    assert path.split(":")[0] == str(bin_folder), "nbgrader finds alembic beside it"
    assert Path(cwd) == folder
    assert (folder / "source" / "autograd-hands-on" / "02_second.ipynb").exists()


def test_release_finds_nbgrader_even_without_a_path(root, capsys, monkeypatch):
    bin_folder = fake_nbgrader(root, monkeypatch, 'echo "$PATH" > called\n')
    monkeypatch.delenv("PATH")
    assert run(capsys, "assignment", str(root / "g"))[0] == 0
    assert (root / "g" / "called").read_text(encoding="utf-8") == f"{bin_folder}:\n"


def test_a_failed_release_keeps_the_end_of_a_long_message(root, capsys, monkeypatch):
    fake_nbgrader(
        root,
        monkeypatch,
        "head -c 600 /dev/zero | tr '\\0' a >&2; head -c 2000 /dev/zero | tr '\\0' b >&2; exit 1\n",
    )
    status, _, err = run(capsys, "assignment", str(root / "g"))
    assert (status, err) == (1, "nbgrader generate_assignment failed:\n" + "b" * 2000 + "\n")


def test_a_failed_release_says_what_nbgrader_said(root, capsys, monkeypatch):
    fake_nbgrader(root, monkeypatch, "echo 'early noise' >&2; echo 'no such course' >&2; exit 3\n")
    status, out, err = run(capsys, "assignment", str(root / "g"), "--name", "w")
    assert (status, out) == (1, [])
    assert err == "nbgrader generate_assignment failed:\nearly noise\nno such course\n\n"


def test_without_nbgrader_the_source_is_written_and_the_message_says_how_to_release(
    root, capsys, monkeypatch
):
    monkeypatch.setattr(sys, "executable", str(root / "nowhere" / "python"))
    status, out, err = run(capsys, "assignment", str(root / "g"), "--name", "w")
    assert (status, out) == (1, [])
    assert err.startswith("nbgrader is not installed here: pip install -e '.[test]' brings it")
    assert err.endswith("release it with nbgrader generate_assignment).\n"), "how to go on"
    assert err.count("\n") == 1
    assert (root / "g" / "source" / "w" / "01_first.ipynb").exists()


# -------------------------------------------------------------------------------- outputs


class FakeClient:
    """Runs a notebook as a kernel would, without one: every print arrives in two pieces."""

    def __init__(self, notebook, working_directory, timeout=600):
        self.notebook, self.working_directory = notebook, working_directory
        FakeClient.runs.append((notebook, working_directory))

    def execute(self):
        count = 0
        for cell in self.notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, "run from scratch"
                count += 1
                cell.execution_count = count
                cell.outputs = [
                    nbformat.v4.new_output("stream", name="stdout", text=f"cell {count} "),
                    nbformat.v4.new_output("stream", name="stdout", text="done\n"),
                ]
        self.notebook.metadata["widgets"] = {"state": "from this run"}
        for cell in self.notebook.cells:
            cell.metadata["execution"] = {"shell.execute_reply": "2026-11-29T02:00:00Z"}


@pytest.fixture
def fake_kernel(monkeypatch):
    FakeClient.runs = []
    monkeypatch.setattr(course, "make_client", FakeClient)
    return FakeClient.runs


def test_outputs_stores_a_fresh_runs_outputs_in_normalised_form(root, capsys, fake_kernel):
    run(capsys, "navigation")
    first = root / "notebooks/01_first.ipynb"
    status, out, _ = run(capsys, "outputs", str(first))
    assert (status, out) == (0, ["stored outputs: notebooks/01_first.ipynb"])
    assert [directory for _, directory in fake_kernel] == [first.parent]
    assert first.read_text(encoding="utf-8").endswith("}\n")
    stored = read(first)
    assert stored.metadata == course.METADATA, "no widget state, this machine's kernel"
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert [c.outputs[0].text for c in code] == [f"cell {n} done\n" for n in (1, 2, 3, 4)]
    assert all(len(c.outputs) == 1 and "execution" not in c.metadata for c in code)


def test_outputs_of_the_student_edition_keep_its_mark_and_hide_predicted_answers(
    root, capsys, fake_kernel
):
    run(capsys, "navigation")
    status, out, _ = run(capsys, "outputs")
    assert status == 0
    assert out == [
        f"stored outputs: notebooks/{name}"
        for name in [
            "01_first.ipynb",
            "02_second.ipynb",
            "student/01_first.ipynb",
            "student/02_second.ipynb",
        ]
    ]
    student = read(root / "notebooks/student/01_first.ipynb")
    assert student.metadata["course"]["edition"] == "student"
    assert student.cells[4].outputs == [] and student.cells[4].execution_count is None
    assert student.cells[2].outputs[0].text == "cell 1 done\n"
    complete = read(root / "notebooks/01_first.ipynb")
    assert complete.cells[4].outputs[0].text == "cell 2 done\n", "the complete edition shows it"
    assert "course" not in complete.metadata
    assert run(capsys, "check-navigation")[0] == 0, "outputs leave the student edition current"


def test_outputs_refuses_a_hand_edited_student_notebook_before_running_anything(
    root, capsys, fake_kernel
):
    run(capsys, "navigation")
    mine = root / "notebooks/student/02_second.ipynb"
    edited = read(mine)
    edited.cells[7].source = "def triple(x):\n    return 3 * x"
    edited.metadata = {}  # saved by a tool that keeps no notebook metadata
    nbformat.write(edited, mine)
    before = snapshot(root)
    status, out, err = run(capsys, "outputs", str(root / "notebooks/01_first.ipynb"), str(mine))
    assert (status, out, fake_kernel) == (1, [], [])
    assert err.startswith("Stopped, nothing changed: notebooks/student/02_second.ipynb was edited")
    assert snapshot(root) == before


def test_outputs_names_every_notebook_that_is_not_the_courses(root, capsys, fake_kernel):
    stray = [root / "notes.ipynb", root / "notebooks" / "draft.ipynb"]
    for path in stray:
        nbformat.write(nbformat.v4.new_notebook(), path)
    status, out, err = run(
        capsys, "outputs", *map(str, stray), str(root / "notebooks/01_first.ipynb")
    )
    assert (status, out, fake_kernel) == (1, [], [])
    assert err.startswith(
        "Stopped, nothing changed: notes.ipynb, notebooks/draft.ipynb is not a course notebook "
        "(notebooks/NN_name.ipynb or notebooks/student/NN_name.ipynb); outputs stores only theirs."
    )


# ------------------------------------------------------------------------------ --help


def help_of(capsys, *argv: str) -> str:
    """What ``--help`` prints, on a terminal wide enough that no line wraps."""
    with pytest.raises(SystemExit) as done:
        course.main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_describes_every_command_of_the_module_docstring(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    said = help_of(capsys)
    assert course.__doc__.splitlines()[0] in said
    documented = [
        line.split()[2] for line in course.__doc__.splitlines() if "python tools/course.py" in line
    ]
    assert len(documented) == 6
    described = dict(re.findall(r"^    (\S+) +(\S.*)$", said, re.MULTILINE))
    assert sorted(described) == sorted(documented), (
        "each command with a line that says what it does"
    )
    options = re.findall(
        r"^  (--\S+(?: \S+)?) +(\S.*)$", help_of(capsys, "assignment"), re.MULTILINE
    )
    assert [option for option, _ in options] == ["--name NAME", "--source-only"]


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as done:
        course.main([])
    assert done.value.code == 2
    assert "required: command" in capsys.readouterr().err


def test_the_student_edition_alone_can_be_regenerated(root, capsys):
    """``write_student_edition()`` with no plan works out the changes itself."""
    course.write_student_edition()
    assert capsys.readouterr().out.splitlines() == [
        "generated: notebooks/student/01_first.ipynb",
        "generated: notebooks/student/02_second.ipynb",
    ]
    assert course.stale_student_notebooks() == []
