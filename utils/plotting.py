"""The course's figure style: colour-blind-safe colours, sizes readable on a projector."""

from __future__ import annotations

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


def use_course_style() -> None:
    """Apply the course's figure style to matplotlib; call it once, in a notebook's set-up cell."""
    import matplotlib  # not pyplot: a notebook without figures need not load it

    matplotlib.rcParams.update(course_style())
