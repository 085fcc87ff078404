"""One learner walks the whole course in one JupyterLab and stays within Binder's memory.

A learner opens 01, runs it all, follows the Next link, closes the tab they leave (as each
Next section asks) and so on to the last notebook. Each notebook's kernel holds about
300 MB once torch is imported; without the course's Jupyter settings (tools/jupyter-config)
every kernel stays alive and the total passes Binder's 2 GB. The memory of the server and all
its kernels is recorded after every step into test-artifacts/browser/memory-walk.json.

A learner who never closes a tab is covered by the idle-kernel culler: a second test shortens
its ten minutes to seconds and checks that the notebook left behind loses its kernel, and
that running it again from the top brings its results back.
"""

from __future__ import annotations

import json
import os
import time

import nbformat
import pytest

from tools.course import course_notebooks, title_of
from tools.lab import (
    ROOT,
    browser,
    browser_missing,
    lab_server,
    open_notebook,
    run_all,
)

ARTIFACTS = ROOT / "test-artifacts" / "browser"
NOTEBOOKS = course_notebooks()
LIMIT_MB = 1536  # under Binder's 2 GB with room for the browser tab's own server traffic

missing = browser_missing()
if missing and os.environ.get("CI"):
    raise RuntimeError(f"browser tests cannot run in CI: {missing}")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing is not None, reason=f"browser tests skipped: {missing}"),
]

IDLE = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'


def tab(page, name: str):
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=name)


def follow_next(page, following: str) -> None:
    """Click the Next section's link to ``following`` and wait until its tab is current."""
    title = title_of(nbformat.read(ROOT / "notebooks" / following, as_version=4))
    link = page.locator(".jp-MarkdownCell a", has_text=title).last
    link.scroll_into_view_if_needed()
    link.click()
    page.wait_for_function(
        """(name) => [...document.querySelectorAll('#jp-main-dock-panel .lm-TabBar-tab')]
            .some(t => t.classList.contains('lm-mod-current') && t.innerText.includes(name))""",
        arg=following,
        timeout=60_000,
    )


def close_tab(page, name: str) -> None:
    """Close a notebook's tab as a learner does: its × button, then "Save" if asked."""
    tab(page, name).locator(".lm-TabBar-tabCloseIcon").click()
    save = page.locator(".jp-Dialog .jp-Dialog-button", has_text="Save")
    try:
        save.wait_for(timeout=5_000)
    except Exception:
        pass  # nothing unsaved: no question
    else:
        save.click()
    tab(page, name).wait_for(state="detached", timeout=15_000)


def wait_for_kernel(page) -> None:
    page.wait_for_selector(f".jp-NotebookPanel:not(.lm-mod-hidden) {IDLE}", timeout=120_000)
    page.wait_for_timeout(1000)  # the kernel reports idle a moment before it takes requests


def walk(server, context, close_tabs: bool = True) -> list[dict]:
    """Open 01, Run All, follow Next to the end; the memory after each notebook's Run All."""
    page = context.new_page()
    curve = []
    try:
        open_notebook(page, server, NOTEBOOKS[0].name)
        for index, path in enumerate(NOTEBOOKS):
            if index > 0:
                follow_next(page, path.name)
                if close_tabs:
                    close_tab(page, NOTEBOOKS[index - 1].name)
                wait_for_kernel(page)
            run_all(page)
            time.sleep(1)  # let a kernel that is shutting down finish
            curve.append({"notebook": path.name, **server.memory()})
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "memory-walk.png"))
        raise
    finally:
        page.close()
    return curve


def test_walking_the_whole_course_stays_within_binders_memory(tmp_path):
    with lab_server(tmp_path / "lab") as server, browser(tmp_path / "chromium") as context:
        curve = walk(server, context)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "memory-walk.json").write_text(json.dumps(curve, indent=2))
    shown = ", ".join(f"{step['notebook'][:2]}: {step['total_mb']} MB" for step in curve)
    assert max(step["total_mb"] for step in curve) < LIMIT_MB, f"memory after each step: {shown}"
    assert all(step["kernels"] == 1 for step in curve), (
        f"one kernel at a time: {[step['kernels'] for step in curve]}"
    )


def test_a_kernel_left_idle_is_shut_down_and_run_all_brings_it_back(tmp_path):
    """A learner who never closes a tab: the culler frees the kernel left behind."""
    quick_culling = (
        "--MappingKernelManager.cull_idle_timeout=30",  # room for a slow start of the second
        "--MappingKernelManager.cull_interval=3",
    )
    first, second = NOTEBOOKS[0].name, NOTEBOOKS[1].name
    with (
        lab_server(tmp_path / "lab", extra_args=quick_culling) as server,
        browser(tmp_path / "chromium") as context,
    ):
        page = context.new_page()
        try:
            open_notebook(page, server, first)
            run_all(page)
            follow_next(page, second)  # the tab of the first notebook stays open
            wait_for_kernel(page)
            assert server.memory()["kernels"] == 2
            deadline = time.monotonic() + 90
            while server.memory()["kernels"] > 0 and time.monotonic() < deadline:
                time.sleep(2)
            assert server.memory()["kernels"] == 0, "idle kernels were not shut down"
            # Back in the first notebook, the learner does what its Next section says:
            # the kernel name at the top right, then Select, then Run All.
            tab(page, first).click()
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            kernel_name = panel.locator(".jp-Toolbar-kernelName")
            page.wait_for_function(
                """() => document.querySelector(
                    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName'
                ).innerText.includes('No Kernel')""",
                timeout=30_000,
            )
            kernel_name.click()
            page.locator(".jp-Dialog .jp-Dialog-button", has_text="Select").click()
            wait_for_kernel(page)
            run_all(page)
            assert server.memory()["kernels"] == 1, "a fresh kernel for the first notebook"
            assert "No Kernel" not in kernel_name.inner_text()
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "memory-cull.png"))
            raise
        finally:
            page.close()
