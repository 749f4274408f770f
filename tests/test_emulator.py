"""The emulator against the contract in invenio-rdm-api.md, driven with raw `requests` over 127.0.0.1.

Raw HTTP is right here: this tests the emulator itself, trap by trap, so that a client that is wrong for
Zenodo fails against it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from zsync.emulator import Emulator, Faults, RateLimit

VND_ACCEPT = "application/vnd.inveniordm.v1+json, application/json;q=0.9, */*;q=0.8"
METADATA: dict[str, Any] = {
    "resource_type": {"id": "dataset"},
    "title": "A dataset for tests",
    "publication_date": "2026-01-15",
    "version": "1.0.0",
    "creators": [
        {
            "person_or_org": {
                "type": "personal",
                "family_name": "Doe",
                "given_name": "Jane",
                "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}],
            },
            "affiliations": [{"id": "00cv9y106"}, {"name": "Some Lab"}],
        },
        {"person_or_org": {"type": "organizational", "name": "ACME Consortium"}},
    ],
    "rights": [{"id": "cc-by-4.0"}],
    "description": "<p>Hello <script>alert(1)</script><b onclick='x()'>world</b></p>",
}
DOCUMENT: dict[str, Any] = {
    "metadata": METADATA,
    "access": {"record": "public", "files": "public"},
    "files": {"enabled": True},
    "custom_fields": {"code:codeRepository": "https://github.com/example/repo"},
}


@pytest.fixture
def api(emulator_token: str) -> Iterator[requests.Session]:
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {emulator_token}", "Accept": VND_ACCEPT, "User-Agent": "zsync-tests/1"}
    )
    yield session
    session.close()


def create_draft(api: requests.Session, emu: Emulator, document: dict[str, Any] = DOCUMENT) -> str:
    response = api.post(f"{emu.url}/records", json=document)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def file_url(emu: Emulator, rid: str, key: str) -> str:
    return f"{emu.url}/records/{rid}/draft/files/{quote(key, safe='')}"


def upload(api: requests.Session, emu: Emulator, rid: str, key: str, data: bytes) -> dict[str, Any]:
    """init + content + commit; returns the committed entry."""
    assert api.post(f"{emu.url}/records/{rid}/draft/files", json=[{"key": key}]).status_code == 201
    put = api.put(
        f"{file_url(emu, rid, key)}/content", data=data, headers={"Content-Type": "application/octet-stream"}
    )
    assert put.status_code == 200, put.text
    commit = api.post(f"{file_url(emu, rid, key)}/commit")
    assert commit.status_code == 200, commit.text
    return dict(commit.json())


def published(api: requests.Session, emu: Emulator, files: dict[str, bytes] | None = None) -> str:
    rid = create_draft(api, emu)
    for key, data in (files or {"data.csv": b"a,b\n1,2\n"}).items():
        upload(api, emu, rid, key, data)
    response = api.post(f"{emu.url}/records/{rid}/draft/actions/publish")
    assert response.status_code == 202, response.text
    return rid


# ----------------------------------------------------------------------------- headers and negotiation


def test_plain_json_accept_gets_the_legacy_shape(api: requests.Session, emulator: Emulator) -> None:
    rid = published(api, emulator)
    for accept in ("application/json", "*/*"):
        legacy = api.get(f"{emulator.url}/records/{rid}", headers={"Accept": accept})
        assert legacy.status_code == 200
        doc = legacy.json()
        assert isinstance(doc["id"], int)
        assert isinstance(doc["files"], list)
        assert doc["files"][0]["checksum"] == hashlib.md5(b"a,b\n1,2\n").hexdigest()  # no "md5:" prefix
        assert "parent" not in doc
        assert "is_published" not in doc
        assert "errors" not in doc
    rdm = api.get(f"{emulator.url}/records/{rid}")
    assert rdm.headers["Content-Type"] == "application/vnd.inveniordm.v1+json"
    doc = rdm.json()
    assert doc["id"] == rid
    assert isinstance(doc["files"]["entries"], dict)
    assert "ui" in doc
    assert doc["is_published"] is True
    created = api.post(f"{emulator.url}/records", json=DOCUMENT, headers={"Accept": "application/json"})
    assert "errors" not in created.json()
    assert isinstance(created.json()["id"], int)


def test_published_files_serve_only_application_json(api: requests.Session, emulator: Emulator) -> None:
    rid = published(api, emulator)
    only_vnd = api.get(
        f"{emulator.url}/records/{rid}/files", headers={"Accept": "application/vnd.inveniordm.v1+json"}
    )
    assert only_vnd.status_code == 406
    listing = api.get(f"{emulator.url}/records/{rid}/files")  # the vnd header with its json fallback
    assert listing.status_code == 200
    assert listing.headers["Content-Type"] == "application/json"
    assert [e["key"] for e in listing.json()["entries"]] == ["data.csv"]
    assert api.get(f"{emulator.url}/records/{rid}", headers={"Accept": "text/html"}).status_code == 406


def test_json_body_needs_exactly_application_json(api: requests.Session, emulator: Emulator) -> None:
    body = json.dumps(DOCUMENT).encode()
    for content_type in ("application/json; charset=utf-8", "text/plain"):
        response = api.post(f"{emulator.url}/records", data=body, headers={"Content-Type": content_type})
        assert response.status_code == 415
        assert response.json()["status"] == 415
    assert emulator.drafts == {}
    assert api.post(f"{emulator.url}/records", data=body, headers={"Content-Type": "application/json"}).ok


def test_missing_wrong_or_query_token_is_403_and_flagged(emulator: Emulator, emulator_token: str) -> None:
    url = f"{emulator.url}/records"
    assert requests.post(url, json=DOCUMENT).status_code == 403
    wrong = requests.post(url, json=DOCUMENT, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert wrong.json() == {"status": 403, "message": "Permission denied."}
    in_query = requests.post(url, params={"access_token": emulator_token}, json=DOCUMENT)
    assert in_query.status_code == 403
    assert emulator.drafts == {}
    last = emulator.request_log[-1]
    assert "token_in_query" in last.violations
    assert not last.authenticated
    assert emulator_token not in repr(emulator.request_log)
    assert "default_user_agent" in last.violations  # python-requests' own User-Agent


# ----------------------------------------------------------------------------- drafts and validation


def test_draft_save_keeps_partial_data_and_lists_errors(api: requests.Session, emulator: Emulator) -> None:
    response = api.post(f"{emulator.url}/records", json={"metadata": {"title": "ab", "version": "1"}})
    assert response.status_code == 201
    doc = response.json()
    fields = {e["field"] for e in doc["errors"]}
    assert {"metadata.title", "metadata.resource_type", "metadata.creators", "access"} <= fields
    assert "title" not in doc["metadata"]  # an invalid value is not kept, as on Zenodo
    assert doc["metadata"]["version"] == "1"
    assert doc["status"] == "draft"
    assert doc["is_published"] is False
    assert doc["pids"] == {}  # no DOI until one is reserved or the draft is published
    reserved = api.post(f"{emulator.url}/records/{doc['id']}/draft/pids/doi")
    assert reserved.status_code == 201
    assert reserved.json()["pids"]["doi"]["identifier"] == f"10.5072/zenodo.{doc['id']}"
    again = api.post(f"{emulator.url}/records/{doc['id']}/draft/pids/doi")
    assert again.status_code == 400  # a second reservation is refused, as InvenioRDM does
    assert response.headers["ETag"] == f'"{doc["revision_id"]}"'


def test_server_fills_names_and_sanitises_html(api: requests.Session, emulator: Emulator) -> None:
    doc = api.post(f"{emulator.url}/records", json=DOCUMENT).json()
    assert doc["errors"] == []
    assert doc["metadata"]["creators"][0]["person_or_org"]["name"] == "Doe, Jane"
    assert doc["metadata"]["description"] == "<p>Hello <b>world</b></p>"


def test_metadata_extras_and_custom_fields_are_checked_and_stored_as_invenio_does(
    api: requests.Session, emulator: Emulator
) -> None:
    extras = {
        **METADATA,
        "languages": [{"id": "eng"}],
        "dates": [{"date": "2024-13-01", "type": {"id": "collected"}}, {"date": "2020/2021"}],
        "contributors": [{"person_or_org": {"type": "personal", "family_name": "Roe"}}],
        "additional_descriptions": [{"description": "ab", "type": {"id": "notes"}}],
        "references": [{"reference": "Doe (2024)"}],
    }
    custom = {
        "code:programmingLanguage": [{"id": "python"}],
        "journal:journal": {"title": "J", "colour": "red"},
        "thesis:university": "Ghent",  # inside thesis:thesis since 2024: refused
        "dwc:family": ["Felidae"],
    }
    doc = api.post(
        f"{emulator.url}/records", json={**DOCUMENT, "metadata": extras, "custom_fields": custom}
    ).json()
    fields = {e["field"] for e in doc["errors"]}
    assert {
        "metadata.dates.0.date",
        "metadata.dates.1.type",
        "metadata.contributors.0.role",  # ContributorSchema: role is required
        "metadata.additional_descriptions.0.description",  # at least 3 characters
        "custom_fields.journal:journal.colour",
        "custom_fields.thesis:university",
    } <= fields
    # The server answers vocabulary references with their titles.
    assert doc["metadata"]["languages"] == [{"id": "eng", "title": {"en": "eng"}}]
    assert doc["custom_fields"]["code:programmingLanguage"] == [{"id": "python", "title": {"en": "python"}}]
    assert doc["custom_fields"]["dwc:family"] == ["Felidae"]
    assert doc["metadata"]["references"] == [{"reference": "Doe (2024)"}]


def test_unknown_vocabulary_id_rejects_the_whole_save(
    api: requests.Session, emulator: Emulator, emulator_token: str, tmp_path: Path
) -> None:
    rid = create_draft(api, emulator)
    bad = {**DOCUMENT, "metadata": {**METADATA, "title": "Changed", "rights": [{"id": "Not A Licence"}]}}
    response = api.put(f"{emulator.url}/records/{rid}/draft", json=bad)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "metadata.rights.0.id"
    assert emulator.drafts[rid]["metadata"]["title"] == METADATA["title"]
    # With a vocabulary directory, a plausible but unknown id is refused too.
    (tmp_path / "licenses.json").write_text(json.dumps({"cc-by-4.0": {}}))
    with Emulator(tokens=(emulator_token,), vocab_dir=tmp_path) as strict:
        unknown = {**DOCUMENT, "metadata": {**METADATA, "rights": [{"id": "apache-2.0"}]}}
        assert api.post(f"{strict.url}/records", json=unknown).status_code == 400
        assert api.post(f"{strict.url}/records", json=DOCUMENT).status_code == 201
        assert len(strict.drafts) == 1


def test_put_replaces_metadata_and_custom_fields_but_access_only_if_sent(
    api: requests.Session, emulator: Emulator
) -> None:
    rid = create_draft(api, emulator, {**DOCUMENT, "access": {"record": "public", "files": "restricted"}})
    response = api.put(f"{emulator.url}/records/{rid}/draft", json={"metadata": {"title": "Only a title"}})
    assert response.status_code == 200
    doc = response.json()
    assert doc["metadata"] == {"title": "Only a title"}
    assert doc["custom_fields"] == {}
    assert doc["access"]["files"] == "restricted"
    assert {"metadata.creators", "metadata.resource_type"} <= {e["field"] for e in doc["errors"]}
    emptied = api.put(f"{emulator.url}/records/{rid}/draft", json={}).json()
    assert emptied["metadata"] == {}


def test_if_match_is_honoured_on_put_and_delete(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    etag = api.get(f"{emulator.url}/records/{rid}/draft").headers["ETag"]
    assert api.put(f"{emulator.url}/records/{rid}/draft", json=DOCUMENT, headers={"If-Match": etag}).ok
    stale = api.put(f"{emulator.url}/records/{rid}/draft", json=DOCUMENT, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert api.delete(f"{emulator.url}/records/{rid}/draft", headers={"If-Match": etag}).status_code == 412
    fresh = api.get(f"{emulator.url}/records/{rid}/draft").headers["ETag"]
    assert fresh != etag
    assert api.delete(f"{emulator.url}/records/{rid}/draft", headers={"If-Match": fresh}).status_code == 204
    assert api.get(f"{emulator.url}/records/{rid}/draft").status_code == 404


def test_never_published_draft_is_not_registered(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    response = api.get(f"{emulator.url}/records/{rid}")
    assert response.status_code == 404
    assert response.json()["message"] == "The persistent identifier is not registered."
    assert api.get(f"{emulator.url}/records/999999999").json()["message"] == (
        "The persistent identifier does not exist."
    )


# ----------------------------------------------------------------------------- files


def test_file_lifecycle_with_unicode_and_space_keys(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    key = "données finales v2.csv"
    data = "é,ß\n".encode() * 1000
    init = api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": key, "size": 1}])
    assert init.json()["entries"][0] == {**init.json()["entries"][0], "status": "pending", "size": 1}
    put = api.put(
        f"{file_url(emulator, rid, key)}/content",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert put.json()["status"] == "pending"
    assert "checksum" not in put.json()
    committed = api.post(f"{file_url(emulator, rid, key)}/commit").json()
    assert committed["status"] == "completed"
    assert committed["checksum"] == "md5:" + hashlib.md5(data).hexdigest()
    assert committed["size"] == len(data)  # the server's own size, not the declared 1
    listing = api.get(f"{emulator.url}/records/{rid}/draft/files").json()
    assert isinstance(listing["entries"], list)
    assert listing["entries"][0]["key"] == key
    stored = emulator.draft_files(rid)[key]
    assert stored.path is not None
    assert stored.path.read_bytes() == data
    assert api.get(f"{file_url(emulator, rid, key)}/content").content == data
    assert api.delete(file_url(emulator, rid, key)).status_code == 204
    assert emulator.draft_files(rid) == {}
    assert not stored.path.exists()


def test_init_refuses_existing_key_and_more_than_100_files(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    url = f"{emulator.url}/records/{rid}/draft/files"
    assert api.post(url, json=[{"key": "a.csv"}]).status_code == 201
    again = api.post(url, json=[{"key": "a.csv"}])
    assert again.status_code == 400
    assert "already exists" in again.json()["message"]
    too_many = api.post(url, json=[{"key": f"f{i}.txt"} for i in range(100)])
    assert too_many.status_code == 400
    assert api.post(url, json=[{"key": f"f{i}.txt"} for i in range(99)]).status_code == 201
    assert len(emulator.draft_files(rid)) == 100


def test_zero_bytes_and_commit_without_content(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "empty.txt"}])
    empty = api.put(
        f"{file_url(emulator, rid, 'empty.txt')}/content",
        data=b"",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert empty.status_code == 400
    assert empty.json()["message"] == "Empty files are not accepted."
    assert api.post(f"{file_url(emulator, rid, 'empty.txt')}/commit").status_code == 500
    assert emulator.draft_files(rid)["empty.txt"].status == "pending"


def test_broken_stream_deletes_the_entry_and_answers_200_with_errors(
    api: requests.Session, emulator: Emulator, emulator_token: str
) -> None:
    rid = create_draft(api, emulator)
    api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "big.bin"}])
    path = f"/api/records/{rid}/draft/files/big.bin/content"
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {emulator_token}\r\n"
            "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
        )
        sock.sendall(head.encode() + b"x" * 400)
        sock.shutdown(socket.SHUT_WR)  # the stream breaks after 400 of 1000 bytes
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    status_line, _, rest = raw.partition(b"\r\n")
    assert status_line.split()[1] == b"200"
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["errors"]
    assert "big.bin" not in emulator.draft_files(rid)


def _stream_started(
    emu: Emulator, rid: str, key: str, token: str, length: int, first: bytes
) -> socket.socket:
    """A raw content PUT of `length` bytes that has sent only `first`, once the emulator has begun
    receiving it (its temporary file exists)."""
    before = set((emu.data_dir / "blobs").glob("*.part"))
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
    head = (
        f"PUT /api/records/{rid}/draft/files/{key}/content HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode() + first)
    deadline = time.monotonic() + 10
    while set((emu.data_dir / "blobs").glob("*.part")) == before:
        assert time.monotonic() < deadline, "the emulator never began receiving the content"
        time.sleep(0.005)
    return sock


def _reply_status(sock: socket.socket) -> int:
    raw = b""
    while chunk := sock.recv(65536):
        raw += chunk
    sock.close()
    return int(raw.partition(b"\r\n")[0].split()[1])


def _replace(api: requests.Session, emu: Emulator, rid: str, key: str, data: bytes) -> int:
    """Delete the entry, upload `data` under the same key; the draft's revision after it."""
    assert api.delete(file_url(emu, rid, key)).status_code == 204
    upload(api, emu, rid, key, data)
    return int(api.get(f"{emu.url}/records/{rid}/draft").json()["revision_id"])


