"""Maintain the course's notebooks: regenerate outputs, navigation and the README course map.

    python tools/course.py outputs [NOTEBOOK ...]  # re-run in a fresh kernel, store outputs
    python tools/course.py navigation              # Next links, slides, map, student edition
    python tools/course.py check-navigation        # exit 1 if either is out of date
    python tools/course.py site [FOLDER]           # static HTML pages (default: _site/)
    python tools/course.py workspace [FOLDER]      # a learner's own copy (default: my-work/)
    python tools/course.py assignment [FOLDER]     # nbgrader assignment (default: _nbgrader/)

Stored notebooks are normalised so that re-running an unchanged notebook gives no diff:
fixed notebook metadata, no execution timings, no widget state or widget-view
outputs (their model ids are random; every playground also prints its default view).

A generator writes only the files it owns, and never replaces a generated notebook that
someone edited by hand: it stops, says which file, and changes nothing.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    # As the kernel fills it in when JupyterLab opens the notebook, so that opening and saving
    # changes nothing (a learner's clone stays clean for `git pull`). "version" is the Python
    # the course is tested with; a kernel on another Python still rewrites that one line.
    "language_info": {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.7",
    },
}
MAP_START, MAP_END = "<!-- course-map:start -->", "<!-- course-map:end -->"
NEXT_HEADING = "## Next"


class CourseError(Exception):
    """A repository file is not as the tools need it; ``main()`` says so in one line, exit 1."""


class EditedByHand(CourseError):
    """A generated file that a command would replace was edited by hand; nothing was changed."""


class MarkerError(CourseError):
    """A generated block's start or end marker is missing, doubled or out of order."""


def splice(text: str, start: str, end: str, inner: str, name: str = "README.md") -> str:
    """``text`` with what lies between the markers ``start`` and ``end`` replaced by ``inner``.

    The markers themselves and everything outside them are kept byte for byte.

    Args:
        text: the whole file's text.
        start: the marker that opens the block, e.g. ``<!-- course-map:start -->``.
        end: the marker that closes it.
        inner: the new text between the two markers.
        name: the file's name, for the error message.

    Raises:
        MarkerError: a marker is missing or appears more than once, or ``end`` comes first.
    """
    for marker in (start, end):
        count = text.count(marker)
        if count != 1:
            found = "no" if count == 0 else f"{count} times the"
            raise MarkerError(
                f"{name} has {found} marker {marker}; it needs exactly one {start} ... {end} block"
            )
    after_start, before_end = text.index(start) + len(start), text.index(end)
    if before_end < after_start:
        raise MarkerError(f"{name}: the marker {end} comes before {start}")
    return text[:after_start] + inner + text[before_end:]


# Binder and Colab open the course from GitHub: this repository, at a branch that changes
# rarely (a Binder link to HEAD rebuilds the whole torch image after every push).
REPOSITORY = "autograd-hands-on/autograd-hands-on"
BRANCH = "stable"


def course_notebooks() -> list[Path]:
    """The course's notebooks in order: ``notebooks/NN_name.ipynb``."""
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if NAME.match(p.name))


def title_of(notebook) -> str:
    """The notebook's title: the text of the first ``# `` heading in its first cell."""
    first = notebook.cells[0].source.splitlines()[0] if notebook.cells else ""
    return first.removeprefix("# ").strip()


def normalise(notebook) -> None:
    """Make a notebook's stored form independent of the machine and the run."""
    notebook.metadata = nbformat.from_dict(METADATA)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index:02d}"  # by position: an edit renumbers, a re-run changes nothing
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = coalesce_streams(cell.get("outputs", []))
        for output in cell.outputs:
            if output.output_type == "error":
                # Frames inside installed libraries name this machine's paths: keep the
                # learner's own cell and the error line. (nbval compares only the error.)
                output.traceback = [
                    line for line in output.traceback if not ANSI.sub("", line).startswith("File ")
                ]
            output.get("data", {}).pop(WIDGET_VIEW, None)
            output.get("metadata", {}).pop(WIDGET_VIEW, None)


def coalesce_streams(outputs: list) -> list:
    """Join consecutive prints to the same stream into one output.

    A kernel flushes stdout on a timer, so on a busy machine one print can arrive in two
    pieces; joined, the stored form does not depend on the machine's load.
    """
    joined: list = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            joined.append(output)
    return joined


