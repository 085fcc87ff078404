"""Run a learner's code without letting it harm the notebook.

Three safeguards, none of which knows anything about exercises:

- the kernel's global autograd settings (gradient mode, forward-mode gradients,
  inference mode, default dtype and device, anomaly detection) are read before and
  after each call and put back as the course's notebooks expect them, and the caller
  learns which ones were changed;
- the calls of one session share a time limit (a Unix interval timer; where there is
  none, as on Windows or outside the main thread, the calls run without a limit);
- what the calls print is kept, up to a number of lines, and the rest only counted.
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

TIME_LIMIT_SECONDS = 5.0  # for all the learner's calls in one check; right ones take milliseconds
MAX_PRINTED_LINES = 20  # what a learner's function prints during a check, at most
MAX_PRINTED_CHARACTERS = 4000


# ------------------------------------------------------------ the kernel's global state


@dataclass(frozen=True)
class Setting:
    """One piece of global state a learner's code can change for the rest of the kernel."""

    read: Callable[[], object]
    standard: object  # what the course's notebooks expect
    restore: Callable[[], None]
    changed: str  # "... left gradient tracking off": what a learner's call did
    found: str  # "gradient tracking was off": what the check found before it started
    advice: str


_KEPT_GUARDS: list = []  # guards that end an inference mode a learner's code left on


def _leave_inference_mode() -> None:
    # A `with torch.inference_mode():` block that was entered and never exited (by
    # calling __enter__ by hand) can only be ended from the inside: an inner guard that
    # switches the mode off, kept alive for the rest of the kernel.
    guard = torch._C._InferenceMode(False)
    guard.__enter__()
    _KEPT_GUARDS.append(guard)


_SETTINGS = (
    Setting(
        torch.is_inference_mode_enabled,
        False,
        _leave_inference_mode,
        changed="left inference mode on",
        found="inference mode was on",
        advice="Use inference mode as a block, `with torch.inference_mode():`, which ends by "
        "itself.",
    ),
    Setting(
        torch.is_grad_enabled,
        True,
        lambda: torch.set_grad_enabled(True),
        changed="left gradient tracking switched off (torch.set_grad_enabled(False))",
        found="gradient tracking was switched off (torch.set_grad_enabled(False))",
        advice="Inside a function, switch it off only in a block, `with torch.no_grad():`, "
        "which switches it back on by itself.",
    ),
    Setting(
        # No public switch exists: an inference mode entered inside a custom Function's
        # forward and freed later puts back the Function's own state, forward mode off.
        torch._C._is_fwd_grad_enabled,
        True,
        lambda: torch._C._set_fwd_grad_enabled(True),
        changed="left forward-mode gradients switched off (dual numbers and torch.func.jvp "
        "would carry no tangent)",
        found="forward-mode gradients were switched off (dual numbers and torch.func.jvp "
        "would carry no tangent)",
        advice="This happens when inference mode is entered by hand and never left: use it "
        "as a block, `with torch.inference_mode():`.",
    ),
    Setting(
        torch.get_default_dtype,
        torch.float32,
        lambda: torch.set_default_dtype(torch.float32),
        changed="changed the default dtype (torch.set_default_dtype)",
        found="the default dtype was not torch.float32 (torch.set_default_dtype)",
        advice="To compute in another dtype, pass dtype=... to the tensors you create.",
    ),
    Setting(
        lambda: torch.get_default_device().type,
        "cpu",
        lambda: torch.set_default_device(None),
        changed="changed the default device (torch.set_default_device)",
        found="the default device was not the CPU (torch.set_default_device)",
        advice="To use another device, pass device=... to the tensors you create.",
    ),
    Setting(
        torch.is_anomaly_enabled,
        False,
        lambda: torch.set_anomaly_enabled(False),
        changed="left anomaly detection on (torch.autograd.set_detect_anomaly(True))",
        found="anomaly detection was on (torch.autograd.set_detect_anomaly(True))",
        advice="It slows every backward pass: use it as a block, "
        "`with torch.autograd.detect_anomaly():`, while you debug.",
    ),
)


def restore_standard_state() -> list[Setting]:
    """Put every global setting back as the course expects it; return those that were not."""
    changed = []
    for setting in _SETTINGS:  # inference mode first: ending it also turns gradients back on
        if setting.read() != setting.standard:
            setting.restore()
            changed.append(setting)
    return changed


# ---------------------------------------------------------------- time and printing


class TimeLimitExceeded(BaseException):
    """Raised inside a learner's code when the check's time is up.

    A BaseException, so that a learner's ``except Exception:`` does not swallow it.
    """