def test_a_broken_upload_noticed_late_leaves_the_key_s_new_entry_alone(
    api: requests.Session, emulator: Emulator, emulator_token: str
) -> None:
    """A killed run's upload whose break the server notices only after the next run replaced the file
    (the soak test met it): the broken request deletes its own entry, not the new one, and does not
    touch the draft (the next run's metadata save, sent with If-Match, would fail)."""
    rid = create_draft(api, emulator)
    api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "big.bin"}])
    sock = _stream_started(emulator, rid, "big.bin", emulator_token, 1000, b"x" * 400)
    revision = _replace(api, emulator, rid, "big.bin", b"new content")
    sock.shutdown(socket.SHUT_WR)  # now the old stream breaks
    assert _reply_status(sock) == 200
    stored = emulator.draft_files(rid)["big.bin"]
    assert (stored.status, stored.md5) == ("completed", hashlib.md5(b"new content").hexdigest())
    assert api.get(f"{emulator.url}/records/{rid}/draft").json()["revision_id"] == revision


def test_an_upload_finishing_after_its_entry_was_replaced_does_not_write_into_the_new_one(
    api: requests.Session, emulator: Emulator, emulator_token: str
) -> None:
    rid = create_draft(api, emulator)
    api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "big.bin"}])
    sock = _stream_started(emulator, rid, "big.bin", emulator_token, 1000, b"x" * 400)
    revision = _replace(api, emulator, rid, "big.bin", b"new content")
    sock.sendall(b"x" * 600)
    assert _reply_status(sock) == 500
    stored = emulator.draft_files(rid)["big.bin"]
    assert (stored.status, stored.md5) == ("completed", hashlib.md5(b"new content").hexdigest())
    assert api.get(f"{emulator.url}/records/{rid}/draft").json()["revision_id"] == revision
    assert not list((emulator.data_dir / "blobs").glob("*.part"))


