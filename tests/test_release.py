"""The release workflow's offline logic (.github/release.py): which tags a release makes and moves,
and the release commit that pins the image by digest."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIGEST = "sha256:" + "ab" * 32
IMAGE = "ghcr.io/zsync-org/zenodo-sync"
REPOSITORY = "zsync-org/zenodo-sync"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zsync_release", ROOT / ".github" / "release.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["zsync_release"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


release = _load()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.2.3", (1, 2, 3)),
        ("v0.1.0", (0, 1, 0)),
        ("v10.20.30", (10, 20, 30)),
        ("v1", None),
        ("v1.2", None),
        ("1.2.3", None),
        ("v1.2.3-rc1", None),
        ("v01.2.3", None),
        ("release-1", None),
    ],
)
def test_parse_tag_takes_only_release_tags(tag: str, expected: tuple[int, int, int] | None) -> None:
    assert release.parse_tag(tag) == expected


def plan(version: str, tags: list[str], package: str | None = None) -> object:
    return release.plan(version, package=package or version, existing_tags=tags, image=IMAGE)


def test_first_release_moves_its_minor_and_major_tags() -> None:
    p = plan("1.0.0", [])
    assert p.tag == "v1.0.0"
    assert p.moving_tags == ("v1.0", "v1")
    assert p.image_tags == ("v1.0.0", "v1.0", "v1")
    assert p.outputs() == (
        f"tag=v1.0.0\nimage={IMAGE}\nimage-tags={IMAGE}:v1.0.0,{IMAGE}:v1.0,{IMAGE}:v1\nmoving-tags=v1.0,v1\n"
    )


def test_a_patch_of_an_older_line_moves_only_its_minor_tag() -> None:
    p = plan("1.1.5", ["v1.1.4", "v1.2.0", "v1", "v1.2", "v1.1", "v2.0.0"])
    assert p.moving_tags == ("v1.1",)
    assert p.image_tags == ("v1.1.5", "v1.1")


def test_the_highest_of_a_major_line_moves_it_even_when_a_higher_major_exists() -> None:
    assert plan("1.3.0", ["v1.2.0", "v2.0.0"]).moving_tags == ("v1.3", "v1")


def test_the_version_must_be_the_packages() -> None:
    with pytest.raises(release.ReleaseError, match=r"_version\.py says 1\.2\.0, not 1\.2\.1"):
        plan("1.2.1", [], package="1.2.0")


def test_a_leading_v_is_accepted_and_the_tag_normalised() -> None:
    assert plan("v1.2.3", [], package="1.2.3").tag == "v1.2.3"


@pytest.mark.parametrize("bad", ["1.2", "1.2.3rc1", "latest", "", "1.02.3"])
def test_not_a_version(bad: str) -> None:
    with pytest.raises(release.ReleaseError, match=r"not MAJOR\.MINOR\.PATCH"):
        plan(bad, [], package="1.2.3")


def test_a_released_version_is_refused() -> None:
    with pytest.raises(release.ReleaseError, match="already released"):
        plan("1.2.3", ["v1.2.3"])


def test_a_version_below_one_of_its_minor_line_is_refused() -> None:
    with pytest.raises(release.ReleaseError, match=r"lower than v1\.2\.4"):
        plan("1.2.3", ["v1.2.4"])


def test_the_image_name_is_lower_case_for_ghcr() -> None:
    p = release.plan("1.0.0", package="1.0.0", existing_tags=[], image="ghcr.io/Zsync-Org/Zenodo-Sync")
    assert p.image == "ghcr.io/zsync-org/zenodo-sync"


ACTION = (ROOT / "action.yml").read_text(encoding="utf-8")


def test_pin_image_changes_the_one_zsync_image_line() -> None:
    pinned = release.pin_image(ACTION, f"{IMAGE}@{DIGEST}")
    changed = [(a, b) for a, b in zip(ACTION.splitlines(), pinned.splitlines(), strict=True) if a != b]
    assert changed == [('        ZSYNC_IMAGE: ""', f'        ZSYNC_IMAGE: "{IMAGE}@{DIGEST}"')]


@pytest.mark.parametrize(
    "image",
    [
        f"{IMAGE}:v1.2.3",  # a tag can move; only a digest pins the content
        f"{IMAGE}@sha256:abc",
        f"{IMAGE}@sha512:{'ab' * 64}",
        f"{IMAGE}:v1@{DIGEST}x",
        f"Ghcr.io/zsync-org/zenodo-sync@{DIGEST}",
        DIGEST,
    ],
)
def test_pin_image_takes_only_an_image_by_digest(image: str) -> None:
    with pytest.raises(release.ReleaseError, match="not an image by digest"):
        release.pin_image(ACTION, image)


def test_pin_image_accepts_a_registry_with_a_port() -> None:
    assert "127.0.0.1:5000/zsync-org/zenodo-sync@" in release.pin_image(
        ACTION, f"127.0.0.1:5000/zsync-org/zenodo-sync@{DIGEST}"
    )


def test_pin_image_refuses_an_already_pinned_action() -> None:
    pinned = release.pin_image(ACTION, f"{IMAGE}@{DIGEST}")
    with pytest.raises(release.ReleaseError, match="already names an image"):
        release.pin_image(pinned, f"{IMAGE}@{DIGEST}")


def test_pin_image_needs_exactly_one_marker_line() -> None:
    with pytest.raises(release.ReleaseError, match="0 lines"):
        release.pin_image("runs:\n  using: composite\n", f"{IMAGE}@{DIGEST}")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository shaped like zsync's: action.yml and zsync/_version.py, one commit, tag v1.0.0."""
    (tmp_path / "zsync").mkdir()
    (tmp_path / "zsync" / "_version.py").write_text('__version__ = "1.1.0"\n')
    (tmp_path / "action.yml").write_text(ACTION)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "source")
    _git(tmp_path, "tag", "v1.0.0")
    _git(tmp_path, "tag", "v1")
    return tmp_path


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / ".github" / "release.py"), *args, "--repo", str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_plan_prints_github_outputs(repo: Path) -> None:
    proc = run(repo, "plan", "--version", "1.1.0", "--repository", "Zsync-Org/zenodo-sync")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"tag=v1.1.0\nimage={IMAGE}\nimage-tags={IMAGE}:v1.1.0,{IMAGE}:v1.1,{IMAGE}:v1\nmoving-tags=v1.1,v1\n"
    )


