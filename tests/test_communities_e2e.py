"""Communities end to end: the real `zsync` command against the emulator, the curator played by the
emulator's admin side (accept, decline with a comment).

Each test counts the mutating requests, so a second submission or a second inclusion request fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_entrypoint import Workspace, workspace  # noqa: F401 (the fixture)
from test_sync_e2e import TOKEN, Dataset, api, count, make_dataset, mutations, outputs_of, run_zsync, sync

from zsync.emulator import Emulator, Faults

SUBMIT = ["PUT /records/{id}/draft/review", "POST /records/{id}/draft/actions/submit-review"]


@pytest.fixture
def ds(tmp_path: Path, emulator: Emulator) -> Dataset:
    emulator.add_community("ecology", "Ecology")
    emulator.add_community("oceans", "Oceans")
    return make_dataset(tmp_path / "dataset", emulator.url)


def submitting(ds: Dataset, *slugs: str) -> None:
    ds.set("communities", list(slugs or ("ecology",)))
    ds.set("review", "submit")


def communities_of(proc_out: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {row["community"]: row for row in json.loads(proc_out["communities"])}


def community_mutations(emulator: Emulator) -> dict[str, int]:
    wanted = ("review", "communities", "requests")
    return {k: v for k, v in count(mutations(emulator)).items() if any(w in k for w in wanted)}


def test_first_sync_with_review_submit_is_submitted_once_and_the_curator_publishes(
    ds: Dataset, emulator: Emulator
) -> None:
    submitting(ds)
    out = outputs_of(sync(ds, "--json"))
    assert community_mutations(emulator) == dict.fromkeys(SUBMIT, 1)
    assert out["review-status"] == "submitted"
    assert out["review-url"].endswith(f"/me/requests/{out['review-request-id']}")
    assert out["state"] == "draft"
    (request,) = emulator.requests
    assert request["type"] == "community-submission" and request["status"] == "submitted"
    assert request["title"] == "End-to-end dataset"

    emulator.clear_log()
    again = outputs_of(sync(ds, "--json"))
    assert community_mutations(emulator) == {}  # a pending review is never submitted again
    assert again["status"] == "unchanged" and again["review-status"] == "submitted"

    emulator.curate(out["review-request-id"], "accept")
    record = api(emulator, "GET", f"/records/{ds.record_id()}").json()
    ecology = emulator.book.community("ecology").id
    assert record["is_published"] and record["parent"]["communities"]["ids"] == [ecology]
    emulator.clear_log()
    after = outputs_of(sync(ds, "--json"))
    assert after["status"] == "unchanged" and after["state"] == "published"
    assert communities_of(after)["ecology"]["status"] == "member"
    assert mutations(emulator) == []


def test_by_default_the_review_is_only_reported(ds: Dataset, emulator: Emulator) -> None:
    ds.set("communities", ["ecology"])
    proc = sync(ds, "--json")
    assert community_mutations(emulator) == {}
    assert "review: submit" in proc.stderr
    assert outputs_of(proc)["review-status"] == "none"
    # --submit-review does what `review: submit` does, once the draft is complete
    emulator.clear_log()
    sync(ds, "--submit-review")
    assert community_mutations(emulator) == dict.fromkeys(SUBMIT[1:], 1) | {SUBMIT[0]: 1}


def test_a_declined_review_is_reported_with_the_comment_and_never_resubmitted(
    ds: Dataset, emulator: Emulator
) -> None:
    submitting(ds)
    out = outputs_of(sync(ds, "--json"))
    emulator.curate(out["review-request-id"], "decline", "Please add a licence file.")
    emulator.clear_log()
    proc = sync(ds, "--json")
    again = outputs_of(proc)
    assert community_mutations(emulator) == {}
    row = communities_of(again)["ecology"]
    assert row["status"] == "declined" and row["comment"] == "Please add a licence file."
    assert "Please add a licence file." in proc.stderr and "does not resubmit" in proc.stderr


def test_a_draft_under_review_is_updated_in_place_and_the_review_stays(
    ds: Dataset, emulator: Emulator
) -> None:
    submitting(ds)
    out = outputs_of(sync(ds, "--json"))
    ds.write_file("late.csv", b"a late addition\n")
    emulator.clear_log()
    proc = sync(ds, "--json")
    assert community_mutations(emulator) == {}
    assert "under review" in proc.stderr
    assert outputs_of(proc)["review-request-id"] == out["review-request-id"]
    emulator.curate(out["review-request-id"], "accept")
    files = api(emulator, "GET", f"/records/{ds.record_id()}").json()["files"]["entries"]
    assert "late.csv" in files


def test_a_submit_answered_504_after_it_took_effect_makes_no_second_request(
    ds: Dataset, emulator: Emulator
) -> None:
    submitting(ds)
    emulator.faults = Faults(p_publish_504_after_success=1.0)
    out = outputs_of(sync(ds, "--json"))
    assert out["review-status"] == "submitted"
    assert len(emulator.requests) == 1
    assert [e["payload"] for e in emulator.requests[0]["events"]].count({"event": "submitted"}) == 1


def test_a_published_record_gets_one_inclusion_request_per_community(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.publish(ds.record_id())
    ds.set("communities", ["ecology", "oceans"])
    emulator.clear_log()
    out = outputs_of(sync(ds, "--json"))
    assert community_mutations(emulator) == {"POST /records/{id}/communities": 2}
    rows = communities_of(out)
    assert rows["ecology"]["status"] == rows["oceans"]["status"] == "submitted"
    assert out["status"] == "updated"
    emulator.clear_log()
    sync(ds)
    assert community_mutations(emulator) == {}  # exactly once
    emulator.curate(rows["ecology"]["request-id"], "accept")
    emulator.curate(rows["oceans"]["request-id"], "decline", "Out of scope.")
    emulator.clear_log()
    final = communities_of(outputs_of(sync(ds, "--json")))
    assert final["ecology"]["status"] == "member"
    assert final["oceans"]["status"] == "declined" and final["oceans"]["comment"] == "Out of scope."
    assert community_mutations(emulator) == {}


def test_communities_are_removed_only_when_asked(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.publish(ds.record_id())
    ds.set("communities", ["ecology"])
    out = outputs_of(sync(ds, "--json"))
    emulator.curate(out["review-request-id"], "accept")
    ds.set("communities", ["oceans"])
    emulator.clear_log()
    sync(ds)
    assert community_mutations(emulator) == {"POST /records/{id}/communities": 1}
    ds.set("communities_remove", True)
    emulator.clear_log()
    sync(ds)
    assert community_mutations(emulator) == {"DELETE /records/{id}/communities": 1}
    record = api(emulator, "GET", f"/records/{ds.record_id()}").json()
    assert record["parent"]["communities"] == {}


def test_a_new_version_under_a_per_version_review_policy_is_submitted(
    tmp_path: Path, emulator: Emulator
) -> None:
    emulator.add_community("strict", "Strict", new_version_review=True)
    ds = make_dataset(tmp_path / "dataset", emulator.url)
    submitting(ds, "strict")
    first = outputs_of(sync(ds, "--json"))
    emulator.curate(first["review-request-id"], "accept")
    ds.set("metadata.version", "2.0.0")
    ds.write_file("file00.csv", b"changed\n")
    emulator.clear_log()
    out = outputs_of(sync(ds, "--json", "--publish"))
    assert community_mutations(emulator) == {"POST /records/{id}/draft/actions/submit-review": 1}
    assert "POST /records/{id}/draft/actions/publish" not in count(mutations(emulator))
    assert out["status"] == "new-version" and out["state"] == "draft"
    assert out["review-status"] == "submitted" and out["review-request-id"] != first["review-request-id"]
    emulator.curate(out["review-request-id"], "accept")
    latest = api(emulator, "GET", f"/records/{ds.record_id()}").json()
    assert latest["is_published"] and latest["metadata"]["version"] == "2.0.0"


def test_a_new_version_without_that_policy_inherits_the_communities(ds: Dataset, emulator: Emulator) -> None:
    submitting(ds)
    first = outputs_of(sync(ds, "--json"))
    emulator.curate(first["review-request-id"], "accept")
    ds.set("metadata.version", "2.0.0")
    emulator.clear_log()
    out = outputs_of(sync(ds, "--json", "--publish"))
    assert community_mutations(emulator) == {}
    assert out["state"] == "published"
    assert communities_of(out)["ecology"]["status"] == "member"


def test_an_unknown_community_is_a_config_error_on_its_line(ds: Dataset, emulator: Emulator) -> None:
    ds.set("communities", ["ecology", "no-such-community"])
    proc = run_zsync("plan", str(ds.config_path))
    assert proc.returncode == 2, proc.stderr
    line = next(n for n, text in enumerate(ds.config_path.read_text().splitlines(), 1) if "no-such" in text)
    assert f"zenodo.yaml:{line}: communities[1]: there is no community 'no-such-community'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert mutations(emulator) == []


def _listing_ecology(workspace: Workspace, emulator: Emulator, extra: str = "") -> None:  # noqa: F811
    emulator.add_community("ecology", "Ecology")
    config = workspace.root / "zenodo.yaml"
    config.write_text(config.read_text() + "communities: [ecology]\n" + extra)


def test_the_action_summary_shows_each_community_and_the_next_step(
    workspace: Workspace,  # noqa: F811 (the fixture imported above)
    emulator: Emulator,
) -> None:
    _listing_ecology(workspace, emulator, "review: submit\n")
    run = workspace.run(token=TOKEN)
    assert run.code == 0, run.log
    assert "### Communities" in run.summary and "| ecology | `submitted` |" in run.summary
    assert "Wait for the community's curators" in run.summary
    assert run.outputs["review-status"] == "submitted"


def test_the_submit_review_input_submits_for_one_run(
    workspace: Workspace,  # noqa: F811 (the fixture imported above)
    emulator: Emulator,
) -> None:
    """The Action's `submit-review: true` is `review: submit` (or --submit-review) for that run."""
    _listing_ecology(workspace, emulator)
    reported = workspace.run(token=TOKEN)
    assert reported.code == 0, reported.log
    assert reported.outputs["review-status"] == "none" and community_mutations(emulator) == {}

    run = workspace.run(token=TOKEN, submit_review="true")
    assert run.code == 0, run.log
    assert run.outputs["review-status"] == "submitted"
    assert community_mutations(emulator) == dict.fromkeys(SUBMIT, 1)


