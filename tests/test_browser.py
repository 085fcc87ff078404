"""Every notebook in a real JupyterLab, in a real browser: runs, renders, and its controls work.

Drives headless Debian chromium with Playwright. For every notebook: open it, Run All, and
check that errors appear only in cells tagged raises-exception, that graph renders show as
pictures and playgrounds as widgets; then move every slider and press every button, and check
that the output changes to the right value. Screenshots of failures go to
test-artifacts/browser/. Without chromium the tests skip outside CI and fail in CI.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from tools.course import course_notebooks
from tools.lab import (
    ROOT,
    SETTINGS,
    browser,
    browser_missing,
    free_port,
    lab_server,
    open_and_run_all,
    open_notebook,
    run_all,
)
from utils.playground import PLAYGROUND_MARKER
from utils.widgets import GRAD_MODES, train_line

ARTIFACTS = ROOT / "test-artifacts" / "browser"
NOTEBOOKS = course_notebooks()
REPORT: dict[str, dict] = {}

missing = browser_missing()
if missing and os.environ.get("CI"):
    raise RuntimeError(f"browser tests cannot run in CI: {missing}")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing is not None, reason=f"browser tests skipped: {missing}"),
]


# ------------------------------------------------------------------ what to do with controls


@dataclass
class Move:
    """One action on a playground, and the texts the read-out must then contain."""

    action: tuple  # ("slider", index, key, presses) | ("choose", index, label) | ...
    expect: list[str] = field(default_factory=list)


def slider(index: int, key: str = "ArrowRight", presses: int = 1):
    return ("slider", index, key, presses)


def choose(index: int, label: str):
    return ("choose", index, label)


def click(label: str):
    return ("click", label)


def tick(index: int = 0):
    return ("tick", index)


def toggle(label: str):
    return ("toggle", label)


def quiz_moves(wrong: str, right: str) -> list[Move]:
    """A wrong letter, Check, the right letter (the feedback clears), Check."""
    return [
        Move(toggle(wrong), []),
        Move(click("Check"), ["✘ Not this one"]),
        Move(toggle(right), ["Choose a letter, then press Check."]),
        Move(click("Check"), ["✔ Right"]),
    ]


def slope(x: float) -> str:
    return f"slope from x.grad = {3 * x**2 + 2:.3f}"


def run_text(learning_rate: float, steps: int, zero_grad: bool = True) -> str:
    return train_line(learning_rate, steps, zero_grad).text()


PLAYGROUNDS: dict[str, dict[str, list[Move]]] = {
    "01_requires_grad.ipynb": {
        "tangent_explorer()": [
            Move(slider(0), ["x = 2.10", slope(2.1)]),
            Move(slider(0, "ArrowLeft", 3), ["x = 1.80", slope(1.8)]),
            Move(choose(0, "x²"), ["function: x²", f"slope from x.grad = {2 * 1.8:.3f}"]),
            Move(choose(0, "sin(x)"), [f"slope from x.grad = {math.cos(1.8):.3f}"]),
        ],
    },
    "02_computation_graph.ipynb": {
        "backward_stepper(": [
            Move(click("next step"), ["step 1: AddBackward0 receives 1"]),
            Move(click("next step"), ["step 2: PowBackward0 receives 1 and sends 12"]),
            Move(click("next step"), ["step 3: MulBackward0 receives 1 and sends 2"]),
            Move(click("next step"), ["stores 14 in x.grad", "Done"]),
            Move(click("start over"), ["Press 'next step'"]),
        ],
        "two_variable_explorer()": [
            Move(slider(1), ["b = 2.25", f"∂z/∂b = b.grad = {8 * 2.25:.3f}", "z = 23.250"]),
            Move(slider(0), ["a = 1.25", "∂z/∂a = a.grad = 3.000", "z = 24.000"]),
            Move(choose(0, "a·b"), ["∂z/∂a = a.grad = 2.250", "∂z/∂b = b.grad = 1.250"]),
        ],
    },
    "03_gradient_accumulation.ipynb": {
        "accumulation_explorer()": [
            Move(click("new y = x², then backward()"), ["x.grad = 4"]),
            Move(click("new y = x², then backward()"), ["x.grad = 8"]),
            Move(click("backward() on the same y"), ["backward through the graph a second time"]),
            Move(tick(0), []),
            Move(click("new y = x², then backward()"), ["x.grad = 12"]),
            Move(click("backward() on the same y"), ["same graph again: x.grad = 16"]),
            Move(click("x.grad.zero_()"), ["x.grad = 0"]),
        ],
    },
    "04_no_grad.ipynb": {
        "grad_mode_explorer()": [
            Move(choose(0, mode), [f"{mode}: y.grad_fn is {'set' if tracked else 'None'}"])
            for mode, tracked in zip(
                GRAD_MODES[1:], (False, False, False, False, True), strict=True
            )
        ],
    },
    "05_vector_outputs.ipynb": {
        "vjp_explorer()": [
            Move(slider(0), ["v = (1.25, 1.00, 1.00)", "(2.500, 5.250, 0.878)"]),
            Move(slider(2, "ArrowLeft", 4), ["v = (1.25, 1.00, 0.00)", "(2.500, 5.250, 0.000)"]),
            Move(slider(1, "ArrowLeft", 4), ["v @ J                      = (2.500, 1.250, 0.000)"]),
        ],
    },
    "06_training_loop.ipynb": {
        "training_explorer()": [
            Move(slider(1, "ArrowLeft"), [run_text(0.1, 49)]),
            Move(slider(0), [run_text(10**-0.9, 49)]),
            Move(tick(0), [run_text(10**-0.9, 49, zero_grad=False)]),
            Move(slider(0, "ArrowRight", 12), ["diverged"]),
        ],
    },
    "07_common_pitfalls.ipynb": {
        'quiz("plain tensor")': quiz_moves("F", "A"),
        'quiz("decorated loss")': quiz_moves("B", "A"),
        'quiz("graph built once")': quiz_moves("A", "B"),
        'quiz("update while recording")': quiz_moves("D", "C"),
        'quiz("plot the predictions")': quiz_moves("E", "D"),
    },
    "09_debugging_gradients.ipynb": {
        "gradient_norm_explorer()": [
            Move(slider(1, "ArrowRight", 10), ["20 layers, tanh, scale 1.00", "stable"]),
            Move(choose(0, "relu"), ["relu, scale 1.00", "vanishing"]),
            Move(slider(1, "ArrowRight", 8), ["relu, scale 1.40", "stable"]),
            Move(slider(0, "ArrowLeft", 10), ["10 layers, relu"]),
        ],
    },
    "10_functional_autograd.ipynb": {
        "forward_reverse_explorer()": [
            Move(slider(0), ["5 inputs → 16 outputs", "5 forward passes"]),
            Move(slider(1, "ArrowLeft", 15), ["1 backward pass", "fewer passes: reverse mode"]),
            Move(tick(0), ["measured on this machine"]),
        ],
    },
}


def perform(page, cell, action) -> None:
    kind, *args = action
    if kind == "slider":
        index, key, presses = args
        handle = cell.locator(".widget-slider .noUi-handle").nth(index)
        handle.focus()
        for _ in range(presses):
            page.keyboard.press(key)
    elif kind == "choose":
        index, label = args
        cell.locator(".widget-dropdown select").nth(index).select_option(label=label)
    elif kind == "click":
        (label,) = args
        cell.locator(".widget-button", has_text=label).first.click()
    elif kind == "tick":
        (index,) = args
        cell.locator(".widget-checkbox input").nth(index).click()
    elif kind == "toggle":
        (label,) = args
        cell.locator(".widget-toggle-button", has_text=label).first.click()


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with lab_server(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    with browser(tmp_path_factory.mktemp("chromium")) as running:
        yield running


@pytest.fixture(scope="module", autouse=True)
def report():
    yield REPORT
    if REPORT:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "report.json").write_text(json.dumps(REPORT, indent=2))


def calls(cell, start: str) -> bool:
    """Whether a code cell has a line that starts with ``start`` (a playground call)."""
    lines = cell.source.splitlines()
    return cell.cell_type == "code" and any(line.startswith(start) for line in lines)


def cell_locator(page, index: int):
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def readout(cell) -> str:
    return cell.locator(".jp-OutputArea-output").nth(1).inner_text()


# ---------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(path: Path, server, context):
    notebook = nbformat.read(path, as_version=4)
    page = context.new_page()
    record = {"controls": 0}
    started = time.perf_counter()
    try:
        record["open"] = open_notebook(page, server, path.name)
        check_stored_graphs(page, notebook)
        record["run_all"] = run_all(page)
        check_outputs(page, notebook)
        for start, moves in PLAYGROUNDS.get(path.name, {}).items():
            index = next(i for i, c in enumerate(notebook.cells) if calls(c, start))
            cell = cell_locator(page, index)
            cell.scroll_into_view_if_needed()
            for move in moves:
                before = readout(cell)
                perform(page, cell, move.action)
                record["controls"] += 1
                if not move.expect:
                    continue
                try:
                    page.wait_for_function(
                        """([index, texts]) => {
                            const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
                            const out = cell.querySelectorAll('.jp-OutputArea-output')[1];
                            return out && texts.every(t => out.innerText.includes(t));
                        }""",
                        arg=[index, move.expect],
                        timeout=15_000,
                    )
                except Exception:
                    raise AssertionError(
                        f"{start} after {move.action}: expected {move.expect}, "
                        f"the read-out shows {readout(cell)!r} (before: {before!r})"
                    ) from None
        record["seconds"] = round(time.perf_counter() - started, 1)
        REPORT[path.name] = record
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{path.stem}.png"), full_page=True)
        raise
    finally:
        page.close()
        server.shut_down_kernels()


def is_graph(output) -> bool:
    """Whether a stored output is a graph render: a picture with its DOT text."""
    data = output.get("data", {})
    return "text/html" in data and "".join(data.get("text/plain", "")).startswith("digraph")


def check_stored_graphs(page, notebook) -> None:
    """Before anything runs (an untrusted notebook), stored graphs show as pictures, not text."""
    for index, stored in enumerate(notebook.cells):
        if any(is_graph(o) for o in stored.get("outputs", [])):
            cell = cell_locator(page, index)
            pictures = cell.locator(".jp-OutputArea-output img, .jp-OutputArea-output svg")
            assert pictures.count() > 0, f"cell {index}: the stored graph shows as text"
            assert "digraph {" not in cell.inner_text(), f"cell {index}: DOT text shown"


def check_outputs(page, notebook) -> None:
    """Errors only where tagged; graphs as pictures; playgrounds as widgets."""
    problems = []
    for index, stored in enumerate(notebook.cells):
        if stored.cell_type != "code":
            continue
        cell = cell_locator(page, index)
        errors = cell.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        )
        has_error = any("Error" in errors.nth(i).inner_text() for i in range(errors.count()))
        expected = "raises-exception" in stored.metadata.get("tags", [])
        if has_error != expected:
            problems.append(f"cell {index}: error shown = {has_error}, expected {expected}")
        graphs = sum(is_graph(o) for o in stored.outputs)
        if graphs:
            pictures = cell.locator('.jp-OutputArea-output[data-mime-type="text/html"] img')
            heights = [pictures.nth(i).bounding_box()["height"] for i in range(pictures.count())]
            if len(heights) < graphs or min(heights) < 20:
                problems.append(f"cell {index}: {graphs} graph(s) stored, {len(heights)} drawn")
        if any(
            PLAYGROUND_MARKER in o.get("data", {}).get("text/plain", "") for o in stored.outputs
        ):
            if cell.locator(".jupyter-widgets").count() == 0:
                problems.append(f"cell {index}: the playground did not render as a widget")
            if PLAYGROUND_MARKER in cell.inner_text():
                problems.append(f"cell {index}: the playground shows as text")
    assert not problems, "\n".join(problems)


def test_every_playground_in_the_course_is_exercised():
    """A new playground cell without browser moves fails here, so none is left untested."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        playground_cells = [
            c.source
            for c in notebook.cells
            if c.cell_type == "code"
            and any(PLAYGROUND_MARKER in o.get("data", {}).get("text/plain", "") for o in c.outputs)
        ]
        covered = PLAYGROUNDS.get(path.name, {})
        for source in playground_cells:
            assert any(calls(nbformat.v4.new_code_cell(source), start) for start in covered), (
                f"{path.name}: no browser moves for {source.splitlines()[-1]!r}"
            )


