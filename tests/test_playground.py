"""The playground machinery, apart from any lesson: redraws, buttons' actions, the static view."""

import ipywidgets as widgets
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from utils.playground import PLAYGROUND_MARKER, Playground
from utils.quiz import quiz
from utils.widgets import accumulation_explorer, backward_stepper


def counter_playground():
    """A playground whose drawing is the number of clicks its action has counted."""
    clicks = []
    button = widgets.Button(description="count")
    playground = Playground(
        "Counter",
        [button],
        lambda: [f"clicks: {len(clicks)}"],
        actions={button: lambda: clicks.append(1)},
    )
    return playground, button


def test_a_click_is_drawn_after_its_action_not_one_click_late():
    playground, button = counter_playground()
    assert playground.items == [], "nothing drawn before the first drawing"
    playground.draw()
    assert playground.items == ["clicks: 0"]
    button.click()
    assert playground.items == ["clicks: 1"]
    button.click()
    assert playground.items == ["clicks: 2"]


def test_the_shown_output_after_a_click_is_the_new_drawing():
    InteractiveShell.instance()
    playground, button = counter_playground()
    with capture_output() as captured:
        playground._ipython_display_()
        button.click()
    texts = [o.data["text/plain"] for o in captured.outputs if "clicks" in str(o.data)]
    assert texts == ["clicks: 0", "clicks: 1"]
    assert [o.update for o in captured.outputs if "clicks" in str(o.data)] == [False, True]


def test_a_button_without_an_action_just_redraws():
    values = iter(["first", "second"])
    button = widgets.Button(description="again")
    playground = Playground("Redraw", [button], lambda: [next(values)])
    playground.draw()
    button.click()
    assert playground.items == ["second"]


def test_a_handler_attached_before_the_playground_is_refused():
    button = widgets.Button(description="step")
    button.on_click(lambda _: None)
    with pytest.raises(ValueError, match=r"actions=\{button: action\}") as error:
        Playground("Old style", [button], lambda: [])
    message = str(error.value)
    assert "\n" not in message, "one line"
    assert message.startswith("Old style: the button 'step' already has a click handler; ")
    assert "give it as Playground(..., actions={button: action}) so " in message
    assert message.endswith(" so the picture is redrawn after it"), "it says why"


def test_an_action_for_a_button_that_is_not_shown_is_refused():
    shown, hidden = widgets.Button(description="shown"), widgets.Button(description="hidden")
    with pytest.raises(ValueError, match="'hidden'"):
        Playground("Lost", [shown], lambda: [], actions={hidden: lambda: None})


def test_a_slider_change_redraws_with_its_new_value():
    slider = widgets.IntSlider(value=1)
    playground = Playground("Slider", [slider], lambda: [f"value {slider.value}"])
    slider.value = 7
    assert playground.items == ["value 7"]


@pytest.mark.parametrize(
    ("make", "button_names"),
    [
        (backward_stepper, ["next step", "next step", "start over", "next step"]),
        (
            accumulation_explorer,
            ["new y = x², then backward()", "x.grad.zero_()", "backward() on the same y"],
        ),
    ],
    ids=["stepper", "accumulation"],
)
def test_every_click_of_a_lesson_playground_shows_its_own_result(make, button_names):
    """After each click, what is shown is what the playground's state now gives."""
    playground = make()
    playground.draw()
    buttons = {c.description: c for c in playground.controls if isinstance(c, widgets.Button)}
    for name in button_names:
        before = list(playground.items)
        buttons[name].click()
        shown = list(playground.items)
        assert shown[0] != before[0], f"{name!r} changed nothing that is shown"
        assert shown[0] == playground.draw()[0], f"{name!r}: the picture lags one click behind"


def test_a_quiz_still_judges_on_check_and_clears_on_a_new_letter():
    question = quiz("plain tensor")
    question.letters.value = "A"
    assert "press Check" in question.items[0]
    question.check_button.click()
    assert "press Check" not in question.items[0]
    question.letters.value = "B"
    assert "press Check" in question.items[0]


