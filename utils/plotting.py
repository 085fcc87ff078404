"""The course's figure style: colour-blind-safe colours, sizes readable on a projector."""

from __future__ import annotations

import os
from types import ModuleType

# Okabe & Ito (2008): distinguishable with the common forms of colour blindness.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

COURSE_STYLE = {
    "axes.prop_cycle": None,  # filled in by course_style()
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 11,
    "lines.linewidth": 2.2,
    "lines.markersize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def course_style() -> dict:
    """Return the course's matplotlib settings as a dict of rcParams."""
    from cycler import cycler

    style = dict(COURSE_STYLE)
    style["axes.prop_cycle"] = cycler(color=list(COLORS.values()))
    return style


# Backends that draw to files only: in a notebook they show no figure at all.
FILE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


def import_matplotlib() -> ModuleType:
    """Import matplotlib, naming the environment variable when it is what breaks the import.

    Raises:
        ValueError: when ``MPLBACKEND`` names no backend, with what to do about it.
    """
    try:
        import matplotlib  # not pyplot: a notebook without figures need not load it
    except ValueError as error:
        variable = os.environ.get("MPLBACKEND")
        if variable and "backend" in str(error):
            raise ValueError(
                f"the environment variable MPLBACKEND is set to {variable!r}, which is not a "
                "matplotlib backend: unset it (or set it to 'inline') and restart the kernel"
            ) from None
        raise
    return matplotlib


def use_course_style() -> None:
    """Apply the course's figure style to matplotlib; call it once, in a notebook's set-up cell.

    Call it before ``import matplotlib.pyplot``. In a notebook whose environment sets a
    backend that only writes files (``MPLBACKEND=Agg``, common on servers), figures would
    silently not appear; the notebook then draws them inline and says so in one line.
    """
    matplotlib = import_matplotlib()
    matplotlib.rcParams.update(course_style())
    _figures_inline_in_a_notebook(matplotlib)


def _figures_inline_in_a_notebook(matplotlib: ModuleType) -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return  # not a notebook kernel: a file backend is what the user asked for
    backend = str(matplotlib.get_backend(auto_select=False) or "").lower()
    if backend in FILE_BACKENDS:
        shell.run_line_magic("matplotlib", "inline")
        print(
            f"matplotlib's backend was {backend!r} (from MPLBACKEND), which shows no figures "
            "in a notebook: this notebook draws them inline."
        )


def legend_below(figure, axes, columns: int = 2):
    """Show ``axes``' legend under the plot, where no curve can run behind it.

    The entries sit side by side, without a frame, and the figure is laid out again
    (``tight_layout``) with room for the legend at its bottom, so call this once the
    axes have their labels.

    Args:
        figure: the matplotlib figure that holds ``axes``.
        axes: the axes whose labelled lines the legend names.
        columns: how many entries side by side.

    Returns:
        The legend.
    """
    handles, labels = axes.get_legend_handles_labels()
    legend = figure.legend(handles, labels, loc="lower center", ncol=columns, frameon=False)
    room = legend.get_window_extent().height / figure.bbox.height
    figure.tight_layout(rect=(0, room, 1, 1))
    return legend
