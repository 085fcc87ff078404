"""Maintain the course's notebooks: regenerate outputs, navigation and the README course map.

    python tools/course.py outputs [NOTEBOOK ...]  # re-run in a fresh kernel, store outputs
    python tools/course.py navigation              # Next links, slides, map, student edition
    python tools/course.py check-navigation        # exit 1 if either is out of date
    python tools/course.py site [FOLDER]           # static HTML pages (default: _site/)

Stored notebooks are normalised so that re-running an unchanged notebook gives no diff:
fixed notebook metadata, no execution timings, no widget state or widget-view
outputs (their model ids are random; every playground also prints its default view).
"""

from __future__ import annotations

import argparse
import copy
import html
import re
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
BINDER = "https://mybinder.org/v2/gh/autograd-hands-on/autograd-hands-on/HEAD?urlpath=lab/tree/notebooks/"


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
            add_png_of_graph(output)


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


def add_png_of_graph(output) -> None:
    """Store a PNG beside each graph's SVG.

    JupyterLab does not show SVG from a notebook it does not trust yet (one just cloned or
    downloaded) and falls back to the text form. A PNG is shown, so the stored pictures are
    visible before anything runs. Drawn here, from the DOT text, not by every kernel.
    """
    data = output.get("data", {})
    source = data.get("text/plain", "")
    if "image/svg+xml" not in data or "image/png" in data or not source.startswith("digraph"):
        return
    import base64

    import graphviz

    png = graphviz.Source(source).pipe(format="png")
    data["image/png"] = base64.b64encode(png).decode("ascii")


def run_outputs(paths: list[Path], timeout: int = 600) -> None:
    """Execute each notebook from the top in a fresh kernel and store the normalised result."""
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        make_client(notebook, path.parent, timeout).execute()
        normalise(notebook)
        write(notebook, path)
        print(f"stored outputs: {path.relative_to(ROOT)}")


def make_client(notebook, working_directory: Path, timeout: int = 600, record_timing=False):
    """An nbclient client that runs ``notebook`` in a fresh python3 kernel, as nbval does."""
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(working_directory)}},
        record_timing=record_timing,
        store_widget_state=False,
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
    """The README's course map: one line per notebook, with its Binder link."""
    lines = [MAP_START, "", "| # | Notebook | Open on Binder |", "|---|---|---|"]
    for path in paths:
        number = NAME.match(path.name).group(1)
        title = title_of(nbformat.read(path, as_version=4))
        title = re.sub(r"^\d\d\s*·\s*", "", title)
        lines.append(
            f"| {number} | [{title}](notebooks/{path.name}) | [launch]({BINDER}{path.name}) |"
        )
    lines += ["", MAP_END]
    return "\n".join(lines)


def slide_type(cell, index: int) -> str | None:
    """How a cell presents as a slide: sections are slides, other prose starts a sub-slide,
    code stays with the prose above it (None: no slide metadata, which every presenter reads
    as "continue"), and the hidden hint/solution cells are skipped."""
    if index == 0 or (cell.cell_type == "markdown" and cell.source.startswith("## ")):
        return "slide"
    if cell.cell_type == "markdown":
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
            raise SystemExit(f"{path.name}: the last cell must be a markdown '{NEXT_HEADING}' cell")
        last.source = next_cell_source(paths, index)
        for number, cell in enumerate(notebook.cells):
            kind = slide_type(cell, number)
            if kind is None:
                cell.metadata.pop("slideshow", None)
            else:
                cell.metadata["slideshow"] = {"slide_type": kind}
        text = nbformat.writes(notebook, version=4)
        planned[path] = text if text.endswith("\n") else text + "\n"
    readme = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(MAP_START) + ".*?" + re.escape(MAP_END), re.DOTALL)
    if not pattern.search(readme):
        raise SystemExit(f"README.md has no {MAP_START} ... {MAP_END} block")
    planned[README] = pattern.sub(lambda _: course_map(paths), readme)
    return planned


# ------------------------------------------------------------------------ student edition

STUDENT = NOTEBOOKS / "student"
SOLUTION = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n?",
    re.DOTALL | re.MULTILINE,
)
STUB = "{indent}# Your code here: replace the next line.\n{indent}raise NotImplementedError\n"
BANNER = (
    "> **Student edition.** The exercises are left for you to write. Each check tells you what "
    "to fix; `hint(...)` nudges and `solution(...)` shows a model answer when you want one."
)


def student_edition(notebook):
    """The same notebook with every marked solution replaced by a stub, and no outputs."""
    student = nbformat.from_dict(copy.deepcopy(dict(notebook)))
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.source = SOLUTION.sub(lambda m: STUB.format(indent=m["indent"]), cell.source)
            cell.outputs, cell.execution_count = [], None
    title, _, rest = student.cells[0].source.partition("\n")
    student.cells[0].source = f"{title}\n\n{BANNER}\n{rest}"
    return student


def sources(notebook) -> list:
    """What an edition is made of, without what running it produces."""
    return [(c.cell_type, c.source, dict(c.metadata)) for c in notebook.cells]


def stale_student_notebooks() -> list[Path]:
    """Student notebooks that are missing, out of date, or left over from a removed source."""
    stale = []
    expected = {}
    for path in course_notebooks():
        expected[STUDENT / path.name] = student_edition(nbformat.read(path, as_version=4))
    for target, student in expected.items():
        if not target.exists() or sources(nbformat.read(target, as_version=4)) != sources(student):
            stale.append(target)
    stale += [p for p in STUDENT.glob("*.ipynb") if p not in expected]
    return stale


def write_student_edition() -> None:
    """Regenerate stale student notebooks (without outputs: `make outputs` adds them)."""
    for target in stale_student_notebooks():
        source = NOTEBOOKS / target.name
        if not source.exists():
            target.unlink()
            print(f"removed: {target.relative_to(ROOT)}")
            continue
        target.parent.mkdir(exist_ok=True)
        write(student_edition(nbformat.read(source, as_version=4)), target)
        print(f"generated: {target.relative_to(ROOT)}")


def student_notebooks() -> list[Path]:
    return sorted(p for p in STUDENT.glob("*.ipynb") if NAME.match(p.name))


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
    args = parser.parse_args(argv)

    if args.command == "outputs":
        everything = course_notebooks() + student_notebooks()
        run_outputs([p.resolve() for p in args.notebooks] or everything)
    elif args.command == "site":
        pages = build_site(args.target)
        print(f"wrote {len(pages)} pages to {args.target}")
    elif args.command == "navigation":
        for path, text in planned_navigation().items():
            if path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"updated: {path.relative_to(ROOT)}")
        write_student_edition()
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
