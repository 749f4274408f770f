"""Version ordering decides whether a new Zenodo version is opened: every rule here matters."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from zsync import versions
from zsync.errors import SyncError
from zsync.versions import compare_versions, normalize_version


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.0.0", "1.0.1"),
        ("1.9.0", "1.10.0"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-beta.11", "1.0.0-rc.1"),
        ("1.0", "1.1"),  # not semver: PEP 440
        ("1.0rc1", "1.0"),
        ("1.0.post1", "1.0.1"),
        ("2026.2", "2026.11"),  # calendar versions order numerically, not as text
        ("2025.12.31", "2026.1.1"),
    ],
)
def test_orders(low: str, high: str) -> None:
    assert compare_versions(low, high) == -1
    assert compare_versions(high, low) == 1


def test_equal_and_build_metadata() -> None:
    assert compare_versions("1.2.3", "1.2.3") == 0
    assert compare_versions("v1.2.3", "1.2.3") == 0
    assert compare_versions("1.2.3+build.5", "1.2.3+build.6") == 0


def test_missing_remote_version_is_lower() -> None:
    assert compare_versions("1.0.0", None) == 1
    assert compare_versions("1.0.0", "") == 1


def test_unorderable_versions_are_an_error_not_a_guess() -> None:
    with pytest.raises(SyncError, match="cannot tell whether version 'first' comes after 'second'"):
        compare_versions("first", "second")


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("v1.2.0", "1.2.0"),
        ("V2.0", "2.0"),
        ("refs/tags/v3.1.4", "3.1.4"),
        ("1.0.0", "1.0.0"),
        ("vintage", "vintage"),
    ],
)
def test_release_tags_lose_their_v(tag: str, version: str) -> None:
    assert normalize_version(tag) == version


def test_a_version_from_outside_must_be_a_version() -> None:
    from zsync.errors import UsageError
    from zsync.versions import release_version

    assert release_version("v1.2.0") == "1.2.0"
    assert release_version("2026.11") == "2026.11"
    assert release_version("1.0rc1") == "1.0rc1"
    with pytest.raises(UsageError, match=r"'main' .* is not a version"):
        release_version("main")  # ${{ github.ref_name }} on a branch push


def _semver_key_by_pattern(version: str) -> object:
    match = versions._SEMVER.match(version.strip())
    if not match:
        return None
    core = (int(match["major"]), int(match["minor"]), int(match["patch"]))
    pre = match["pre"]
    if pre is None:
        return core, 1, ()
    return core, 0, tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))


@given(st.text(alphabet="0123456789v.-+a\u0661 \n", max_size=12))
@example("1.2.3")
@example("v0.10.0")
@example("01.2.3")
@example("1.2.3\n")
@example("\u0661.2.3")
def test_a_plain_release_is_read_as_the_semver_pattern_reads_it(version: str) -> None:
    """`1.2.3` is read without the pattern; whatever the text, the key is the pattern's."""
    assert versions._semver_key(version) == _semver_key_by_pattern(version)
