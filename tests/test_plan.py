"""The plan is pure: these tests need no server. They build a RemoteState by hand and read the steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zsync.config import parse_config
from zsync.errors import SyncError
from zsync.models import Config, LocalFile, RemoteFile, RemoteRecord
from zsync.planning import (
    CreateDraft,
    DeleteFile,
    EditPublished,
    ImportFiles,
    InitFiles,
    NewVersion,
    Plan,
    PlanOptions,
    Publish,
    RemoteState,
    ReserveDoi,
    UpdateMetadata,
    UploadFile,
    Warn,
    WriteRecordId,
    compute_plan,
    diff_files,
    plan_as_dict,
)

TODAY = "2026-12-01"


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


# --------------------------------------------------------------------------- states -> steps


def config(tmp_path: Path, version: str = "1.0.0", paths: tuple[str, ...] = ("a",)) -> Config:
    for name in paths:
        (tmp_path / name).write_text("x")
    listed = "\n".join(f"  - {name}" for name in paths)
    text = f"""\
endpoint: https://sandbox.zenodo.org/api
metadata:
  title: A dataset
  version: '{version}'
  resource_type: dataset
  creators: [{{name: 'Doe, Jane'}}]
paths:
{listed}
"""
    return parse_config(text, source=tmp_path / "zenodo.yaml")


def record(
    rid: str = "42",
    *,
    version: str = "1.0.0",
    published: bool = True,
    draft: bool = False,
    files: tuple[RemoteFile, ...] = (rf("a"),),
    doi: str | None = "10.5072/zenodo.42",
    index: int = 1,
    title: str = "A dataset",
    **metadata: Any,
) -> RemoteRecord:
    meta = {
        "resource_type": {"id": "dataset"},
        "title": title,
        "version": version,
        "publication_date": "2026-01-02",
        "creators": [{"person_or_org": {"type": "personal", "family_name": "Doe", "given_name": "Jane"}}],
        **metadata,
    }
    return RemoteRecord(
        id=rid,
        parent_id="41",
        is_published=published,
        is_draft=draft,
        status="published" if published and not draft else "draft",
        revision_id=3,
        doi=doi,
        concept_doi=None,
        html_url=None,
        version_index=index,
        metadata=meta,
        access={"record": "public", "files": "public"},
        custom_fields={},
        files=files,
        default_preview="a",
        has_files_block=True,
    )


def step_types(plan: Plan) -> list[str]:
    return [type(step).__name__ for step in plan.steps]


def plan_for(cfg: Config, state: RemoteState, **options: Any) -> Plan:
    return compute_plan(
        cfg, [lf(p.name) for p in cfg.paths], state, today=TODAY, options=PlanOptions(**options)
    )


def test_no_record_means_create_write_the_id_reserve_upload_then_the_metadata(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), RemoteState())
    assert (plan.record_action, plan.status) == ("create", "created")
    assert step_types(plan) == [
        "CreateDraft", "WriteRecordId", "ReserveDoi", "InitFiles", "UploadFile", "UpdateMetadata",
    ]  # fmt: skip
    create, write = plan.steps[0], plan.steps[1]
    assert isinstance(create, CreateDraft) and create.document["files"] == {"enabled": True}
    assert isinstance(write, WriteRecordId) and write.record_id is None
    assert plan.bytes_to_upload == 10
    put = plan.steps[-1]
    assert isinstance(put, UpdateMetadata)
    assert put.document["metadata"]["publication_date"] == TODAY
    assert put.document["files"]["default_preview"] == "a"
    # What a first sync sets is shown before it runs.
    assert "metadata.title" in {c.field for c in plan.metadata_changes}


def test_create_without_reserving_and_with_publish(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), RemoteState(), reserve_doi=False, publish=True)
    assert "ReserveDoi" not in step_types(plan)
    assert isinstance(plan.steps[-1], Publish)


def draft_state(**kw: Any) -> RemoteState:
    draft = record("7", published=False, draft=True, **kw)
    return RemoteState("7", draft, draft_files=draft.files)


def test_draft_without_differences_is_a_noop(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), draft_state())
    assert (plan.record_action, plan.status, plan.steps) == ("update-draft", "unchanged", ())
    assert plan.is_noop


def test_draft_with_a_changed_file_deletes_it_before_uploading_the_new_one(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    state = draft_state()
    plan = compute_plan(cfg, [lf("a", size=3)], state, today=TODAY)
    # Then the document again: deleting "a" unset files.default_preview (issue #10 item 4).
    assert step_types(plan) == ["DeleteFile", "InitFiles", "UploadFile", "UpdateMetadata"]
    delete, init, upload, _ = plan.steps
    assert isinstance(delete, DeleteFile) and delete.replaced
    assert isinstance(init, InitFiles) and init.keys == ("a",)
    assert isinstance(upload, UploadFile) and upload.replaces
    assert (plan.status, plan.deletes, len(plan.uploads)) == ("updated", (), 1)


def test_a_new_key_sends_the_document_again_for_the_file_order(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path, paths=("a", "b")), draft_state())
    assert step_types(plan) == ["InitFiles", "UploadFile", "UpdateMetadata"]


def test_a_draft_without_a_doi_gets_one_reserved(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), draft_state(doi=None))
    assert step_types(plan) == ["ReserveDoi"]
    assert plan.status == "updated"
    assert not plan_for(config(tmp_path), draft_state(doi=None), reserve_doi=False).steps


def test_a_draft_keeps_its_publication_date_until_publish(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    assert not plan_for(cfg, draft_state()).steps
    published = plan_for(cfg, draft_state(), publish=True)
    assert step_types(published) == ["UpdateMetadata", "Publish"]
    put = published.steps[0]
    assert isinstance(put, UpdateMetadata) and put.document["metadata"]["publication_date"] == TODAY


def test_an_adopted_draft_gets_its_id_written_first(tmp_path: Path) -> None:
    draft = record("7", published=False, draft=True, files=())
    plan = plan_for(config(tmp_path), RemoteState(None, draft, adopted=True))
    assert isinstance(plan.steps[0], WriteRecordId) and plan.steps[0].record_id == "7"
    assert plan.status == "created"
    assert "left by a run that stopped" in plan.warnings[0]


def test_a_next_version_draft_never_imported_is_planned_against_the_import(tmp_path: Path) -> None:
    previous = record("42", files=(rf("a"), rf("old")))
    draft = record("43", published=False, draft=True, files=(), version="1.1.0", index=2)
    state = RemoteState("43", draft, draft_files=(), previous=previous, needs_import=True)
    plan = plan_for(config(tmp_path, version="1.1.0"), state)
    assert step_types(plan) == ["ImportFiles", "DeleteFile", "UpdateMetadata"]
    assert isinstance(plan.steps[0], ImportFiles) and plan.steps[0].keys == ("a", "old")
    assert plan.status == "new-version"


def test_a_next_version_draft_whose_version_is_not_above_the_published_one_is_refused(tmp_path: Path) -> None:
    previous = record("42", version="2.0.0")
    draft = record("43", published=False, draft=True, version="2.1.0", index=2)
    state = RemoteState("43", draft, draft_files=draft.files, previous=previous)
    with pytest.raises(SyncError, match=r"not above version 2\.0\.0.*open draft 43 was not changed"):
        plan_for(config(tmp_path, version="1.5.0"), state, explicit_version=True)
    # Without an explicit version (the push workflow) the draft's version, a release's, is kept.
    assert plan_for(config(tmp_path, version="1.5.0"), state).local_version == "2.1.0"


def test_published_same_version_same_files(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), RemoteState("42", None, record()))
    assert (plan.record_action, plan.status, plan.steps) == ("none", "unchanged", ())


def test_published_metadata_change_edits_puts_and_publishes_keeping_the_date(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), RemoteState("42", None, record(title="Old title")))
    assert plan.record_action == "edit-published"
    assert step_types(plan) == ["EditPublished", "UpdateMetadata", "Publish"]
    assert isinstance(plan.steps[0], EditPublished) and plan.steps[0].record_id == "42"
    put = plan.steps[1]
    assert isinstance(put, UpdateMetadata)
    assert put.document["metadata"]["publication_date"] == "2026-01-02"
    assert [c.field for c in put.changes] == ["metadata.title"]


def test_an_open_edit_draft_with_only_our_changes_is_finished(tmp_path: Path) -> None:
    published = record(title="Old title")
    edit = record(draft=True, title="Old title")
    plan = plan_for(config(tmp_path), RemoteState("42", edit, published))
    assert step_types(plan) == ["UpdateMetadata", "Publish"]


def test_an_open_edit_draft_with_a_persons_changes_is_updated_and_left_to_them(tmp_path: Path) -> None:
    published = record(title="Old title")
    edit = record(draft=True, title="Old title", languages=[{"id": "eng"}])
    plan = plan_for(config(tmp_path), RemoteState("42", edit, published))
    assert step_types(plan) == ["UpdateMetadata", "Warn"]
    assert step_types(plan_for(config(tmp_path), RemoteState("42", edit, published), publish=True)) == [
        "UpdateMetadata", "Warn", "Publish",
    ]  # fmt: skip
    untouched = plan_for(config(tmp_path), RemoteState("42", record(draft=True, languages=[]), record()))
    assert step_types(untouched) == ["Warn"] and untouched.status == "unchanged"
    assert isinstance(untouched.steps[0], Warn)


def test_published_same_version_different_files_is_refused_with_the_files_named(tmp_path: Path) -> None:
    cfg = config(tmp_path, paths=("a", "b"))
    with pytest.raises(SyncError) as info:
        compute_plan(cfg, [lf("a", size=99), lf("b")], RemoteState("42", None, record()), today=TODAY)
    message = info.value.diagnostics()
    assert "a (content differs)" in message
    assert "b (only local)" in message
    assert "raise metadata.version" in message
    assert "'1.0.1'" in message


def test_higher_local_version_opens_a_new_version(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path, version="1.1.0", paths=("a", "b")), RemoteState("42", None, record()))
    assert plan.record_action == "new-version"
    assert step_types(plan) == [
        "NewVersion", "WriteRecordId", "ReserveDoi", "ImportFiles", "InitFiles", "UploadFile",
        "UpdateMetadata",
    ]  # fmt: skip
    assert isinstance(plan.steps[0], NewVersion) and plan.steps[0].record_id == "42"
    assert [u.key for u in plan.uploads] == ["b"]
    put = plan.steps[-1]
    # The new version is dated the day it is made, and the document sent is the one planned.
    assert isinstance(put, UpdateMetadata) and put.document["metadata"]["publication_date"] == TODAY
    assert put.document["metadata"]["version"] == "1.1.0"


def test_lower_local_version_is_refused_when_given_explicitly(tmp_path: Path) -> None:
    state = RemoteState("42", None, record(version="2.0.0"))
    with pytest.raises(SyncError, match=r"lower than the published version 2\.0\.0"):
        plan_for(config(tmp_path), state, explicit_version=True)


def test_a_push_sync_below_a_published_release_changes_nothing_and_says_what_differs(tmp_path: Path) -> None:
    """Issue #10 item 7: a release published 2.0.0 from its tag, zenodo.yaml still says 1.0.0: every
    push sync failed with "lower than the published version" until zenodo.yaml caught up."""
    same = plan_for(config(tmp_path), RemoteState("42", None, record(version="2.0.0")))
    assert (same.record_action, same.status, same.steps, same.warnings) == (
        "leave-published",
        "unchanged",
        (),
        (),
    )
    assert "metadata.version 1.0.0 is below version 2.0.0" in same.notes[0]
    state = RemoteState("42", None, record(version="2.0.0", title="Another title", files=(rf("a"), rf("b"))))
    plan = plan_for(config(tmp_path, paths=("a", "c")), state)
    assert (plan.steps, plan.status) == ((), "unchanged")
    (warning,) = plan.warnings
    assert "left as they are, though the local c, b, metadata.title differ" in warning
    assert "set metadata.version to 2.0.0 (metadata only) or above" in warning


def test_an_id_file_naming_an_older_version_is_rewritten_first(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), RemoteState("40", None, record(), followed="42"))
    assert isinstance(plan.steps[0], WriteRecordId) and plan.steps[0].record_id == "42"
    assert len(plan.steps) == 1


def test_reserve_step_is_in_the_plan_and_its_json(tmp_path: Path) -> None:
    plan = plan_for(config(tmp_path), draft_state(doi=None))
    assert isinstance(plan.steps[0], ReserveDoi)
    view = plan_as_dict(plan)
    assert [s["step"] for s in view["steps"]] == ["ReserveDoi"]
    assert view["files"] == [{"action": "keep", "key": "a", "size_bytes": 10, "reason": ""}]


def test_a_published_unorderable_version_names_the_way_on_and_an_explicit_version_takes_it(
    tmp_path: Path,
) -> None:
    """Issue #10 item 5: after a published 'first release', every next version failed, with no way on."""
    state = RemoteState("42", None, record(version="first release"))
    with pytest.raises(SyncError) as info:
        plan_for(config(tmp_path, version="2.0.0"), state)
    assert "--set-version 2.0.0" in (info.value.hint or "")
    plan = plan_for(config(tmp_path, version="2.0.0"), state, explicit_version=True)
    assert plan.record_action == "new-version"