def run_outputs(paths: list[Path], timeout: int = 600) -> None:
    """Execute each notebook from the top in a fresh kernel and store the normalised result."""
    refuse_to_run(paths)
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        make_client(notebook, path.parent, timeout).execute()
        marks = notebook.metadata.get(MARK)
        normalise(notebook)
        if marks:
            notebook.metadata[MARK] = marks
        if is_student_edition(notebook):
            hide_predicted_outputs(notebook)
        write(notebook, path)
        print(f"stored outputs: {shown(path)}")


def make_client(notebook, working_directory: Path, timeout: int = 600, record_timing=False):
    """An nbclient client that runs ``notebook`` in a fresh python3 kernel, as nbval does."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    # Kernel messages encrypted, as in the course's Jupyter settings: no plain-TCP warning.
    config = Config({"KernelManager": {"transport_encryption": "auto"}})
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(working_directory)}},
        record_timing=record_timing,
        store_widget_state=False,
        config=config,
    )
    # Record what a kernel without a widget front end prints, as nbval sees it: do not
    # mimic the Output widget, which would move outputs into (unsaved) widget state.
    client.comm_open_handlers = {"jupyter.widget": lambda msg: None}
    return client


def write(notebook, path: Path) -> None:
    text = nbformat.writes(notebook, version=4)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def next_cell_source(paths: list[Path], index: int) -> str:
    """The "Next" section of notebook ``index``: a link to the following notebook, and what
    happens to this notebook's kernel when the learner moves on."""
    kernel = (
        "When you move on, close this tab: in the course's JupyterLab (`make lab`, Binder, "
        "a hub set up as the README says) that also stops this notebook's kernel, the Python "
        "process behind it (about 300 MB), so the whole course fits in Binder's memory. Your "
        "saved file stays. A kernel that runs nothing for ten minutes is stopped too: to "
        "carry on in that notebook, click *No Kernel* at its top right, choose *Select*, and "
        "run it again from the top (Run ▸ Run All Cells)."
    )
    if index + 1 < len(paths):
        following = paths[index + 1]
        title = title_of(nbformat.read(following, as_version=4))
        return f"{NEXT_HEADING}\n\nContinue with [{title}]({following.name}).\n\n{kernel}"
    return (
        f"{NEXT_HEADING}\n\nThis is the last notebook: well done. "
        f"Back to the [first notebook]({paths[0].name}).\n\n{kernel}"
    )


def course_map(paths: list[Path]) -> str:
    """The README's course map, the text between its markers: one line per notebook, with its
    Binder and Colab links."""
    lines = [
        "",
        "",
        "| # | Notebook | Open on Binder | Open in Colab |",
        "|---|---|---|---|",
    ]
    for path in paths:
        number = NAME.match(path.name).group(1)
        title = title_of(nbformat.read(path, as_version=4))
        title = re.sub(r"^\d\d\s*·\s*", "", title)
        complete, student = f"notebooks/{path.name}", f"notebooks/student/{path.name}"
        binder = f"[complete]({binder_link(complete)}) · [student]({binder_link(student)})"
        colab = f"[complete]({colab_link(complete)}) · [student]({colab_link(student)})"
        lines.append(f"| {number} | [{title}]({complete}) | {binder} | {colab} |")
    lines += ["", ""]
    return "\n".join(lines)


# A code cell too long to share a slide with the prose above it carries this tag.
OWN_SLIDE = "own-slide"


def slide_type(cell, index: int) -> str | None:
    """How a cell presents as a slide: sections are slides, other prose starts a sub-slide,
    code stays with the prose above it (None: no slide metadata, which every presenter reads
    as "continue") unless tagged OWN_SLIDE, and the hidden hint/solution cells are skipped."""
    if index == 0 or (cell.cell_type == "markdown" and cell.source.startswith("## ")):
        return "slide"
    if cell.cell_type == "markdown" or OWN_SLIDE in cell.metadata.get("tags", []):
        return "subslide"
    if re.fullmatch(r"(# (hint|solution)\(\w+\)\s*)+", cell.source.strip() + "\n"):
        return "skip"
    return None


