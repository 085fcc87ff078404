"""Every notebook, both editions, in an environment built like Google Colab's.

Colab gives a learner its own torch, ipywidgets 7.7.1 and Graphviz, and not the course's
helpers. This test builds such an environment in a virtual environment (kept in
``.venv/colab-<key>``, keyed on the pins below, so a second run re-uses it), makes a module
``google.colab`` importable in the kernel as Colab does, and points the set-up cells'
Colab part at a copy of this repository instead of GitHub. Then it runs every notebook top
to bottom and checks what a learner in Colab would see.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import nbformat
import pytest

from tools.course import coalesce_streams, course_notebooks, student_notebooks
from tools.lab import ROOT
from utils.playground import PLAYGROUND_MARKER

# Colab's runtime (its published package list, 2026-08) has Python 3.13 with torch 2.11 (CPU).
# Here the only local CPU torch wheel is torch 2.13.0 for CPython 3.11, so the test uses
# Python 3.11 and the course's torch; every other pin is the version that Colab ships.
# (Colab's setuptools 75.2.0 is left out: torch 2.13.0 requires setuptools >= 77.0.3.)
PYTHON = "python3.11"
PINS = [
    "torch==2.13.0",
    "ipywidgets==7.7.1",
    "widgetsnbextension==3.6.10",
    "jupyterlab_widgets==3.0.16",
    "ipykernel==6.17.1",
    "ipython==7.34.0",
    "traitlets==5.7.1",
    "jupyter_client==7.4.9",
    "notebook==6.5.7",
    "pyzmq==26.2.1",
    "tornado==6.5.7",
    "graphviz==0.21",
    "matplotlib==3.10.0",
    "matplotlib-inline==0.2.2",
    "numpy==2.1.3",
    "pillow==11.3.0",
    "sympy==1.14.0",
]
BOOTSTRAP_LINE = "Installing the course helpers for Colab; Colab's own torch is kept.\n"
XMODE_LINE = "Exception reporting mode: Minimal\n"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def colab_like_python() -> Path:
    """The Python of the Colab-like virtual environment, built on first use."""
    python = shutil.which(PYTHON)
    if python is None:
        pytest.skip(f"{PYTHON} is not installed (the local CPU torch wheel needs it)")
    key = hashlib.sha256("\n".join([PYTHON, *PINS]).encode()).hexdigest()[:12]
    venv = ROOT / ".venv" / f"colab-{key}"
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *PINS]
        subprocess.run(pip, check=True)
        (venv / ".complete").touch()
    return venv / "bin" / "python"


def in_colab_python(python: Path, code: str, tmp_path: Path) -> str:
    """Run ``code`` with the Colab-like Python, outside this repository; return its stdout."""
    result = subprocess.run(
        [str(python), "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def remove_helpers(python: Path) -> None:
    """Uninstall the course helpers and torchviz, as in a new Colab runtime."""
    uninstall = [str(python), "-m", "pip", "uninstall", "--yes", "autograd-hands-on", "torchviz"]
    subprocess.run(uninstall, check=True, capture_output=True)


def copy_of_the_repository(target: Path) -> Path:
    """What the Colab part installs from GitHub: the package files of this working tree."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "utils", target / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def colab_kernel(python: Path, tmp_path: Path, source: Path) -> Path:
    """A kernel spec for the Colab-like Python, whose kernel has ``google.colab`` imported."""
    fake = tmp_path / "fake-colab"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "colab" / "__init__.py").write_text('"""Stands in for Colab\'s module."""\n')
    spec = tmp_path / "jupyter" / "kernels" / "colab-like"
    spec.mkdir(parents=True)
    kernel = {
        "argv": [
            str(python),
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.exec_lines=import google.colab",  # as Colab's own kernel does
        ],
        "display_name": "Colab-like",
        "language": "python",
        "env": {
            "PYTHONPATH": str(fake),
            "COURSE_SOURCE": str(source),
            "PATH": "/usr/bin:/bin",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # quiet the debugger's note on the console
        },
    }
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return tmp_path / "jupyter"