def test_a_deck_opens_and_its_slider_works(server, context):
    """Presenting: deck mode (jupyterlab-slideshow) shows a section as a slide, widget included."""
    path = NOTEBOOKS[0]
    notebook = nbformat.read(path, as_version=4)
    index = next(i for i, c in enumerate(notebook.cells) if calls(c, "tangent_explorer()"))
    page = context.new_page()
    try:
        open_and_run_all(page, server, path.name)
        cell_locator(page, index - 1).click()  # the section's prose: its slide comes up
        page.keyboard.press("Escape")
        page.locator('[data-command="deck:toggle"]').first.click()
        cell = cell_locator(page, index)
        page.wait_for_function(
            "(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i]"
            ".classList.contains('jp-deck-mod-onscreen')",
            arg=index,
            timeout=15_000,
        )
        hidden_elsewhere = cell_locator(page, 2).evaluate("e => getComputedStyle(e).visibility")
        assert hidden_elsewhere == "hidden", "cells of other slides are hidden in the deck"
        perform(page, cell, slider(0))
        page.wait_for_function(
            """([i, text]) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i]
                .querySelectorAll('.jp-OutputArea-output')[1].innerText.includes(text)""",
            arg=[index, slope(2.1)],
            timeout=15_000,
        )
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "deck.png"))
        raise
    finally:
        page.close()
        server.shut_down_kernels()