def test_content_upload_to_an_edit_draft_is_locked(api: requests.Session, emulator: Emulator) -> None:
    rid = published(api, emulator)
    edit = api.post(f"{emulator.url}/records/{rid}/draft")
    assert edit.status_code == 201
    assert edit.json()["is_published"] is True
    locked = api.put(
        f"{file_url(emulator, rid, 'data.csv')}/content",
        data=b"new",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert locked.status_code == 403
    assert locked.json()["message"] == "Bucket is locked for modifications."
    assert api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "x.txt"}]).status_code == 403


def test_files_import_links_previous_files_and_refuses_when_files_exist(
    api: requests.Session, emulator: Emulator
) -> None:
    rid = published(api, emulator, {"a.csv": b"first", "b.csv": b"second"})
    new_id = api.post(f"{emulator.url}/records/{rid}/versions").json()["id"]
    emulator.clear_log()
    imported = api.post(f"{emulator.url}/records/{new_id}/draft/actions/files-import")
    assert imported.status_code == 201
    entries = {e["key"]: e for e in imported.json()["entries"]}
    assert entries["a.csv"]["checksum"] == "md5:" + hashlib.md5(b"first").hexdigest()
    assert entries["a.csv"]["status"] == "completed"
    assert not [e for e in emulator.request_log if e.path.endswith("/content")]  # nothing re-uploaded
    assert emulator.draft_files(new_id)["a.csv"].path == emulator.record_files(rid)["a.csv"].path
    again = api.post(f"{emulator.url}/records/{new_id}/draft/actions/files-import")
    assert again.status_code == 400
    assert again.json()["message"] == "Please remove all files first."
    # Replacing one imported file leaves the published version's copy intact.
    assert api.delete(file_url(emulator, new_id, "a.csv")).status_code == 204
    assert emulator.record_files(rid)["a.csv"].path.read_bytes() == b"first"  # type: ignore[union-attr]


