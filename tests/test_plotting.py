"""The course's figure style, and that importing the toolkit changes nothing."""

import subprocess
import sys

import matplotlib

from utils.plotting import COLORS, course_style, use_course_style


def test_colours_are_the_okabe_ito_palette():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert okabe_ito <= set(COLORS.values())
    cycle = [entry["color"] for entry in course_style()["axes.prop_cycle"]]
    assert cycle == list(COLORS.values())


def test_sizes_are_readable_when_projected():
    style = course_style()
    assert style["font.size"] >= 12 and style["axes.titlesize"] >= 12
    assert style["lines.linewidth"] >= 2


def test_use_course_style_applies_it():
    saved = matplotlib.rcParams.copy()
    try:
        use_course_style()
        assert matplotlib.rcParams["font.size"] == course_style()["font.size"]
        colours = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
        assert colours == list(COLORS.values())
    finally:
        matplotlib.rcParams.update(saved)


def test_importing_the_toolkit_changes_no_settings():
    code = (
        "import matplotlib, json\n"
        "before = {k: str(v) for k, v in matplotlib.rcParams.items()}\n"
        "import utils, utils.checks, utils.exercises, utils.graph, utils.plotting\n"
        "import utils.stepper, utils.widgets\n"
        "after = {k: str(v) for k, v in matplotlib.rcParams.items()}\n"
        "changed = sorted(k for k in before if before[k] != after[k] and k != 'backend')\n"
        "print(json.dumps(changed))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
