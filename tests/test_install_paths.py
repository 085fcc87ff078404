"""Where learners install the course: the CPU build of torch on Linux, Binder, newer Pythons.

PyTorch's CPU index cannot be reached from here, so these tests serve a stand-in for it on
127.0.0.1: a PEP 503 index holding a tiny wheel named torch-<pin>+cpu (metadata and a module
only, no dependencies), which is all pip needs to decide what it would install. This
machine's own pip configuration (a local torch wheel, a local index) is switched off, so
every other package is resolved as on a learner's computer.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tools import pins
from tools.course import ROOT

CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # pytorch.org, "Start Locally", CPU
CUDA = re.compile(r"nvidia-.*|triton|cuda-.*")
# Files a fresh clone must take from the work tree (changes not yet committed count too).
INSTALL_FILES = ["Makefile", "pyproject.toml", "tools/pins.py", "binder/requirements.txt"]


def torch_pin() -> str:
    (text,) = pins.requirements(only=["torch"])
    return text.split("==")[1]


def build_stand_in_torch(folder: Path) -> Path:
    """A wheel named like PyTorch's CPU build, holding only its metadata and a module."""
    version = torch_pin() + "+cpu"
    info = f"torch-{version}.dist-info"
    files = {
        "torch/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"torch-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def cpu_index(tmp_path_factory):
    """URL of a PEP 503 index on 127.0.0.1 that offers only the stand-in torch+cpu wheel."""
    root = tmp_path_factory.mktemp("cpu-index")
    (root / "files").mkdir()
    wheel = build_stand_in_torch(root / "files")
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (root / "simple" / "torch").mkdir(parents=True)
    (root / "simple" / "index.html").write_text('<a href="torch/">torch</a>\n')
    (root / "simple" / "torch" / "index.html").write_text(
        f'<a href="../../files/{wheel.name}#sha256={sha256}">{wheel.name}</a>\n'
    )
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()


def learner_environment(**extra: str) -> dict[str, str]:
    """A new shell's environment with this machine's pip configuration switched off."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "TORCH_INDEX_URL", "MAKEFLAGS", "MAKELEVEL")
        and not k.startswith("PIP_")
    }
    venv_bin = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join(
        p for p in environment.get("PATH", "").split(os.pathsep) if p != venv_bin
    )
    environment.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return environment


def fresh_clone(folder: Path) -> Path:
    clone = folder / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    for name in INSTALL_FILES:
        shutil.copy2(ROOT / name, clone / name)
    return clone


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


def newer_pythons() -> list[str]:
    """Interpreters of Python 3.12 or newer on this machine (PATH, pyenv), newest last."""
    found = {}
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python3.{minor}") for minor in range(12, 20)]
    candidates += sorted(map(str, pyenv_root.glob("versions/3.1[2-9]*/bin/python3")))
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0:
            found[tuple(map(int, probe.stdout.split()))] = candidate
    return [found[version] for version in sorted(found)]


NEWEST = (newer_pythons() or [None])[-1]
PYTHONS = [
    pytest.param(None, id="python3.11"),
    pytest.param(
        NEWEST,
        id="newest-python",
        marks=pytest.mark.skipif(NEWEST is None, reason="no Python 3.12 or newer installed"),
    ),
]


def test_default_torch_index_on_linux_is_pytorch_cpu_index():
    environment = {k: v for k, v in os.environ.items() if k != "TORCH_INDEX_URL"}
    shown = run(
        ["make", "-s", "--no-print-directory", "--eval=show: ; @echo $(TORCH_INDEX_URL)", "show"],
        cwd=ROOT,
        env=environment,
    ).stdout.strip()
    expected = CPU_INDEX if sys.platform.startswith("linux") else ""
    assert shown == expected


@pytest.mark.slow
@pytest.mark.parametrize("python", PYTHONS)
def test_make_set_up_installs_the_cpu_build_of_torch(tmp_path, cpu_index, python):
    """The project's own set-up, on a fresh clone, as a learner's Linux computer runs it."""
    clone = fresh_clone(tmp_path)
    environment = learner_environment(TORCH_INDEX_URL=cpu_index)
    interpreter = [f"PYTHON={python}"] if python else []
    run(["make", *interpreter, ".venv/.torch-installed"], cwd=clone, env=environment)
    report = tmp_path / "report.json"
    dry_run = f"INSTALL_OPTIONS=--dry-run --report {report}"
    run(
        ["make", *interpreter, ".venv/.lab-installed", dry_run],
        cwd=clone,
        env=environment,
        timeout=900,
    )
    installed = json.loads(
        run([str(clone / ".venv/bin/python"), "-m", "pip", "list", "--format=json"]).stdout
    )
    versions = {package["name"].lower(): package["version"] for package in installed}
    assert versions.get("torch") == torch_pin() + "+cpu", "torch from TORCH_INDEX_URL, CPU build"

    would_install = {
        pins.name_of(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    assert not [name for name in would_install if CUDA.fullmatch(name)], sorted(would_install)
    assert "torch" not in would_install, "the second step keeps the CPU build"
    lab_pins = dict(r.split("==") for r in pins.requirements() if "==" in r and ";" not in r)
    for name, version in lab_pins.items():
        if name != "torch":
            assert would_install.get(pins.name_of(name)) == version, f"{name}=={version} resolves"
    version = run([str(clone / ".venv/bin/python"), "-c", "import sys; print(*sys.version_info)"])
    if tuple(map(int, version.stdout.split()[:2])) >= (3, 12):
        # torchviz 0.0.3 imports distutils, which Python 3.12 removed; setuptools brings it.
        assert "setuptools" in would_install or "setuptools" in versions
        # The course's code compiles there, with no warning (3.12 warns of invalid escapes).
        run(
            [str(clone / ".venv/bin/python"), "-W", "error", "-m", "compileall", "-q",
             "utils", "tools", "tests"],
            cwd=clone,
        )  # fmt: skip


def jupyter_packages_of_binder_base() -> dict[str, str]:
    """The Jupyter packages (pip names) and versions in repo2docker's Python 3.11 base image."""
    repo2docker = pytest.importorskip("repo2docker")
    lock = Path(repo2docker.__file__).parent / "buildpacks/conda/environment.py-3.11-linux-64.lock"
    conda_to_pip = {"nbconvert-core": "nbconvert", "jupyterhub-base": "jupyterhub"}
    packages = {}
    entries = re.findall(r"/([A-Za-z0-9_.-]+?)-([0-9][^-]*)-[^-/]+\.conda", lock.read_text())
    for name, version in entries:
        if re.search(r"jupyter|notebook|ipywidgets|ipykernel|nbconvert|nbformat|nbclient", name):
            if name == "jupyterhub-singleuser":  # a conda metapackage
                continue
            packages[conda_to_pip.get(name, name)] = version
    assert packages.get("notebook", "").startswith("7."), "the base image's Notebook 7"
    return packages


def write_installed(site_packages: Path, metadata: dict) -> None:
    """Record a package as installed (its metadata only), replacing another version of it."""
    name = re.sub(r"[-_.]+", "_", metadata["name"]).lower()
    for old in site_packages.glob("*.dist-info"):
        if re.sub(r"[-_.]+", "_", old.name.split("-", 1)[0]).lower() == name:
            shutil.rmtree(old)
    info = site_packages / f"{name}-{metadata['version']}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {metadata['name']}"]
    lines.append(f"Version: {metadata['version']}")
    if metadata.get("requires_python"):
        lines.append(f"Requires-Python: {metadata['requires_python']}")
    lines += [f"Provides-Extra: {extra}" for extra in metadata.get("provides_extra", [])]
    lines += [f"Requires-Dist: {requirement}" for requirement in metadata.get("requires_dist", [])]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    (info / "INSTALLER").write_text("test\n")


