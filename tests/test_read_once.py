"""Each byte read once: a file uploaded anyway is hashed as it is sent, not in a pass of its own; only
a file whose key and size match a remote file is hashed beforehand, and hashing runs on every core."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from test_sync_e2e import TOKEN, make_dataset

import zsync
from zsync import localfiles
from zsync.api import RetryPolicy, ZenodoClient
from zsync.emulator import Emulator
from zsync.models import LocalFile


def no_wait() -> RetryPolicy:
    return RetryPolicy(sleep=lambda _s: None)


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files hashed in a pass of their own (not while uploading)."""
    seen: list[str] = []
    real = localfiles.md5_of

    def md5_of(path: Path) -> str:
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(localfiles, "md5_of", md5_of)
    return seen


def test_a_first_sync_hashes_nothing_beforehand(
    tmp_path: Path, emulator: Emulator, hashed: list[str]
) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url, n_files=3)
    result = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    assert (result.status, result.files_uploaded) == ("created", 3)
    assert hashed == []
    stored = emulator.draft_files(ds.record_id())
    for name in ("file00.csv", "file01.csv", "file02.csv"):
        assert stored[name].md5 == hashlib.md5((ds.root / "data" / name).read_bytes()).hexdigest()


def test_only_files_with_a_remote_twin_in_key_and_size_are_hashed(
    tmp_path: Path, emulator: Emulator, hashed: list[str]
) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url, n_files=3)
    zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    again = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    assert again.status == "unchanged"
    assert sorted(hashed) == ["file00.csv", "file01.csv", "file02.csv"]  # a no-op: each once
    hashed.clear()
    ds.write_file("file01.csv", b"a different size\n")  # same key, other size: uploaded, not hashed
    ds.write_file("file09.csv", b"new\n")  # a new key: uploaded, not hashed
    changed = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    assert changed.files_uploaded == 2
    assert sorted(hashed) == ["file00.csv", "file02.csv"]


def test_without_a_token_nothing_is_hashed(tmp_path: Path, hashed: list[str]) -> None:
    ds = make_dataset(tmp_path / "d", "https://sandbox.zenodo.org/api", n_files=2)
    assert zsync.sync(ds.config_path, environ={}).status == "validated"
    assert hashed == []


def test_an_upload_without_a_known_md5_is_verified_with_the_md5_of_the_bytes_sent(
    tmp_path: Path, emulator: Emulator
) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"0123456789" * 100_000)
    local = LocalFile("a.bin", path, path.stat().st_size, md5=None)
    with ZenodoClient(emulator.url, TOKEN, retry=no_wait()) as client:
        draft = client.create_draft(
            {"metadata": {"title": "t", "resource_type": {"id": "dataset"}}, "files": {"enabled": True}}
        )
        remote = client.upload_file(draft.id, local)
    assert remote.md5 == hashlib.md5(path.read_bytes()).hexdigest()


def test_hashing_in_parallel_keeps_the_order_of_the_files(tmp_path: Path) -> None:
    paths = []
    for i in range(7):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(bytes([i]) * (200_000 * (7 - i)))  # the first is the slowest
        paths.append(path)
    files = localfiles.stat_files(paths)
    done = localfiles.hash_files(files, {(f.key, f.size_bytes) for f in files if f.key != "f3.bin"})
    assert [f.key for f in done] == [p.name for p in paths]
    for f, p in zip(done, paths, strict=True):
        assert f.md5 == (None if p.name == "f3.bin" else hashlib.md5(p.read_bytes()).hexdigest())
    assert 1 <= localfiles.workers(7) <= 7
