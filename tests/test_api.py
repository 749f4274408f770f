"""The Zenodo client against the local emulator: real sockets on 127.0.0.1, real requests, real retries.

No test sleeps for a retry: the policy's `sleep` is a recorder, so the tests assert on the waits the
client asked for. Faults come from the emulator (seeded), never from patching requests.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from zsync._version import PROJECT_URL, __version__
from zsync.api import ACCEPT, RetryPolicy, ZenodoClient
from zsync.emulator import Emulator, Faults, LoggedRequest, RateLimit
from zsync.errors import (
    AuthError,
    BadRequestError,
    ConflictError,
    GoneError,
    NotFoundError,
    TransientError,
    UploadVerificationError,
)
from zsync.models import LocalFile

SECRET_WRONG_TOKEN = "wrong-secret-0123456789abcdef"


# --------------------------------------------------------------------------- helpers


class SleepRecorder:
    """The policy's sleep: records each requested wait and runs an optional hook instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.hook: Callable[[int], None] | None = None

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.hook is not None:
            self.hook(len(self.waits))


def document(title: str = "A dataset for the client tests", **metadata: Any) -> dict[str, Any]:
    return {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": {
            "resource_type": {"id": "dataset"},
            "title": title,
            "publication_date": "2026-11-25",
            "creators": [{"person_or_org": {"type": "personal", "family_name": "Doe", "given_name": "Jane"}}],
            "version": "1.0.0",
            **metadata,
        },
        "custom_fields": {},
    }


def make_file(folder: Path, key: str, content: bytes) -> LocalFile:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"f{hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()}"
    path.write_bytes(content)
    return LocalFile(key=key, path=path, size_bytes=len(content), md5=hashlib.md5(content).hexdigest())


def api_path(entry: LoggedRequest) -> str:
    return entry.path.removeprefix("/api")


def settled_log(emulator: Emulator, client: ZenodoClient, since: int = 0) -> list[LoggedRequest]:
    """The request log once it holds every request the client sent since `since` (its request_count
    when the log was cleared). The emulator logs a request just after answering it."""
    deadline = time.monotonic() + 5.0
    while len(emulator.request_log) < client.request_count - since and time.monotonic() < deadline:
        time.sleep(0.005)
    return emulator.request_log


def clear_log(emulator: Emulator, client: ZenodoClient) -> int:
    """Clear the emulator's log; returns the `since` for `settled_log`."""
    settled_log(emulator, client)
    emulator.clear_log()
    return client.request_count