def test_the_site_reads_from_the_first_page_to_the_last(context, tmp_path):
    """The static site: from the contents page, follow the Next links to the end."""
    from tools.course import build_site

    build_site(tmp_path)
    page = context.new_page()
    try:
        page.goto((tmp_path / "index.html").as_uri())
        page.locator("a", has_text="01 ·").first.click()
        visited = [page.url.rsplit("/", 1)[-1]]
        graphs = [page.locator("img[src^='data:image/svg+xml']").count()]
        while True:
            link = page.locator("p", has_text="Continue with").locator("a")
            if link.count() == 0:
                break
            link.first.click()
            page.wait_for_load_state()
            visited.append(page.url.rsplit("/", 1)[-1])
            graphs.append(page.locator("img[src^='data:image/svg+xml']").count())
            assert len(visited) <= len(NOTEBOOKS), "the Next links loop"
        assert visited == [f"{p.stem}.html" for p in NOTEBOOKS]
        assert graphs[0] > 0, "graphs show on the first page"  # 01 draws its first graph
        drawn = {p.stem for p in NOTEBOOKS if "draw_graph(" in p.read_text(encoding="utf-8")}
        shown = {p.stem for p, count in zip(NOTEBOOKS, graphs, strict=True) if count}
        assert drawn <= shown, "every notebook that draws a graph shows it on its page"
    finally:
        page.close()


