"""One source for every version: pyproject.toml's pins, what is installed, conda, and binder/."""

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from tools import pins
from tools.course import ROOT

# conda-forge's names for the packages pip knows by another name
CONDA_TO_PIP = {
    "pytorch-cpu": "torch",
    "matplotlib-base": "matplotlib",
    "python-graphviz": "graphviz",
}
NOT_PYTHON_PACKAGES = {"python", "pip", "graphviz"}  # graphviz (conda): the dot program
NOT_ON_CONDA_FORGE = {"torchviz"}


def pinned(extras=("test",)) -> dict[str, str]:
    """Project name -> exact version, for every `==` pin in pyproject.toml."""
    found = {}
    for text in pins.requirements(list(extras)):
        requirement = Requirement(text)
        (specifier,) = requirement.specifier or [None]
        if specifier is not None and specifier.operator == "==":
            found[pins.name_of(text)] = specifier.version
    return found


def conda_matches(spec: str, version: str) -> bool:
    """Whether `version` satisfies a conda version spec such as "=2.4", ">=4.5.6,<4.7"."""
    for clause in spec.split(","):
        operator, wanted = re.fullmatch(r"(==|>=|<=|!=|>|<|=)?\s*(\S+)", clause.strip()).groups()
        if operator in (None, "="):  # conda's "=2.4" is 2.4 or any 2.4.*
            ok = version == wanted or version.startswith(wanted + ".")
        else:
            have, bound = Version(version), Version(wanted)
            ok = {
                "==": have == bound,
                "!=": have != bound,
                ">=": have >= bound,
                "<=": have <= bound,
                ">": have > bound,
                "<": have < bound,
            }[operator]
        if not ok:
            return False
    return True


def conda_environment() -> tuple[dict[str, str], list[str], dict]:
    """(pip name -> conda spec, the pip section's requirements, the parsed environment.yml)."""
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs, pip_section = {}, []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            pip_section += entry["pip"]
            continue
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", entry).groups()
        key = "conda:" + name if name in NOT_PYTHON_PACKAGES else CONDA_TO_PIP.get(name, name)
        specs[key] = spec
    return specs, pip_section, environment


def test_every_course_package_is_pinned_exactly():
    for extra in ("test", "binder"):
        for text in pins.requirements([extra]):
            if pins.name_of(text) == "setuptools":
                assert "python_version >= '3.12'" in text, "setuptools only brings distutils back"
                continue
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", text), (
                f"pyproject.toml: pin {text!r} exactly (name==version)"
            )
    for name in ("torch", "jupyterlab", "ipywidgets", "matplotlib", "torchviz", "graphviz"):
        assert name in pinned(), f"{name} must be pinned in pyproject.toml"
    for name in ("nbformat", "nbclient", "nbconvert", "pyyaml", "nbval", "pytest"):
        assert name in pinned(), f"tools and tests import {name}: pin it in the test extra"


def test_what_is_installed_is_what_pyproject_pins():
    """The set-up installed exactly the pins (torch may carry a +cpu label)."""
    for name, version in pinned().items():
        installed = Version(importlib.metadata.version(name))
        assert installed.public == version, f"{name} {installed} installed, pyproject: {version}"


def test_ipywidgets_is_the_release_that_renders_in_vs_code():
    # microsoft/vscode-jupyter#17504: widgets of ipywidgets 8.1.9 render nothing in VS Code.
    assert pinned()["ipywidgets"] != "8.1.9"


def test_conda_environment_admits_the_pip_pins():
    specs, pip_section, environment = conda_environment()
    versions = pinned()
    learner = {pins.name_of(r) for r in pins.requirements()} - {"setuptools"}
    for name in learner - NOT_ON_CONDA_FORGE:
        assert name in specs, f"environment.yml lacks {name}"
    for name, spec in specs.items():
        if name.startswith("conda:"):
            continue
        assert spec, f"environment.yml: give {name} a version or a range"
        assert "<" in spec or re.fullmatch(r"=\d+\.\d+(\.\d+)?", spec), (
            f"environment.yml: {name}{spec} must stay within one minor release"
        )
        assert conda_matches(spec, versions[name]), (
            f"environment.yml: {name}{spec} does not admit pyproject's {name}=={versions[name]}"
        )
    for requirement in pip_section:
        name, version = requirement.split("#")[0].strip().split("==")
        assert name in NOT_ON_CONDA_FORGE, f"{name} is on conda-forge: list it with conda"
        assert versions[name] == version
    assert specs["conda:python"] == "=3.11"
    assert "conda:graphviz" in specs, "conda's graphviz brings the dot program"
    assert environment["channels"][0] == "conda-forge"
    assert "pytorch" not in specs, "CPU build only (pytorch-cpu)"


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [("=2.4", "2.4.6", True), ("=2.4", "2.40.0", False), (">=4.5.6,<4.7", "4.7.0", False)],
)
def test_conda_spec_reading(spec, version, expected):
    assert conda_matches(spec, version) is expected


def test_binder_requirements_are_generated_from_pyproject():
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert text == pins.binder_requirements(), "run: python -m tools.pins write"
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    for name, version in pinned(extras=("binder",)).items():
        assert f"{name}=={version}" in lines
    assert not (ROOT / "binder" / "environment.yml").exists(), "it would hide requirements.txt"


def test_pins_check_fails_when_binder_drifts(tmp_path, monkeypatch, capsys):
    drifted = tmp_path / "requirements.txt"
    drifted.write_text(pins.binder_requirements().replace("torch==", "torch>="))
    monkeypatch.setattr(pins, "BINDER_REQUIREMENTS", drifted)
    assert pins.main(["check"]) == 1
    assert "python -m tools.pins write" in capsys.readouterr().err


def test_binder_files_name_python_graphviz_and_the_course_package():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    assert "graphviz" in (ROOT / "binder" / "apt.txt").read_text().split()
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
    """The Dockerfile Binder would build: Python 3.11, apt graphviz, pip requirements, postBuild."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    # Work-tree changes not yet committed count too: copy the files Binder reads.
    shutil.rmtree(repo / "binder")
    shutil.copytree(ROOT / "binder", repo / "binder")
    shutil.copy2(ROOT / "pyproject.toml", repo / "pyproject.toml")
    repo2docker = Path(sys.executable).parent / "repo2docker"
    result = subprocess.run(
        [str(repo2docker), "--no-build", "--debug", str(repo)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    dockerfile = result.stdout
    assert "environment-2epy-2d3-2e11-2dlinux-2d64-2elock" in dockerfile  # the 3.11 base env
    apt = re.search(r"apt-get install --yes --no-install-recommends ([^&\n]*)", dockerfile)
    assert apt and "graphviz" in apt.group(1).split(), "apt.txt: graphviz"
    assert '/bin/pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    assert "environment.yml" not in dockerfile, "conda must not install a second environment"
