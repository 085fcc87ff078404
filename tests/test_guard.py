"""The guard that runs a learner's code: its shared time limit, its capped printing, and
what it lets go of after a call that raised.

These drive ``utils.guard`` directly, with limits of a fraction of a second, so that each
test stays quick; the checks built on it are tested through ``check()`` elsewhere.
"""

import gc
import threading
import time
import weakref

import pytest

from utils.guard import (
    MAX_PRINTED_CHARACTERS,
    MAX_PRINTED_LINES,
    CappedOutput,
    TimeLimitExceeded,
    guarded_call,
    session,
)


def sleeps(seconds):
    time.sleep(seconds)
    return seconds


def quick(value):
    return value * 2


# ------------------------------------------------------------------------ the time limit


def test_outside_a_session_a_call_runs_and_returns_its_answer():
    outcome = guarded_call(quick, (21,))
    assert outcome.answer == 42 and outcome.error is None and outcome.changed == []


def test_a_raised_exception_is_returned_not_raised():
    outcome = guarded_call(lambda: [][0], ())
    assert outcome.answer is None and isinstance(outcome.error, IndexError)


def test_quick_calls_share_a_short_session_without_running_out():
    with session(time_limit=0.5):
        answers = [guarded_call(quick, (n,)).answer for n in range(5)]
    assert answers == [0, 2, 4, 6, 8]


def test_a_call_slower_than_the_session_s_limit_is_stopped_soon_after_it():
    start = time.monotonic()
    with pytest.raises(TimeLimitExceeded), session(time_limit=0.3):
        guarded_call(sleeps, (3.0,))
    assert time.monotonic() - start < 2.0  # the session's 0.3 s, not the default 5 s


def test_the_calls_of_a_session_share_one_time_limit():
    # 0.6 s for both: the first takes 0.4 s, so the second, which needs 0.3 s, is stopped
    second_started = []

    def second(seconds):
        second_started.append(True)
        return sleeps(seconds)

    start = time.monotonic()
    with pytest.raises(TimeLimitExceeded), session(time_limit=0.6):
        assert guarded_call(sleeps, (0.4,)).answer == 0.4
        guarded_call(second, (0.3,))
    assert second_started  # it was stopped while running, not refused before it started
    assert time.monotonic() - start < 2.0


def test_a_session_with_no_time_left_calls_nothing():
    called = []
    with pytest.raises(TimeLimitExceeded), session(time_limit=0):
        guarded_call(called.append, (True,))
    assert called == []


# ---------------------------------------------------------------- what a call holds


class Held:
    """Something a learner's function holds in a local variable."""


def test_what_a_stopped_call_held_is_let_go_at_once():
    references = []

    def holds_then_sleeps():
        held = Held()
        references.append(weakref.ref(held))
        while True:
            time.sleep(0.05)

    gc.disable()  # only the guard may free it, not a garbage collection
    try:
        with pytest.raises(TimeLimitExceeded) as stopped, session(time_limit=0.3):
            guarded_call(holds_then_sleeps, ())
        # the exception is still held (as a kernel keeps the last error it showed)
        assert stopped.value.__traceback__ is not None
        assert references[0]() is None
    finally:
        gc.enable()


def test_what_the_first_of_two_chained_errors_held_is_let_go_too():
    references = []

    def inner():
        held = Held()
        references.append(weakref.ref(held))
        raise KeyError("inner")

    def catches_and_raises_another():
        try:
            inner()
        except KeyError:
            raise ValueError("outer") from None

    def catches_and_raises_another_implicitly():
        try:
            inner()
        except KeyError:
            raise ValueError("outer")  # noqa: B904 (the implicit chain, as learners write it)

    gc.disable()
    try:
        for function in (catches_and_raises_another, catches_and_raises_another_implicitly):
            outcome = guarded_call(function, ())
            assert isinstance(outcome.error, ValueError)  # still held here, by the outcome
            assert references[-1]() is None, function.__name__
    finally:
        gc.enable()


def test_an_error_that_is_its_own_cause_does_not_hang_the_guard():
    def raises_itself():
        error = ValueError("loops")
        raise error from error

    outcomes = []
    worker = threading.Thread(
        target=lambda: outcomes.append(guarded_call(raises_itself, ())), daemon=True
    )
    worker.start()
    worker.join(timeout=10)
    assert outcomes and isinstance(outcomes[0].error, ValueError)


# ------------------------------------------------------------------------------ printing


def test_the_capped_stream_is_writable():
    assert CappedOutput().writable()


def test_printing_stops_at_the_character_budget():
    output = CappedOutput()
    first, second = "a" * 3000, "b" * 3000
    output.write(f"{first}\n{second}\nshort\n")
    shown = output.text().split("\n")
    assert MAX_PRINTED_CHARACTERS == 4000
    assert shown[0] == first
    assert shown[1] == "b" * 1000  # what is left of the 4000 characters
    assert shown[2:] == ["... 1 more line (the check shows the first 2)"]


def test_one_line_more_than_kept_is_counted_in_the_singular():
    output = CappedOutput()
    output.write("".join(f"line {n}\n" for n in range(MAX_PRINTED_LINES + 1)))
    shown = output.text().split("\n")
    assert shown[:2] == ["line 0", "line 1"] and len(shown) == MAX_PRINTED_LINES + 1
    assert shown[-1] == "... 1 more line (the check shows the first 20)"


def test_two_lines_more_than_kept_are_counted_in_the_plural():
    output = CappedOutput()
    output.write("".join(f"line {n}\n" for n in range(MAX_PRINTED_LINES + 1)))
    output.write("the last, without a newline")
    assert output.text().split("\n")[-1] == "... 2 more lines (the check shows the first 20)"


def test_a_few_lines_are_shown_as_printed():
    output = CappedOutput()
    output.write("one\ntwo\nthree, without a newline")
    assert output.text() == "one\ntwo\nthree, without a newline"


def test_reading_what_was_printed_twice_gives_the_same_text():
    output = CappedOutput()
    output.write("one\ntwo, without a newline")
    assert output.text() == output.text() == "one\ntwo, without a newline"