def wait_for_log(
    emulator: Emulator, predicate: Callable[[LoggedRequest], bool], timeout_s: float = 5.0
) -> None:
    """Block until the emulator has finished (and logged) a request; used when an answer is lost."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(predicate(entry) for entry in emulator.request_log):
            return
        time.sleep(0.01)
    raise AssertionError("the emulator never finished the request")


@pytest.fixture
def sleeper() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client(emulator: Emulator, emulator_token: str, sleeper: SleepRecorder) -> Iterator[ZenodoClient]:
    with ZenodoClient(emulator.url, emulator_token, retry=RetryPolicy(sleep=sleeper)) as zenodo:
        yield zenodo


def published_record(client: ZenodoClient, tmp_path: Path, files: dict[str, bytes]) -> str:
    draft = client.create_draft(document())
    for key, content in files.items():
        client.upload_file(draft.id, make_file(tmp_path / "v1", key, content))
    return client.publish(draft.id).id


# --------------------------------------------------------------------------- every method


def test_draft_lifecycle_returns_typed_records(client: ZenodoClient, tmp_path: Path) -> None:
    draft = client.create_draft(document())
    assert draft.is_draft
    assert not draft.is_published
    assert draft.status == "draft"
    assert draft.metadata["title"] == "A dataset for the client tests"
    assert draft.access["record"] == "public"
    assert draft.parent_id is not None
    assert draft.parent_id != draft.id
    assert isinstance(draft.revision_id, int)
    assert draft.errors == ()
    assert "ui" not in draft.document

    same = client.get_draft(draft.id)
    assert same is not None
    assert same.id == draft.id
    assert same.revision_id == draft.revision_id

    updated = client.update_draft(draft.id, document("A renamed dataset"), if_match=draft.revision_id)
    assert updated.metadata["title"] == "A renamed dataset"
    assert updated.revision_id is not None
    assert updated.revision_id > (draft.revision_id or 0)

    local = make_file(tmp_path, "data.csv", b"a,b\n1,2\n")
    remote = client.upload_file(draft.id, local)
    assert (remote.key, remote.size_bytes, remote.md5, remote.status) == (
        "data.csv",
        8,
        local.md5,
        "completed",
    )

    record = client.publish(draft.id)
    assert record.is_published
    assert not record.is_draft
    assert record.status == "published"
    assert record.doi
    assert record.concept_doi
    assert record.doi != record.concept_doi
    assert record.html_url
    assert record.html_url.endswith(f"/records/{draft.id}")
    assert record.version_index == 1
    assert [(f.key, f.md5) for f in record.files] == [("data.csv", local.md5)]

    assert client.get_draft(draft.id) is None  # published without an open edit
    assert client.get_record(draft.id).metadata["title"] == "A renamed dataset"
    assert [(f.key, f.size_bytes, f.md5) for f in client.list_record_files(draft.id)] == [
        ("data.csv", 8, local.md5)
    ]
    assert client.latest_version_id(draft.id) == draft.id
    assert client.latest_version_id(record.parent_id or "") == draft.id


def test_partial_draft_carries_server_errors(client: ZenodoClient) -> None:
    body = document()
    del body["metadata"]["creators"]
    draft = client.create_draft(body)  # drafts accept partial data
    assert any(e.field.startswith("metadata.creators") for e in draft.errors)
    assert client.update_draft(draft.id, body).errors == draft.errors


def test_edit_draft_publish_and_discard(client: ZenodoClient, tmp_path: Path) -> None:
    record_id = published_record(client, tmp_path, {"a.txt": b"alpha"})
    edit = client.edit_draft(record_id)
    assert edit.id == record_id
    assert edit.is_draft
    assert edit.is_published
    assert client.edit_draft(record_id).revision_id == edit.revision_id  # the open one comes back
    client.update_draft(record_id, document("Edited title"), if_match=edit.revision_id)
    assert client.publish(record_id).metadata["title"] == "Edited title"

    client.edit_draft(record_id)
    client.discard_draft(record_id)
    assert client.get_draft(record_id) is None
    assert client.get_record(record_id).metadata["title"] == "Edited title"


def test_new_version_imports_files_and_becomes_latest(
    client: ZenodoClient, emulator: Emulator, tmp_path: Path
) -> None:
    first = published_record(client, tmp_path, {"a.txt": b"alpha", "b.txt": b"beta"})
    new = client.new_version(first)
    assert new.id != first
    assert new.is_draft
    assert not new.is_published
    assert new.parent_id == client.get_record(first).parent_id
    assert new.files == ()
    assert client.list_files(new.id) == ()
    assert client.new_version(first).id == new.id  # idempotent server-side

    imported = client.import_files(new.id)
    assert {(f.key, f.md5, f.status) for f in imported} == {
        ("a.txt", hashlib.md5(b"alpha").hexdigest(), "completed"),
        ("b.txt", hashlib.md5(b"beta").hexdigest(), "completed"),
    }
    assert set(client.list_files(new.id)) == set(imported)
    with pytest.raises(BadRequestError, match="remove all files"):
        client.import_files(new.id)

    client.delete_file(new.id, "b.txt")
    client.upload_file(new.id, make_file(tmp_path / "v2", "c.txt", b"gamma"))
    assert {f.key for f in client.list_files(new.id)} == {"a.txt", "c.txt"}
    assert client.latest_version_id(first) == first
    published = client.publish(new.id)
    assert published.version_index == 2
    assert client.latest_version_id(first) == new.id
    assert client.latest_version_id(published.parent_id or "") == new.id
    assert set(emulator.record_files(new.id)) == {"a.txt", "c.txt"}


def test_init_commit_delete_primitives(client: ZenodoClient, emulator: Emulator, tmp_path: Path) -> None:
    draft = client.create_draft(document())
    since = clear_log(emulator, client)
    entries = client.init_files(draft.id, ["c.txt", "a.txt", "b.txt"])
    assert [(e.key, e.status, e.md5) for e in entries] == [
        ("c.txt", "pending", None),
        ("a.txt", "pending", None),
        ("b.txt", "pending", None),
    ]
    inits = [
        e
        for e in settled_log(emulator, client, since)
        if e.method == "POST" and e.path.endswith("/draft/files")
    ]
    assert len(inits) == 1  # one request for the batch

    local = make_file(tmp_path, "a.txt", b"some content")
    pending = client.upload_content(draft.id, "a.txt", local.path, size_bytes=local.size_bytes)
    assert pending.status == "pending"
    committed = client.commit_file(draft.id, "a.txt")
    assert (committed.status, committed.size_bytes, committed.md5) == ("completed", 12, local.md5)
    with pytest.raises(BadRequestError, match="already exists"):
        client.init_files(draft.id, ["a.txt"])

    client.delete_file(draft.id, "c.txt")
    assert {(f.key, f.status) for f in client.list_files(draft.id)} == {
        ("a.txt", "completed"),
        ("b.txt", "pending"),
    }
    with pytest.raises(NotFoundError):
        client.delete_file(draft.id, "c.txt")


def test_upload_streams_from_disk_with_length_and_progress(
    client: ZenodoClient, emulator: Emulator, tmp_path: Path
) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)
    local = make_file(tmp_path, "big.bin", content)
    draft = client.create_draft(document())
    progress: list[tuple[int, int]] = []
    remote = client.upload_file(draft.id, local, progress=lambda sent, total: progress.append((sent, total)))
    assert remote.md5 == local.md5
    assert remote.size_bytes == len(content)
    # what the server acknowledged, rising, then the total (tests/test_upload_progress.py: how often)
    assert progress[-1] == (len(content), len(content))
    assert all(b[0] > a[0] for a, b in itertools.pairwise(progress))
    (put,) = [e for e in settled_log(emulator, client) if e.method == "PUT" and e.path.endswith("/content")]
    assert put.content_type == "application/octet-stream"
    assert put.body_bytes == len(content)
    assert put.status == 200
    assert emulator.draft_files(draft.id)["big.bin"].md5 == local.md5


@pytest.mark.parametrize("key", ["my data file.csv", "données β 2026.txt", "a+b&c=d?#.txt", "100% sure.csv"])
def test_awkward_keys_round_trip(client: ZenodoClient, emulator: Emulator, tmp_path: Path, key: str) -> None:
    local = make_file(tmp_path, key, key.encode() * 3)
    draft = client.create_draft(document())
    assert client.upload_file(draft.id, local).key == key
    assert [f.key for f in client.list_files(draft.id)] == [key]
    assert list(emulator.draft_files(draft.id)) == [key]
    client.publish(draft.id)
    assert [(f.key, f.md5) for f in client.list_record_files(draft.id)] == [(key, local.md5)]
    client.new_version(draft.id)
    new_id = client.new_version(draft.id).id
    client.import_files(new_id)
    client.delete_file(new_id, key)
    assert client.list_files(new_id) == ()


def test_every_request_carries_the_contract_headers(
    client: ZenodoClient, emulator: Emulator, emulator_token: str, tmp_path: Path
) -> None:
    published_record(client, tmp_path, {"x.txt": b"x"})
    log = settled_log(emulator, client)
    assert len(log) == client.request_count >= 5
    for entry in log:
        assert entry.accept == ACCEPT
        assert entry.user_agent == f"zsync/{__version__} (+{PROJECT_URL})"
        assert entry.authenticated
        assert entry.violations == ()
        assert emulator_token not in entry.query
        assert "token" not in entry.query
    json_calls = [e for e in log if e.method in ("POST", "PUT") and e.body_bytes and "/content" not in e.path]
    assert json_calls
    assert {e.content_type for e in json_calls} == {"application/json"}


# --------------------------------------------------------------------------- error mapping


def test_wrong_token_is_an_auth_error_naming_the_endpoint(emulator: Emulator) -> None:
    bad = ZenodoClient(emulator.url, SECRET_WRONG_TOKEN, retry=RetryPolicy(sleep=SleepRecorder()))
    with bad, pytest.raises(AuthError) as caught:
        bad.create_draft(document())
    error = caught.value
    assert (error.status, error.method, error.path) == (403, "POST", "/records")
    assert error.hint is not None
    assert emulator.url in error.hint
    assert "sandbox" in error.hint
    assert "Permission denied" in error.message
    assert SECRET_WRONG_TOKEN not in error.diagnostics()
    assert isinstance(error.__cause__, Exception) or error.__cause__ is None


def test_not_found_and_gone(client: ZenodoClient, emulator: Emulator, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_record("987654")
    assert caught.value.status == 404
    assert caught.value.path == "/records/987654"
    assert client.get_draft("987654") is None
    draft = client.create_draft(document())
    with pytest.raises(NotFoundError, match="not registered"):
        client.get_record(draft.id)  # a never-published draft

    record_id = published_record(client, tmp_path, {"g.txt": b"gone"})
    emulator.delete_record(record_id)
    with pytest.raises(GoneError) as gone:
        client.get_record(record_id)
    assert gone.value.status == 410


def test_publish_validation_error_has_field_errors(client: ZenodoClient) -> None:
    body = document()
    del body["metadata"]["title"]
    draft = client.create_draft(body)
    with pytest.raises(BadRequestError) as caught:
        client.publish(draft.id)  # also no files
    error = caught.value
    assert error.status == 400
    assert error.method == "POST"
    assert any(e.field == "metadata.title" and e.messages for e in error.field_errors)
    assert "metadata.title" in error.diagnostics()


def test_stale_if_match_is_a_conflict(client: ZenodoClient) -> None:
    draft = client.create_draft(document())
    assert draft.revision_id is not None
    client.update_draft(draft.id, document("Someone else"), if_match=draft.revision_id)
    with pytest.raises(ConflictError) as caught:
        client.update_draft(draft.id, document("Mine"), if_match=draft.revision_id)
    assert caught.value.status == 412
    assert client.get_draft(draft.id).metadata["title"] == "Someone else"  # type: ignore[union-attr]


def test_locked_bucket_hint_says_new_version(client: ZenodoClient, tmp_path: Path) -> None:
    record_id = published_record(client, tmp_path, {"a.txt": b"alpha"})
    client.edit_draft(record_id)
    with pytest.raises(AuthError) as caught:
        client.init_files(record_id, ["b.txt"])
    assert caught.value.hint is not None
    assert "new version" in caught.value.hint


def test_unreachable_server_is_transient_without_the_token(emulator_token: str) -> None:
    sleeper = SleepRecorder()
    with ZenodoClient(
        "http://127.0.0.1:9/api", emulator_token, retry=RetryPolicy(max_attempts=3, sleep=sleeper)
    ) as offline:
        with pytest.raises(TransientError) as caught:
            offline.get_draft("1")
        assert offline.request_count == 3
    assert len(sleeper.waits) == 2
    assert caught.value.status is None
    assert caught.value.path == "/records/1/draft"
    assert emulator_token not in caught.value.diagnostics()
    assert caught.value.__cause__ is not None


# --------------------------------------------------------------------------- retries per fault type


def test_429_waits_for_retry_after(client: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder) -> None:
    draft = client.create_draft(document())
    emulator.faults = Faults(p_429=1.0, retry_after_s=7)
    sleeper.hook = lambda n: setattr(emulator, "faults", Faults()) if n == 2 else None
    since = clear_log(emulator, client)
    assert client.get_draft(draft.id) is not None
    assert [e.status for e in settled_log(emulator, client, since)] == [429, 429, 200]
    assert len(sleeper.waits) == 2
    assert all(7.0 <= w <= 8.0 for w in sleeper.waits)


def test_429_on_create_is_retried_without_a_lookup(
    client: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder
) -> None:
    emulator.faults = Faults(p_429=1.0, retry_after_s=3)
    sleeper.hook = lambda n: setattr(emulator, "faults", Faults())
    client.create_draft(document())
    assert [(e.method, api_path(e), e.status) for e in settled_log(emulator, client)] == [
        ("POST", "/records", 429),
        ("POST", "/records", 201),
    ]
    assert len(emulator.drafts) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_backs_off_exponentially_then_gives_up(
    emulator: Emulator, emulator_token: str, status: int
) -> None:
    sleeper = SleepRecorder()
    policy = RetryPolicy(max_attempts=4, initial_wait_s=1.0, jitter_s=0.5, sleep=sleeper)
    with ZenodoClient(emulator.url, emulator_token, retry=policy) as zenodo:
        emulator.faults = {
            500: Faults(p_500=1.0),
            502: Faults(p_502=1.0),
            503: Faults(p_503=1.0),
            504: Faults(p_504=1.0),
        }[status]
        with pytest.raises(TransientError) as caught:
            zenodo.get_record("1")
        assert zenodo.request_count == 4
    assert [e.status for e in settled_log(emulator, zenodo)] == [status] * 4
    assert caught.value.status == status
    assert caught.value.method == "GET"
    assert [int(w) for w in sleeper.waits] == [1, 2, 4]
    assert all(w - int(w) <= 0.5 for w in sleeper.waits)


def test_waits_are_capped_and_bounded_by_total_time(emulator: Emulator, emulator_token: str) -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    policy = RetryPolicy(
        max_attempts=100, max_total_s=100.0, max_wait_s=20.0, jitter_s=0.0, sleep=sleep, clock=lambda: now[0]
    )
    emulator.faults = Faults(p_503=1.0)
    with ZenodoClient(emulator.url, emulator_token, retry=policy) as zenodo, pytest.raises(TransientError):
        zenodo.get_record("1")
    # 1+2+4+8+16+20+20 = 71; another 20 would be 91 <= 100; the next 20 would end after 100 s.
    assert waits == [1, 2, 4, 8, 16, 20, 20, 20]


def test_reset_upload_restarts_the_file_from_byte_zero(
    client: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder, tmp_path: Path
) -> None:
    local = make_file(tmp_path, "reset.bin", os.urandom(3 * 1024 * 1024 + 5))
    draft = client.create_draft(document())
    since = clear_log(emulator, client)
    emulator.faults = Faults(p_reset_upload=1.0)
    sleeper.hook = lambda n: setattr(emulator, "faults", Faults())
    progress: list[int] = []
    remote = client.upload_file(draft.id, local, progress=lambda sent, total: progress.append(sent))
    assert remote.md5 == local.md5
    calls = [
        (e.method, api_path(e).split("/draft")[1], e.status, e.fault)
        for e in settled_log(emulator, client, since)
    ]
    assert calls == [
        ("POST", "/files", 201, None),
        ("PUT", "/files/reset.bin/content", 0, "reset_upload"),
        ("GET", "/files", 200, None),  # the server dropped the entry...
        ("POST", "/files", 201, None),  # ...so it is initialised again
        ("PUT", "/files/reset.bin/content", 200, None),
        ("POST", "/files/reset.bin/commit", 200, None),
    ]
    # Each attempt starts its progress at 0: two attempts, the second from byte 0 again, to the end.
    starts = [i for i, sent in enumerate(progress) if sent == 0]
    assert len(starts) == 2 and starts[0] == 0
    assert progress[-1] == 3 * 1024 * 1024 + 5
    assert progress[starts[1] :] == sorted(set(progress[starts[1] :]))


def test_read_timeout_is_retried(emulator: Emulator, emulator_token: str) -> None:
    sleeper = SleepRecorder()
    with ZenodoClient(
        emulator.url, emulator_token, retry=RetryPolicy(sleep=sleeper), read_timeout_s=0.2
    ) as zen:
        draft = zen.create_draft(document())
        emulator.faults = Faults(latency_s=0.6)
        sleeper.hook = lambda n: setattr(emulator, "faults", Faults())
        assert zen.get_draft(draft.id) is not None
        assert zen.request_count == 3
    assert len(sleeper.waits) == 1


def test_publish_answering_504_after_success_is_not_sent_twice(
    client: ZenodoClient, emulator: Emulator, tmp_path: Path
) -> None:
    draft = client.create_draft(document())
    client.upload_file(draft.id, make_file(tmp_path, "p.txt", b"publish me"))
    since = clear_log(emulator, client)
    emulator.faults = Faults(p_publish_504_after_success=1.0)
    record = client.publish(draft.id)
    assert record.is_published
    assert record.id == draft.id
    calls = [(e.method, api_path(e), e.status) for e in settled_log(emulator, client, since)]
    assert calls == [
        ("POST", f"/records/{draft.id}/draft/actions/publish", 504),
        ("GET", f"/records/{draft.id}/draft", 404),
        ("GET", f"/records/{draft.id}", 200),
    ]


def test_publish_of_an_edit_draft_that_did_not_happen_is_sent_again(
    client: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder, tmp_path: Path
) -> None:
    record_id = published_record(client, tmp_path, {"a.txt": b"alpha"})
    client.edit_draft(record_id)
    client.update_draft(record_id, document("Edited"))
    since = clear_log(emulator, client)
    emulator.faults = Faults(p_502=1.0)
    sleeper.hook = lambda n: setattr(emulator, "faults", Faults())
    assert client.publish(record_id).metadata["title"] == "Edited"
    publishes = [e.status for e in settled_log(emulator, client, since) if e.path.endswith("/publish")]
    assert publishes == [502, 202]  # the published older version did not fool the re-read


def lose_answers(emulator: Emulator, sleeper: SleepRecorder, method: str, suffix: str) -> None:
    """Delay answers past the client's read timeout; the first retry wait lets the server finish."""
    emulator.faults = Faults(latency_s=0.5)

    def finish(n: int) -> None:
        if n == 1:
            wait_for_log(emulator, lambda e: e.method == method and e.path.endswith(suffix))
            emulator.faults = Faults()

    sleeper.hook = finish


