"""`access.embargo`: read from zenodo.yaml, rendered as InvenioRDM's EmbargoSchema takes it, compared
as an owned field, and planned against the record, before and after its date (pure: no server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_plan import lf, record, step_types

from zsync.config import parse_config
from zsync.errors import ConfigError
from zsync.frozen import replace
from zsync.metadata import diff_owned, effective_access, render_access, render_document
from zsync.models import Access, Config, Embargo, RemoteRecord
from zsync.planning import PlanOptions, RemoteState, UpdateMetadata, compute_plan, plan_as_dict

TODAY = "2026-12-02"
UNTIL = "2027-06-30"  # 210 days after TODAY

CONFIG = """\
endpoint: https://sandbox.zenodo.org/api
metadata:
  title: A dataset
  version: '1.0.0'
  resource_type: dataset
  creators: [{{name: 'Doe, Jane'}}]
access:
{access}
paths: [a]
"""
EMBARGOED = f"  files: restricted\n  embargo:\n    until: {UNTIL}\n    reason: Under review at a journal"


def load(tmp_path: Path, access: str = EMBARGOED) -> Config:
    (tmp_path / "a").write_text("x")
    return parse_config(CONFIG.format(access=access), source=tmp_path / "zenodo.yaml")


def problems(tmp_path: Path, access: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, access)
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- the config


def test_an_embargo_is_read_with_its_date_and_reason(tmp_path: Path) -> None:
    assert load(tmp_path).access == Access(
        record="public", files="restricted", embargo=Embargo(UNTIL, "Under review at a journal")
    )


def test_an_embargo_needs_restricted_files(tmp_path: Path) -> None:
    given_public = problems(tmp_path, f"  files: public\n  embargo: {{until: {UNTIL}}}")
    assert given_public == [
        f"{tmp_path / 'zenodo.yaml'}:8: access.files: an embargo restricts the files until its date, so it "
        "needs files: restricted (write access: {files: restricted, embargo: ...}; Zenodo makes the files "
        "public on that date)"
    ]
    left_out = problems(tmp_path, f"  embargo: {{until: {UNTIL}}}")
    assert [p.split(": ", 2)[1] for p in left_out] == ["access.embargo"]
    assert ":8:" in left_out[0]


@pytest.mark.parametrize(
    ("embargo", "wrong"),
    [
        ("{until: 2027-06}", "access.embargo.until: '2027-06' is not a full date"),
        ("{until: '2027-02-30'}", "access.embargo.until: '2027-02-30' is not a date Zenodo accepts"),
        ("{reason: why}", "access.embargo.until: is required (for example until: 2027-06-30)"),
        ("{until: 2027-06-30, lifts: soon}", "access.embargo.lifts: unknown key 'lifts'"),
    ],
)
def test_a_malformed_embargo_is_refused_on_its_line(tmp_path: Path, embargo: str, wrong: str) -> None:
    (message,) = problems(tmp_path, f"  files: restricted\n  embargo: {embargo}")
    assert f":9: {wrong}" in message


# --------------------------------------------------------------------------- rendering and comparing


def test_rendered_active_before_its_date_and_as_lifted_from_it_on() -> None:
    access = Access(files="restricted", embargo=Embargo(UNTIL, "why"))
    assert render_access(access, TODAY) == {
        "record": "public",
        "files": "restricted",
        "embargo": {"active": True, "until": UNTIL, "reason": "why"},
    }
    # On the date itself InvenioRDM already refuses active: its check is until < now (midnight UTC).
    assert render_access(access, UNTIL) == {
        "record": "public",
        "files": "public",
        "embargo": {"active": False, "until": UNTIL, "reason": "why"},
    }
    assert render_access(Access(files="restricted"), TODAY) == {"record": "public", "files": "restricted"}


def server_access(active: bool, until: str | None = UNTIL, files: str = "restricted") -> dict[str, Any]:
    """`access` as InvenioRDM serialises it (RecordAccess.dump plus the status)."""
    embargo = {"active": active, "until": until, "reason": "why" if until else None}
    return {"record": "public", "files": files, "embargo": embargo, "status": "embargoed"}


def document(access: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {}, "custom_fields": {}, "access": access}


def test_the_embargo_date_and_reason_are_owned(tmp_path: Path) -> None:
    desired = render_document(load(tmp_path), today=TODAY)
    assert desired["access"]["embargo"] == {
        "active": True,
        "until": UNTIL,
        "reason": "Under review at a journal",
    }
    same = server_access(True) | {
        "embargo": {"active": True, "until": UNTIL, "reason": "Under review at a journal"}
    }
    assert not [c for c in diff_owned(desired, document(same)) if c.field.startswith("access")]
    moved = same | {"embargo": {**same["embargo"], "until": "2027-09-30"}}
    changes = {c.field: (c.old, c.new) for c in diff_owned(desired, document(moved))}
    assert changes["access.embargo.until"] == ("2027-09-30", UNTIL)
    # An embargo set on the web, which zenodo.yaml does not have, is shown as removed.
    plain = render_document(load(tmp_path, "  files: restricted"), today=TODAY)
    removed = {c.field: (c.old, c.new) for c in diff_owned(plain, document(same))}
    assert removed["access.embargo.until"] == (UNTIL, None)


def test_a_record_past_its_date_reads_as_lifted_before_the_daily_task_runs() -> None:
    pending = server_access(True)
    assert effective_access(pending, TODAY) is pending
    lifted = effective_access(pending, UNTIL)
    assert (lifted["files"], lifted["embargo"]["active"]) == ("public", False)
    assert effective_access(server_access(False, files="public"), UNTIL)["embargo"]["active"] is False


# --------------------------------------------------------------------------- planning


def with_access(remote: RemoteRecord, access: dict[str, Any]) -> RemoteRecord:
    return replace(remote, access=access)


def plan(cfg: Config, state: RemoteState, today: str = TODAY) -> Any:
    return compute_plan(cfg, [lf("a")], state, today=today, options=PlanOptions(reserve_doi=False))


def test_plan_says_when_the_embargo_lifts(tmp_path: Path) -> None:
    created = plan(load(tmp_path), RemoteState())
    assert created.notes == ("access: the files are embargoed until 2027-06-30 (in 210 days), then public",)
    assert plan_as_dict(created)["notes"] == list(created.notes)
    put = created.steps[-1]
    assert isinstance(put, UpdateMetadata) and put.document["access"]["embargo"]["active"] is True
    assert {"access.files", "access.embargo.until", "access.embargo.reason"} <= {
        c.field for c in created.metadata_changes
    }


def embargoed_record(active: bool = True, files: str = "restricted") -> RemoteRecord:
    access = server_access(active, files=files)
    access["embargo"]["reason"] = "Under review at a journal"
    return with_access(record(), access)


def test_an_embargoed_record_in_sync_is_left_alone(tmp_path: Path) -> None:
    assert plan(load(tmp_path), RemoteState(record=embargoed_record())).steps == ()


def test_a_changed_date_edits_the_published_record(tmp_path: Path) -> None:
    cfg = load(tmp_path, EMBARGOED.replace(UNTIL, "2027-09-30"))
    changed = plan(cfg, RemoteState(record=embargoed_record()))
    assert step_types(changed) == ["EditPublished", "UpdateMetadata", "Publish"]
    assert [(c.field, c.old, c.new) for c in changed.metadata_changes] == [
        ("access.embargo.until", UNTIL, "2027-09-30")
    ]


@pytest.mark.parametrize("active", [True, False], ids=["before-the-task", "lifted"])
def test_after_its_date_zsync_neither_fights_nor_races_the_lift(tmp_path: Path, active: bool) -> None:
    remote = embargoed_record(active=active, files="restricted" if active else "public")
    after = plan(load(tmp_path), RemoteState(record=remote), today="2027-07-01")
    assert after.steps == ()
    now = "Zenodo's daily task makes the files public" if active else "the files are public"
    assert after.notes == (f"access: the embargo ended on 2027-06-30; {now}",)


def test_a_metadata_change_after_the_date_sends_the_lifted_embargo(tmp_path: Path) -> None:
    cfg = load(tmp_path)
    cfg = replace(cfg, metadata=replace(cfg.metadata, title="A new title"))
    after = plan(cfg, RemoteState(record=embargoed_record()), today="2027-07-01")
    assert [c.field for c in after.metadata_changes] == ["metadata.title"]
    put = next(s for s in after.steps if isinstance(s, UpdateMetadata))
    assert put.document["access"] == {
        "record": "public",
        "files": "public",
        "embargo": {"active": False, "until": UNTIL, "reason": "Under review at a journal"},
    }


def test_a_draft_past_its_date_is_lifted_by_zsync(tmp_path: Path) -> None:
    """Zenodo's task lifts published records only: a draft keeps its stale embargo, which publish
    would refuse, so zsync sends the lifted one."""
    draft = with_access(record(published=False, draft=True), embargoed_record().access)
    after = plan(load(tmp_path), RemoteState(draft=draft, draft_files=(draft.files)), today="2027-07-01")
    assert {c.field for c in after.metadata_changes} >= {"access.files", "access.embargo.until"}
    assert step_types(after) == ["UpdateMetadata"]


def test_an_edit_draft_the_task_skipped_is_lifted_before_it_is_published(tmp_path: Path) -> None:
    """The task lifts an edit draft only when its access is the record's: one whose reason a person
    changed keeps an active embargo in the past, which zsync replaces before publishing."""
    stale = embargoed_record().access | {"embargo": {"active": True, "until": UNTIL, "reason": "edited"}}
    edit = with_access(record(draft=True), stale)
    lifted = embargoed_record(active=False, files="public")
    after = plan(load(tmp_path), RemoteState(record=lifted, draft=edit), today="2027-07-01")
    assert step_types(after) == ["UpdateMetadata", "Publish"]
    put = after.steps[0]
    assert isinstance(put, UpdateMetadata) and put.document["access"]["embargo"]["active"] is False


def test_an_ended_embargo_on_a_record_without_it_is_a_config_error(tmp_path: Path) -> None:
    cfg = load(tmp_path, EMBARGOED.replace(UNTIL, "2025-06-30"))
    for state in (
        RemoteState(),
        RemoteState(record=with_access(record(), server_access(False, None, "public"))),
    ):
        with pytest.raises(ConfigError) as caught:
            plan(cfg, state)
        (problem,) = caught.value.problems
        assert (problem.line, problem.field) == (10, "access.embargo.until")
        assert "2025-06-30 is not in the future (today is 2026-12-02, UTC)" in problem.message
        assert problem.hint == "write a later date, or remove the embargo to publish the files openly"


def test_the_job_summary_says_when_the_embargo_lifts(tmp_path: Path) -> None:
    from test_github import _result

    from zsync import github

    planned = plan(load(tmp_path), RemoteState(record=embargoed_record()))
    text = github.render_summary(_result(plan=planned))
    assert "> access: the files are embargoed until 2027-06-30 (in 210 days), then public" in text
