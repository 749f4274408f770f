"""The emulator's embargoes, driven with raw `requests`: EmbargoSchema's checks against the emulator's
clock, `access` serialised as InvenioRDM does (embargo and status), and Zenodo's daily lifting task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from test_emulator import DOCUMENT, VND_ACCEPT, create_draft, upload

from zsync.emulator import Emulator

FUTURE = "Embargo end date must be set to a future date."


@pytest.fixture
def api(emulator_token: str) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers.update({"Authorization": f"Bearer {emulator_token}", "Accept": VND_ACCEPT})
        yield session


def later(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def embargoed(until: str, active: bool | None = True) -> dict[str, Any]:
    embargo: dict[str, Any] = {"until": until, "reason": "Under review"}
    if active is not None:
        embargo["active"] = active
    return {**DOCUMENT, "access": {"record": "public", "files": "restricted", "embargo": embargo}}


def field_errors(response: requests.Response) -> dict[str, list[str]]:
    return {e["field"]: e["messages"] for e in response.json().get("errors", [])}


def test_an_embargo_is_stored_and_served_as_invenio_dumps_it(
    api: requests.Session, emulator: Emulator
) -> None:
    until = later(30)
    rid = create_draft(api, emulator, embargoed(until, active=None))  # active left out: from the date
    upload(api, emulator, rid, "data.csv", b"a\n1\n")
    access = api.get(f"{emulator.url}/records/{rid}/draft").json()["access"]
    assert access == {
        "record": "public",
        "files": "restricted",
        "embargo": {"active": True, "until": until, "reason": "Under review"},
        "status": "embargoed",
    }
    record = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish")
    assert record.status_code == 202 and record.json()["access"]["status"] == "embargoed"


def test_statuses_follow_record_access() -> None:
    from zsync.emulator.access import no_embargo, status

    public = {"record": "public", "files": "public", "embargo": no_embargo()}
    assert status(public, has_files=True) == "open"
    assert status(public, has_files=False) == "metadata-only"
    assert status({**public, "files": "restricted"}, has_files=True) == "restricted"


def test_active_in_the_past_and_inactive_in_the_future_are_refused(
    api: requests.Session, emulator: Emulator
) -> None:
    past = api.post(f"{emulator.url}/records", json=embargoed(later(-1)))
    assert past.status_code == 201  # a draft save keeps partial data and lists the problem
    assert field_errors(past)["access.embargo.until"] == [FUTURE]
    ahead = api.post(f"{emulator.url}/records", json=embargoed(later(5), active=False))
    assert field_errors(ahead)["access.embargo.until"] == ["Embargo end date must be unset or in the past."]
    lifted = api.post(f"{emulator.url}/records", json=embargoed(later(-1), active=False))
    assert "access.embargo.until" not in field_errors(lifted)
    odd = api.post(f"{emulator.url}/records", json=embargoed("soon"))
    assert field_errors(odd)["access.embargo.until"] == ["Not a valid date."]  # and no date check after it
    extra = embargoed(later(5))
    extra["access"] = {**extra["access"], "status": "embargoed", "foo": 1}  # status is dropped on load
    assert field_errors(api.post(f"{emulator.url}/records", json=extra)) == {"access.foo": ["Unknown field."]}


def test_the_clock_moves_the_date_publish_checks(api: requests.Session, emulator: Emulator) -> None:
    until = later(10)
    rid = create_draft(api, emulator, embargoed(until))
    upload(api, emulator, rid, "data.csv", b"a\n1\n")
    emulator.set_clock(f"{until}T00:05:00+00:00")
    refused = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish")
    assert refused.status_code == 400 and field_errors(refused)["access.embargo.until"] == [FUTURE]


def test_the_daily_task_lifts_records_and_their_unchanged_drafts(
    api: requests.Session, emulator: Emulator
) -> None:
    until = later(10)
    rid = create_draft(api, emulator, embargoed(until))
    upload(api, emulator, rid, "data.csv", b"a\n1\n")
    emulator.publish(rid)
    assert api.post(f"{emulator.url}/records/{rid}/draft").status_code == 201  # an edit draft, same access
    revision = api.get(f"{emulator.url}/records/{rid}").json()["revision_id"]

    emulator.set_clock(f"{dt.date.fromisoformat(until) - dt.timedelta(days=1)}T23:00:00+00:00")
    assert emulator.lift_embargoes() == []  # not yet
    clock = requests.put(
        f"{emulator.url}/_emulator/clock", json={"now": f"{until}T00:02:00+00:00"}, timeout=5
    )
    assert clock.json()["now"].startswith(f"{until}T00:02")
    assert (
        api.get(f"{emulator.url}/records/{rid}").json()["access"]["embargo"]["active"] is True
    )  # until it runs

    lifted = requests.post(f"{emulator.url}/_emulator/tasks/update_expired_embargos", json={}, timeout=5)
    assert lifted.json() == {"lifted": [rid]}
    record = api.get(f"{emulator.url}/records/{rid}").json()
    assert record["access"] == {
        "record": "public",
        "files": "public",
        "embargo": {"active": False, "until": until, "reason": "Under review"},
        "status": "open",
    }
    assert record["revision_id"] == revision + 1
    assert api.get(f"{emulator.url}/records/{rid}/draft").json()["access"]["files"] == "public"
    assert emulator.lift_embargoes() == []  # once


def test_a_bad_clock_is_a_400(emulator: Emulator) -> None:
    bad = requests.put(f"{emulator.url}/_emulator/clock", json={"now": "2027-07-01"}, timeout=5)
    assert bad.status_code == 400 and "UTC offset" in bad.json()["message"]