def test_a_push_sync_keeps_the_version_of_the_draft_a_release_opened(tmp_path: Path) -> None:
    """Issue #10 item 7: `sync --set-version v1.2.0` opened draft 1.2.0 while zenodo.yaml says 1.1.0;
    the next push sync failed with "the local version 1.1.0 is not above 1.1.0"."""
    previous = record("42", version="1.1.0")
    draft = record("43", published=False, draft=True, version="1.2.0", index=2)
    state = RemoteState("43", draft, draft_files=draft.files, previous=previous)
    plan = plan_for(config(tmp_path, version="1.1.0", paths=("a", "b")), state)
    assert plan.record_action == "update-draft"
    put = [s for s in plan.steps if isinstance(s, UpdateMetadata)][-1]
    assert put.document["metadata"]["version"] == "1.2.0"
    # Given explicitly, a version not above the published one is still refused.
    with pytest.raises(SyncError, match=r"not above version 1\.1\.0"):
        plan_for(config(tmp_path, version="1.1.0"), state, explicit_version=True)


def test_a_same_version_written_differently_never_rewrites_the_published_label(tmp_path: Path) -> None:
    """Issue #10 item 7: `--set-version 1.2` after 1.2.0 was published edited the label to 1.2."""
    with pytest.raises(SyncError, match="does not rewrite a published version label"):
        plan_for(
            config(tmp_path, version="1.2"),
            RemoteState("42", None, record(version="1.2.0")),
            explicit_version=True,
        )


