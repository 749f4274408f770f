"""The request payloads zsync sends (reviews, inclusions, removals, share links) against the
marshmallow schemas InvenioRDM loads them with (tests/request_schema_check.py, run with the
interpreter of ../shared/tools/invenio-schema-check). The payloads are the ones the real `zsync`
command sent to the emulator, as its request log kept them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_invenio_schema import _checker, _checker_python
from test_sync_e2e import make_dataset, shape, sync

from zsync.emulator import Emulator

CHECK = Path(__file__).parent / "request_schema_check.py"
ROUTES = {
    "PUT /records/{id}/draft/review",
    "POST /records/{id}/draft/actions/submit-review",
    "POST /records/{id}/communities",
    "DELETE /records/{id}/communities",
    "POST /records/{id}/access/links",
}


def _sent(emulator: Emulator) -> list[dict[str, object]]:
    found = []
    for entry in emulator.request_log:
        route = f"{entry.method} {shape(entry.path)}"
        if route in ROUTES and entry.json_body is not None:
            found.append({"route": route, "body": entry.json_body})
    return found


def _run(tmp_path: Path, payloads: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "payloads.jsonl"
    out.write_text("".join(json.dumps(p) + "\n" for p in payloads), encoding="utf-8")
    python = _checker_python(_checker())
    return subprocess.run([str(python), str(CHECK), str(out)], capture_output=True, text=True, timeout=600)


@pytest.mark.schema
def test_every_request_payload_passes_invenio_schemas(tmp_path: Path, emulator: Emulator) -> None:
    emulator.add_community("ecology")
    emulator.add_community("oceans")
    ds = make_dataset(tmp_path / "dataset", emulator.url, n_files=1)
    ds.set("communities", ["ecology"])
    ds.set("review", "submit")
    ds.set("share", {"permission": "preview", "expires": "30d"})
    sync(ds)  # the review set and submitted, the share link created
    (review,) = emulator.requests
    emulator.curate(str(review["id"]), "accept")
    ds.set("communities", ["oceans"])
    ds.set("communities_remove", True)
    sync(ds)  # an inclusion request for oceans, ecology removed
    payloads = _sent(emulator)
    assert {p["route"] for p in payloads} == ROUTES

    result = _run(tmp_path, payloads)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(payloads)} payloads checked, 0 invalid" in result.stdout


@pytest.mark.schema
def test_the_check_refuses_what_invenio_refuses(tmp_path: Path) -> None:
    """The check above means something: bodies InvenioRDM would refuse are reported."""
    links, review = "POST /records/{id}/access/links", "POST /records/{id}/draft/actions/submit-review"
    bad = [
        {"route": links, "body": {"permission": "preview", "expires_at": "2027-01-01T00:00:00Z"}},
        {"route": links, "body": {"permission": "share", "origin": "zsync", "token": "x"}},
        {"route": "POST /records/{id}/communities", "body": {"communities": []}},
        {"route": review, "body": {"payload": {"content": "x", "format": "md"}}},
        {"route": "PUT /records/{id}/draft/review", "body": {"receiver": {"community": "c"}, "type": "x"}},
    ]
    result = _run(tmp_path, bad)
    assert result.returncode == 1
    assert "5 payloads checked, 5 invalid" in result.stdout, result.stdout + result.stderr
    assert "expires_at: ['Not a valid date.']" in result.stdout
    assert "token: ['Unknown field.']" in result.stdout
