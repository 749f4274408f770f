"""The record-id file zsync writes: readable by the workflow's later steps, whoever wrote it."""

from __future__ import annotations

import stat
from pathlib import Path

from zsync.engine import write_record_id


def test_the_id_file_is_world_readable_like_a_checked_out_file(tmp_path: Path) -> None:
    # The Action's container writes it as root; the runner's user (uid 1001) reads it afterwards.
    (tmp_path / "sub").mkdir()  # zsync never creates folders (issue #11, item 7)
    path = tmp_path / "sub" / ".zenodo-record-id.txt"
    assert write_record_id(path, "123") is True
    assert path.read_text() == "123\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert write_record_id(path, "456") is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert write_record_id(path, "456") is False
