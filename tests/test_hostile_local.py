"""Hostile local files and inputs (issue #11, items 5, 6, 7, 9, 10, 11, 12): each test reproduces
one attack or fault, against the real client and the emulator on 127.0.0.1, or the real `zsync`
command. Tests are named after the issue's items: test_item<N>_*.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from test_sync_e2e import TOKEN, make_dataset, run_zsync, user_drafts

import zsync
from zsync.api import RetryPolicy, ZenodoClient
from zsync.config import load_config
from zsync.emulator import Emulator
from zsync.engine import write_record_id
from zsync.errors import ConfigError, LocalFileChanged, SyncError
from zsync.localfiles import scan

FAST = RetryPolicy(sleep=lambda _s: None)
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "zenodo.yaml"


def _draft_with_entry(emulator: Emulator, key: str) -> tuple[ZenodoClient, str]:
    client = ZenodoClient(emulator.url, TOKEN, retry=FAST)
    document = {
        "metadata": {
            "title": "Hostile files",
            "resource_type": {"id": "dataset"},
            "creators": [{"person_or_org": {"type": "personal", "family_name": "Doe", "given_name": "J"}}],
            "publication_date": "2026-01-01",
        }
    }
    draft = client.create_draft(document)
    client.init_files(draft.id, [key])
    return client, draft.id


# --------------------------------------------------------------------------- item 5: files that change


def test_item5_a_file_truncated_after_hashing_fails_at_once(tmp_path: Path, emulator: Emulator) -> None:
    path = tmp_path / "b.bin"
    path.write_bytes(b"x" * 1_000_000)
    (local,) = scan([path])
    path.write_bytes(b"y" * 10)  # 10 bytes left of the 1,000,000 zsync announced
    client, draft = _draft_with_entry(emulator, "b.bin")
    started = time.monotonic()
    with pytest.raises(LocalFileChanged, match=r"^b\.bin changed .*; re-run"):
        client.upload_file(draft, local, initialized=True)
    assert time.monotonic() - started < 5  # not the read timeout of every attempt


def test_item5_a_file_that_shrinks_or_grows_during_the_upload_fails_at_once(
    tmp_path: Path, emulator: Emulator
) -> None:
    for change in ("truncate", "grow"):
        path = tmp_path / "b.bin"
        path.write_bytes(b"x" * 3_000_000)  # three 1 MiB blocks: the change lands between them
        (local,) = scan([path])
        client, draft = _draft_with_entry(emulator, "b.bin")

        def meddle(sent: int, _total: int, change: str = change, path: Path = path) -> None:
            if sent == 1 << 20:
                with path.open("r+b") as stream:
                    stream.truncate(1_500_000) if change == "truncate" else stream.seek(0, 2)
                    stream.write(b"more")

        started = time.monotonic()
        with pytest.raises(LocalFileChanged, match=r"^b\.bin changed while zsync was uploading it; re-run"):
            client.upload_file(draft, local, progress=meddle, initialized=True)
        assert time.monotonic() - started < 5


def test_item5_a_file_deleted_before_its_upload_is_named(tmp_path: Path, emulator: Emulator) -> None:
    path = tmp_path / "b.bin"
    path.write_bytes(b"x" * 1000)
    (local,) = scan([path])
    path.unlink()
    client, draft = _draft_with_entry(emulator, "b.bin")
    with pytest.raises(LocalFileChanged, match=r"^b\.bin was deleted while zsync was uploading it; re-run"):
        client.upload_file(draft, local, initialized=True)


# --------------------------------------------------------------------------- item 7: the id file


def test_item7_the_id_file_respects_the_umask_and_keeps_an_existing_mode(tmp_path: Path) -> None:
    path = tmp_path / ".zenodo-record-id.txt"
    old = os.umask(0o027)
    try:
        write_record_id(path, "1")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # 0666 & ~umask, not mkstemp's 0600
    path.chmod(0o664)
    write_record_id(path, "2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664 and path.read_text() == "2\n"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_item7_no_folder_is_created_for_the_id_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_record_id(tmp_path / "nonexist" / "dir" / "id.txt", "1")
    assert list(tmp_path.iterdir()) == []
    config = _example(tmp_path, EXAMPLE.read_text().replace(".zenodo-record-id.txt", "nonexist/dir/id.txt"))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    (problem,) = caught.value.problems
    assert "path_record_id: the folder of" in str(problem) and "creates no folders" in str(problem)


# --------------------------------------------------------------------------- item 9: config limits


def _example(tmp_path: Path, text: str, name: str = "zenodo.yaml") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for item in EXAMPLE.parent.iterdir():
        target = tmp_path / item.name
        if not target.exists():
            shutil.copytree(item, target) if item.is_dir() else shutil.copy(item, target)
    config = tmp_path / name
    config.write_text(text) if isinstance(text, str) else config.write_bytes(text)
    return config


def _refused(config: Path, *, within_s: float) -> str:
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert time.monotonic() - started < within_s
    problems = caught.value.problems
    assert len(problems) == 1, problems
    return str(problems[0])


def test_item9_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    anchor = "x" * 9000
    keywords = f"  keywords:\n    - &a '{anchor}'\n" + "    - *a\n" * 3000
    text = EXAMPLE.read_text().replace("  keywords:\n", keywords, 1)
    assert len(text) < 1_000_000
    message = _refused(_example(tmp_path, text), within_s=10)
    assert "aliases (*name) expand it to over 10 MB" in message


def test_item9_too_many_items_too_long_a_string_and_too_big_a_file(tmp_path: Path) -> None:
    many = EXAMPLE.read_text().replace("  keywords:\n", "  keywords:\n" + "    - k\n" * 200_000, 1)
    assert "metadata.keywords: has 200,003 items; zsync reads lists of at most 10,000" in _refused(
        _example(tmp_path, many), within_s=20
    )
    long = EXAMPLE.read_text().replace("publisher: Zenodo", "publisher: " + "p" * 1_500_000)
    assert "metadata.publisher: is 1,500,000 characters long" in _refused(
        _example(tmp_path, long), within_s=20
    )
    big = EXAMPLE.read_text() + "#" * 3_000_000 + "\n"
    assert "the file is over 2 MB" in _refused(_example(tmp_path, big), within_s=5)


# --------------------------------------------------------------------------- item 10: paths outside


def test_item10_paths_outside_the_repository_are_refused_offline(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "data").mkdir()
    (repo / "data" / "passwd.txt").symlink_to("/etc/passwd")
    head = EXAMPLE.read_text().split("paths:")[0].replace("path_readme: zenodo.md", "")
    paths = "paths:\n  - passwd.txt\n  - ../../../../../../../etc/hostname\n  - /etc/shadow\n"
    config = _example(repo / "data", head + paths)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 3, messages
    assert "'passwd.txt' is outside the repository" in messages[0]
    assert "symlink, to /etc/passwd" in messages[0]
    assert "'../../../../../../../etc/hostname' is outside" in messages[1]
    assert "'/etc/shadow' is outside" in messages[2] and "allow_outside: true" in messages[2]
    allowed = config.read_text().replace("paths:", "allow_outside: true\npaths:")
    config.write_text(allowed.replace("  - /etc/shadow\n", ""))  # it exists but may not be readable
    assert load_config(config).allow_outside is True


def test_item10_a_file_in_a_subfolder_of_the_git_root_is_inside(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "shared.csv").write_text("a\n1\n")
    config = _example(repo / "sub", EXAMPLE.read_text().replace("paths:\n", "paths:\n  - ../shared.csv\n"))
    assert repo / "shared.csv" in load_config(config).paths


# --------------------------------------------------------------------------- item 12: precise messages


def test_item12_a_non_utf8_config_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("publisher: Zenodo", "publisher: Zenodo caf\xe9").encode("latin-1")
    config = _example(tmp_path, text)  # type: ignore[arg-type]
    line = next(n for n, row in enumerate(text.splitlines(), 1) if b"caf\xe9" in row)
    proc = run_zsync("validate", str(config))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"{config}:{line}: the file is not UTF-8 text: byte 0xe9 at column 24")
    assert "Traceback" not in proc.stderr


def test_item12_disk_full_writing_the_id_file_names_the_path_and_the_draft(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = make_dataset(tmp_path / "ds", emulator.url)

    def full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("zsync.atomicwrite.write_text", full)
    with pytest.raises(SyncError) as caught:
        zsync.sync(ds.config_path, token=TOKEN, retry=FAST)
    (draft,) = user_drafts(emulator)
    message = str(caught.value)
    assert str(ds.config_path.parent / ".zenodo-record-id.txt") in message
    assert "No space left on device" in message and f"draft {draft['id']} now exists" in message
    assert caught.value.exit_code == 1


def test_item12_a_file_deleted_after_the_check_is_a_precise_error(tmp_path: Path, emulator: Emulator) -> None:
    # Deleted after the config was checked, before it was hashed: the scan names it, exit 1.
    ds = make_dataset(tmp_path / "ds", emulator.url)
    victim = sorted((ds.root / "data").glob("file*.csv"))[0]
    config = load_config(ds.config_path)
    victim.unlink()
    with pytest.raises(LocalFileChanged, match=rf"^{victim.name} was deleted after zsync checked the config"):
        scan(config.paths)
