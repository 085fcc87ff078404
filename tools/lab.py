"""Start JupyterLab the way ``make lab`` does, and drive it with Playwright and Debian's chromium.

Shared by the benchmark and the browser tests. The server gets a throw-away root folder
(a copy of the notebooks, so that autosave never touches the course), fresh settings and
workspace folders (no restored tabs, no news pop-up), token authentication, 127.0.0.1 and a
free port.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tools.course import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Keep every cell in the page, so that a test can find any of them without scrolling.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs it)"
    if not Path(CHROMIUM).exists():
        return "chromium is not installed (Debian/Ubuntu: sudo apt-get install chromium)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


COURSE_CONFIG = ROOT / "tools" / "jupyter-config"


class LabServer:
    """A running JupyterLab: ``url``, ``token``, ``pid``, and helpers for its REST API."""

    def __init__(self, url: str, token: str, root: Path, pid: int = 0):
        self.url, self.token, self.root, self.pid = url, token, root, pid

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every session and kernel (each notebook starts from a fresh kernel)."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def page_url(self, notebook: str) -> str:
        """The notebook in a workspace of its own, so no tab of an earlier page comes back."""
        workspace = notebook.removesuffix(".ipynb").replace("_", "-")
        return f"{self.url}/lab/workspaces/{workspace}/tree/notebooks/{notebook}?token={self.token}"

    def memory(self) -> dict:
        """Resident memory (RSS, MB) of the server and of every process it started (kernels)."""
        import psutil

        server = psutil.Process(self.pid)
        total, kernels = 0, 0
        for process in [server, *server.children(recursive=True)]:
            try:
                total += process.memory_info().rss
                kernels += "ipykernel" in " ".join(process.cmdline())
            except psutil.NoSuchProcess:
                continue
        return {"total_mb": round(total / 2**20), "kernels": kernels}


@contextmanager
def lab_server(workdir: Path, extra_args: tuple[str, ...] = (), course_config: bool = True):
    """Run JupyterLab on a copy of the notebooks in ``workdir``; stop it afterwards.

    ``course_config``: read the course's Jupyter settings (tools/jupyter-config), as
    ``make lab`` and Binder do.
    """
    root = workdir / "course"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    settings, workspaces = workdir / "settings", workdir / "workspaces"
    for plugin, values in SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    workspaces.mkdir()
    token, port = secrets.token_hex(16), free_port()
    command = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--ServerApp.ip=127.0.0.1",  # as in `make lab`
        "--no-browser",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        *(["--allow-root"] if os.geteuid() == 0 else []),
        *extra_args,
    ]
    environment = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
    }
    if course_config:
        paths = [str(COURSE_CONFIG), os.environ.get("JUPYTER_CONFIG_PATH", "")]
        environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in paths if p)
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, process.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.api("status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + (workdir / "server.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def browser(user_data_dir: Path):
    """A headless Debian chromium driven by Playwright, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


def open_notebook(page, server: LabServer, notebook: str, timeout_ms: int = 120_000) -> float:
    """Open a notebook and wait for its kernel; return the seconds it took."""
    started = time.perf_counter()
    page.goto(server.page_url(notebook))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout_ms)
    idle = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
    page.wait_for_selector(idle, timeout=timeout_ms)
    page.wait_for_timeout(1000)  # the kernel reports idle a moment before it takes requests
    return time.perf_counter() - started


def run_all(page, timeout_ms: int = 120_000) -> float:
    """Clear every output, Run All, and wait until every cell has run; return the seconds."""
    started = time.perf_counter()
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    click_menu(page, "Run", "Run All Cells")
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=timeout_ms,
    )
    idle = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
    page.wait_for_selector(idle, timeout=timeout_ms)
    return time.perf_counter() - started


def open_and_run_all(page, server: LabServer, notebook: str, timeout_ms: int = 120_000) -> dict:
    """Open a notebook, wait for its kernel, clear outputs and Run All; return the timings (s)."""
    opening = open_notebook(page, server, notebook, timeout_ms)
    return {"open": opening, "run_all": run_all(page, timeout_ms)}


def click_menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()
