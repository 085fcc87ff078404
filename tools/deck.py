"""Fit every slide of the course's decks on a 1024×768 projector.

    python -m tools.deck fit      # measure each slide in deck mode; store the zoom it needs
    python -m tools.deck check    # exit 1 if a slide runs past the screen

Each slide is measured in chromium as ``make present`` shows it: deck mode, the presentation
fonts, a 1024×768 page. A slide taller or wider than the page gets a zoom, stored in its
cells' metadata where the deck's own style tools keep it (``@deathbeds/jupyterlab-fonts``,
applied only while presenting), so the notebook reads as before everywhere else. A slide
that would need less than ``SMALLEST_ZOOM`` is reported instead: split it.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import nbformat

from tools.course import ROOT, course_notebooks, write

PROJECTOR = {"width": 1024, "height": 768}
MARGIN = 8  # pixels kept free at the bottom and the right
SMALLEST_ZOOM = 50  # percent: smaller than this is no longer readable from the back
STEP = 5  # zooms are whole multiples of this, in percent
FONTS = "@deathbeds/jupyterlab-fonts"
PRESENTING = "body[data-jp-deck-mode='presenting'] &"

MEASURE = """() => {
    const shown = [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
        .filter(cell => cell.classList.contains('jp-deck-mod-onscreen'));
    let bottom = 0, right = 0;
    for (const cell of shown) {
        for (const part of [cell, ...cell.querySelectorAll('*')]) {
            const box = part.getBoundingClientRect();
            if (box.width === 0 || box.height === 0) continue;
            if (getComputedStyle(part).visibility === 'hidden') continue;
            bottom = Math.max(bottom, box.bottom);
            right = Math.max(right, box.right);
        }
    }
    return {bottom: Math.ceil(bottom), right: Math.ceil(right)};
}"""


def zoom_of(cell) -> int:
    """The zoom, in percent, a cell is shown at while presenting (100 without one)."""
    try:
        value = cell.metadata[FONTS]["styles"][""][PRESENTING]["zoom"]
    except (KeyError, TypeError):
        return 100
    return int(str(value).rstrip("%"))


def set_zoom(cell, percent: int) -> None:
    """Store ``percent`` as the cell's zoom while presenting; 100 removes it."""
    if percent >= 100:
        cell.metadata.pop(FONTS, None)
    else:
        cell.metadata[FONTS] = {"styles": {"": {PRESENTING: {"zoom": f"{percent}%"}}}}


def slides(notebook) -> list[list[int]]:
    """The cells of each slide and sub-slide, as the deck groups them (skipped cells left out)."""
    grouped: list[list[int]] = []
    for index, cell in enumerate(notebook.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind == "skip":
            continue
        if kind in ("slide", "subslide") or not grouped:
            grouped.append([])
        grouped[-1].append(index)
    return grouped


def overflow(measured: dict, margin: int = MARGIN) -> tuple[int, int]:
    """How far a slide runs past the page less ``margin``, down and right, in pixels."""
    return (
        max(0, measured["bottom"] - (PROJECTOR["height"] - margin)),
        max(0, measured["right"] - (PROJECTOR["width"] - margin)),
    )


def fitting_zoom(measured: dict, current: int) -> int:
    """The largest zoom (a multiple of STEP, at most 100) at which the slide fits."""
    scale = min(
        (PROJECTOR["height"] - MARGIN) / measured["bottom"],
        (PROJECTOR["width"] - MARGIN) / measured["right"],
    )
    return min(100, math.floor(current * scale / STEP) * STEP)


@contextmanager
def presenting(folder: Path):
    """JupyterLab as ``make present`` starts it, and a chromium page at the projector's size."""
    from tools.lab import browser, lab_server

    shutil.copytree(ROOT / "tools" / "present-settings", folder / "settings")
    exposed = ("--LabApp.expose_app_in_browser=True",)  # to move through the slides
    with lab_server(folder, extra_args=exposed) as server, browser(folder / "chromium") as context:
        page = context.new_page()
        page.set_viewport_size(PROJECTOR)
        try:
            yield server, page
        finally:
            page.close()


def measure(server, page, path: Path) -> dict[int, dict]:
    """Open ``path`` (a notebook in the server's copy) as a deck; each slide's extent, by its
    first cell."""
    notebook = nbformat.read(path, as_version=4)
    page.goto(server.page_url(path.name))
    page.wait_for_selector(".jp-Notebook .jp-deck-mod-onscreen", timeout=120_000)
    page.wait_for_timeout(1500)  # fonts and pictures in place
    extents = {}
    for cells in slides(notebook):
        # The deck shows the slide of the active cell.
        page.evaluate(
            "(index) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = index; }",
            cells[0],
        )
        page.wait_for_timeout(300)
        extents[cells[0]] = page.evaluate(MEASURE)
    return extents


def fit(paths: list[Path]) -> list[str]:
    """Measure every slide of ``paths`` and store the zoom each needs; return the slides that
    cannot fit at SMALLEST_ZOOM or more."""
    too_big = []
    with tempfile.TemporaryDirectory() as folder, presenting(Path(folder)) as (server, page):
        copies = server.root / "notebooks"
        for path in paths:
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                set_zoom(cell, 100)  # measure each slide at its natural size first
            for attempt in range(3):
                write(notebook, copies / path.name)
                extents = measure(server, page, copies / path.name)
                changed = False
                for cells in slides(notebook):
                    current = zoom_of(notebook.cells[cells[0]])
                    if overflow(extents[cells[0]]) == (0, 0):
                        continue
                    wanted = fitting_zoom(extents[cells[0]], current)
                    if attempt and wanted >= current:
                        wanted = current - STEP  # measured once zoomed: shave a step more
                    for index in cells:
                        set_zoom(notebook.cells[index], max(wanted, SMALLEST_ZOOM))
                    changed = True
                if not changed:
                    break
            for cells in slides(notebook):
                if overflow(extents[cells[0]]) != (0, 0):
                    too_big.append(f"{path.name} cell {cells[0]}: {extents[cells[0]]}")
            write(notebook, path)
            zoomed = sum(zoom_of(notebook.cells[cells[0]]) < 100 for cells in slides(notebook))
            print(f"{path.relative_to(ROOT)}: {len(slides(notebook))} slides, {zoomed} zoomed")
    return too_big


def check(paths: list[Path]) -> list[str]:
    """Every slide of ``paths`` that runs past the projector's page, with how far."""
    problems = []
    with tempfile.TemporaryDirectory() as folder, presenting(Path(folder)) as (server, page):
        for path in paths:
            extents = measure(server, page, server.root / "notebooks" / path.name)
            for first, extent in extents.items():
                # fit keeps MARGIN free; the check asks only for the page (another machine's
                # fonts may draw a few pixels differently)
                down, right = overflow(extent, margin=0)
                if down or right:
                    problems.append(
                        f"{path.name} cell {first}: {down} px too tall, {right} px too wide"
                    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["fit", "check"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or course_notebooks()
    if args.command == "fit":
        too_big = fit(paths)
        for line in too_big:
            print(f"does not fit even at {SMALLEST_ZOOM}%, split it: {line}", file=sys.stderr)
        return 1 if too_big else 0
    problems = check(paths)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
