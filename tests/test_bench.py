"""`make bench` runs and reports every figure (the figures themselves are not judged here)."""

import json
import subprocess
import sys

import pytest

from tools.course import ROOT
from tools.lab import browser_missing


@pytest.mark.slow
def test_the_benchmark_reports_every_figure(tmp_path):
    figures_file = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--quick", "--json", str(figures_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(figures_file.read_text())
    assert figures["suite"]["ratio"] > 0 and figures["suite"]["library_ratio"] > 0
    assert "matplotlib.figure" in figures["cells"]["01_requires_grad.ipynb"]["loads"]
    assert figures["cells"] and all(c["ratio"] > 0 for c in figures["cells"].values())
    assert set(figures["updates"]) >= {"tangent", "two_variable", "stepper", "training"}
    if browser_missing() is None:
        assert figures["sliders"] and "skipped" not in figures["sliders"]
        assert all(s["ratio"] > 0 for s in figures["sliders"].values())
    for row in (
        "suite vs floor",
        "heavy libraries",
        "slowest cell",
        "slider round trip",
        "update",
        "installed",
    ):
        assert row in result.stdout, f"the table lacks {row!r}"