@pytest.mark.slow
def test_binder_requirements_resolve_with_the_base_image(tmp_path, cpu_index):
    """pip in Binder's base image: the Jupyter it holds plus binder/requirements.txt agree."""
    base = jupyter_packages_of_binder_base()
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    environment = learner_environment()
    (site_packages,) = venv.glob("lib/python3*/site-packages")

    # The base image, as pip in it sees it: its Jupyter packages at their versions (and what
    # they need), recorded as installed.
    base_report = tmp_path / "base.json"
    pinned_base = [f"{name}=={version}" for name, version in base.items()]
    run(
        [python, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
         "--report", str(base_report), *pinned_base],
        env=environment,
        timeout=900,
    )  # fmt: skip
    for item in json.loads(base_report.read_text())["install"]:
        write_installed(site_packages, item["metadata"])

    # What Binder runs: pip install -r binder/requirements.txt, torch from the CPU index.
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    assert CPU_INDEX in requirements
    local = tmp_path / "requirements.txt"
    local.write_text(requirements.replace(CPU_INDEX, cpu_index))
    report = tmp_path / "binder.json"
    run(
        [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report),
         "-r", str(local)],
        env=environment,
        timeout=900,
    )  # fmt: skip
    installs = json.loads(report.read_text())["install"]
    names = {pins.name_of(item["metadata"]["name"]): item for item in installs}
    assert not [name for name in names if CUDA.fullmatch(name)], sorted(names)
    assert names["torch"]["metadata"]["version"] == torch_pin() + "+cpu"
    assert names["torch"]["download_info"]["url"].startswith(cpu_index.rsplit("/", 1)[0])
    for item in installs:
        write_installed(site_packages, item["metadata"])

    # The image after the build: every pin as written, and pip check finds nothing broken.
    for requirement in pins.requirements(["binder"]):
        if "==" in requirement and ";" not in requirement:
            name, version = requirement.split("==")
            prefix = re.sub(r"[-_.]+", "_", name).lower() + "-"
            found = [
                p.name.removeprefix(prefix).removesuffix(".dist-info")
                for p in site_packages.glob(prefix + "*.dist-info")
            ]
            assert found in ([version], [version + "+cpu"]), f"{requirement} in the image: {found}"
    check = subprocess.run(
        [python, "-m", "pip", "check"], capture_output=True, text=True, env=environment
    )
    assert check.returncode == 0, check.stdout + check.stderr
