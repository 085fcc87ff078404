"""Playgrounds against the lessons: each one, built here, shows what its notebook has stored.

The notebooks' stored outputs are checked by strict nbval, so they are what a learner sees on
GitHub or in a static page. Rebuilding each playground cell here, in the fast tests, catches a
change to a playground's defaults, readout, figure or graph without running the notebooks.
"""

import json
from pathlib import Path

import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import utils.widgets
from utils.widgets import grad_mode_state, tangent_state, train_line, two_variable_state, vjp_state

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PLAYGROUNDS = [
    "tangent_explorer",
    "two_variable_explorer",
    "backward_stepper",
    "accumulation_explorer",
    "grad_mode_explorer",
    "vjp_explorer",
    "training_explorer",
]


def playground_cells():
    """(notebook, cell source, stored text/plain outputs) of every cell that shows a playground."""
    cells = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and any(f"{n}(" in source for n in PLAYGROUNDS):
                stored = [
                    "".join(output["data"]["text/plain"])
                    for output in cell["outputs"]
                    if "text/plain" in output.get("data", {})
                ]
                cells.append(
                    pytest.param(source, stored, id=f"{path.stem}:{source.splitlines()[-1]}")
                )
    return cells


def test_every_playground_appears_in_a_lesson():
    shown = " ".join(source for source, _ in (p.values for p in playground_cells()))
    assert all(f"{name}(" in shown for name in PLAYGROUNDS)


@pytest.mark.parametrize(("source", "stored"), playground_cells())
def test_a_playground_shows_what_its_notebook_stored(source, stored):
    InteractiveShell.instance()
    namespace = {"torch": torch, **{name: getattr(utils.widgets, name) for name in PLAYGROUNDS}}
    *setup, last = source.strip().splitlines()
    exec("\n".join(setup), namespace)
    with capture_output() as captured:
        eval(last, namespace)._ipython_display_()
    shown = [output.data["text/plain"] for output in captured.outputs]
    assert shown == stored


# The readouts the lessons store for each playground's starting state. The plain functions
# behind the playgrounds start from the same state when called without arguments.
def stored_readout(playground: str) -> str:
    (_, stored), *_ = (
        p.values for p in playground_cells() if p.values[0].endswith(f"{playground}()")
    )
    return stored[1]


def test_the_plain_functions_start_where_their_playgrounds_start():
    assert tangent_state().text() == stored_readout("tangent_explorer")
    assert two_variable_state()[0].text() == stored_readout("two_variable_explorer")
    assert grad_mode_state()[0].text() == stored_readout("grad_mode_explorer")
    assert vjp_state().text() == stored_readout("vjp_explorer")
    assert train_line().text() == stored_readout("training_explorer")