@pytest.mark.slow  # ~40 s: 12 datasets synced under faults; run with `pytest -m slow`
def test_fault_soak_community_calls_take_effect_exactly_once(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """12 datasets under 429/5xx before and after effect: one submission each, one inclusion request
    per community, whatever failed."""
    # The emulator's search has no lag here: a create refused with an ambiguous answer (504) would
    # otherwise make the next run wait out the default 30 s bound for a draft that never was.
    monkeypatch.setenv("ZSYNC_INDEX_LAG_S", "3")
    emulator.add_community("ecology")
    emulator.add_community("oceans")
    for run in range(12):
        ds = make_dataset(tmp_path / f"d{run}", emulator.url, n_files=1)
        submitting(ds)
        faults = Faults(
            p_429=0.08, retry_after_s=0, p_502=0.07, p_503=0.07, p_504=0.08,
            p_publish_504_after_success=0.5, seed=run,
        )  # fmt: skip
        emulator.faults = faults
        if run_zsync("sync", str(ds.config_path)).returncode != 0:
            sync(ds)  # a streak longer than the retry policy: the next run completes it
        emulator.faults = Faults()
        (review,) = [r for r in emulator.requests if r["topic"] == {"record": ds.record_id()}]
        assert review["status"] == "submitted", f"run {run}"
        emulator.curate(str(review["id"]), "accept")
        ds.set("communities", ["ecology", "oceans"])
        emulator.faults = faults
        if run_zsync("sync", str(ds.config_path)).returncode != 0:
            sync(ds)
        emulator.faults = Faults()
        mine = [r for r in emulator.requests if r["topic"] == {"record": ds.record_id()}]
        assert sorted(str(r["type"]) for r in mine) == ["community-inclusion", "community-submission"], run
        emulator.clear_log()
        sync(ds)
        assert mutations(emulator) == [], f"run {run}"
