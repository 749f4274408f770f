"""The plan is pure: these tests need no server."""

from pathlib import Path

import pytest

from zsync.errors import SyncError
from zsync.models import LocalFile, RemoteFile
from zsync.planning import FieldChange, compute_plan, diff_files


def lf(key: str, size: int = 10, md5: str = "a" * 32) -> LocalFile:
    return LocalFile(key=key, path=Path("/data") / key, size_bytes=size, md5=md5)


def rf(key: str, size: int = 10, md5: str | None = "a" * 32, status: str = "completed") -> RemoteFile:
    return RemoteFile(key=key, size_bytes=size, md5=md5, status=status)  # type: ignore[arg-type]


def kinds(actions) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {a.key: a.kind for a in actions}


def test_diff_by_key_size_and_md5() -> None:
    local = [lf("same"), lf("bigger", size=11), lf("edited", md5="b" * 32), lf("new")]
    remote = [rf("same"), rf("bigger"), rf("edited"), rf("gone")]
    assert kinds(diff_files(local, remote)) == {
        "same": "keep",
        "bigger": "replace",
        "edited": "replace",
        "new": "upload",
        "gone": "delete",
    }


def test_md5_compare_ignores_case() -> None:
    assert kinds(diff_files([lf("x", md5="ABCDEF" + "0" * 26)], [rf("x", md5="abcdef" + "0" * 26)])) == {
        "x": "keep"
    }


def test_pending_and_failed_leftovers_are_replaced_or_deleted() -> None:
    actions = diff_files(
        [lf("half")], [rf("half", md5=None, status="pending"), rf("old", md5=None, status="failed")]
    )
    assert kinds(actions) == {"half": "replace", "old": "delete"}
    assert next(a for a in actions if a.key == "old").reason == "leftover failed upload"


def base(**kw):  # type: ignore[no-untyped-def]
    args = dict(
        local_files=[lf("a")],
        local_version="1.0.0",
        desired_metadata_changes=[],
        remote_files=[rf("a")],
        remote_version="1.0.0",
        remote_is_published=True,
        record_id="42",
    )
    args.update(kw)
    return compute_plan(**args)


def test_no_record_means_create_and_upload_everything() -> None:
    plan = base(remote_files=None, remote_version=None, remote_is_published=False, record_id=None)
    assert plan.record_action == "create"
    assert kinds(plan.files) == {"a": "upload"}
    assert plan.bytes_to_upload == 10


def test_draft_is_updated_in_place() -> None:
    plan = base(remote_is_published=False, local_files=[lf("a", size=3)])
    assert plan.record_action == "update-draft"
    assert not plan.is_noop


def test_draft_without_differences_is_a_noop() -> None:
    assert base(remote_is_published=False).is_noop


def test_published_same_version_same_files() -> None:
    assert base().record_action == "none"
    change = FieldChange("title", "Old", "New")
    assert base(desired_metadata_changes=[change]).record_action == "edit-published"


def test_published_same_version_different_files_is_refused_with_the_files_named() -> None:
    with pytest.raises(SyncError) as info:
        base(local_files=[lf("a", size=99), lf("b")])
    message = info.value.diagnostics()
    assert "a (content differs)" in message
    assert "b (only local)" in message
    assert "raise metadata.version" in message
    assert "'1.0.1'" in message


def test_higher_local_version_opens_a_new_version() -> None:
    plan = base(local_version="1.1.0", local_files=[lf("a"), lf("b")])
    assert plan.record_action == "new-version"
    assert kinds(plan.uploads) == {"b": "upload"}


def test_lower_local_version_is_refused() -> None:
    with pytest.raises(SyncError, match=r"lower than the published version 2\.0\.0"):
        base(remote_version="2.0.0")
