"""`make present`: its settings name real JupyterLab settings, and deck mode starts on."""

import json
import re
import sys
from pathlib import Path

import pytest

from tools.course import ROOT

SETTINGS = ROOT / "tools" / "present-settings"
SCHEMAS = [
    Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas",
    Path(sys.prefix) / "share" / "jupyter" / "labextensions",
]
FILES = sorted(SETTINGS.rglob("*.jupyterlab-settings"))


def read_settings(path: Path) -> dict:
    """JupyterLab settings files are JSON with // comments."""
    return json.loads(re.sub(r"^\s*//.*$", "", path.read_text(), flags=re.MULTILINE))


def schema_for(path: Path) -> dict:
    plugin = path.relative_to(SETTINGS).with_suffix(".json")
    for base in SCHEMAS:
        for candidate in [
            base / plugin,
            *base.glob(f"*/schemas/{plugin}"),
            *base.glob(f"*/*/schemas/{plugin}"),
        ]:
            if candidate.exists():
                return json.loads(candidate.read_text())
    raise AssertionError(f"no installed JupyterLab plugin has the settings {plugin}")


def test_there_are_presenting_settings():
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SETTINGS)))
def test_each_setting_exists_in_the_installed_schema(path):
    settings = read_settings(path)
    properties = schema_for(path)["properties"]
    for key in settings:
        assert key in properties, f"{path.name}: {key} is not a setting of this plugin"


def test_deck_mode_starts_on_and_fonts_are_large():
    deck = read_settings(SETTINGS / "jupyterlab-slideshow" / "plugin.jupyterlab-settings")
    assert deck["active"] is True
    themes = read_settings(
        SETTINGS / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    )
    sizes = [int(v.removesuffix("px")) for v in themes["overrides"].values()]
    assert min(sizes) >= 15, "readable from the back of a room"