def test_streaming_200_mb_does_not_hold_the_file_in_memory(api: requests.Session, emulator: Emulator) -> None:
    size = 200 * 1024 * 1024

    class Zeros:
        """A 200 MB body made on the fly, so the only big buffers would be the emulator's."""

        def __init__(self) -> None:
            self.left = size

        def __len__(self) -> int:
            return self.left

        def read(self, n: int = -1) -> bytes:
            n = self.left if n < 0 else min(n, self.left)
            self.left -= n
            return bytes(n)

    rid = create_draft(api, emulator)
    api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "zeros.bin"}])
    tracemalloc.start()
    try:
        put = api.put(
            f"{file_url(emulator, rid, 'zeros.bin')}/content",
            data=Zeros(),
            headers={"Content-Type": "application/octet-stream"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert put.status_code == 200, put.text
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB while streaming 200 MiB"
    assert emulator.request_log[-1].body_bytes == size
    committed = api.post(f"{file_url(emulator, rid, 'zeros.bin')}/commit").json()
    assert committed["size"] == size


# ----------------------------------------------------------------------------- publish and versions


def test_publish_needs_valid_metadata_and_committed_files(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    no_files = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish")
    assert no_files.status_code == 400
    assert no_files.json()["errors"][0]["field"] == "files.enabled"
    api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "pending.txt"}])
    pending = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish")
    assert pending.status_code == 400
    assert pending.json()["errors"][0]["field"] == "files.entries"
    api.delete(file_url(emulator, rid, "pending.txt"))
    upload(api, emulator, rid, "data.csv", b"1,2\n")
    api.put(f"{emulator.url}/records/{rid}/draft", json={**DOCUMENT, "metadata": {"title": "x"}})
    invalid = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish")
    assert invalid.status_code == 400
    assert {"metadata.title", "metadata.creators"} <= {e["field"] for e in invalid.json()["errors"]}
    api.put(f"{emulator.url}/records/{rid}/draft", json=DOCUMENT)
    ok = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish")
    assert ok.status_code == 202
    record = ok.json()
    assert record["is_published"] is True
    assert record["status"] == "published"
    assert record["pids"]["doi"]["identifier"] == f"10.5072/zenodo.{rid}"
    assert record["parent"]["pids"]["doi"]["identifier"] == f"10.5072/zenodo.{record['parent']['id']}"
    assert record["versions"]["index"] == 1
    assert api.get(f"{emulator.url}/records/{rid}/draft").status_code == 404


