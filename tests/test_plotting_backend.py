"""The backend checks of the figure style, in this process (no kernel, no subprocess).

A notebook kernel is stood in for by a shell whose class has the kernel shell's name,
and matplotlib's import by one that fails the way a bad ``MPLBACKEND`` makes it fail.
"""

import importlib.abc
import sys

import IPython
import matplotlib
import pytest
from matplotlib import rcsetup
from matplotlib.backends import BackendFilter, backend_registry

from utils import plotting


class FakeShell:
    """Records the line magics a cell would run."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


ZMQInteractiveShell = type("ZMQInteractiveShell", (FakeShell,), {})  # the kernel's shell
TerminalInteractiveShell = type("TerminalInteractiveShell", (FakeShell,), {})


@pytest.fixture
def backend(monkeypatch):
    """Set matplotlib's configured backend for one test (None: not chosen yet)."""
    saved = matplotlib.rcParams._get("backend")

    def set_backend(name):
        value = rcsetup._auto_backend_sentinel if name is None else name
        matplotlib.rcParams._set("backend", value)

    yield set_backend
    matplotlib.rcParams._set("backend", saved)


def in_shell(monkeypatch, shell):
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    return shell


FILE_BACKENDS = backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE)


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_in_a_notebook_a_file_backend_is_replaced_by_inline(monkeypatch, backend, capsys, name):
    shell = in_shell(monkeypatch, ZMQInteractiveShell())
    backend(name.upper() if name == "agg" else name)  # MPLBACKEND=Agg is the common spelling
    plotting._figures_inline_in_a_notebook(matplotlib)
    assert shell.magics == [("matplotlib", "inline")]
    said = capsys.readouterr().out
    assert said.count("\n") == 1, "one line"
    assert f"backend was '{name}' (from MPLBACKEND)" in said
    assert said.rstrip().endswith("in a notebook: this notebook draws them inline.")


@pytest.mark.parametrize("name", ["module://matplotlib_inline.backend_inline", "qtagg", None])
def test_in_a_notebook_a_backend_that_shows_figures_is_left_alone(
    monkeypatch, backend, capsys, name
):
    """None: no backend chosen yet; asking for it must not choose one (which would be Agg)."""
    shell = in_shell(monkeypatch, ZMQInteractiveShell())
    backend(name)
    plotting._figures_inline_in_a_notebook(matplotlib)
    assert shell.magics == []
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("shell", [TerminalInteractiveShell(), None], ids=["terminal", "python"])
def test_outside_a_notebook_a_file_backend_is_what_was_asked_for(
    monkeypatch, backend, capsys, shell
):
    in_shell(monkeypatch, shell)
    backend("agg")
    plotting._figures_inline_in_a_notebook(matplotlib)
    assert shell is None or shell.magics == []
    assert capsys.readouterr().out == ""


def test_use_course_style_checks_the_backend_it_styles(monkeypatch, backend, capsys):
    shell = in_shell(monkeypatch, ZMQInteractiveShell())
    backend("agg")
    saved = matplotlib.rcParams.copy()
    try:
        plotting.use_course_style()
    finally:
        matplotlib.rcParams.update(saved)
    assert shell.magics == [("matplotlib", "inline")]
    assert "MPLBACKEND" in capsys.readouterr().out


class FailingImport(importlib.abc.MetaPathFinder):
    """Makes ``import matplotlib`` raise ``ValueError(message)``, as matplotlib's own import does
    when ``MPLBACKEND`` names no backend."""

    def __init__(self, message):
        self.message = message

    def find_spec(self, fullname, path, target=None):
        if fullname == "matplotlib":
            raise ValueError(self.message)
        return None


BAD_BACKEND = "Key backend: 'nonsense' is not a valid value for backend; supported values are [...]"


def failing_import(monkeypatch, message, mplbackend):
    monkeypatch.delitem(sys.modules, "matplotlib")
    monkeypatch.setattr(sys, "meta_path", [FailingImport(message), *sys.meta_path])
    if mplbackend is None:
        monkeypatch.delenv("MPLBACKEND", raising=False)
    else:
        monkeypatch.setenv("MPLBACKEND", mplbackend)


def test_a_backend_that_does_not_exist_is_named_with_what_to_do(monkeypatch):
    failing_import(monkeypatch, BAD_BACKEND, "nonsense")
    with pytest.raises(ValueError) as error:
        plotting.import_matplotlib()
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("the environment variable MPLBACKEND is set to 'nonsense', ")
    assert message.endswith(
        "which is not a matplotlib backend: unset it (or set it to 'inline') and restart the kernel"
    )
    assert error.value.__suppress_context__, "no second traceback from matplotlib"


@pytest.mark.parametrize(
    ("message", "mplbackend"),
    [("some other problem", "nonsense"), (BAD_BACKEND, None), (BAD_BACKEND, "")],
    ids=["not about the backend", "MPLBACKEND unset", "MPLBACKEND empty"],
)
def test_other_import_errors_are_not_blamed_on_mplbackend(monkeypatch, message, mplbackend):
    failing_import(monkeypatch, message, mplbackend)
    with pytest.raises(ValueError) as error:
        plotting.import_matplotlib()
    assert str(error.value) == message


def test_import_matplotlib_gives_matplotlib():
    assert plotting.import_matplotlib() is sys.modules["matplotlib"]
