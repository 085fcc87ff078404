"""How fast the course runs and how small it installs, as ratios against a floor.

    python -m tools.bench [--quick] [--json FILE] [--readme]    # from the repository's root

Each figure is a ratio taken within one run, so that a busy machine slows both sides:

* suite: strict nbval over every notebook, against the same command over as many
  one-cell notebooks that only ``import torch``;
* slowest cell: the slowest cell of each notebook (timed by nbclient) against
  ``import torch`` in the same kernel;
* slider: the browser round trip of each slider (a key press until its read-out changes,
  both timed by the page's own clock), median of several moves, each from a quiet page,
  alternating with a slider that only shows its value, in the same page;
* update: each playground's plain update function, median over many calls, against one
  ``backward()`` of the same expression;
* install: the size of the environment ``make lab`` installs.

Writes a table to the terminal, the figures to a JSON file, and with ``--readme`` the table
into README.md between the benchmark markers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tools.course import ROOT, MarkerError, course_notebooks, make_client, splice

TARGETS = {"suite": 1.3, "slowest_cell": 1.0, "slider": 1.5, "install_gb": 1.4}
BENCH_START, BENCH_END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
# For comparison only, not measured here: a default `pip install torch` on Linux brings the
# CUDA build and its nvidia-* libraries, about 5.5 GB installed (torch==2.13.0 as pip resolves
# it from the default index: 19 more wheels, 15 of them nvidia-*).
CUDA_TORCH_GB = 5.5


def pytest_seconds(paths: list[Path], workers: int) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
               "--nbval-current-env", "-n", str(workers), "--dist", "loadscope",
               *map(str, paths)]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def bench_suite(notebooks: list[Path], workers: int, loads: dict, repeats: int = 3) -> dict:
    """Strict nbval over the notebooks vs over as many notebooks that only import torch.

    A second floor, for the report only, imports in each notebook the heavy libraries its
    course notebook loads (``loads``: notebook name -> modules): what remains between it
    and the suite is the course's own work, not PyTorch's or matplotlib's start-up.

    One warm-up run first (a cold disk cache would slow whichever ran first), then the
    three alternate, and each side's median counts.
    """
    with tempfile.TemporaryDirectory() as folder:
        floor, library_floor = [], []
        for index, path in enumerate(notebooks):
            floor.append(_one_cell_notebook(Path(folder) / f"floor_{index:02d}.ipynb", []))
            library_floor.append(
                _one_cell_notebook(
                    Path(folder) / f"library_floor_{index:02d}.ipynb", loads.get(path.name, [])
                )
            )
        pytest_seconds(floor, workers)
        runs = {"floor": [], "library_floor": [], "suite": []}
        for _ in range(repeats):
            runs["floor"].append(pytest_seconds(floor, workers))
            runs["library_floor"].append(pytest_seconds(library_floor, workers))
            runs["suite"].append(pytest_seconds(notebooks, workers))
        seconds = {side: statistics.median(values) for side, values in runs.items()}
    return {
        "suite_seconds": round(seconds["suite"], 2),
        "floor_seconds": round(seconds["floor"], 2),
        "ratio": round(seconds["suite"] / seconds["floor"], 2),
        "library_floor_seconds": round(seconds["library_floor"], 2),
        "library_ratio": round(seconds["suite"] / seconds["library_floor"], 2),
    }


def _one_cell_notebook(path: Path, modules: list[str]) -> Path:
    source = "\n".join(["import torch", *(f"import {module}" for module in modules)])
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source, execution_count=1)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)
    return path


def bench_cells(notebooks: list[Path], repeats: int = 3) -> dict:
    """Per notebook: the slowest cell against `import torch` in the same kernel.

    Each notebook runs `repeats` times, each in a new kernel; the run with the median
    ratio counts (one kernel's ratio is taken within that kernel, so a busy moment
    slows both sides).
    """
    results = {}
    for path in notebooks:
        runs = sorted((_slowest_cell(path) for _ in range(repeats)), key=lambda r: r["ratio"])
        results[path.name] = runs[len(runs) // 2]
    return results


# Libraries that take a noticeable time to load, and that some notebooks load on the way:
# torch._dynamo with the first optimizer, sympy with backward(v) or gradcheck.
HEAVY_MODULES = ("matplotlib.pyplot", "matplotlib.figure", "sympy", "torch._dynamo")


def _slowest_cell(path: Path) -> dict:
    notebook = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell(
        "import time as _t\n_s = _t.perf_counter()\nimport torch\nprint(_t.perf_counter() - _s)"
    )
    notebook.cells.insert(0, probe)
    loaded = nbformat.v4.new_code_cell(
        f"import sys as _sys\nprint(*[m for m in {HEAVY_MODULES!r} if m in _sys.modules])"
    )
    notebook.cells.append(loaded)
    client = make_client(notebook, path.parent, record_timing=True)
    client.execute()
    import_torch = float(notebook.cells[0].outputs[0].text)
    slowest, slowest_index = 0.0, None
    for index, cell in enumerate(notebook.cells[1:-1], start=1):
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" not in timing:
            continue
        seconds = _seconds(timing["shell.execute_reply"]) - _seconds(timing["iopub.execute_input"])
        if seconds > slowest:
            slowest, slowest_index = seconds, index - 1
    return {
        "import_torch_seconds": round(import_torch, 3),
        "slowest_cell_seconds": round(slowest, 3),
        "slowest_cell": slowest_index,
        "ratio": round(slowest / import_torch, 2),
        "loads": notebook.cells[-1].outputs[0].text.split() if notebook.cells[-1].outputs else [],
    }


def _seconds(timestamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def bench_updates(repeats: int) -> dict:
    """Each playground's update function vs one backward() of the same expression."""
    import torch

    from utils import widgets

    def backward_of(expression):
        def run():
            x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
            expression(x).backward()

        return run

    cases = {
        "tangent": (lambda: widgets.tangent_state("x³ + 2x", 2.0), lambda x: x**3 + 2 * x),
        "two_variable": (lambda: widgets.two_variable_state(), lambda x: 3 * x + 4 * x**2),
        "grad_mode": (lambda: widgets.grad_mode_state(), lambda x: (3 * x).sum()),
        "vjp": (lambda: widgets.vjp_state((1.0, 0.5, -1.0)), lambda x: x * x),
        "training": (lambda: widgets.train_line(0.1, 50), lambda x: (x * 2 - 1) ** 2),
        "stepper": (_stepper_update, lambda x: x * 3 + x),
        "accumulation": (_accumulation_update, lambda x: x**2),
    }
    results = {}
    for name, (update, expression) in cases.items():
        update()  # warm up: imports and first-call costs are not what a slider pays
        update_seconds = _median_seconds(update, repeats)
        backward_seconds = _median_seconds(backward_of(expression), repeats)
        results[name] = {
            "update_ms": round(update_seconds * 1000, 3),
            "backward_ms": round(backward_seconds * 1000, 3),
            "ratio": round(update_seconds / backward_seconds, 1),
        }
    return results