def planned_navigation() -> dict[Path, str]:
    """Every file that navigation writes, with the text it should have."""
    paths = course_notebooks()
    planned = {}
    for index, path in enumerate(paths):
        notebook = nbformat.read(path, as_version=4)
        last = notebook.cells[-1]
        if last.cell_type != "markdown" or not last.source.startswith(NEXT_HEADING):
            raise CourseError(
                f"{path.name}: the last cell must be a markdown '{NEXT_HEADING}' cell"
            )
        last.source = next_cell_source(paths, index)
        add_colab_parts(notebook, f"notebooks/{path.name}")
        for number, cell in enumerate(notebook.cells):
            kind = slide_type(cell, number)
            if kind is None:
                cell.metadata.pop("slideshow", None)
            else:
                cell.metadata["slideshow"] = {"slide_type": kind}
        text = nbformat.writes(notebook, version=4)
        planned[path] = text if text.endswith("\n") else text + "\n"
    readme = README.read_text(encoding="utf-8")
    planned[README] = with_readme_badges(splice(readme, MAP_START, MAP_END, course_map(paths)))
    return planned


# ------------------------------------------------------------- Binder and Colab links, Colab set-up

BADGES_START, BADGES_END = "<!-- badges:start -->", "<!-- badges:end -->"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_BADGE = re.compile(r"^\[!\[Open in Colab\]\(.*$\n?", re.MULTILINE)
# torchviz as pinned in pyproject.toml: Colab has Graphviz and torch, not torchviz.
TORCHVIZ = "torchviz==0.0.3"
BOOTSTRAP_START = "# ── Google Colab only: install the course helpers (Colab's own torch stays) ──"
BOOTSTRAP_END = "# ── end of the Colab part ──"
BOOTSTRAP_OLD_START = re.compile(r"# ── .*Colab.*──\n")
BOOTSTRAP_OLD_END = re.compile(r"^# ── end of .*──$\n?", re.MULTILINE)
# Runs in a kernel where the helpers are not installed, so it is written out whole; the
# environment variable lets the test install from a local copy instead of GitHub.
BOOTSTRAP = f"""{BOOTSTRAP_START}
import sys

if "google.colab" in sys.modules:
    import importlib.util
    import os
    import subprocess

    if importlib.util.find_spec("utils") is None:
        print("Installing the course helpers for Colab; Colab's own torch is kept.")
        github = "git+https://github.com/{REPOSITORY}@{BRANCH}"
        source = os.environ.get("COURSE_SOURCE", github)
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", source, "{TORCHVIZ}"]
        installed = subprocess.run(pip, capture_output=True, text=True)
        if installed.returncode != 0:
            raise RuntimeError(installed.stderr.strip().splitlines()[-1])
        importlib.invalidate_caches()
{BOOTSTRAP_END}
"""


def binder_link(relative: str) -> str:
    """A Binder link that opens the notebook at ``relative`` (a path in the repository)."""
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?urlpath=lab/tree/{relative}"


def colab_link(relative: str) -> str:
    """An "Open in Colab" link for the notebook at ``relative`` (a path in the repository)."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{relative}"


def colab_badge(relative: str) -> str:
    """The badge line at the top of a notebook: a picture that links to the notebook in Colab."""
    return f"[![Open in Colab]({COLAB_BADGE_IMAGE})]({colab_link(relative)})"


def readme_badges() -> str:
    """The README's top badges, the text between their markers: the first notebook on Binder
    and in Colab."""
    first = f"notebooks/{course_notebooks()[0].name}"
    binder = f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_link(first)})"
    return f"\n{binder}\n{colab_badge(first)}\n"


def with_badge(cell_source: str, relative: str) -> str:
    """A first cell's text with its Colab badge (pointing at ``relative``) under the title."""
    title, _, rest = COLAB_BADGE.sub("", cell_source).partition("\n")
    rest = rest.lstrip("\n")
    return f"{title}\n\n{colab_badge(relative)}\n\n{rest}"


def with_bootstrap(cell_source: str) -> str:
    """A set-up cell's code with the Colab part at its top, as generated now.

    An older version of the part (any text from a first line ``# ── ... Colab ... ──`` to the
    line ``# ── end of ... ──``) is replaced; the rest of the cell is kept as it is.
    """
    while (start := BOOTSTRAP_OLD_START.match(cell_source)) is not None:
        end = BOOTSTRAP_OLD_END.search(cell_source, start.end())
        if end is None:
            raise CourseError(f"a set-up cell starts with {start.group(0)!r} but has no end line")
        cell_source = cell_source[end.end() :].lstrip("\n")
    return BOOTSTRAP + "\n" + cell_source.lstrip("\n")


