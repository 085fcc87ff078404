"""What learners do that nbval does not: run cells twice, start elsewhere, lack Graphviz."""

import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from tools.course import course_notebooks, make_client
from utils.graph import INSTALL_HINT

NOTEBOOKS = course_notebooks()


def fresh_copy(path: Path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    return notebook


def errors_outside_tagged_cells(notebook) -> list[str]:
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        for output in cell.outputs:
            if output.output_type == "error":
                found.append(f"cell {index}: {output.ename}: {output.evalue}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_running_every_cell_twice_in_one_kernel(path, tmp_path):
    """Learners re-run cells. A second pass in the same kernel must not fail either."""
    notebook = fresh_copy(path)
    client = make_client(notebook, tmp_path)  # also: a working directory outside the course
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    client.execute_cell(cell, index)  # raises on an unexpected error
    assert errors_outside_tagged_cells(notebook) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [p for p in NOTEBOOKS if "draw_graph" in p.read_text() or "backward_stepper" in p.read_text()],
    ids=lambda p: p.name,
)
def test_without_graphviz_graphs_show_as_text_with_an_install_hint(path, tmp_path):
    """With no `dot` on PATH, every graph cell shows text and the hint, and nothing fails."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    environment = {**os.environ, "PATH": str(bin_dir)}
    assert shutil.which("dot", path=environment["PATH"]) is None

    notebook = fresh_copy(path)
    client = make_client(notebook, tmp_path)
    with client.setup_kernel(env=environment):
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
    assert errors_outside_tagged_cells(notebook) == []
    texts = [
        output.data["text/plain"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "text/plain" in output.get("data", {})
    ]
    graphs = [text for text in texts if "digraph" in text]
    assert graphs, "the notebook draws graphs"
    assert all(text.startswith(INSTALL_HINT) for text in graphs)
    assert not any(
        "text/html" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", [])
    )