def test_the_static_view_names_the_playground_and_where_its_controls_work():
    playground, _ = counter_playground()
    assert repr(playground) == f"Counter: {PLAYGROUND_MARKER}"
    assert "JupyterLab" in PLAYGROUND_MARKER


def test_only_a_new_value_redraws_not_a_new_label():
    drawings = []
    slider = widgets.IntSlider(value=1, description="n")
    Playground("Slider", [slider], lambda: drawings.append(slider.value) or [])
    slider.description = "m"
    assert drawings == [], "a label change is not a move"
    slider.value = 2
    assert drawings == [2]


def test_the_controls_wrap_on_a_narrow_screen():
    playground, _ = counter_playground()
    assert playground.layout.flex_flow == "row wrap"
    assert list(playground.children) == playground.controls


def test_a_figure_is_shown_through_one_view_that_keeps_its_background():
    from utils.playground import FigureView, new_figure

    figure, _ = new_figure()
    playground = Playground("Figure", [], lambda: [figure])
    view = playground._displayable(figure)
    assert isinstance(view, FigureView) and view.figure is figure
    assert playground._displayable(figure) is view
    assert playground._displayable("text").data == "text"


def test_new_figure_has_the_size_and_columns_asked_for():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from utils.playground import new_figure

    figure, (left, right) = new_figure(size=(5.0, 2.0), ncols=2, width_ratios=(1, 3))
    assert tuple(figure.get_size_inches()) == (5.0, 2.0)
    assert isinstance(figure.canvas, FigureCanvasAgg)
    assert right.get_position().width == pytest.approx(3 * left.get_position().width, rel=0.05)


def test_a_figure_view_is_an_opaque_png():
    from matplotlib.figure import Figure

    from utils.playground import FigureView

    figure = Figure(figsize=(2, 1))  # no canvas of its own yet: the view gives it one
    png = FigureView(figure)._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[25] == 2, "colour type 2: RGB, no alpha channel"


def test_on_ipywidgets_7_the_controls_are_shown_by_the_widget_itself(monkeypatch):
    """Colab's ipywidgets 7: a widget shows itself through its own ``_ipython_display_``."""
    InteractiveShell.instance()
    shown = []
    monkeypatch.setattr(
        widgets.HBox, "_ipython_display_", lambda self, **kwargs: shown.append(self), raising=False
    )
    playground, _ = counter_playground()
    with capture_output() as captured:
        playground._ipython_display_()
    assert shown == [playground], "the controls were not shown"
    texts = [o.data.get("text/plain") for o in captured.outputs]
    assert texts == ["clicks: 0"], "the drawing follows the controls, shown once"


def test_an_item_that_is_neither_text_nor_figure_is_shown_as_it_is():
    import graphviz

    from utils.playground import new_figure

    new_figure()  # matplotlib is loaded: a figure could be recognised
    graph = graphviz.Digraph()
    playground = Playground("Graph", [], lambda: [graph])
    assert playground._displayable(graph) is graph


def test_a_figure_view_is_drawn_at_the_figure_size():
    from matplotlib.figure import Figure

    from utils.playground import FigureView

    figure = Figure(figsize=(2, 1), dpi=100)  # not an Agg canvas yet
    png = FigureView(figure)._repr_png_()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (200, 100), "2 x 1 inches at 100 dots per inch"


def test_a_figure_view_keeps_drawing_on_the_figure_canvas():
    """Each frame reuses the figure's Agg canvas (and its kept background), not a new one."""
    from utils.playground import FigureView, new_figure

    figure, _ = new_figure()
    canvas = figure.canvas
    view = FigureView(figure)
    view._repr_png_()
    view._repr_png_()
    assert figure.canvas is canvas


def test_a_figure_view_png_is_compressed_for_speed():
    """zlib's fastest level: a slider step waits on compression as little as possible."""
    from matplotlib.figure import Figure

    from utils.playground import FigureView

    png = FigureView(Figure(figsize=(2, 1)))._repr_png_()
    start = png.index(b"IDAT") + 4
    assert png[start] & 0x0F == 8, "a zlib (deflate) stream"
    assert png[start + 1] >> 6 == 0, "FLEVEL 0: the fastest compression"