class CappedOutput(io.TextIOBase):
    """A text stream that keeps the first lines written to it and counts the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.lines = 0
        self.characters = 0
        self._partial = ""

    def writable(self) -> bool:
        return True

    # pragma: no mutate start
    # (called for every piece a learner's code prints, thousands of times in a check: kept
    # out of make mutation's switchboard, whose bookkeeping would slow it past the time limit)
    def write(self, text: str) -> int:
        text = str(text)
        *complete, partial = (self._partial + text).split("\n")
        self._partial = partial[:MAX_PRINTED_CHARACTERS]
        self.lines += len(complete)
        for line in complete[: max(MAX_PRINTED_LINES - len(self.kept), 0)]:
            self._keep(line)
        return len(text)

    # pragma: no mutate end
    def _keep(self, line: str) -> None:
        """Keep one more line, as far as the character budget allows."""
        if self.characters < MAX_PRINTED_CHARACTERS:
            line = line[: MAX_PRINTED_CHARACTERS - self.characters]
            self.kept.append(line)
            self.characters += len(line)

    def text(self) -> str:
        """What was printed: the first lines, then how many more there were."""
        if self._partial:
            self.lines += 1
            if len(self.kept) < MAX_PRINTED_LINES:
                self._keep(self._partial)
            self._partial = ""
        shown = "\n".join(self.kept)
        hidden = self.lines - len(self.kept)
        if hidden:
            shown += f"\n... {hidden} more line{'s' if hidden > 1 else ''} (the check shows "
            shown += f"the first {len(self.kept)})"
        return shown


_TIMER_ARMED = [False]  # cleared first thing when the limited code is over
_TIME_LEFT: list[float | None] = [None]  # seconds left for the calls of this session


def _raise_time_limit(signum, frame) -> None:
    if _TIMER_ARMED[0]:  # a late signal, after the limited code is over, does nothing
        raise TimeLimitExceeded


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the code run inside, after ``seconds``.

    Uses a Unix interval timer, which only the main thread can use; elsewhere (Windows,
    a thread) the code runs without a time limit. The timer fires again every half
    second, in case the learner's code catches the first one.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or _TIMER_ARMED[0]:  # inside a limited call (a check within a check),
        yield  # the outer limit stands
        return
    previous = signal.signal(signal.SIGALRM, _raise_time_limit)
    _TIMER_ARMED[0] = True
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        _TIMER_ARMED[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


@dataclass(frozen=True)
class Outcome:
    """What one guarded call did.

    Attributes:
        answer: what the function returned (None if it raised).
        error: the exception it raised, or None.
        changed: the global settings it left changed (already put back).
    """

    answer: object
    error: BaseException | None
    changed: list[Setting]


@contextlib.contextmanager
def session(time_limit: float = TIME_LIMIT_SECONDS) -> Iterator[CappedOutput]:
    """Share ``time_limit`` among the guarded calls inside, and capture what is printed.

    Yields the :class:`CappedOutput` that stdout and stderr write to. On leaving, the
    global settings are put back as the notebooks expect them.

    Args:
        time_limit: seconds for all the calls of :func:`guarded_call` inside, together.
    """
    output = CappedOutput()
    outer_time_left = _TIME_LEFT[0]
    _TIME_LEFT[0] = time_limit
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            yield output
    finally:
        _TIME_LEFT[0] = outer_time_left
        restore_standard_state()


def guarded_call(function: Callable, args: tuple) -> Outcome:
    """Call ``function(*args)`` under the time left, and put back what it changed.

    An exception it raises is returned, not raised; only :class:`TimeLimitExceeded`
    (when the time is up) and KeyboardInterrupt (the learner stopping the kernel) pass.

    Args:
        function: a learner's function.
        args: the arguments to call it with.
    """
    time_left = TIME_LIMIT_SECONDS if _TIME_LEFT[0] is None else _TIME_LEFT[0]
    if time_left <= 0:
        raise TimeLimitExceeded
    start = time.monotonic()
    try:
        with _time_limit(time_left):
            try:
                answer, error = function(*args), None
            except (Exception, SystemExit) as raised:  # a learner's code may raise anything
                answer, error = None, raised
    except BaseException as passing:  # the time is up, or the learner stopped the kernel
        restore_standard_state()
        _release_frames(passing)
        raise
    finally:
        if _TIME_LEFT[0] is not None:
            _TIME_LEFT[0] -= time.monotonic() - start
    changed = restore_standard_state()
    _release_frames(error)
    return Outcome(answer, error, changed)


def _release_frames(error: BaseException | None) -> None:
    """Let go, now, of the local variables of the learner's frames ``error`` went through.

    A traceback keeps its frames alive, and with them what the learner's code held, such
    as a ``torch.inference_mode()`` it entered. The exception and the frame that caught it
    form a reference cycle, so without this those objects would be freed at a random later
    garbage collection; an inference-mode guard freed then resets the mode, in the middle
    of whatever runs at that moment (another check, say). Called after the settings are
    read and put back, so that what the learner's call left is still seen and reported.

    Args:
        error: the exception the learner's call raised, or None.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)  # skips frames still running
        error = error.__cause__ or error.__context__
