"""The course's pins live in pyproject.toml alone; this writes them out for pip.

    python -m tools.pins requirements [--extra NAME]... [--only NAME]...   # print them
    python -m tools.pins write    # rewrite binder/requirements.txt from pyproject.toml
    python -m tools.pins check    # exit 1 if binder/requirements.txt is out of date

The set-up (``make lab``, ``make test``) installs what ``requirements`` prints, torch first;
Binder installs binder/requirements.txt. Runs on the standard library alone, so that it works
in a virtual environment where nothing is installed yet.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

# Its own copy of tools.course.ROOT: this module runs before anything is installed, so it
# imports nothing beyond the standard library.
ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
BINDER_REQUIREMENTS = ROOT / "binder" / "requirements.txt"
# PyTorch's CPU wheels, the index pytorch.org's "Start Locally" gives for Compute Platform = CPU.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
BINDER_EXTRA = "binder"


def name_of(requirement: str) -> str:
    """The normalised project name of a requirement string such as ``"torch==2.13.0"``."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(extras: list[str] = (), only: list[str] = (), pyproject: Path = PYPROJECT):
    """The course's requirement strings from pyproject.toml, in its order.

    Args:
        extras: optional-dependency groups to add to the learner's packages (``"test"``).
        only: if given, keep just the requirements with these project names.
        pyproject: the file to read.
    """
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = project.get("optional-dependencies", {})
    unknown = [extra for extra in extras if extra not in groups]
    if unknown:
        raise ValueError(f"no extra named {', '.join(unknown)} in {pyproject.name}")
    found = list(project["dependencies"])
    for extra in extras:
        found += groups[extra]
    wanted = {name_of(name) for name in only}
    return [r for r in found if not wanted or name_of(r) in wanted]


def binder_requirements(pyproject: Path = PYPROJECT) -> str:
    """The text of binder/requirements.txt: the learner's pins plus the Binder extra."""
    lines = [
        "# Binder (repo2docker) installs these with pip into its Python 3.11 image.",
        "# Generated from pyproject.toml by `python -m tools.pins write`: do not edit by hand.",
        "# torch comes from PyTorch's CPU index (the default index's Linux torch is the CUDA",
        "# build, several GB larger); every other package from the default index.",
        f"--extra-index-url {TORCH_CPU_INDEX}",
        *requirements([BINDER_EXTRA], pyproject=pyproject),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    printed = commands.add_parser("requirements", help="print the pins, one a line")
    printed.add_argument("--extra", action="append", default=[], help="add an extra's pins")
    printed.add_argument("--only", action="append", default=[], help="keep only this package")
    commands.add_parser("write", help="rewrite binder/requirements.txt")
    commands.add_parser("check", help="exit 1 if binder/requirements.txt is out of date")
    args = parser.parse_args(argv)

    if args.command == "requirements":
        try:
            print("\n".join(requirements(args.extra, args.only)))
        except ValueError as error:
            print(f"tools.pins: {error}", file=sys.stderr)
            return 2
        return 0
    expected = binder_requirements()
    if args.command == "write":
        BINDER_REQUIREMENTS.write_text(expected, encoding="utf-8")
        print(f"wrote {BINDER_REQUIREMENTS.relative_to(ROOT)}")
        return 0
    exists = BINDER_REQUIREMENTS.exists()
    current = BINDER_REQUIREMENTS.read_text(encoding="utf-8") if exists else ""
    if current != expected:
        print(
            "binder/requirements.txt differs from the pins in pyproject.toml: "
            "run `python -m tools.pins write` and commit the result",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