@pytest.fixture
def impatient(emulator: Emulator, emulator_token: str, sleeper: SleepRecorder) -> Iterator[ZenodoClient]:
    with ZenodoClient(
        emulator.url, emulator_token, retry=RetryPolicy(sleep=sleeper), read_timeout_s=0.2
    ) as zen:
        yield zen


def test_create_draft_adopts_the_draft_whose_answer_was_lost(
    impatient: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder
) -> None:
    lose_answers(emulator, sleeper, "POST", "/records")
    draft = impatient.create_draft(document("Lost answer"))
    assert len(emulator.drafts) == 1
    assert draft.id in emulator.drafts
    assert draft.metadata["title"] == "Lost answer"
    assert [e.method for e in settled_log(emulator, impatient) if api_path(e) == "/records"] == ["POST"]


def test_create_draft_is_sent_again_when_nothing_was_created(
    client: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder
) -> None:
    emulator.faults = Faults(p_503=1.0)
    sleeper.hook = lambda n: setattr(emulator, "faults", Faults())
    draft = client.create_draft(document())
    calls = [(e.method, api_path(e), e.status) for e in settled_log(emulator, client)]
    assert calls[0] == ("POST", "/records", 503)
    assert calls[-1] == ("POST", "/records", 201)
    assert {c[1] for c in calls[1:-1]} <= {"/user/records", f"/records/{draft.id}/draft"}
    assert len(calls) >= 3  # the lookup ran before the POST was repeated
    assert list(emulator.drafts) == [draft.id]


