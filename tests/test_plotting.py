"""The course's figure style, and that importing the toolkit changes nothing."""

import subprocess
import sys

import matplotlib

from utils.plotting import COLORS, course_style, legend_below, use_course_style


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


def run_in_kernel(source: str, **environment: str) -> list:
    """Run one cell in a fresh notebook kernel with extra environment variables."""
    import os

    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True)
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        client.execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return notebook.cells[0].outputs


FIGURE_CELL = (
    "from utils.plotting import use_course_style\n"
    "use_course_style()\n"
    "import matplotlib.pyplot as plt\n"
    "plt.plot([0, 1], [1, 0])\n"
    "plt.show()\n"
)


def test_a_file_backend_in_the_environment_still_shows_the_figures():
    outputs = run_in_kernel(FIGURE_CELL, MPLBACKEND="Agg")
    assert any("image/png" in output.get("data", {}) for output in outputs)
    said = "".join(output.get("text", "") for output in outputs)
    assert "MPLBACKEND" in said and "inline" in said


def test_the_default_backend_shows_figures_and_says_nothing():
    outputs = run_in_kernel(FIGURE_CELL)
    assert any("image/png" in output.get("data", {}) for output in outputs)
    assert not [output for output in outputs if output.output_type == "stream"]


def test_a_backend_that_does_not_exist_is_named_in_one_line():
    code = "from utils.plotting import use_course_style\nuse_course_style()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "MPLBACKEND": "nonsense"},
    )
    last_line = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0
    assert "MPLBACKEND" in last_line and "'nonsense'" in last_line


# ---------------------------------------------------------------- legends off the curves


def boxes_overlap(first, second) -> bool:
    return first.overlaps(second) and first.intersection(first, second).width > 0


def legend_and_plot_area(figure, axes):
    """The legend's box and the plotting area's box, in pixels, after a full draw."""
    figure.canvas.draw()
    (legend,) = [*figure.legends, *([axes.get_legend()] if axes.get_legend() else [])]
    return legend.get_window_extent(), axes.get_window_extent(), figure.bbox


def test_a_legend_below_covers_no_curve_and_stays_in_the_figure():
    from utils.playground import new_figure

    figure, axes = new_figure(size=(6.4, 3.6))
    xs = [x / 10 for x in range(-30, 31)]
    axes.plot(xs, [x**2 for x in xs], label="a curve that fills the corners")
    axes.plot(xs, [9 - x**2 for x in xs], label="and another")
    axes.set_xlabel("x")
    legend_below(figure, axes)
    legend, plot_area, whole = legend_and_plot_area(figure, axes)
    assert not boxes_overlap(legend, plot_area), "the legend sits on the plotting area"
    assert whole.contains(legend.x0, legend.y0) and whole.contains(legend.x1, legend.y1)
    label = axes.xaxis.label.get_window_extent()
    assert not boxes_overlap(legend, label), "the legend covers the axis label"
    assert [text.get_text() for text in figure.legends[0].get_texts()] == [
        "a curve that fills the corners",
        "and another",
    ]


def test_a_legend_below_sets_its_entries_side_by_side_and_the_plot_keeps_the_figure():
    from utils.playground import new_figure

    figure, axes = new_figure(size=(6.4, 3.6))
    axes.plot([0, 1], [0, 1], label="first")
    axes.plot([0, 1], [1, 0], label="second")
    legend = legend_below(figure, axes)
    _, plot_area, whole = legend_and_plot_area(figure, axes)
    first, second = (text.get_window_extent() for text in legend.get_texts())
    assert second.x0 > first.x1 and abs(second.y0 - first.y0) < 1, "one row, side by side"
    assert not legend.get_frame_on(), "no frame around a legend that sits on no curve"
    assert whole.x0 <= plot_area.x0 and plot_area.x1 <= whole.x1, "the plot fits the width"
    assert plot_area.y1 <= whole.y1, "the plot fits the height"
    assert plot_area.width > 0.75 * whole.width, "and uses it"


def test_the_tangent_explorer_legend_never_covers_its_curves():
    from utils.widgets import TANGENT_FUNCTIONS, _TangentPlot, tangent_state

    plot = _TangentPlot()
    for function in TANGENT_FUNCTIONS:  # x² and exp(-x²) fill the top corners or the middle
        for x in (-2.5, 0.0, 2.5):
            plot.update(tangent_state(function, x))
            legend, plot_area, whole = legend_and_plot_area(plot.figure, plot.axes)
            assert not boxes_overlap(legend, plot_area), (function, x)
            assert whole.contains(legend.x0, legend.y0), (function, x)


def test_the_gradient_norm_explorer_legend_is_off_the_bars():
    import gc

    from matplotlib.figure import Figure

    from utils.debugging import gradient_norm_explorer

    before = {id(o) for o in gc.get_objects() if isinstance(o, Figure)}
    explorer = gradient_norm_explorer()
    (figure,) = [o for o in gc.get_objects() if isinstance(o, Figure) and id(o) not in before]
    legend, plot_area, _ = legend_and_plot_area(figure, figure.axes[0])
    assert not boxes_overlap(legend, plot_area)
    assert explorer is not None
