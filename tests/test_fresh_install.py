"""The README's two commands, on a fresh clone: a missing install step fails here."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tools.lab import ROOT, free_port

INNER = "COURSE_FRESH_INSTALL_RUN"


def readme_commands() -> dict[str, str]:
    """The commands in the README's first shell block, by what they do ('lab', 'test')."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL).group(1)
    commands = {}
    for line in block.splitlines():
        command = line.split("#")[0].strip()
        if command:
            commands[command.split()[-1]] = command
    return commands


def clean_environment() -> dict[str, str]:
    """This process's environment without its virtual environment, as a new shell has it."""
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    venv_bin = str(ROOT / ".venv" / "bin")
    environment["PATH"] = os.pathsep.join(
        p for p in environment.get("PATH", "").split(os.pathsep) if p != venv_bin
    )
    environment[INNER] = "1"
    return environment


def test_the_readme_shows_exactly_the_two_commands():
    assert readme_commands() == {"lab": "make lab", "test": "make test"}
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec make test")


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get(INNER)), reason="already inside a fresh-install run")
def test_readme_commands_on_a_fresh_clone(tmp_path: Path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    environment = clean_environment()
    commands = readme_commands()

    # The test command, as a learner runs it (the slow tests run in the outer suite).
    test = subprocess.run(
        [*commands["test"].split(), "PYTEST_ARGS=-m 'not slow'"],
        cwd=clone,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = test.stdout + test.stderr
    tail = "\n".join(line for line in output.splitlines() if "is ignored" not in line)[-3000:]
    assert test.returncode == 0, tail
    assert re.search(r"\d+ passed", test.stdout), tail

    # The lab command, with the server only: it must answer with the token and list the course.
    token, port = secrets.token_hex(16), free_port()
    lab_args = f"LAB_ARGS=--no-browser --port={port} --IdentityProvider.token={token}"
    log_path = tmp_path / "lab.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*commands["lab"].split(), lab_args],
            cwd=clone,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        page = wait_for(f"http://127.0.0.1:{port}/lab?token={token}", server, log_path)
        assert "JupyterLab" in page
        listing = wait_for(
            f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}", server, log_path
        )
        assert '"01_requires_grad.ipynb"' in listing
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/notebooks", timeout=5)
        assert refused.value.code == 403, "without the token the server refuses"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 300) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the lab command stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no answer from {url} within {seconds} s")