def test_opening_a_notebook_and_saving_it_changes_nothing(context, tmp_path):
    """A learner opens a notebook, runs nothing, saves: the file stays as in git (no conflict
    on the next `git pull`), and the tab is not marked as changed."""
    path = NOTEBOOKS[0]
    exposed = ("--LabApp.expose_app_in_browser=True",)  # to wait for the kernel's answer
    with lab_server(tmp_path / "lab", extra_args=exposed) as server:
        copy = server.root / "notebooks" / path.name
        page = context.new_page()
        try:
            open_notebook(page, server, path.name)
            # JupyterLab writes the kernel's language_info into the notebook when the kernel
            # first answers: wait for that answer, then for the notebook to take it.
            kernel = """() => [...window.jupyterapp.shell.widgets('main')]
                .map(w => w.sessionContext?.session?.kernel).find(k => k)"""
            page.wait_for_function(kernel, timeout=60_000)
            page.evaluate(f"async () => {{ await ({kernel})().info; }}")
            page.wait_for_timeout(1000)
            dirty = page.locator(".lm-TabBar-tab.jp-mod-dirty").count()
            saved_before = copy.stat().st_mtime_ns
            cell_locator(page, 0).click()
            page.keyboard.press("Escape")
            page.keyboard.press("Control+s")
            deadline = time.monotonic() + 15
            while copy.stat().st_mtime_ns == saved_before and time.monotonic() < deadline:
                time.sleep(0.2)
            assert copy.stat().st_mtime_ns != saved_before, "the notebook was saved"
            assert copy.read_bytes() == path.read_bytes(), "opening and saving changed the file"
            assert dirty == 0, "the tab was marked as changed before anything ran"
        finally:
            page.close()