def test_init_adopts_entries_whose_answer_was_lost(
    impatient: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder
) -> None:
    draft = impatient.create_draft(document())
    lose_answers(emulator, sleeper, "POST", "/draft/files")
    entries = impatient.init_files(draft.id, ["a.txt", "b.txt"])
    assert [(e.key, e.status) for e in entries] == [("a.txt", "pending"), ("b.txt", "pending")]
    inits = [
        e for e in settled_log(emulator, impatient) if e.method == "POST" and e.path.endswith("/draft/files")
    ]
    assert len(inits) == 1


def test_commit_whose_answer_was_lost_is_not_sent_again(
    impatient: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder, tmp_path: Path
) -> None:
    draft = impatient.create_draft(document())
    local = make_file(tmp_path, "c.txt", b"commit me")
    impatient.init_files(draft.id, ["c.txt"])
    impatient.upload_content(draft.id, "c.txt", local.path, size_bytes=local.size_bytes)
    lose_answers(emulator, sleeper, "POST", "/commit")
    committed = impatient.commit_file(draft.id, "c.txt")
    assert (committed.status, committed.md5) == ("completed", local.md5)
    assert len([e for e in settled_log(emulator, impatient) if e.path.endswith("/commit")]) == 1


def test_if_match_put_whose_answer_was_lost_is_adopted(
    impatient: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder
) -> None:
    draft = impatient.create_draft(document())
    lose_answers(emulator, sleeper, "PUT", "/draft")
    updated = impatient.update_draft(draft.id, document("Saved once"), if_match=draft.revision_id)
    assert updated.metadata["title"] == "Saved once"
    assert len([e for e in settled_log(emulator, impatient) if e.method == "PUT"]) == 1