def add_colab_parts(notebook, relative: str) -> None:
    """Put the Colab badge in the notebook's first cell and the Colab part in its set-up cell.

    Args:
        notebook: the notebook, changed in place.
        relative: the notebook's path in the repository, for the badge's link.
    """
    notebook.cells[0].source = with_badge(notebook.cells[0].source, relative)
    setup = next((cell for cell in notebook.cells if cell.cell_type == "code"), None)
    if setup is None:
        raise CourseError(f"{relative}: no set-up cell (the first code cell)")
    setup.source = with_bootstrap(setup.source)


def point_badge_at_student_edition(student) -> None:
    """Make a student notebook's Colab badge open the student edition, not the complete one."""
    first = student.cells[0]
    first.source = re.sub(r"(/blob/[^/]+/notebooks/)(?=\d\d_)", r"\1student/", first.source)


def badge_as_text(cell_source: str) -> str:
    """A first cell's text with its Colab badge as a plain link (the static site loads nothing
    from the network; the link itself still opens the notebook in Colab)."""
    return re.sub(r"\[!\[(Open in Colab)\]\([^)]*\)\]", r"[\1]", cell_source)


def with_readme_badges(readme: str) -> str:
    """The README with its top badges as generated now."""
    return splice(readme, BADGES_START, BADGES_END, readme_badges())


# ------------------------------------------------------------------------ student edition

STUDENT = NOTEBOOKS / "student"
WORKSPACE = ROOT / "my-work"
SOLUTION = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n?",
    re.DOTALL | re.MULTILINE,
)
STUB = "{indent}# Your code here: replace the next line.\n{indent}raise NotImplementedError\n"
BANNER = (
    "> **Student edition.** The exercises are left for you to write. Each check tells you what "
    "to fix; `hint(...)` nudges and `solution(...)` shows a model answer when you want one."
)
# A cell of the complete edition that answers a "Predict" prompt carries this tag. The student
# edition stores such a code cell without outputs and folds such a markdown cell away, so that
# a learner commits to a guess before seeing the answer.
PREDICT_ANSWER = "predict-answer"
FOLDED = "<details>\n<summary>Answer (after your prediction)</summary>\n\n{text}\n\n</details>"
# Notebook metadata that the generators leave in what they write: which edition it is, and a
# fingerprint of what was typed in it, to tell a generated notebook from one edited by hand.
MARK = "course"
KEEP_YOUR_WORK = (
    "Your own work belongs in my-work/ (`make lab EDITION=student` copies the student edition "
    "there, and no course command ever changes it): move the file there or elsewhere, then run "
    "the command again."
)


def student_edition(notebook, fold_answers: bool = True):
    """The same notebook with every marked solution replaced by a stub, the written answers to
    "Predict" prompts folded away, and no outputs.

    Args:
        notebook: a notebook of the complete edition (it is not changed).
        fold_answers: False gives the edition as made before answers were folded.
    """
    student = nbformat.from_dict(copy.deepcopy(dict(notebook)))
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.source = SOLUTION.sub(lambda m: STUB.format(indent=m["indent"]), cell.source)
            cell.outputs, cell.execution_count = [], None
        elif fold_answers and PREDICT_ANSWER in cell.metadata.get("tags", []):
            cell.source = FOLDED.format(text=cell.source.strip())
    title, _, rest = student.cells[0].source.partition("\n")
    student.cells[0].source = f"{title}\n\n{BANNER}\n{rest}"
    point_badge_at_student_edition(student)
    student.metadata[MARK] = {"edition": "student"}
    return student


def is_student_edition(notebook) -> bool:
    return notebook.metadata.get(MARK, {}).get("edition") == "student"


def hide_predicted_outputs(notebook) -> None:
    """Store the code cells that answer a "Predict" prompt unrun: no outputs, no count.

    Strict nbval still runs such a cell (an error in it fails the test), but compares
    nothing, since there is nothing stored to compare with.
    """
    for cell in notebook.cells:
        if cell.cell_type == "code" and PREDICT_ANSWER in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None