def test_the_address_make_lab_prints_opens_the_first_notebook(context, tmp_path):
    """Where no browser opens by itself (WSL, a remote machine), the learner pastes the address
    that `make lab` prints: it must open the first notebook, as the README promises."""
    dry_run = subprocess.run(
        ["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    commands = dry_run.replace("\\\n", " ").splitlines()
    line = next(command for command in commands if "jupyter lab" in command)
    words = shlex.split(line)
    environment = dict(os.environ)
    while "=" in words[0] and not words[0].startswith("-"):
        key, _, value = words.pop(0).partition("=")
        environment[key] = value
    words[0] = str(ROOT / words[0])
    root = tmp_path / "course"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    words = [f"--ServerApp.root_dir={root}" if w == "--ServerApp.root_dir=." else w for w in words]
    port = free_port()
    settings = tmp_path / "settings"
    for plugin, values in SETTINGS.items():
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    environment["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    environment["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp_path / "workspaces")
    log_path = tmp_path / "lab.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*words, "--no-browser", f"--port={port}"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    page = context.new_page()
    try:
        address = None
        deadline = time.monotonic() + 60
        while address is None and time.monotonic() < deadline:
            found = re.search(rf"http://127\.0\.0\.1:{port}/\S+", log_path.read_text())
            address = found.group(0) if found else None
            time.sleep(0.3)
        assert address, "make lab printed no address:\n" + log_path.read_text()
        page.goto(address)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        current = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
        assert "01_requires_grad.ipynb" in current.inner_text(), address
    finally:
        page.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_reopened_notebook_shows_its_playgrounds_without_an_error(context, tmp_path):
    """A learner runs a notebook, saves (or autosave does), closes it and comes back later:
    the playground shows its picture and its text, never "Error displaying widget"."""
    path = NOTEBOOKS[0]
    notebook = nbformat.read(path, as_version=4)
    index = next(i for i, c in enumerate(notebook.cells) if calls(c, "tangent_explorer()"))
    with lab_server(tmp_path / "lab") as server:
        copy = server.root / "notebooks" / path.name
        page = context.new_page()
        try:
            open_and_run_all(page, server, path.name)
            cell_locator(page, index).locator(".widget-slider").first.wait_for()
            saved_before = copy.stat().st_mtime_ns
            cell_locator(page, 0).click()
            page.keyboard.press("Escape")
            page.keyboard.press("Control+s")
            deadline = time.monotonic() + 30
            while copy.stat().st_mtime_ns == saved_before and time.monotonic() < deadline:
                time.sleep(0.2)
            assert copy.stat().st_mtime_ns != saved_before, "the notebook was saved"
            page.close()
            server.shut_down_kernels()  # the next visit starts a fresh kernel
            page = context.new_page()
            open_notebook(page, server, path.name)
            page.wait_for_timeout(3000)  # the widget manager gives up on missing models
            cell = cell_locator(page, index)
            outputs = cell.locator(".jp-OutputArea-output")
            text = outputs.first.inner_text()
            assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
            assert PLAYGROUND_MARKER in text, f"the playground's first output shows {text!r}"
            assert cell.locator(".jp-OutputArea-output img").count() > 0, "a picture is shown"
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "reopened.png"), full_page=True)
            raise
        finally:
            page.close()


