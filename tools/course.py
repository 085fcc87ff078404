"""Maintain the course's notebooks: regenerate outputs, navigation and the README course map.

    python tools/course.py outputs [NOTEBOOK ...]  # re-run in a fresh kernel, store outputs
    python tools/course.py navigation              # rewrite Next links and the README map
    python tools/course.py check-navigation        # exit 1 if either is out of date

Stored notebooks are normalised so that re-running an unchanged notebook gives no diff:
fixed notebook metadata, no execution timings, no widget state or widget-view
outputs (their model ids are random; every playground also prints its default view).
"""

from __future__ import annotations

import argparse
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
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
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
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                # Frames inside installed libraries name this machine's paths: keep the
                # learner's own cell and the error line. (nbval compares only the error.)
                output.traceback = [
                    line for line in output.traceback if not ANSI.sub("", line).startswith("File ")
                ]
            output.get("data", {}).pop(WIDGET_VIEW, None)
            output.get("metadata", {}).pop(WIDGET_VIEW, None)


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
    """The "Next" section of notebook ``index``: a link to the following notebook."""
    if index + 1 < len(paths):
        following = paths[index + 1]
        title = title_of(nbformat.read(following, as_version=4))
        return f"{NEXT_HEADING}\n\nContinue with [{title}]({following.name})."
    return (
        f"{NEXT_HEADING}\n\nThis is the last notebook: well done. "
        f"Back to the [first notebook]({paths[0].name})."
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
        text = nbformat.writes(notebook, version=4)
        planned[path] = text if text.endswith("\n") else text + "\n"
    readme = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(MAP_START) + ".*?" + re.escape(MAP_END), re.DOTALL)
    if not pattern.search(readme):
        raise SystemExit(f"README.md has no {MAP_START} ... {MAP_END} block")
    planned[README] = pattern.sub(lambda _: course_map(paths), readme)
    return planned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    outputs = commands.add_parser("outputs", help="re-run notebooks and store their outputs")
    outputs.add_argument("notebooks", nargs="*", type=Path)
    commands.add_parser("navigation", help="rewrite Next links and the README course map")
    commands.add_parser("check-navigation", help="exit 1 if navigation is out of date")
    args = parser.parse_args(argv)

    if args.command == "outputs":
        run_outputs([p.resolve() for p in args.notebooks] or course_notebooks())
    elif args.command == "navigation":
        for path, text in planned_navigation().items():
            if path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"updated: {path.relative_to(ROOT)}")
    else:
        stale = [
            p.relative_to(ROOT)
            for p, text in planned_navigation().items()
            if p.read_text(encoding="utf-8") != text
        ]
        if stale:
            print("out of date (run: make navigation):", *stale)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
