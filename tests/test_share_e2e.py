"""Share links for co-authors end to end: the real `zsync` command (and the Action's entrypoint)
against the emulator, which plays InvenioRDM's secret links (zsync/emulator/communities.py) and, as
its admin, lets a link's date pass.

A link is created once, reused by every later run, replaced (and the expired one deleted) after it
expires; its URL opens the draft without an account; it is a secret everywhere it is not asked for.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from test_entrypoint import Workspace, workspace  # noqa: F401 (the fixture)
from test_sync_e2e import TOKEN, Dataset, api, count, make_dataset, mutations, outputs_of, run_zsync, sync

from zsync.emulator import Emulator, Faults
from zsync.models import SHARE_DESCRIPTION

CREATE = "POST /records/{id}/access/links"
DELETE = "DELETE /records/{id}/access/links/{link_id}"


@pytest.fixture
def ds(tmp_path: Path, emulator: Emulator) -> Dataset:
    ds = make_dataset(tmp_path / "dataset", emulator.url)
    ds.set("share", {"permission": "preview", "expires": "30d"})
    return ds


def links(emulator: Emulator, record_id: str) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = api(emulator, "GET", f"/records/{record_id}/access/links").json()["hits"][
        "hits"
    ]
    return hits


def link_mutations(emulator: Emulator) -> dict[str, int]:
    found = count(mutations(emulator))
    return {
        k.replace(k.rsplit("/", 1)[-1], "{link_id}") if "/links/" in k else k: v
        for k, v in found.items()
        if "/access/links" in k
    }


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_a_link_is_created_once_reused_and_replaced_after_it_expires(ds: Dataset, emulator: Emulator) -> None:
    first = outputs_of(sync(ds, "--json", "--show-share-url"))
    record_id = first["record-id"]
    assert link_mutations(emulator) == {CREATE: 1}
    (made,) = links(emulator, record_id)
    assert made["description"] == SHARE_DESCRIPTION and made["permission"] == "preview"
    assert made["expires_at"] == (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    # the URL the web interface's share dialog copies for a preview link
    url = first["share-url"]
    assert url == f"{emulator.url.removesuffix('/api')}/records/{record_id}?preview=1&token={made['token']}"
    assert emulator.book.token_valid(record_id, token_of(url))

    emulator.clear_log()
    again = outputs_of(sync(ds, "--json", "--show-share-url"))
    assert mutations(emulator) == []  # reused: nothing created, nothing deleted
    assert again["share-url"] == url and again["status"] == "unchanged"

    emulator.expire_link(made["id"])
    assert not emulator.book.token_valid(record_id, token_of(url))
    emulator.clear_log()
    third = outputs_of(sync(ds, "--json", "--show-share-url"))
    assert link_mutations(emulator) == {CREATE: 1, DELETE: 1}  # a new link, the expired one gone
    (new,) = links(emulator, record_id)
    assert new["id"] != made["id"] and third["share-url"].endswith(f"token={new['token']}")
    assert emulator.book.token_valid(record_id, token_of(third["share-url"]))

    emulator.clear_log()
    outputs_of(sync(ds, "--json"))
    assert mutations(emulator) == []  # never piles up: one link, reused


def test_the_url_is_a_secret_unless_asked_for(ds: Dataset, emulator: Emulator) -> None:
    proc = sync(ds, "--json", "-v")
    out = outputs_of(proc)
    assert "share-url" not in out
    (made,) = links(emulator, out["record-id"])
    token = made["token"]
    assert token not in proc.stdout and token not in proc.stderr  # not in JSON, not in the debug log
    assert "share: preview link for co-authors, reused, valid until" in sync(ds).stdout
    plan = run_zsync("plan", str(ds.config_path), "--json")
    assert plan.returncode == 0, plan.stderr
    assert token not in plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["plan"]["share"] == {
        "action": "reuse",
        "permission": "preview",
        "expires_at": made["expires_at"],
    }
    shown = sync(ds, "--show-share-url")
    assert f"token={token}" in shown.stdout


def test_share_link_flag_makes_one_with_the_defaults(tmp_path: Path, emulator: Emulator) -> None:
    ds = make_dataset(tmp_path / "plain", emulator.url)
    out = outputs_of(sync(ds, "--json"))
    assert links(emulator, out["record-id"]) == [] and "share-url" not in out
    sync(ds, "--share-link")
    (made,) = links(emulator, out["record-id"])
    assert made["permission"] == "preview"
    assert made["expires_at"] == (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()


def test_a_view_link_waits_for_publication(ds: Dataset, emulator: Emulator) -> None:
    ds.set("share", {"permission": "view"})
    proc = sync(ds, "--json")
    out = outputs_of(proc)
    assert links(emulator, out["record-id"]) == []
    assert "a view link opens only a published record" in proc.stderr
    emulator.publish(out["record-id"])
    published = outputs_of(sync(ds, "--json", "--show-share-url"))
    (made,) = links(emulator, out["record-id"])
    assert made["permission"] == "view"
    assert published["share-url"].endswith(f"/records/{out['record-id']}?token={made['token']}")


def test_a_bad_share_block_is_a_config_error_on_its_line(ds: Dataset, emulator: Emulator) -> None:
    ds.set("share", {"permission": "edit", "expires": "1y"})
    proc = sync(ds, expect=2)
    assert "share.permission: 'edit' links are not made by zsync" in proc.stderr
    assert "share.expires: '1y' is not a lifetime of 1 to 365 days" in proc.stderr
    assert "zenodo.yaml:" in proc.stderr and "Traceback" not in proc.stderr
    assert emulator.mutating_requests() == []


def test_a_create_answered_504_after_it_took_effect_makes_no_second_link(
    ds: Dataset, emulator: Emulator
) -> None:
    out = outputs_of(sync(ds, "--json"))
    (made,) = links(emulator, out["record-id"])
    emulator.expire_link(made["id"])
    emulator.faults = Faults(p_publish_504_after_success=1.0)
    emulator.clear_log()
    sync(ds)
    emulator.faults = Faults()
    assert [r.fault for r in emulator.mutating_requests() if "/access/links" in r.path] == [
        "share_link_504_after_success",
        None,  # the expired link's delete; the create was read back, not sent again
    ]
    (new,) = links(emulator, out["record-id"])
    assert new["id"] != made["id"]


def test_the_action_masks_the_url_and_keeps_it_out_of_the_summary(
    workspace: Workspace,  # noqa: F811 (the fixture imported above)
    emulator: Emulator,
) -> None:
    run = workspace.run(token=TOKEN, share_link="true")
    assert run.code == 0, run.log
    url = run.outputs["share-url"]
    token = token_of(url)
    assert f"::add-mask::{url}" in run.log and f"::add-mask::{token}" in run.log
    assert run.log.count(token) == 2, "the token appears only in its two mask lines"
    assert token not in run.summary
    assert "| Share link for co-authors | preview link, created, valid until" in run.summary

    shown = workspace.run(token=TOKEN, share_link="true", share_url_in_summary="true")
    assert shown.code == 0, shown.log
    assert shown.outputs["share-url"] == url  # reused
    assert f"[open the draft]({url})" in shown.summary
    assert shown.log.count(token) == 2


@pytest.mark.slow  # ~30 s: 10 datasets synced under faults; run with `pytest -m slow`
def test_fault_soak_share_links_are_made_once(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10 datasets under 429/5xx before and after effect: one link each, created, then replaced
    after it expires; never a second link, whatever failed."""
    # The emulator's search has no lag here: a create refused with an ambiguous answer (504) would
    # otherwise make the next run wait out the default 30 s bound for a draft that never was.
    monkeypatch.setenv("ZSYNC_INDEX_LAG_S", "3")
    for run in range(10):
        ds = make_dataset(tmp_path / f"d{run}", emulator.url, n_files=1)
        ds.set("share", {"expires": "20d"})
        faults = Faults(
            p_429=0.08, retry_after_s=0, p_502=0.07, p_503=0.07, p_504=0.08,
            p_publish_504_after_success=0.5, seed=run,
        )  # fmt: skip
        for expire in (False, True):
            if expire:
                (old,) = links(emulator, ds.record_id())
                emulator.expire_link(old["id"])
            emulator.faults = faults
            if run_zsync("sync", str(ds.config_path)).returncode != 0:
                sync(ds)  # a streak longer than the retry policy: the next run completes it
            emulator.faults = Faults()
            (link,) = links(emulator, ds.record_id())
            assert emulator.book.token_valid(ds.record_id(), link["token"]), f"run {run}"
        emulator.clear_log()
        sync(ds)
        assert mutations(emulator) == [], f"run {run}"


def test_the_emulator_checks_and_dumps_links_as_invenio_does(ds: Dataset, emulator: Emulator) -> None:
    record_id = outputs_of(sync(ds, "--json"))["record-id"]
    path = f"/records/{record_id}/access/links"
    when = "2027-01-01T00:00:00Z"  # marshmallow's Date field takes YYYY-MM-DD only
    refused = api(emulator, "POST", path, json={"permission": "preview", "expires_at": when}).json()
    assert refused["errors"] == [{"field": "expires_at", "messages": ["Not a valid date."]}]
    unknown = api(emulator, "POST", path, json={"permission": "preview", "token": "mine"}).json()
    assert unknown["errors"] == [{"field": "token", "messages": ["Unknown field."]}]
    made = api(emulator, "POST", path, json={"permission": "view"}).json()
    assert set(made) == {"id", "created_at", "permission", "description", "token"}  # no origin, no date
