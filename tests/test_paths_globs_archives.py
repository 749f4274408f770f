"""`paths` as researchers have them: globs expanded in sorted order, folders as reproducible archives."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_sync_e2e import TOKEN, make_dataset

import zsync
from zsync import archives, globs
from zsync.api import RetryPolicy
from zsync.config import load_config
from zsync.emulator import Emulator
from zsync.errors import ConfigError
from zsync.models import Archive


def no_wait() -> RetryPolicy:
    return RetryPolicy(sleep=lambda _s: None)


def write(root: Path, name: str, content: bytes = b"x\n") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def config_with(root: Path, paths: list[Any]) -> Path:
    config = root / "zenodo.yaml"
    document = {
        "endpoint": "https://sandbox.zenodo.org/api",
        "metadata": {
            "title": "Globs",
            "version": "1.0.0",
            "resource_type": "dataset",
            "creators": [{"name": "Doe, Jane"}],
        },
        "paths": paths,
    }
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    return config


def problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- globs


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("*.csv", "a.csv", True),
        ("*.csv", "sub/a.csv", False),
        ("**/*.csv", "a.csv", True),
        ("**/*.csv", "x/y/a.csv", True),
        ("figures/**", "figures/a/b.pdf", True),
        ("a?.txt", "ab.txt", True),
        ("a?.txt", "a/.txt", False),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "c.txt", True),
        ("[!ab].txt", "a.txt", False),
        ("a+b.txt", "a+b.txt", True),
    ],
)
def test_glob_matching(pattern: str, path: str, matched: bool) -> None:
    assert globs.matches(pattern, path) is matched


def test_globs_expand_sorted_relative_to_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ds"
    for name in ("results/c.csv", "results/a.csv", "results/b.csv", "results/notes.txt"):
        write(root, name)
    write(root, "figures/z.pdf")
    write(root, "figures/deep/er/y.pdf")
    monkeypatch.chdir(tmp_path)  # elsewhere: the patterns are the config's folder's
    config = load_config(config_with(root, ["results/*.csv", "figures/**/*.pdf"]))
    assert [p.relative_to(root).as_posix() for p in config.paths] == [
        "results/a.csv",
        "results/b.csv",
        "results/c.csv",
        "figures/deep/er/y.pdf",
        "figures/z.pdf",
    ]
    assert [(m.field, m.pattern, len(m.files)) for m in config.patterns] == [
        ("paths[0]", "results/*.csv", 3),
        ("paths[1]", "figures/**/*.pdf", 2),
    ]


def test_a_glob_that_matches_nothing_is_an_error_on_its_line_unless_optional(tmp_path: Path) -> None:
    write(tmp_path, "data/a.csv")
    config = config_with(tmp_path, ["data/a.csv", "results/*.csv"])
    [found] = problems(config)
    assert found.startswith(f"{config}:10: paths[1]: 'results/*.csv' matches no file")
    assert "optional: true" in found
    optional = config_with(tmp_path, ["data/a.csv", {"path": "results/*.csv", "optional": True}])
    assert [p.name for p in load_config(optional).paths] == ["a.csv"]


def test_duplicate_base_names_after_expansion_name_both_paths(tmp_path: Path) -> None:
    write(tmp_path, "a/x.csv")
    write(tmp_path, "b/x.csv")
    [found] = problems(config_with(tmp_path, ["**/x.csv"]))
    assert "paths[0]: 'b/x.csv' has the same file name 'x.csv' as paths[0] ('a/x.csv')" in found


def test_a_file_whose_name_has_glob_characters_is_taken_literally(tmp_path: Path) -> None:
    write(tmp_path, "data/run[1].csv")
    write(tmp_path, "data/run1.csv")
    config = load_config(config_with(tmp_path, ["data/run[1].csv"]))
    assert [p.name for p in config.paths] == ["run[1].csv"]


def test_plan_says_what_each_pattern_matched(tmp_path: Path) -> None:
    for name in ("r/b.csv", "r/a.csv"):
        write(tmp_path, name)
    heard = RecordingReporter()
    result = zsync.sync(config_with(tmp_path, ["r/*.csv"]), environ={}, reporter=heard)
    assert result.status == "validated"
    assert "paths[0] 'r/*.csv' matched 2 files: a.csv, b.csv" in heard.lines


class RecordingReporter(zsync.report.NullReporter):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


# --------------------------------------------------------------------------- archives


def _folder(root: Path, order: list[str], mtime: int, umask: int) -> Path:
    contents = {"b/deep/two.nc": b"2" * 5000, "a.nc": b"1" * 3000, "c/skip.tmp": b"no", "c/three.nc": b"3"}
    old = os.umask(umask)
    try:
        for name in order:
            path = write(root, name, contents[name])
            os.utime(path, (mtime, mtime))
        (root / "a.nc").chmod(0o750 if umask else 0o700)  # executable by the owner either way
    finally:
        os.umask(old)
    return root


@pytest.mark.parametrize("key", ["data.zip", "data.tar.gz"])
def test_the_same_folder_gives_the_same_bytes(tmp_path: Path, key: str) -> None:
    names = ["a.nc", "b/deep/two.nc", "c/skip.tmp", "c/three.nc"]
    one = _folder(tmp_path / "one", names, mtime=1_000_000_000, umask=0o022)
    two = _folder(tmp_path / "two", list(reversed(names)), mtime=1_700_000_000, umask=0o077)
    built = []
    for folder in (one, two):
        spec = Archive(key, folder, include=("**/*.nc",), exclude=("c/**",))
        target = tmp_path / f"{folder.name}-{key}"
        size, md5 = archives.write(spec, archives.members(spec), target)
        assert (size, md5) == (target.stat().st_size, hashlib.md5(target.read_bytes()).hexdigest())
        built.append(target.read_bytes())
    assert built[0] == built[1]
    assert _names_and_modes(built[0], key) == [("a.nc", 0o755), ("b/deep/two.nc", 0o644)]


def _names_and_modes(data: bytes, key: str) -> list[tuple[str, int]]:
    if key.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            return [(i.filename, (i.external_attr >> 16) & 0o777) for i in zf.infolist()]
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {
            (archives.EPOCH, 0, 0, "", "")
        }
        return [(m.name, m.mode) for m in members]


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "raw/a.nc")
    secret = write(tmp_path, "elsewhere/secret.txt")
    (tmp_path / "raw" / "leak.txt").symlink_to(secret)
    [found] = problems(config_with(tmp_path, [{"archive": "raw.zip", "from": "raw"}]))
    assert "paths[0]: cannot archive" in found and "leak.txt is a symlink to" in found


def test_a_symlink_inside_the_folder_is_archived_as_its_file(tmp_path: Path) -> None:
    write(tmp_path, "raw/a.nc", b"content")
    (tmp_path / "raw" / "b.nc").symlink_to("a.nc")
    spec = Archive("raw.zip", tmp_path / "raw")
    assert [(m.name, m.size_bytes) for m in archives.members(spec)] == [("a.nc", 7), ("b.nc", 7)]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"archive": "raw.rar", "from": "raw"}, "'raw.rar' must be a file name ending in .zip or .tar.gz"),
        ({"archive": "raw.zip", "from": "missing"}, "the folder of 'raw.zip' does not exist"),
        ({"archive": "raw.zip", "from": "raw", "include": ["*.csv"]}, "'raw.zip' would be empty"),
        ({"archive": "raw.zip"}, "paths[0].from: is required"),
    ],
)
def test_archive_problems(tmp_path: Path, item: dict[str, Any], expected: str) -> None:
    write(tmp_path, "raw/a.nc")
    [found] = problems(config_with(tmp_path, [item]))
    assert expected in found


def test_an_archive_name_counts_with_the_file_names(tmp_path: Path) -> None:
    write(tmp_path, "raw/a.nc")
    write(tmp_path, "data/raw.zip")
    [found] = problems(config_with(tmp_path, ["data/raw.zip", {"archive": "raw.zip", "from": "raw"}]))
    assert "paths[1]: 'raw.zip' has the same file name 'raw.zip' as paths[0]" in found


def test_an_unchanged_folder_is_not_uploaded_again_and_a_changed_one_only(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url, n_files=1)
    write(ds.root, "raw/one/a.nc", b"a" * 1000)
    write(ds.root, "raw/two/b.nc", b"b" * 1000)
    write(ds.root, "other/c.nc", b"c" * 1000)
    data = ds.config()
    data["paths"] += [{"archive": "raw.zip", "from": "raw/"}, {"archive": "other.tar.gz", "from": "other"}]
    ds.write_config(data)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    heard = RecordingReporter()
    first = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait(), reporter=heard)
    assert (first.status, first.files_uploaded) == ("created", 3)
    assert any(line.startswith("raw.zip: zip of ") and "2 files" in line for line in heard.lines)
    stored = emulator.draft_files(ds.record_id())
    assert sorted(stored) == ["file00.csv", "other.tar.gz", "raw.zip"]
    assert list(scratch.iterdir()) == []  # the archives were built in a temporary folder, now gone

    os.utime(ds.root / "raw/one/a.nc", (1, 1))  # a new mtime alone changes nothing
    again = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    assert (again.status, again.files_uploaded) == ("unchanged", 0)

    write(ds.root, "raw/two/b.nc", b"B" * 1000)
    emulator.clear_log()
    changed = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    assert changed.files_uploaded == 1
    uploads = [e.path for e in emulator.mutating_requests() if e.path.endswith("/content")]
    assert [path.split("/")[-2] for path in uploads] == ["raw.zip"]
    assert emulator.draft_files(ds.record_id())["raw.zip"].md5 != stored["raw.zip"].md5
    with zipfile.ZipFile(io.BytesIO(_built(ds.config_path, "raw.zip"))) as zf:
        assert zf.namelist() == ["one/a.nc", "two/b.nc"]


def _built(config_path: Path, key: str) -> bytes:
    config = load_config(config_path)
    [spec] = [a for a in config.archives if a.key == key]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / key
        archives.write(spec, archives.members(spec), target)
        return target.read_bytes()


def test_the_job_summary_gives_an_archive_its_size_and_member_count() -> None:
    from zsync import github
    from zsync.engine import SyncResult
    from zsync.models import LocalFile

    local = (
        LocalFile("a.csv", Path("/w/a.csv"), 100, "c" * 32),
        LocalFile("raw.zip", Path("/tmp/raw.zip"), 2000, "d" * 32, members=12),
    )
    result = SyncResult(status="validated", state=None, record_id_path=Path("/w/id"), local_files=local)
    text = github.render_summary(result)
    assert "| `a.csv` | found locally | 100 B |" in text
    assert "| `raw.zip` | found locally | 2.0 KiB (12 files) |" in text