def test_import_whose_answer_was_lost_is_not_sent_again(
    impatient: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder, tmp_path: Path
) -> None:
    first = published_record(impatient, tmp_path, {"a.txt": b"alpha"})
    new = impatient.new_version(first)
    lose_answers(emulator, sleeper, "POST", "/files-import")
    assert [f.key for f in impatient.import_files(new.id)] == ["a.txt"]
    assert len([e for e in settled_log(emulator, impatient) if e.path.endswith("/files-import")]) == 1


def test_upload_file_verifies_md5_and_retries_once(
    client: ZenodoClient, emulator: Emulator, tmp_path: Path
) -> None:
    draft = client.create_draft(document())
    local = make_file(tmp_path, "v.txt", b"verified content")
    lying = LocalFile(key=local.key, path=local.path, size_bytes=local.size_bytes, md5="0" * 32)
    since = clear_log(emulator, client)
    with pytest.raises(UploadVerificationError) as caught:
        client.upload_file(draft.id, lying)
    assert "0" * 32 in caught.value.message
    assert local.md5 in caught.value.message
    calls = [(e.method, api_path(e).split("/draft")[1]) for e in settled_log(emulator, client, since)]
    assert calls.count(("PUT", "/files/v.txt/content")) == 2
    assert calls.count(("POST", "/files/v.txt/commit")) == 2
    assert calls.count(("DELETE", "/files/v.txt")) == 2
    assert client.list_files(draft.id) == ()