def test_publishing_a_pre_release_warns_before_the_doi_is_minted(tmp_path: Path) -> None:
    """Issue #10 item 7: a tag such as 1.2.0-rc1 with publish: true mints a permanent DOI."""
    plan = plan_for(config(tmp_path, version="1.2.0-rc1"), RemoteState(), publish=True)
    types = step_types(plan)
    assert types[-2:] == ["Warn", "Publish"]
    assert "pre-release" in plan.steps[-2].message  # type: ignore[attr-defined]
    assert "Warn" not in step_types(plan_for(config(tmp_path, version="1.2.0"), RemoteState(), publish=True))


def test_a_published_record_without_a_version_is_never_called_none(tmp_path: Path) -> None:
    """Issue #10 item 6: the output surface never says None (here: a record published on the web
    without a version, followed by a new version)."""
    from zsync.engine import report_plan

    published = record()
    published = RemoteRecord(**{**published.__dict__, "metadata": {**published.metadata, "version": None}})
    plan = plan_for(config(tmp_path, version="1.1.0"), RemoteState("42", None, published))
    lines: list[str] = []
    from zsync.report import NullReporter

    class Capture(NullReporter):
        def info(self, message: str) -> None:
            lines.append(message)

        def warning(self, message: str) -> None:
            lines.append(message)

    report_plan(plan, Capture())
    assert plan.record_action == "new-version"
    assert lines and not [line for line in lines if "None" in line]
    assert not [s.describe() for s in plan.steps if "None" in s.describe()]