def _stepper_update():
    from utils import widgets
    from utils.stepper import BackwardStepper

    output, names = widgets.stepper_example()
    stepper = BackwardStepper(output, names)
    stepper.step()
    widgets.stepper_view(stepper, names)


def _accumulation_update():
    from utils.widgets import AccumulationLab

    AccumulationLab().new_backward()


def _median_seconds(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


TRIVIAL_SLIDER = """import ipywidgets as widgets
from IPython.display import Pretty, display

trivial = widgets.IntSlider(value=0, min=0, max=1000, description="trivial")
display(trivial)
shown = display(Pretty("value 0"), display_id=True)
trivial.observe(lambda change: shown.update(Pretty(f"value {change['new']}")), names="value")"""


def bench_sliders(moves: int) -> dict:
    """Browser round trip per slider (median of `moves`) vs a trivial slider in the same page."""
    from tools.lab import browser, browser_missing, lab_server, open_and_run_all
    from utils.playground import PLAYGROUND_MARKER

    if browser_missing():
        return {"skipped": browser_missing()}
    results = {}
    with tempfile.TemporaryDirectory() as folder, lab_server(Path(folder)) as server:
        with browser(Path(folder) / "chromium") as context:
            for path in course_notebooks():
                notebook = nbformat.read(path, as_version=4)
                indexes = [
                    i
                    for i, c in enumerate(notebook.cells)
                    if c.cell_type == "code" and PLAYGROUND_MARKER in str(c.outputs)
                ]
                if not indexes:
                    continue
                page = context.new_page()
                open_and_run_all(page, server, path.name)
                trivial_index = _add_trivial_slider(page, len(notebook.cells))
                _round_trip(page, trivial_index, 0, 0)  # warm-up: first messages, first draw
                for index in indexes:
                    sliders = page.locator(".jp-Notebook .jp-Cell").nth(index)
                    count = sliders.locator(".widget-slider").count()
                    for number in range(count):
                        name = f"{path.stem[:2]}:{notebook.cells[index].source.splitlines()[-1]}"
                        # alternate: a move of the trivial slider, then one of this slider,
                        # so both medians come from the same stretch of time
                        trivial, seconds = [], []
                        for move in range(moves):
                            trivial.append(_round_trip(page, trivial_index, 0, move))
                            seconds.append(_round_trip(page, index, number, move))
                        results[f"{name} slider {number}"] = {
                            "median_ms": round(statistics.median(seconds) * 1000, 1),
                            "trivial_ms": round(statistics.median(trivial) * 1000, 1),
                            "ratio": round(
                                statistics.median(seconds) / statistics.median(trivial), 2
                            ),
                        }
                page.close()
                server.shut_down_kernels()
    return results


def _add_trivial_slider(page, cell_count: int) -> int:
    """Append a cell with the trivial slider to the open notebook and run it."""
    page.locator(".jp-Notebook .jp-Cell").nth(cell_count - 1).click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(TRIVIAL_SLIDER)
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-Notebook .jp-Cell").nth(cell_count).locator(".widget-slider").wait_for()
    return cell_count


SETTLE_MS = 250
ROUND_TRIP_WATCH = """([index]) => {
    // Page-clock timestamps: the key press, and the first DOM change of the read-out.
    // A MutationObserver sees the change when it happens, not at the next polled frame.
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
    const readout = () => {
        const out = cell.querySelectorAll('.jp-OutputArea-output')[1];
        return out ? out.innerText : null;
    };
    const before = readout();
    const times = {};
    window.__roundTrip = times;
    document.addEventListener('keydown', () => { times.pressed = performance.now(); },
                              {capture: true, once: true});
    const observer = new MutationObserver(() => {
        if (readout() !== before) {
            times.changed = performance.now();
            observer.disconnect();
        }
    });
    observer.observe(cell, {subtree: true, childList: true, characterData: true});
}"""


def _round_trip(page, index: int, number: int, move: int) -> float:
    """Seconds from a key press on slider `number` of cell `index` until its read-out changes."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    handle = cell.locator(".widget-slider .noUi-handle").nth(number)
    handle.focus()
    # Let the previous move finish everywhere (the kernel may still be sending its figure,
    # and a widget sends no new value while its last one is pending), as between two
    # presses of a person: each round trip then starts from a quiet page.
    page.wait_for_timeout(SETTLE_MS)
    page.evaluate(ROUND_TRIP_WATCH, [index])
    page.keyboard.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
    page.wait_for_function("() => window.__roundTrip.changed !== undefined", timeout=20_000)
    times = page.evaluate("() => window.__roundTrip")
    return (times["changed"] - times["pressed"]) / 1000


def bench_install() -> dict:
    """Size of the environment `make lab` installs on a learner's Linux computer.

    The set-up runs in a fresh clone with this machine's pip configuration switched off, so
    that torch comes from TORCH_INDEX_URL (PyTorch's CPU index by default). Where a local
    folder of wheels holds the CPU build (PIP_FIND_LINKS, on a machine that cannot reach
    PyTorch's index), that folder is served on 127.0.0.1 as the index in its place.
    """
    import functools
    import http.server
    import threading

    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "VIRTUAL_ENV"
        }
        environment["PIP_CONFIG_FILE"] = os.devnull
        wheels = [
            wheel
            for links in os.environ.get("PIP_FIND_LINKS", "").split()
            for wheel in Path(links).glob("torch-*+cpu-*.whl")
        ]
        server = None
        if wheels:
            index = Path(folder) / "index"
            (index / "torch").mkdir(parents=True)
            for wheel in wheels:
                (index / wheel.name).symlink_to(wheel)
            links = "".join(f'<a href="../{w.name}">{w.name}</a>\n' for w in wheels)
            (index / "torch" / "index.html").write_text(links)

            class Quiet(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *args):
                    pass

            handler = functools.partial(Quiet, directory=index)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            environment["TORCH_INDEX_URL"] = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            subprocess.run(
                ["make", ".venv/.lab-installed"],
                cwd=clone,
                env=environment,
                check=True,
                capture_output=True,
            )
        finally:
            if server:
                server.shutdown()
        venv = clone / ".venv"
        size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
        cuda = sorted(p.name for p in venv.glob("lib/python*/site-packages/nvidia*"))
    if cuda:
        raise RuntimeError(f"the set-up installed CUDA libraries: {', '.join(cuda)}")
    return {
        "installed_gb": round(size / 1e9, 2),
        "cuda_torch_reference_gb": CUDA_TORCH_GB,
    }


def table(figures: dict) -> str:
    rows = ["| figure | measured | target |", "|---|---|---|"]
    suite = figures["suite"]
    rows.append(
        f"| suite vs floor | {suite['ratio']}× ({suite['suite_seconds']} s vs "
        f"{suite['floor_seconds']} s) | ≤ {TARGETS['suite']}× |"
    )
    rows.append(
        f"| suite vs a floor that also loads each notebook's heavy libraries "
        f"({', '.join(sorted({m for c in figures['cells'].values() for m in c['loads']}))}) | "
        f"{suite['library_ratio']}× ({suite['suite_seconds']} s vs "
        f"{suite['library_floor_seconds']} s) | report |"
    )
    cells = figures["cells"]
    worst = max(cells, key=lambda name: cells[name]["ratio"])
    rows.append(
        f"| slowest cell vs `import torch` | {cells[worst]['ratio']}× ({worst}, cell "
        f"{cells[worst]['slowest_cell']}) | ≤ {TARGETS['slowest_cell']}× |"
    )
    sliders = figures["sliders"]
    if "skipped" in sliders:
        skipped = sliders["skipped"]
        rows.append(f"| slider round trip | skipped: {skipped} | ≤ {TARGETS['slider']}× |")
    else:
        worst = max(sliders, key=lambda name: sliders[name]["ratio"])
        rows.append(
            f"| slider round trip vs trivial slider | {sliders[worst]['ratio']}× at worst "
            f"({worst}: {sliders[worst]['median_ms']} ms vs {sliders[worst]['trivial_ms']} ms)"
            f" | ≤ {TARGETS['slider']}× |"
        )
    updates = figures["updates"]
    worst = max(updates, key=lambda name: updates[name]["update_ms"])
    rows.append(
        f"| playground update vs one `backward()` | slowest: {worst}, "
        f"{updates[worst]['update_ms']} ms ({updates[worst]['ratio']}×) | report |"
    )
    install = figures["install"]
    rows.append(
        f"| installed environment (`make lab`) | {install['installed_gb']} GB (default CUDA "
        f"torch: about {install['cuda_torch_reference_gb']} GB) | ≤ {TARGETS['install_gb']} GB |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (checks it runs)")
    parser.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "bench.json")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args(argv)

    notebooks = course_notebooks()[:2] if args.quick else course_notebooks()
    workers = min(2, os.cpu_count() or 1)
    cells = bench_cells(notebooks, repeats=1 if args.quick else 3)
    loads = {name: result["loads"] for name, result in cells.items()}
    figures = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
        "suite": bench_suite(notebooks, workers, loads, repeats=1 if args.quick else 3),
        "cells": cells,
        "updates": bench_updates(20 if args.quick else 200),
        "sliders": bench_sliders(3 if args.quick else 21),
        "install": {"installed_gb": None, "cuda_torch_reference_gb": CUDA_TORCH_GB}
        if args.quick
        else bench_install(),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    text = table(figures)
    print(text)
    if args.readme:
        readme = (ROOT / "README.md").read_text()
        try:
            readme = splice(readme, BENCH_START, BENCH_END, "\n\n" + text + "\n\n")
        except MarkerError as error:
            print(f"bench: {error} (the figures are in {args.json})", file=sys.stderr)
            return 1
        (ROOT / "README.md").write_text(readme)
    print(f"figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