def test_upload_file_reuses_pending_and_skips_identical_entries(
    client: ZenodoClient, emulator: Emulator, tmp_path: Path
) -> None:
    draft = client.create_draft(document())
    local = make_file(tmp_path, "p.txt", b"pending first")
    client.init_files(draft.id, ["p.txt"])
    assert client.upload_file(draft.id, local).md5 == local.md5
    since = clear_log(emulator, client)
    assert client.upload_file(draft.id, local).md5 == local.md5
    assert not [
        e for e in settled_log(emulator, client, since) if e.method == "PUT"
    ]  # identical: nothing uploaded
    changed = make_file(tmp_path / "changed", "p.txt", b"new content")
    assert client.upload_file(draft.id, changed).md5 == changed.md5  # different: replaced
    assert emulator.draft_files(draft.id)["p.txt"].md5 == changed.md5


# --------------------------------------------------------------------------- pacing


def test_pacing_spreads_requests_before_the_limit(
    client: ZenodoClient, emulator: Emulator, sleeper: SleepRecorder
) -> None:
    emulator.rate_limit = RateLimit(limit=10, window_s=60.0)
    for _ in range(8):
        client.get_draft("1")
    assert sleeper.waits == []  # plenty left: no pacing
    for _ in range(4):
        client.get_draft("1")
    assert len(sleeper.waits) == 4
    assert all(0 < w <= 60.0 for w in sleeper.waits)
    assert sleeper.waits[0] < sleeper.waits[-1]  # fewer left, longer gaps
    assert not [e for e in settled_log(emulator, client) if e.status == 429]