def typed_digest(notebook) -> str:
    """A fingerprint of what a person can type into a notebook: each cell's kind and text."""
    typed = [[cell.cell_type, cell.source] for cell in notebook.cells]
    return hashlib.sha256(json.dumps(typed, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def write_generated(notebook, path: Path) -> None:
    """Write a generated notebook with the fingerprint of what it holds."""
    notebook.metadata.setdefault(MARK, {})["typed"] = typed_digest(notebook)
    write(notebook, path)


def committed_student_editions(path: Path) -> list:
    """The student editions of the last committed course notebook that ``path`` is made from,
    as this generator and as its version before folded answers made them; none if ``path`` is
    not a student notebook, there is no git, or no such notebook is committed."""
    if path.parent.resolve() != STUDENT.resolve():
        return []
    try:
        text = subprocess.run(
            ["git", "show", f"HEAD:notebooks/{path.name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        committed = nbformat.reads(text, as_version=4)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return []
    return [student_edition(committed), student_edition(committed, fold_answers=False)]


def edited_by_hand(path: Path, planned=None) -> bool:
    """Whether replacing the generated notebook at ``path`` could lose what someone typed.

    It could not when the file is missing, when its cells hold what would be written anyway
    (``planned``), when they are as a generator left them (their fingerprint matches), or when
    they are the student edition of the last committed course notebook.

    Args:
        path: a generated notebook (student edition or assignment).
        planned: the notebook that would replace it, if any.
    """
    if not path.exists():
        return False
    try:
        current = nbformat.read(path, as_version=4)
    except Exception:  # not a notebook any more (for example a merge conflict): a person's doing
        return True
    digest = typed_digest(current)
    if planned is not None and digest == typed_digest(planned):
        return False
    if current.metadata.get(MARK, {}).get("typed") == digest:
        return False
    return digest not in {typed_digest(made) for made in committed_student_editions(path)}


def shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def refuse_hand_edits(
    paths: list[Path], planned: dict | None = None, advice: str = KEEP_YOUR_WORK
) -> None:
    """Stop, with one message and before anything is written, if a generated notebook among
    ``paths`` was edited by hand.

    Args:
        paths: the generated notebooks a command is about to replace or remove.
        planned: what would replace each of them (path -> notebook), where known.
        advice: what to do instead, said after which files were edited.
    """
    planned = planned or {}
    edited = [shown(p) for p in paths if edited_by_hand(p, planned.get(p))]
    if edited:
        raise EditedByHand(
            f"Stopped, nothing changed: {', '.join(edited)} "
            f"{'was' if len(edited) == 1 else 'were'} edited by hand, and this command would "
            f"replace {'it' if len(edited) == 1 else 'them'}. {advice}"
        )


def sources(notebook) -> list:
    """What an edition is made of, without what running it produces."""
    return [(c.cell_type, c.source, dict(c.metadata)) for c in notebook.cells]


def planned_student_edition(planned: dict[Path, str] | None = None) -> dict:
    """The student edition as it should be: target path -> notebook, or None for a generated
    student notebook whose course notebook is gone.

    Args:
        planned: the text navigation will give each course notebook (default: as on disk).
    """
    planned = planned or {}
    plan = {}
    for path in course_notebooks():
        text = planned.get(path)
        notebook = nbformat.reads(text, as_version=4) if text else nbformat.read(path, 4)
        plan[STUDENT / path.name] = student_edition(notebook)
    for leftover in student_notebooks():
        plan.setdefault(leftover, None)
    return plan


def student_edition_changes(planned: dict[Path, str] | None = None) -> dict:
    """The student notebooks to write (path -> notebook) or remove (path -> None).

    Only files named like course notebooks are the generator's: a learner's ``Untitled.ipynb``
    or ``01_requires_grad-Copy1.ipynb`` is never touched, and a left-over notebook is removed
    only if it is as generated. Raises EditedByHand, having changed nothing, if one of the files
    to replace was edited by hand.
    """
    changes = {}
    for target, student in planned_student_edition(planned).items():
        if student is None and edited_by_hand(target):
            print(f"left alone: {shown(target)} (no course notebook of that name; not generated)")
        elif is_stale(target, student):
            changes[target] = student
    refuse_hand_edits(list(changes), changes)
    return changes


def stale_student_notebooks() -> list[Path]:
    """Student notebooks that are missing, out of date, or left over from a removed source."""
    return [
        target for target, student in planned_student_edition().items() if is_stale(target, student)
    ]


def is_stale(target: Path, student) -> bool:
    """Whether the student notebook at ``target`` differs from ``student`` (None: should not be)."""
    if student is None or not target.exists():
        return True
    existing = nbformat.read(target, as_version=4)
    return sources(existing) != sources(student) or not is_student_edition(existing)


def write_student_edition(changes: dict | None = None) -> None:
    """Regenerate stale student notebooks (without outputs: `make outputs` adds them).

    Args:
        changes: from :func:`student_edition_changes` (default: work them out now).
    """
    changes = student_edition_changes() if changes is None else changes
    for target, student in changes.items():
        if student is None:
            target.unlink()
            print(f"removed: {shown(target)}")
            continue
        target.parent.mkdir(exist_ok=True)
        write_generated(student, target)
        print(f"generated: {shown(target)}")


def student_notebooks() -> list[Path]:
    return sorted(p for p in STUDENT.glob("*.ipynb") if NAME.match(p.name))


def refuse_to_run(paths: list[Path]) -> None:
    """Stop before running anything if one of ``paths`` is a student notebook edited by hand
    (running it would replace its outputs and leave it looking generated)."""
    guarded = [
        p
        for p in paths
        if p.parent.resolve() == STUDENT.resolve()
        or is_student_edition(nbformat.read(p, as_version=4))
    ]
    refuse_hand_edits(guarded)


# ---------------------------------------------------------------------- learner workspace


def fill_workspace(folder: Path) -> list[Path]:
    """Copy into ``folder`` each student notebook it does not have yet; return those added.

    A notebook already in ``folder`` is never replaced, even if the course has a newer one:
    it is the learner's. (To start a notebook afresh, a learner deletes it and runs this again.)

    Args:
        folder: the learner's workspace, created if missing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    added = []
    for source in student_notebooks():
        target = folder / source.name
        if target.exists():
            continue
        with open(target, "xb") as copy_:  # "x": fails rather than replace a file made meanwhile
            copy_.write(source.read_bytes())
        added.append(target)
    return added


def workspace_message(folder: Path, added: list[Path], had_notebooks: bool) -> str:
    """One line that tells a learner what the workspace step did."""
    name = f"{folder.name}/"
    if not added:
        return f"{name}: nothing new; your notebooks are as you left them."
    if not had_notebooks:
        return (
            f"{name}: your own copy of the student edition ({len(added)} notebooks). Work "
            "there: course commands and updates never change it."
        )
    return (
        f"{name}: added {', '.join(p.name for p in added)}; "
        "the notebooks you already had are as you left them."
    )


# --------------------------------------------------------------------- nbgrader assignment

ASSIGNMENT_FOLDER = ROOT / "_nbgrader"
ASSIGNMENT = "autograd-hands-on"
POINTS = 1  # per exercise
EXERCISE_CHECK = re.compile(r"^check\((\w+)\)", re.MULTILINE)
SOLUTION_CALL = re.compile(r"^# solution\(\w+\)\n?", re.MULTILINE)
SOLUTION_SENTENCE = re.compile(r"\s*[^.!?\n]*`solution\([^`]*\)`[^.!?]*[.!?]")
ASSIGNMENT_BANNER = (
    '> **Assignment.** Write each exercise where it says "Your code here", run its cell and '
    "read what the check says; `hint(...)` nudges when you are stuck. The locked cell after "
    "each exercise is graded: it gives the exercise's points when your answer is right."
)
NBGRADER_CONFIG = """\
# nbgrader's settings for the course (written once by `make assignment`; yours to change).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "autograd-hands-on"
# The stub that replaces each solution: the same as the student edition's.
c.ClearSolutions.code_stub = {
    "python": "# Your code here: replace the next line.\\nraise NotImplementedError"
}
"""


def nbgrader_metadata(grade_id: str, solution: bool, points: int = 0) -> dict:
    """nbgrader's cell metadata: a solution cell, or a locked cell graded with ``points``."""
    metadata = {
        "grade": not solution,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if not solution:
        metadata["points"] = points
    return metadata


def graded_cell(name: str, points: int = POINTS):
    """The locked cell that grades exercise ``name``: it raises unless the answer is right."""
    source = (
        f"# Graded ({points} point{'s' if points != 1 else ''}): an error here means "
        f"{name} is not right yet.\n"
        "from utils.grading import assert_correct\n\n"
        f"assert_correct({name})"
    )
    metadata = {"nbgrader": nbgrader_metadata(f"{name}-graded", solution=False, points=points)}
    return nbformat.v4.new_code_cell(source, metadata=metadata)


def without_solution_import(source: str) -> str:
    """Drop ``solution`` from the set-up cell's ``from utils.checks import ...`` line."""
    lines = []
    for line in source.split("\n"):
        if line.startswith("from utils.checks import "):
            names = line.removeprefix("from utils.checks import ").split(", ")
            line = "from utils.checks import " + ", ".join(n for n in names if n != "solution")
        lines.append(line)
    return "\n".join(lines)


def assignment_edition(notebook):
    """The nbgrader source version of a course notebook.

    Like the student edition (answers to predictions folded, no outputs) but with each
    solution kept between nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers in a
    solution cell, a locked graded cell after each exercise, and no ``solution()``: not in the
    set-up cell's imports, the commented-out calls or the prose.

    Args:
        notebook: a notebook of the complete edition (it is not changed).
    """
    graded = nbformat.from_dict(copy.deepcopy(dict(notebook)))
    cells = []
    for cell in graded.cells:
        tags = cell.metadata.get("tags", [])
        cell.metadata.pop("slideshow", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.source = SOLUTION_CALL.sub("", without_solution_import(cell.source)).rstrip("\n")
        else:
            cell.source = SOLUTION_SENTENCE.sub("", cell.source)
            if PREDICT_ANSWER in tags:
                cell.source = FOLDED.format(text=cell.source.strip())
        cells.append(cell)
    with_grades = []
    for index, cell in enumerate(cells):
        with_grades.append(cell)
        exercise = cells[index - 1] if index else None
        if exercise is not None and "### BEGIN SOLUTION" in exercise.source:
            name = EXERCISE_CHECK.search(exercise.source)[1]
            exercise.metadata["nbgrader"] = nbgrader_metadata(name, solution=True)
            if cell.source.startswith("# hint("):
                with_grades.append(graded_cell(name))
            else:  # no hint cell: the graded cell follows the exercise itself
                with_grades.insert(-1, graded_cell(name))
    for number, cell in enumerate(with_grades):
        cell.id = f"cell-{number:02d}"
    graded.cells = with_grades
    title, _, rest = graded.cells[0].source.partition("\n")
    graded.cells[0].source = f"{title}\n\n{ASSIGNMENT_BANNER}\n{rest}"
    graded.metadata[MARK] = {"edition": "assignment"}
    return graded


def write_assignment(folder: Path, name: str, notebooks: list[Path]) -> list[Path]:
    """Write the nbgrader source version of ``notebooks`` to ``folder/source/name/``.

    Also writes ``folder/nbgrader_config.py`` if there is none. Raises EditedByHand, having
    changed nothing, if a notebook it would replace was edited by hand (a teacher's changes to
    points, say, are kept).

    Args:
        folder: the nbgrader course folder.
        name: the assignment's name.
        notebooks: course notebooks of the complete edition.
    """
    target = folder / "source" / name
    planned = {
        target / path.name: assignment_edition(nbformat.read(path, as_version=4))
        for path in notebooks
    }
    refuse_hand_edits(
        list(planned),
        planned,
        advice="To keep your changes, build into another folder "
        "(tools/course.py assignment FOLDER) or move the file away, then run the command again.",
    )
    target.mkdir(parents=True, exist_ok=True)
    config = folder / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    for path, notebook in planned.items():
        write_generated(notebook, path)
    return list(planned)


def release_assignment(folder: Path, name: str) -> None:
    """Run nbgrader's own ``generate_assignment``: ``folder/release/name/``, without solutions."""
    nbgrader = Path(sys.executable).parent / "nbgrader"
    if not nbgrader.exists():
        raise CourseError(
            "nbgrader is not installed here: pip install -e '.[test]' brings it "
            "(the source version is written; release it with nbgrader generate_assignment)."
        )
    # nbgrader runs the `alembic` command beside it to set up its database.
    path = f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        [str(nbgrader), "generate_assignment", name, "--force"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
    )
    if done.returncode != 0:
        raise CourseError(f"nbgrader generate_assignment failed:\n{done.stderr[-2000:]}")


# ----------------------------------------------------------------------------- static site

SITE_TEMPLATES = Path(__file__).resolve().parent / "site-template"


def build_site(target: Path) -> list[Path]:
    """Write the course as static HTML pages in ``target``; return the pages written."""
    from nbconvert import HTMLExporter

    target.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="course", extra_template_basedirs=[str(SITE_TEMPLATES)])
    pages, rows = [], []
    for path in course_notebooks():
        notebook = nbformat.read(path, as_version=4)
        notebook.cells[0].source = badge_as_text(notebook.cells[0].source)
        body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
        body = re.sub(r'href="(\d\d_[a-z0-9_]+)\.ipynb"', r'href="\1.html"', body)
        page = target / f"{path.stem}.html"
        page.write_text(body, encoding="utf-8")
        pages.append(page)
        rows.append(f'<li><a href="{page.name}">{html.escape(title_of(notebook))}</a></li>')
    index = target / "index.html"
    index.write_text(
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        "<title>Autograd, hands-on</title></head>\n"
        '<body style="font-family: sans-serif; max-width: 42em; margin: 2em auto;">\n'
        "<h1>Autograd, hands-on</h1>\n"
        "<p>A hands-on course on PyTorch's automatic differentiation. These pages show every "
        "notebook with its outputs; to run the code and move the sliders, open the notebooks "
        "in JupyterLab.</p>\n<ol>\n" + "\n".join(rows) + "\n</ol>\n</body>\n</html>\n",
        encoding="utf-8",
    )
    return [index, *pages]


def main(argv: list[str] | None = None) -> int:
    """Run one command; a problem it finds becomes a one-line message and exit status 1."""
    try:
        return run_command(argv)
    except CourseError as error:
        print(error, file=sys.stderr)
        return 1


def run_command(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    outputs = commands.add_parser("outputs", help="re-run notebooks and store their outputs")
    outputs.add_argument("notebooks", nargs="*", type=Path)
    commands.add_parser(
        "navigation", help="rewrite Next links, slide types, the course map, the student edition"
    )
    commands.add_parser("check-navigation", help="exit 1 if navigation is out of date")
    site = commands.add_parser("site", help="build the static HTML site")
    site.add_argument("target", type=Path, nargs="?", default=ROOT / "_site")
    workspace = commands.add_parser(
        "workspace", help="copy the student edition's new notebooks into a learner's folder"
    )
    workspace.add_argument("folder", type=Path, nargs="?", default=WORKSPACE)
    assignment = commands.add_parser(
        "assignment", help="write the nbgrader assignment (source and release versions)"
    )
    assignment.add_argument("folder", type=Path, nargs="?", default=ASSIGNMENT_FOLDER)
    assignment.add_argument("--name", default=ASSIGNMENT, help="the assignment's name")
    assignment.add_argument(
        "--source-only", action="store_true", help="do not run nbgrader generate_assignment"
    )
    args = parser.parse_args(argv)

    if args.command == "outputs":
        everything = course_notebooks() + student_notebooks()
        strangers = [shown(p) for p in args.notebooks if p.resolve() not in everything]
        if strangers:
            raise CourseError(
                f"Stopped, nothing changed: {', '.join(strangers)} is not a course notebook "
                "(notebooks/NN_name.ipynb or notebooks/student/NN_name.ipynb); outputs stores "
                "only theirs."
            )
        run_outputs([p.resolve() for p in args.notebooks] or everything)
    elif args.command == "assignment":
        written = write_assignment(args.folder, args.name, course_notebooks())
        if not args.source_only:
            release_assignment(args.folder, args.name)
        print(
            f"nbgrader assignment {args.name!r} in {args.folder}: {len(written)} notebooks in "
            f"source/{args.name}/" + ("" if args.source_only else f" and release/{args.name}/")
        )
    elif args.command == "workspace":
        had_notebooks = any(args.folder.glob("*.ipynb"))
        added = fill_workspace(args.folder)
        print(workspace_message(args.folder, added, had_notebooks))
    elif args.command == "site":
        pages = build_site(args.target)
        print(f"wrote {len(pages)} pages to {args.target}")
    elif args.command == "navigation":
        planned = planned_navigation()
        changes = student_edition_changes(planned)  # stops here, before any write, if need be
        for path, text in planned.items():
            if path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"updated: {path.relative_to(ROOT)}")
        write_student_edition(changes)
    else:
        stale = [
            p.relative_to(ROOT)
            for p, text in planned_navigation().items()
            if p.read_text(encoding="utf-8") != text
        ]
        stale += [p.relative_to(ROOT) for p in stale_student_notebooks()]
        if stale:
            print("out of date (run: make outputs):", *map(str, stale))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
