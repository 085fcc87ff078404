"""The machinery behind every playground: controls, a drawing, and a redraw on each change.

A lesson's playground is a small function that makes its controls and a ``draw()``
function, and hands both to :class:`Playground`. This module knows nothing of any lesson:
it shows the drawing, redraws it when a control changes, and shows figures quickly
(:class:`FigureView`).

Every playground first shows its drawing as ordinary output (text and figures), so the
page makes sense where no widget front end runs: on GitHub, in a static HTML page, or
under the test runner. There, the playground's text form ends with
:data:`PLAYGROUND_MARKER`. In JupyterLab, a change of a control replaces that output in
place.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import ipywidgets as widgets
from IPython.display import Pretty, display

# A playground's text form, where no widget front end shows its controls, ends with this.
# Tests, the static site and the benchmark find the playground cells of a stored notebook by it.
PLAYGROUND_MARKER = "run this cell in JupyterLab to use the controls."


class Playground(widgets.HBox):
    """Controls, and below them a drawing that is redrawn in place whenever a control changes.

    Each item of the drawing (a text, a figure, a graph) is an ordinary output of the
    cell, shown with a display id. A change of a control replaces those outputs in
    place (``update_display``). So the first drawing is what GitHub, a static page or
    the test runner shows, and in JupyterLab nothing is shown twice.

    A button's click runs its action first, then redraws, so the picture always shows
    what the click did. Give the action in ``actions``, never with the button's own
    ``on_click`` (a handler added after the playground's redraw would show one click late).

    Args:
        title: the playground's name, used in its text form.
        controls: the sliders, menus, check boxes and buttons, in display order.
        draw: returns the items to show (strings are shown as text) for the controls'
            current values.
        actions: what each button does, ``{button: function of no arguments}``; every
            button among the controls that has no action just redraws.

    Attributes:
        title: the playground's name.
        controls: the controls, in display order.
        items: what the last drawing showed.
    """

    def __init__(
        self,
        title: str,
        controls: list,
        draw: Callable[[], list],
        actions: dict | None = None,
    ):
        self.title = title
        self.controls = list(controls)
        self.items: list = []
        self._draw = draw
        self._actions = dict(actions or {})
        self._handles: list = []
        self._views: dict = {}
        strangers = [button for button in self._actions if button not in self.controls]
        if strangers:
            raise ValueError(
                f"{title}: an action is given for a button that is not among the controls "
                f"({strangers[0].description!r})"
            )
        super().__init__(self.controls, layout=widgets.Layout(flex_flow="row wrap"))
        for control in self.controls:
            if isinstance(control, widgets.Button):
                if _click_handlers(control):
                    raise ValueError(
                        f"{title}: the button {control.description!r} already has a click "
                        "handler; give it as Playground(..., actions={button: action}) so "
                        "the picture is redrawn after it"
                    )
                control.on_click(self._clicked)
            else:
                control.observe(self.redraw, names="value")

    def _clicked(self, button) -> None:
        action = self._actions.get(button)
        if action is not None:
            action()
        self.redraw(button)

    def draw(self) -> list:
        """Compute what the playground shows for the controls' current values."""
        self.items = list(self._draw())
        return self.items

    def redraw(self, change=None) -> None:
        """Recompute the drawing and replace the displayed one.

        Args:
            change: what triggered it: a control's change, a clicked button, or None.
        """
        items = self.draw()
        for handle, item in zip(self._handles, items, strict=False):
            handle.update(self._displayable(item))

    def _ipython_display_(self, **kwargs) -> None:
        show_controls = getattr(super(), "_ipython_display_", None)
        if show_controls is not None:  # ipywidgets 7 (Google Colab): widgets display themselves
            show_controls(**kwargs)
        else:  # ipywidgets 8: widgets describe themselves as a mime bundle
            display(self._repr_mimebundle_(), raw=True)
        self._handles = [display(self._displayable(item), display_id=True) for item in self.draw()]

    def _displayable(self, item):
        """Strings are shown as plain text (without quotes), figures as a quick PNG."""
        if isinstance(item, str):
            return Pretty(item)
        if _is_figure(item):
            if item not in self._views:  # one view per figure: it keeps the background
                self._views[item] = FigureView(item)
            return self._views[item]
        return item

    def __repr__(self) -> str:
        return f"{self.title}: {PLAYGROUND_MARKER}"


def _click_handlers(button) -> list:
    """The handlers already attached to a button's click (ipywidgets 7 and 8 alike)."""
    dispatcher = getattr(button, "_click_handlers", None)
    return list(getattr(dispatcher, "callbacks", []))


def _is_figure(item) -> bool:
    figure_module = sys.modules.get("matplotlib.figure")  # no figure before matplotlib loads
    return figure_module is not None and isinstance(item, figure_module.Figure)


def new_figure(size=(6.4, 3.2), ncols=1, width_ratios=None):
    """A new figure and its axes, drawn with Agg and shown only by the playground.

    Made without pyplot, so pyplot never shows it by itself, and matplotlib is loaded
    only by a playground that draws a figure (a notebook without one starts quicker).

    Args:
        size: width and height in inches.
        ncols: how many axes, side by side.
        width_ratios: their relative widths (None: equal).

    Returns:
        ``(figure, axes)``: one Axes, or an array of ``ncols`` of them.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    FigureCanvasAgg(figure)
    return figure, figure.subplots(1, ncols, width_ratios=width_ratios)


class FigureView:
    """A figure shown as a PNG in one drawing pass, redrawing only what moves.

    Displaying a figure the usual way draws it twice (once to find a tight bounding box);
    a playground figure already has its layout, so one pass is enough.

    Artists marked ``set_animated(True)`` are the moving parts (a tangent line, bars, a
    title). The first frame draws the rest once and keeps that picture; each later frame
    restores it and draws only the moving artists (matplotlib's blitting). When anything
    else changes (limits, a fixed line), matplotlib marks the figure stale and the next
    frame is drawn in full again.

    Args:
        figure: a matplotlib figure, for example from :func:`new_figure`.
    """

    def __init__(self, figure):
        self.figure = figure
        self._background = None
        self._moving = None

    def _repr_png_(self) -> bytes:
        import PIL.Image
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = self.figure.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(self.figure)
        if self._moving is None:
            self._moving = self.figure.findobj(lambda artist: artist.get_animated())
        if self._background is None or self.figure.stale:
            canvas.draw()  # everything but the moving artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._moving:
            self.figure.draw_artist(artist)
        width, height = canvas.get_width_height()
        image = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw")
        image = image.convert("RGB")  # the figure is opaque: a smaller PNG, quicker both ways
        png = io.BytesIO()
        image.save(png, format="png", compress_level=1)
        return png.getvalue()

    def __repr__(self) -> str:
        width, height = self.figure.get_size_inches() * self.figure.dpi
        return f"<Figure size {width:g}x{height:g} with {len(self.figure.axes)} Axes>"