def run_in_colab_kernel(path: Path, workdir: Path):
    """Run a notebook top to bottom in the Colab-like kernel; return the notebook run."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # What a learner would look up afterwards: which torch and which helpers were used.
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import torch, torchviz, utils\n"
            "print(torch.__version__, torch.__file__, utils.__file__, torchviz.__file__)"
        )
    )
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="colab-like",
        resources={"metadata": {"path": str(workdir)}},
        allow_errors=True,
        store_widget_state=False,
    ).execute()
    return notebook


def texts(outputs) -> list[str]:
    """The text a learner reads in a cell's outputs (prints, text forms of displays)."""
    found = []
    for output in coalesce_streams(copy.deepcopy(outputs)):  # a busy kernel splits prints
        if output.output_type == "stream":
            found.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            found.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            found.append(f"{output.ename}: {output.evalue}")
    return found


def problems_in_run(stored, ran, fresh_install: bool) -> list[str]:
    """What a learner in Colab would see go wrong in one notebook (empty when all is well)."""
    problems = []
    code = [(i, c) for i, c in enumerate(ran.cells) if c.cell_type == "code"]
    setup_index, setup = code[0]
    expected = (BOOTSTRAP_LINE if fresh_install else "") + XMODE_LINE
    if texts(setup.outputs) != [expected]:
        problems.append(f"set-up cell printed {texts(setup.outputs)!r}, not {expected!r}")
    for index, cell in code[:-1]:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors and "raises-exception" not in cell.metadata.get("tags", []):
            problems.append(f"cell {index}: {errors[0].ename}: {errors[0].evalue}")
        if index == setup_index or stored.cells[index].get("execution_count") is None:
            continue  # the answer to a prediction is stored unrun: nothing to compare
        reference = stored.cells[index].outputs
        if any(PLAYGROUND_MARKER in text for text in texts(reference)):
            if not any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs):
                problems.append(f"cell {index}: the playground's controls were not displayed")
        if texts(cell.outputs) != texts(reference):
            problems.append(
                f"cell {index}: shows {texts(cell.outputs)!r}, not {texts(reference)!r}"
            )
    return problems


def test_every_notebook_runs_in_a_colab_like_environment(tmp_path: Path):
    python = colab_like_python()
    remove_helpers(python)
    before = in_colab_python(
        python,
        """
        import importlib.util, torch
        print(importlib.util.find_spec("utils"), torch.__version__, torch.__file__)
        """,
        tmp_path,
    )
    helpers_missing, torch_version, torch_file = before.split()
    assert helpers_missing == "None", "the course helpers must not be installed at the start"
    assert torch_version == "2.13.0+cpu"

    source = copy_of_the_repository(tmp_path / "course-source")
    jupyter_path = colab_kernel(python, tmp_path, source)
    content = tmp_path / "content"  # Colab's working folder: the helpers are not in it
    content.mkdir()
    site_packages = Path(torch_file).parent.parent
    [torch_record] = site_packages.glob("torch-*.dist-info/RECORD")
    torch_installed_at = torch_record.stat().st_mtime_ns

    problems = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(jupyter_path))
        # The complete edition as a learner opens each notebook in a new Colab runtime; the
        # student edition then finds the helpers installed already.
        for path in [*course_notebooks(), *student_notebooks()]:
            fresh_install = path.parent.name != "student"
            if fresh_install:
                remove_helpers(python)
            ran = run_in_colab_kernel(path, content)
            name = str(path.relative_to(ROOT))
            found = problems_in_run(nbformat.read(path, as_version=4), ran, fresh_install)
            used = texts(ran.cells[-1].outputs)
            if len(used) != 1:
                found.append(f"could not import torch, torchviz and the helpers: {used!r}")
            else:
                version, torch_used, helpers, torchviz = used[0].split()
                if (version, torch_used) != (torch_version, torch_file):
                    found.append(f"torch was replaced: {version} from {torch_used}")
                if not (
                    helpers.startswith(str(site_packages))
                    and torchviz.startswith(str(site_packages))
                ):
                    found.append(
                        f"helpers not installed in Colab's packages: {helpers}, {torchviz}"
                    )
            if found:
                problems[name] = found
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    assert torch_record.stat().st_mtime_ns == torch_installed_at, "torch was reinstalled"