def test_cli_plan_refuses_with_a_one_line_error_and_exit_2(repo: Path) -> None:
    proc = run(repo, "plan", "--version", "1.0.0", "--repository", "zsync-org/zenodo-sync")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "release: error: zsync/_version.py says 1.1.0, not 1.0.0: raise it (and merge) before releasing"
    ]


def test_cli_commit_makes_the_release_commit_and_its_tags(repo: Path) -> None:
    source = _git(repo, "rev-parse", "HEAD")
    proc = run(
        repo, "commit", "--version", "1.1.0", "--repository", "zsync-org/zenodo-sync", "--digest", DIGEST
    )
    assert proc.returncode == 0, proc.stderr
    head = _git(repo, "rev-parse", "HEAD")
    assert _git(repo, "rev-parse", "HEAD^") == source
    assert _git(repo, "diff", "--name-only", source, head) == "action.yml"
    assert f'ZSYNC_IMAGE: "{IMAGE}@{DIGEST}"' in (repo / "action.yml").read_text()
    for tag in ("v1.1.0", "v1.1", "v1"):
        assert _git(repo, "rev-parse", f"{tag}^{{commit}}") == head, tag
    assert _git(repo, "rev-parse", "v1.0.0") == source
    assert _git(repo, "cat-file", "-t", "v1.1.0") == "tag"  # annotated: says who released what
    assert _git(repo, "log", "-1", "--format=%an", "HEAD") == "github-actions[bot]"
    assert IMAGE + "@" + DIGEST in _git(repo, "log", "-1", "--format=%B", "HEAD")


def test_cli_commit_refuses_a_released_version_and_changes_nothing(repo: Path) -> None:
    _git(repo, "tag", "v1.1.0")
    head = _git(repo, "rev-parse", "HEAD")
    proc = run(
        repo, "commit", "--version", "1.1.0", "--repository", "zsync-org/zenodo-sync", "--digest", DIGEST
    )
    assert proc.returncode == 2
    assert "already released" in proc.stderr
    assert _git(repo, "rev-parse", "HEAD") == head
    assert (repo / "action.yml").read_text() == ACTION