# --------------------------------------------------------------------------- the token stays secret


def test_token_never_in_logs_errors_or_urls(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "test-token"
    seen: list[str] = []
    with ZenodoClient(emulator.url, token, retry=RetryPolicy(max_attempts=2, sleep=SleepRecorder())) as zen:
        seen.append(repr(zen))
        published_record(zen, tmp_path, {"s.txt": b"secret?"})
        emulator.faults = Faults(p_500=1.0)
        calls: tuple[Callable[[], object], ...] = (
            lambda: zen.get_record("1"),
            lambda: zen.create_draft(document()),
        )
        for call in calls:
            with pytest.raises(TransientError) as caught:
                call()
            seen += [
                str(caught.value),
                caught.value.diagnostics(),
                repr(caught.value),
                str(caught.value.__cause__),
            ]
        emulator.faults = Faults()
    with ZenodoClient(emulator.url, SECRET_WRONG_TOKEN) as bad, pytest.raises(AuthError) as denied:
        bad.create_draft(document())
    seen += [denied.value.diagnostics(), repr(denied.value)]
    assert any(" -> 500 " in r.getMessage() or "-> 500" in r.getMessage() for r in caplog.records)
    assert any(r.getMessage().startswith("GET /records/") for r in caplog.records)
    text = "\n".join([*seen, caplog.text, *(str(r.args) for r in caplog.records)])
    assert token not in text
    assert SECRET_WRONG_TOKEN not in text
    assert all(not e.violations and token not in e.query for e in settled_log(emulator, zen))


# --------------------------------------------------------------------------- done means


def test_twenty_files_through_thirty_percent_faults(
    client: ZenodoClient, emulator: Emulator, tmp_path: Path
) -> None:
    locals_ = [make_file(tmp_path, f"file {i:02d} ✓.dat", os.urandom(5_000 + 997 * i)) for i in range(20)]
    emulator.faults = Faults(
        p_429=0.06,
        retry_after_s=2,
        p_500=0.06,
        p_502=0.06,
        p_503=0.06,
        p_504=0.06,
        p_reset_upload=0.3,
        p_publish_504_after_success=0.5,
        seed=20261125,
    )
    draft = client.create_draft(document())
    for local in locals_:
        remote = client.upload_file(draft.id, local)
        assert (remote.size_bytes, remote.md5) == (local.size_bytes, local.md5)
    record = client.publish(draft.id)
    emulator.faults = Faults()

    assert {f.key: f.md5 for f in record.files} == {f.key: f.md5 for f in locals_}
    assert {k: f.md5 for k, f in emulator.record_files(draft.id).items()} == {f.key: f.md5 for f in locals_}
    assert len(emulator.records) == 1
    assert emulator.drafts == {}

    log = settled_log(emulator, client)
    faulted = [e for e in log if e.fault]
    assert len(faulted) / len(log) > 0.2  # the faults really happened
    assert {e.fault for e in faulted} >= {"429", "500", "502", "503", "504", "reset_upload"}
    assert not [e for e in log if e.status == 400]  # never a second init of an existing key
    for local in locals_:
        commits = [e for e in log if e.path.endswith("/commit") and local.key in _unquote(e.path)]
        done = [i for i, e in enumerate(commits) if e.status == 200]
        assert len(done) == 1
        assert done[0] == len(commits) - 1
    publishes = [e for e in log if e.path.endswith("/actions/publish")]
    took_effect = [
        i for i, e in enumerate(publishes) if e.status == 202 or e.fault == "publish_504_after_success"
    ]
    assert took_effect == [len(publishes) - 1]  # exactly one, and never sent again after it
    creates = [e for e in log if e.method == "POST" and api_path(e) == "/records" and e.status == 201]
    assert len(creates) == 1
    assert client.request_count == len(log)


def _unquote(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)


def test_reserve_doi_gives_the_draft_its_doi_once(client: ZenodoClient) -> None:
    draft = client.create_draft(document())
    assert draft.doi is None
    reserved = client.reserve_doi(draft.id)
    assert reserved.doi == f"10.5072/zenodo.{draft.id}"
    again = client.get_draft(draft.id)
    assert again is not None and again.doi == reserved.doi
    with pytest.raises(BadRequestError):
        client.reserve_doi(draft.id)
