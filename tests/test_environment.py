"""One set of versions everywhere: pyproject.toml's pins, environment.yml, and binder/."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# conda-forge's names for the packages pip knows by another name
CONDA_TO_PIP = {
    "pytorch-cpu": "torch",
    "matplotlib-base": "matplotlib",
    "python-graphviz": "graphviz",
}
NOT_PYTHON_PACKAGES = {"python", "pip", "graphviz"}  # graphviz (conda): the dot program


def pip_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", requirement)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def learner_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[=<>;\s]", r)[0].lower() for r in project["dependencies"] if "==" in r}


def conda_pins(path: Path) -> tuple[dict[str, str | None], dict]:
    """(package -> version or None, the parsed file), with pip names for conda packages."""
    environment = yaml.safe_load(path.read_text())
    pins: dict[str, str | None] = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            for requirement in entry["pip"]:
                name, _, version = requirement.partition("==")
                pins[name.lower()] = version or None
            continue
        name, _, version = entry.partition("=")
        if name in NOT_PYTHON_PACKAGES:
            pins["conda:" + name] = version or None
            continue
        pins[CONDA_TO_PIP.get(name, name)] = version or None
    return pins, environment


def test_every_course_package_is_pinned_exactly():
    pins = pip_pins()
    for name in ("torch", "jupyterlab", "ipywidgets", "matplotlib", "torchviz", "graphviz"):
        assert name in pins, f"{name} must be pinned with == in pyproject.toml"
    assert pins["torch"] == "2.13.0"
    for name in ("nbval", "pytest"):
        assert name in pins


@pytest.mark.parametrize("path", ["environment.yml", "binder/environment.yml"])
def test_conda_environment_agrees_with_the_pip_pins(path):
    conda, environment = conda_pins(ROOT / path)
    pins = pip_pins()
    for name in learner_packages():
        assert name in conda, f"{path} lacks {name}"
    for name, version in conda.items():
        if name.startswith("conda:"):
            continue
        assert version is not None, f"{path}: pin {name}"
        assert pins.get(name) == version, (
            f"{path}: {name}={version}, pyproject says {pins.get(name)}"
        )
    assert conda["conda:python"] == "3.11"
    assert "conda:graphviz" in conda, "conda's graphviz brings the dot program"
    assert environment["channels"][0] == "conda-forge"
    names = [e for e in environment["dependencies"] if isinstance(e, str)]
    assert not any(n.startswith("pytorch=") or n == "pytorch" for n in names), "CPU build only"


def test_binder_environment_is_the_same_as_the_top_level_one():
    top, _ = conda_pins(ROOT / "environment.yml")
    binder, _ = conda_pins(ROOT / "binder" / "environment.yml")
    assert top == binder


def test_binder_post_build_installs_utils_and_stops_on_error():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert post_build.startswith("#!/bin/bash")
    assert "set -e" in post_build
    assert "pip install --no-deps -e ." in post_build
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild is executable"


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("repo2docker") is None
    and not (Path(sys.executable).parent / "repo2docker").exists(),
    reason="repo2docker not installed",
)
def test_repo2docker_builds_the_course_from_binder(tmp_path):
    """The Dockerfile Binder would build: conda env from binder/, Python 3.11, postBuild run."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    # Work-tree changes not yet committed count too: copy the files Binder reads.
    for name in ("binder/environment.yml", "binder/postBuild", "pyproject.toml"):
        shutil.copy2(ROOT / name, repo / name)
    repo2docker = Path(sys.executable).parent / "repo2docker"
    result = subprocess.run(
        [str(repo2docker), "--no-build", "--debug", str(repo)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    dockerfile, log = result.stdout, result.stderr
    assert "python=3.11" in log
    assert "environment-2epy-2d3-2e11-2dlinux-2d64-2elock" in dockerfile  # the 3.11 base env
    assert re.search(
        r'env update -p \$\{NB_PYTHON_PREFIX\} --file "binder/environment.yml"', dockerfile
    )
    assert "RUN ./binder/postBuild" in dockerfile
    assert "requirements.txt" not in dockerfile, "top-level files must not leak into Binder"