def test_a_push_sync_never_lowers_a_drafts_version_and_a_higher_one_still_raises_it(tmp_path: Path) -> None:
    """Issue #10 item 7: a release gave the never-published draft 1.2.0 (zenodo.yaml says 1.1.0); the
    push sync put 1.1.0 back. Likewise for a next-version draft above zenodo.yaml and the published."""
    first = record("43", published=False, draft=True, version="1.2.0")
    state = RemoteState("43", first, draft_files=first.files)
    plan = plan_for(config(tmp_path, version="1.1.0"), state)
    assert (plan.local_version, plan.status, plan.steps) == ("1.2.0", "unchanged", ())
    assert "draft 43 keeps its version 1.2.0: metadata.version 1.1.0 is not above it" in plan.notes[0]
    raised = plan_for(config(tmp_path, version="1.3.0"), state)
    put = [s for s in raised.steps if isinstance(s, UpdateMetadata)][-1]
    assert put.document["metadata"]["version"] == "1.3.0" and raised.notes == ()
    explicit = plan_for(config(tmp_path, version="1.1.0"), state, explicit_version=True)
    assert [s for s in explicit.steps if isinstance(s, UpdateMetadata)][-1].document["metadata"][
        "version"
    ] == "1.1.0"
    # published 1.2.0 (a release), the next release opened 1.3.0, zenodo.yaml still 1.1.0
    draft = record("44", published=False, draft=True, version="1.3.0", index=3)
    state = RemoteState("44", draft, draft_files=draft.files, previous=record("43", version="1.2.0"))
    assert plan_for(config(tmp_path, version="1.1.0"), state).local_version == "1.3.0"


def test_a_push_sync_with_the_published_version_written_differently_keeps_the_label(tmp_path: Path) -> None:
    """zenodo.yaml says 1.2, a release published 1.2.0: the push syncs as 1.2.0 (the label stays)."""
    state = RemoteState("42", None, record(version="1.2.0", title="Old title"))
    plan = plan_for(config(tmp_path, version="1.2"), state)
    assert plan.record_action == "edit-published"
    put = [s for s in plan.steps if isinstance(s, UpdateMetadata)][-1]
    assert put.document["metadata"]["version"] == "1.2.0"
    assert [c.field for c in plan.metadata_changes] == ["metadata.title"]
    assert "metadata.version 1.2 is version 1.2.0 as record 42 has it" in plan.notes
