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
    assert "\n" not in str(error.value), "one line"


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
