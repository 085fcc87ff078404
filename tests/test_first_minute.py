"""The first minute: the terminal of `make lab` shows nothing a learner cannot act on."""

from __future__ import annotations

import time

import pytest
import requests

from tools.lab import lab_server

pytestmark = pytest.mark.slow

NOTICES = {
    "Kernel is running over TCP without encryption": "the kernel's plain-TCP warning",
    "is not trusted": "a trust notice for a notebook just cloned",
    "Skipped non-installed server": "the language-server extension's list of skipped servers",
    "Overriding existing pre_save_hook": "Jupyter Server's warning about the course's save hook",
}


def test_opening_a_notebook_prints_no_warning_a_learner_cannot_act_on(tmp_path):
    with lab_server(tmp_path / "lab") as server:
        headers = {"Authorization": f"token {server.token}"}
        path = "notebooks/01_requires_grad.ipynb"
        opened = requests.get(f"{server.url}/api/contents/{path}", headers=headers, timeout=60)
        opened.raise_for_status()
        session = requests.post(
            f"{server.url}/api/sessions",
            headers=headers,
            json={"path": path, "type": "notebook", "kernel": {"name": "python3"}},
            timeout=60,
        )
        session.raise_for_status()
        # The kernel speaks as it starts, within a second or two of its launch.
        log_file = tmp_path / "lab" / "server.log"
        deadline = time.monotonic() + 30
        while "Kernel started" not in log_file.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(8)
        log = log_file.read_text()
    assert "Kernel started" in log, "the kernel started"
    shown = [what for text, what in NOTICES.items() if text in log]
    assert shown == [], f"the terminal shows {shown}"