# A projector: 1024×768 at 150 % zoom leaves a page of 683×512 CSS pixels. What is cut
# off depends on CSS pixels only, so the page is simply made that size (the zoom's sharper
# drawing changes nothing that is measured here).
PROJECTOR = {"width": 683, "height": 512}
DESK = {"width": 1400, "height": 1000}


CUT_OFF = """() => {
    const cut = [];
    for (const output of document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')) {
        const right = Math.round(output.getBoundingClientRect().right);
        for (const picture of output.querySelectorAll('svg, img')) {
            const box = picture.getBoundingClientRect();
            if (box.width > 0 && box.right > right + 1) {
                const [width, end] = [box.width, box.right].map(Math.round);
                const what = `${picture.tagName}, ${output.className}`;
                cut.push(`a picture (${what}) ${width} px ends at ${end}, its area at ${right}`);
            }
        }
    }
    for (const label of document.querySelectorAll('.jp-Notebook .widget-label')) {
        if (label.scrollWidth > label.clientWidth) {
            const [shown, whole] = [label.clientWidth, label.scrollWidth];
            cut.push(`the label "${label.textContent}" shows ${shown} of ${whole} px`);
        }
    }
    return cut;
}"""


@pytest.mark.parametrize("name", ["02_computation_graph.ipynb", "06_training_loop.ipynb"])
def test_on_a_projector_pictures_fit_and_labels_are_whole(name, context, tmp_path):
    """At 1024×768 and 150 % zoom with the file browser open, pictures stay inside the
    output area and no control's label is cut short (the training explorer's "learning
    rate")."""
    # A server of its own: the module's server remembers the deck mode of an earlier test.
    with lab_server(tmp_path / "lab") as server:
        projector_view(name, server, context)


def projector_view(name, server, context) -> None:
    page = context.new_page()
    page.set_viewport_size(DESK)
    try:
        # JupyterLab's toolbar and menus are driven at a desk's size; the page is looked
        # at the projector's size.
        open_notebook(page, server, name)
        file_browser = page.locator("#filebrowser")
        if not file_browser.is_visible():
            page.locator('.jp-SideBar [data-id="filebrowser"]').first.click()
        file_browser.wait_for(state="visible")
        page.set_viewport_size(PROJECTOR)
        page.wait_for_timeout(1000)
        stored = page.evaluate(CUT_OFF)
        page.set_viewport_size(DESK)
        run_all(page)
        page.locator(".jp-Notebook .widget-slider").first.wait_for()
        page.set_viewport_size(PROJECTOR)
        page.wait_for_timeout(1000)
        assert file_browser.is_visible(), "the file browser stays open"
        after_running = page.evaluate(CUT_OFF)
        assert (
            page.locator(
                ".jp-Notebook .jp-OutputArea-output svg, .jp-Notebook .jp-OutputArea-output img"
            ).count()
            > 0
        )
        assert (stored, after_running) == ([], []), "cut off before and after Run All"
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"projector-{name}.png"), full_page=True)
        raise
    finally:
        page.close()
