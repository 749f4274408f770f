"""`zsync init`: a starting zenodo.yaml from what the repository has, written without asking (stdin is
not a terminal here), validated, and never written over an existing one without --force."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_sync_e2e import run_zsync

from zsync.config import load_config
from zsync.init import https_url

SOURCES = Path(__file__).parent / "metasources"


def _repo(root: Path, remote: str | None = "git@github.com:owner/repo.git") -> Path:
    (root / "data").mkdir()
    (root / "data" / "a.csv").write_text("a,b\n1,2\n")
    (root / "data" / "b.csv").write_text("a,b\n3,4\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    if remote is not None:
        subprocess.run(["git", "-C", str(root), "remote", "add", "origin", remote], check=True)
    return root


def _init(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_zsync("init", *args, cwd=root, token=None)


PYPROJECT = """[project]
name = "tidal-gauge"
version = "0.4.1"
authors = [{name = "Jane Q. Doe", email = "jane@example.org"}]
license = "MIT"
keywords = ["tides", "sea level"]
"""


def test_sources_are_named_and_the_remote_is_the_code_repository(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    shutil.copy(SOURCES / "cff-project.CITATION.cff", root / "CITATION.cff")
    shutil.copy(SOURCES / "iga.codemeta.json", root / "codemeta.json")
    (root / "pyproject.toml").write_text(PYPROJECT)
    proc = _init(root, "--paths", "data/*.csv")
    assert proc.returncode == 0, proc.stderr
    assert "zenodo.yaml is valid: 'Citation File Format', version 1.2.0, 2 files" in proc.stdout
    text = (root / "zenodo.yaml").read_text()
    assert "metadata_from: [CITATION.cff, codemeta.json]" in text
    assert "tidal-gauge" not in text  # the sources give the title: pyproject.toml does not override them
    config = load_config(root / "zenodo.yaml")
    assert config.code_repository == "https://github.com/caltechlibrary/iga"  # codemeta's: a source wins
    assert [p.name for p in config.paths] == ["a.csv", "b.csv"]


def test_without_sources_pyproject_and_the_remote_fill_it_in(tmp_path: Path) -> None:
    root = _repo(tmp_path, remote="https://ci:s3cr3t-t0ken@github.com/owner/repo.git")
    (root / "pyproject.toml").write_text(PYPROJECT)
    proc = _init(root, "--paths", "data/a.csv")
    assert proc.returncode == 0, proc.stderr
    text = (root / "zenodo.yaml").read_text()
    assert "s3cr3t" not in text + proc.stdout + proc.stderr  # the remote's credentials never
    md = load_config(root / "zenodo.yaml").metadata
    assert (md.title, md.version, md.licenses, md.keywords) == (
        "tidal-gauge",
        "0.4.1",
        ("mit",),
        ("tides", "sea level"),
    )
    assert [(c.family_name, c.given_name) for c in md.creators] == [("Doe", "Jane Q.")]
    assert md.resource_type == "software"
    assert load_config(root / "zenodo.yaml").code_repository == "https://github.com/owner/repo"
    assert "from pyproject.toml" in proc.stderr


def test_package_json(tmp_path: Path) -> None:
    root = _repo(tmp_path, remote=None)
    package = {
        "name": "tide-plots",
        "version": "2.0.0",
        "author": "Richard Roe <rr@example.org> (https://example.org)",
        "license": "Apache-2.0",
        "repository": {"type": "git", "url": "git+https://github.com/owner/plots.git"},
    }
    (root / "package.json").write_text(json.dumps(package))
    assert _init(root, "--paths", "data/a.csv").returncode == 0
    config = load_config(root / "zenodo.yaml")
    assert (config.metadata.title, config.metadata.licenses) == ("tide-plots", ("apache-2.0",))
    assert [(c.family_name, c.given_name) for c in config.metadata.creators] == [("Roe", "Richard")]
    assert config.code_repository == "https://github.com/owner/plots"


def test_never_over_an_existing_config_without_force(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "zenodo.yaml").write_text("mine\n")
    refused = _init(root, "--paths", "data/a.csv")
    assert refused.returncode == 2
    assert "zenodo.yaml exists" in refused.stderr and "--force" in refused.stderr
    assert (root / "zenodo.yaml").read_text() == "mine\n"
    assert _init(root, "--paths", "data/a.csv", "--force").returncode == 0
    assert "tidal-gauge" in (root / "zenodo.yaml").read_text()


def test_what_it_cannot_find_is_reported_by_the_validation(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "pyproject.toml").write_text(PYPROJECT)
    proc = _init(root)  # no --paths, and stdin is no terminal: nothing is asked
    assert proc.returncode == 2
    assert "zenodo.yaml:1: paths: is required" in proc.stderr
    assert "zsync init --paths PATTERN" in (root / "zenodo.yaml").read_text()


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:owner/repo.git", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo", "https://github.com/owner/repo"),
        ("https://user:token@gitlab.com/group/sub/repo.git", "https://gitlab.com/group/sub/repo"),
        ("ssh://git@codeberg.org/owner/repo.git", "https://codeberg.org/owner/repo"),
        ("git+https://github.com/owner/plots.git", "https://github.com/owner/plots"),
        ("/srv/git/repo.git", None),
        ("../repo", None),
    ],
)
def test_remote_urls(remote: str, url: str | None) -> None:
    assert https_url(remote) == url