def test_new_version_drops_version_resets_date_and_is_idempotent(
    api: requests.Session, emulator: Emulator
) -> None:
    rid = published(api, emulator)
    first = api.post(f"{emulator.url}/records/{rid}/versions")
    assert first.status_code == 201
    draft = first.json()
    assert draft["id"] != rid
    assert draft["parent"]["id"] == emulator.records[rid]["parent"]["id"]
    assert "version" not in draft["metadata"]
    assert draft["metadata"]["publication_date"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert draft["metadata"]["title"] == METADATA["title"]
    assert draft["custom_fields"] == DOCUMENT["custom_fields"]
    assert draft["files"]["entries"] == {}
    assert draft["status"] == "new_version_draft"
    assert draft["versions"]["index"] == 2
    assert api.post(f"{emulator.url}/records/{rid}/versions").json()["id"] == draft["id"]


def test_versions_and_latest_redirect(api: requests.Session, emulator: Emulator) -> None:
    rid = published(api, emulator)
    new_id = api.post(f"{emulator.url}/records/{rid}/versions").json()["id"]
    api.post(f"{emulator.url}/records/{new_id}/draft/actions/files-import")
    api.put(f"{emulator.url}/records/{new_id}/draft", json=DOCUMENT)
    assert api.post(f"{emulator.url}/records/{new_id}/draft/actions/publish").status_code == 202
    parent_id = emulator.records[rid]["parent"]["id"]
    for some_id in (rid, parent_id):
        latest = api.get(f"{emulator.url}/records/{some_id}/versions/latest", allow_redirects=False)
        assert latest.status_code == 301
        assert latest.headers["Location"] == f"{emulator.url}/records/{new_id}"
    hits = api.get(f"{emulator.url}/records/{rid}/versions").json()["hits"]
    assert hits["total"] == 2
    assert [h["id"] for h in hits["hits"]] == [new_id, rid]


def test_edit_draft_updates_metadata_keeps_files_and_date(api: requests.Session, emulator: Emulator) -> None:
    rid = published(api, emulator)
    edit = api.post(f"{emulator.url}/records/{rid}/draft").json()
    assert api.post(f"{emulator.url}/records/{rid}/draft").json()["id"] == edit["id"]  # returns the open one
    changed = {**DOCUMENT, "metadata": {**METADATA, "title": "A better title"}}
    api.put(f"{emulator.url}/records/{rid}/draft", json=changed)
    record = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish").json()
    assert record["metadata"]["title"] == "A better title"
    assert record["metadata"]["publication_date"] == METADATA["publication_date"]
    assert list(record["files"]["entries"]) == ["data.csv"]
    api.post(f"{emulator.url}/records/{rid}/draft")
    assert api.delete(f"{emulator.url}/records/{rid}/draft").status_code == 204
    assert api.get(f"{emulator.url}/records/{rid}").json()["metadata"]["title"] == "A better title"


def test_deleted_record_is_410_and_external_doi_cannot_be_versioned(
    api: requests.Session, emulator: Emulator
) -> None:
    rid = published(api, emulator)
    other = published(api, emulator)
    emulator.mark_external_doi(other)
    assert api.post(f"{emulator.url}/records/{other}/versions").status_code == 403
    emulator.delete_record(rid)
    gone = api.get(f"{emulator.url}/records/{rid}")
    assert gone.status_code == 410
    assert gone.json()["tombstone"]["removal_reason"] == {"id": "spam"}


class FakeClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_user_records_is_eventually_consistent(api: requests.Session, emulator_token: str) -> None:
    clock = FakeClock()
    with Emulator(tokens=(emulator_token,), index_delay_s=0.5, clock=clock) as emu:

        def listed() -> list[str]:
            return [h["id"] for h in api.get(f"{emu.url}/user/records").json()["hits"]["hits"]]

        rid = create_draft(api, emu)
        assert rid not in listed()
        clock.now += 0.4
        assert rid not in listed()
        clock.now += 0.1
        assert listed() == [rid]
        assert requests.get(f"{emu.url}/user/records").status_code == 403


# ----------------------------------------------------------------------------- faults, rate limit, log


def test_rate_limit_headers_and_enforcement(api: requests.Session, emulator: Emulator) -> None:
    response = api.get(f"{emulator.url}/user/records")
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert int(response.headers["X-RateLimit-Remaining"]) == 99
    assert int(response.headers["X-RateLimit-Reset"]) >= time.time()
    emulator.rate_limit = RateLimit(limit=3, window_s=60.0, enforce=True)
    statuses = [api.get(f"{emulator.url}/user/records").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get(f"{emulator.url}/user/records")
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert api.get(f"{emulator.url}/records/1/draft").status_code == 429  # every API route counts
    assert requests.get(f"{emulator.url}/_emulator/faults").status_code == 200  # admin routes do not


def test_publish_504_after_success_really_published(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    upload(api, emulator, rid, "data.csv", b"x")
    emulator.faults = Faults(p_publish_504_after_success=1.0)
    response = api.post(f"{emulator.url}/records/{rid}/draft/actions/publish")
    assert response.status_code == 504
    assert emulator.request_log[-1].fault == "publish_504_after_success"
    emulator.faults = Faults()
    assert api.get(f"{emulator.url}/records/{rid}").json()["is_published"] is True


def test_reset_mid_upload_leaves_no_completed_entry(api: requests.Session, emulator: Emulator) -> None:
    rid = create_draft(api, emulator)
    api.post(f"{emulator.url}/records/{rid}/draft/files", json=[{"key": "data.bin"}])
    emulator.faults = Faults(p_reset_upload=1.0)
    data = os.urandom(4 * 1024 * 1024)
    with pytest.raises(requests.ConnectionError):
        api.put(
            f"{file_url(emulator, rid, 'data.bin')}/content",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
    entry = emulator.request_log[-1]
    assert entry.fault == "reset_upload"
    assert entry.status == 0
    assert 0 < entry.body_bytes < len(data)  # reset mid-stream, after part of the body
    assert "data.bin" not in emulator.draft_files(rid)


def test_injected_faults_are_logged_and_reproducible(emulator_token: str) -> None:
    def run(seed: int) -> list[int]:
        with Emulator(tokens=(emulator_token,)) as emu:
            emu.faults = Faults(p_500=0.2, p_502=0.2, p_503=0.2, seed=seed)
            headers = {"Authorization": f"Bearer {emulator_token}", "Accept": VND_ACCEPT}
            statuses = [
                requests.get(f"{emu.url}/user/records", headers=headers).status_code for _ in range(30)
            ]
            assert all((e.fault is None) == (e.status == 200) for e in emu.request_log)
            assert {e.fault for e in emu.request_log} - {None} <= {"500", "502", "503"}
            return statuses

    first = run(7)
    assert first == run(7)
    assert {500, 502, 503, 200} <= set(first)


def test_injected_429_has_retry_after(api: requests.Session, emulator: Emulator) -> None:
    emulator.faults = Faults(p_429=1.0, retry_after_s=2.0)
    response = api.post(f"{emulator.url}/records", json=DOCUMENT)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2.0"
    assert emulator.drafts == {}  # a faulted request does not take effect
    assert [e.fault for e in emulator.mutating_requests()] == ["429"]


# ----------------------------------------------------------------------------- persistence, admin HTTP, CLI


def test_data_dir_keeps_records_across_restarts(tmp_path: Path, emulator_token: str) -> None:
    headers = {"Authorization": f"Bearer {emulator_token}", "Accept": VND_ACCEPT}
    with Emulator(tokens=(emulator_token,), data_dir=tmp_path) as emu:
        session = requests.Session()
        session.headers.update(headers)
        rid = published(session, emu)
    with Emulator(tokens=(emulator_token,), data_dir=tmp_path) as emu:
        record = requests.get(f"{emu.url}/records/{rid}", headers=headers)
        assert record.status_code == 200
        content = requests.get(f"{emu.url}/records/{rid}/files/data.csv/content", headers=headers)
        assert content.content == b"a,b\n1,2\n"
        assert int(create_draft_id(emu, headers)) > int(rid)  # ids keep counting


def create_draft_id(emu: Emulator, headers: dict[str, str]) -> str:
    return str(requests.post(f"{emu.url}/records", json=DOCUMENT, headers=headers).json()["id"])


def test_cli_serves_until_terminated_and_admin_routes_drive_it(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "zsync.emulator", "--port", "0", "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/api")
        assert proc.stdout.readline().strip() == "token: emulator-token"
        headers = {"Authorization": "Bearer emulator-token", "Accept": VND_ACCEPT}
        session = requests.Session()
        session.headers.update(headers)
        rid = create_draft_id_at(url, session)
        upload_at(url, session, rid)
        publish = requests.post(f"{url}/_emulator/records/{rid}/publish")
        assert publish.status_code == 200
        assert publish.json()["is_published"] is True
        log = requests.get(f"{url}/_emulator/log").json()
        assert [e["method"] for e in log] == ["POST", "POST", "PUT", "POST"]
        assert requests.put(f"{url}/_emulator/faults", json={"p_503": 1.0}).json()["p_503"] == 1.0
        assert session.get(f"{url}/records/{rid}").status_code == 503
        assert requests.get(f"{url}/_emulator/state").status_code == 200  # admin routes are never faulted
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def create_draft_id_at(url: str, session: requests.Session) -> str:
    return str(session.post(f"{url}/records", json=DOCUMENT).json()["id"])


def upload_at(url: str, session: requests.Session, rid: str) -> None:
    session.post(f"{url}/records/{rid}/draft/files", json=[{"key": "a.txt"}])
    session.put(
        f"{url}/records/{rid}/draft/files/a.txt/content",
        data=b"abc",
        headers={"Content-Type": "application/octet-stream"},
    )
    session.post(f"{url}/records/{rid}/draft/files/a.txt/commit")
