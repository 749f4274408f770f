"""End to end: the real `zsync` command, as a subprocess, against the emulator on 127.0.0.1.

Each test asserts the exact set of mutating requests the emulator saw, so a change that sends one
request too many (or re-uploads a file) fails here. The remote state is read back over HTTP, the way
a person would look at it, not through zsync's own client.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from test_entrypoint import parse_outputs

from zsync.emulator import Emulator, Faults, RateLimit

TOKEN = "test-token"
ACCEPT = "application/vnd.inveniordm.v1+json, application/json;q=0.9, */*;q=0.8"

# --------------------------------------------------------------------------- dataset and runner


@dataclass
class Dataset:
    root: Path
    url: str

    @property
    def config_path(self) -> Path:
        return self.root / "zenodo.yaml"

    @property
    def id_file(self) -> Path:
        return self.root / ".zenodo-record-id.txt"

    def record_id(self) -> str:
        return self.id_file.read_text().strip()

    def config(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load(self.config_path.read_text())
        return data

    def write_config(self, data: dict[str, Any]) -> None:
        self.config_path.write_text(yaml.safe_dump(data, sort_keys=False))

    def set(self, dotted: str, value: Any) -> None:
        data = self.config()
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
        self.write_config(data)

    def write_file(self, name: str, content: bytes) -> None:
        path = self.root / "data" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        data = self.config()
        rel = f"data/{name}"
        if rel not in data["paths"]:
            data["paths"].append(rel)
            self.write_config(data)

    def remove_file(self, name: str) -> None:
        data = self.config()
        data["paths"].remove(f"data/{name}")
        self.write_config(data)

    def local_md5s(self) -> dict[str, str]:
        return {
            Path(p).name: hashlib.md5((self.root / p).read_bytes()).hexdigest()
            for p in self.config()["paths"]
        }


def make_dataset(root: Path, url: str, n_files: int = 3, version: str = "1.0.0") -> Dataset:
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# Example\n\nSome *data*.\n")
    ds = Dataset(root, url)
    ds.write_config(
        {
            "endpoint": url,
            "path_record_id": ".zenodo-record-id.txt",
            "metadata": {
                "title": "End-to-end dataset",
                "version": version,
                "creators": [{"family_name": "Doe", "given_name": "Jane"}],
                "license": ["cc-by-4.0"],
                "resource_type": "dataset",
                "keywords": ["testing"],
            },
            "path_readme": "README.md",
            "paths": [],
        }
    )
    for i in range(n_files):
        ds.write_file(f"file{i:02d}.csv", f"column\n{i}\n".encode() * (100 + i))
    return ds


def run_zsync(
    *args: str,
    cwd: Path | None = None,
    token: str | None = TOKEN,
    timeout: float = 120,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENODO", "GITHUB_"))}
    env.update(FAST_RETRIES)
    if token is not None:
        env["ZENODO_TOKEN"] = token
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "zsync", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def spawn_zsync(*args: str) -> subprocess.Popen[bytes]:
    """`zsync ARGS` started in the background (to be killed), with the token and fast retries."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENODO")}
    env.update(FAST_RETRIES, ZENODO_TOKEN=TOKEN)
    return subprocess.Popen(
        [sys.executable, "-m", "zsync", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


# Real retries, with waits scaled down so a soak of many runs takes seconds.
FAST_RETRIES = {
    "ZSYNC_RETRY_INITIAL_WAIT_S": "0.01",
    "ZSYNC_RETRY_MAX_WAIT_S": "0.05",
    "ZSYNC_RETRY_JITTER_S": "0.01",
}


def sync(ds: Dataset, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    proc = run_zsync("sync", str(ds.config_path), *args)
    assert proc.returncode == expect, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return proc


# --------------------------------------------------------------------------- looking at the emulator

_ID = re.compile(r"/records/[^/]+")
_FILE = re.compile(r"(/draft/files/)[^/]+")


def shape(path: str) -> str:
    """'/api/records/7/draft/files/a.csv/commit' -> '/records/{id}/draft/files/{key}/commit'."""
    path = path.split("?")[0].removeprefix("/api")
    path = _FILE.sub(r"\1{key}", path)
    return _ID.sub("/records/{id}", path, count=1)


def mutations(emulator: Emulator) -> list[str]:
    return [f"{r.method} {shape(r.path)}" for r in emulator.mutating_requests() if r.fault is None]


def count(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def assert_no_op_reads(emulator: Emulator) -> None:
    """A run that changes nothing: at most 3 record reads, and (issue #10 item 2, the live vocabulary
    preflight) one GET per distinct vocabulary id of the dataset: cc-by-4.0 and dataset."""
    vocabulary = [r.path for r in emulator.request_log if r.path.startswith("/api/vocabularies/")]
    assert sorted(vocabulary) == [
        "/api/vocabularies/licenses/cc-by-4.0",
        "/api/vocabularies/resourcetypes/dataset",
    ]
    assert len(emulator.request_log) - len(vocabulary) <= 3


def api(emulator: Emulator, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": ACCEPT}
    return requests.request(method, emulator.url + path, headers=headers, timeout=10, **kw)


def draft_files(emulator: Emulator, record_id: str) -> dict[str, tuple[str, str]]:
    entries = api(emulator, "GET", f"/records/{record_id}/draft/files").json()["entries"]
    return {e["key"]: (e["status"], (e.get("checksum") or "").removeprefix("md5:")) for e in entries}


def record_files(emulator: Emulator, record_id: str) -> dict[str, str]:
    doc = api(emulator, "GET", f"/records/{record_id}").json()
    return {k: v["checksum"].removeprefix("md5:") for k, v in doc["files"]["entries"].items()}


def user_drafts(emulator: Emulator) -> list[dict[str, Any]]:
    hits = api(emulator, "GET", "/user/records", params={"size": 100}).json()["hits"]["hits"]
    return [h for h in hits if not h.get("is_published")]


def assert_converged(emulator: Emulator, ds: Dataset) -> None:
    """Exactly the local files, all completed, with the local MD5s; one draft in the account."""
    remote = draft_files(emulator, ds.record_id())
    assert remote == {k: ("completed", v) for k, v in ds.local_md5s().items()}
    assert len(user_drafts(emulator)) == 1


@pytest.fixture
def ds(tmp_path: Path, emulator: Emulator) -> Dataset:
    return make_dataset(tmp_path / "dataset", emulator.url)


def outputs_of(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


# --------------------------------------------------------------------------- states


def test_first_sync_creates_one_draft_writes_the_id_and_uploads_every_file(
    ds: Dataset, emulator: Emulator
) -> None:
    proc = sync(ds, "--json")
    out = outputs_of(proc)
    assert out["status"] == "created"
    assert out["state"] == "draft"
    assert out["record-id"] == ds.record_id()
    assert out["files-uploaded"] == "3"
    assert out["bytes-uploaded"] == str(sum((ds.root / p).stat().st_size for p in ds.config()["paths"]))
    assert count(mutations(emulator)) == {
        "POST /records": 1,
        "POST /records/{id}/draft/pids/doi": 1,  # the DOI is known before publication
        "POST /records/{id}/draft/files": 1,  # one batched init
        "PUT /records/{id}/draft/files/{key}/content": 3,
        "POST /records/{id}/draft/files/{key}/commit": 3,
        "PUT /records/{id}/draft": 1,
    }
    assert_converged(emulator, ds)
    draft = api(emulator, "GET", f"/records/{ds.record_id()}/draft").json()
    assert draft["metadata"]["title"] == "End-to-end dataset"
    assert draft["metadata"]["version"] == "1.0.0"
    assert "<em>data</em>" in draft["metadata"]["description"]
    assert "uploaded file00.csv" in proc.stderr


def test_second_run_changes_nothing(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.clear_log()
    proc = sync(ds, "--json")
    assert outputs_of(proc)["status"] == "unchanged"
    assert mutations(emulator) == []
    assert_no_op_reads(emulator)


def test_draft_changes_touch_only_what_changed(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    record_id = ds.record_id()
    ds.write_file("file01.csv", b"changed\n")
    ds.write_file("extra.txt", b"new file\n")
    ds.remove_file("file02.csv")
    emulator.clear_log()
    out = outputs_of(sync(ds, "--json"))
    assert (out["status"], out["files-uploaded"], out["files-deleted"], out["files-unchanged"]) == (
        "updated",
        "2",
        "1",
        "1",
    )
    assert count(mutations(emulator)) == {
        "DELETE /records/{id}/draft/files/{key}": 2,  # file01 (replaced) and file02 (removed)
        "POST /records/{id}/draft/files": 1,
        "PUT /records/{id}/draft/files/{key}/content": 2,
        "POST /records/{id}/draft/files/{key}/commit": 2,
        "PUT /records/{id}/draft": 1,  # files.order names a new key
    }
    assert ds.record_id() == record_id
    assert_converged(emulator, ds)


def test_metadata_change_on_a_draft_is_one_put(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    ds.set("metadata.title", "A better title")
    emulator.clear_log()
    sync(ds)
    assert mutations(emulator) == ["PUT /records/{id}/draft"]
    assert (
        api(emulator, "GET", f"/records/{ds.record_id()}/draft").json()["metadata"]["title"]
        == "A better title"
    )


def test_publication_date_of_a_draft_is_not_moved_by_later_runs(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    record_id = ds.record_id()
    # The date the draft got on its first sync; a later run on another day must keep it.
    doc = api(emulator, "GET", f"/records/{record_id}/draft").json()
    doc["metadata"]["publication_date"] = "2020-01-02"
    api(
        emulator,
        "PUT",
        f"/records/{record_id}/draft",
        json={k: doc[k] for k in ("metadata", "custom_fields", "access", "files")},
    )
    ds.set("metadata.title", "Retitled")
    sync(ds)
    assert (
        api(emulator, "GET", f"/records/{record_id}/draft").json()["metadata"]["publication_date"]
        == "2020-01-02"
    )


def test_published_unchanged_makes_no_change(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.publish(ds.record_id())
    emulator.clear_log()
    out = outputs_of(sync(ds, "--json"))
    assert (out["status"], out["state"]) == ("unchanged", "published")
    assert mutations(emulator) == []
    assert_no_op_reads(emulator)


def test_published_metadata_change_edits_and_republishes_keeping_the_date(
    ds: Dataset, emulator: Emulator
) -> None:
    sync(ds)
    record_id = ds.record_id()
    emulator.publish(record_id)
    date = api(emulator, "GET", f"/records/{record_id}").json()["metadata"]["publication_date"]
    ds.set("metadata.title", "Corrected title")
    emulator.clear_log()
    out = outputs_of(sync(ds, "--json"))
    assert (out["status"], out["state"], out["record-id"]) == ("updated", "published", record_id)
    assert mutations(emulator) == [
        "POST /records/{id}/draft",
        "PUT /records/{id}/draft",
        "POST /records/{id}/draft/actions/publish",
    ]
    published = api(emulator, "GET", f"/records/{record_id}").json()
    assert published["metadata"]["title"] == "Corrected title"
    assert published["metadata"]["publication_date"] == date
    emulator.clear_log()
    sync(ds)  # and the record is not republished on every run
    assert mutations(emulator) == []


def test_published_same_version_with_different_files_is_refused(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.publish(ds.record_id())
    ds.write_file("file00.csv", b"changed after publication\n")
    emulator.clear_log()
    proc = sync(ds, expect=1)
    assert "file00.csv (content differs)" in proc.stderr
    assert "raise metadata.version" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert mutations(emulator) == []


def test_new_version_with_one_of_twenty_files_changed_uploads_only_that_file(
    tmp_path: Path, emulator: Emulator
) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url, n_files=20)
    sync(ds)
    first_id = ds.record_id()
    emulator.publish(first_id)
    changed = b"a changed file\n" * 1000
    ds.write_file("file07.csv", changed)
    ds.set("metadata.version", "1.1.0")
    emulator.clear_log()
    out = outputs_of(sync(ds, "--json"))
    assert out["status"] == "new-version"
    assert out["bytes-uploaded"] == str(len(changed))
    new_id = ds.record_id()
    assert new_id != first_id and out["record-id"] == new_id
    assert count(mutations(emulator)) == {
        "POST /records/{id}/versions": 1,
        "POST /records/{id}/draft/pids/doi": 1,
        "POST /records/{id}/draft/actions/files-import": 1,
        "DELETE /records/{id}/draft/files/{key}": 1,
        "POST /records/{id}/draft/files": 1,
        "PUT /records/{id}/draft/files/{key}/content": 1,
        "POST /records/{id}/draft/files/{key}/commit": 1,
        "PUT /records/{id}/draft": 1,
    }
    content_bytes = sum(
        r.body_bytes for r in emulator.request_log if r.path.endswith("/content") and r.fault is None
    )
    assert content_bytes == len(changed)
    draft = api(emulator, "GET", f"/records/{new_id}/draft").json()
    assert draft["metadata"]["version"] == "1.1.0"
    assert draft["parent"]["id"] == out["concept-id"]
    assert_converged(emulator, ds)
    emulator.clear_log()
    sync(ds)  # the next-version draft is now an ordinary draft: nothing more to do
    assert mutations(emulator) == []


def test_lower_local_version_changes_nothing_and_is_refused_when_explicit(
    ds: Dataset, emulator: Emulator
) -> None:
    sync(ds)
    emulator.publish(ds.record_id())
    ds.set("metadata.version", "0.9.0")
    emulator.clear_log()
    proc = sync(ds)  # without a version given (the push workflow): a warning, nothing changed
    assert "metadata.version 0.9.0 is below version 1.0.0" in proc.stderr
    proc = sync(ds, "--set-version", "0.9.0", expect=1)
    assert "lower than the published version 1.0.0" in proc.stderr
    assert mutations(emulator) == []


def test_an_edit_draft_opened_on_the_web_is_updated_not_published(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    record_id = ds.record_id()
    emulator.publish(record_id)
    edit = api(emulator, "POST", f"/records/{record_id}/draft")  # a person pressed Edit...
    assert edit.status_code == 201
    doc = edit.json()
    doc["metadata"]["languages"] = [{"id": "eng"}]  # ...and saved a field zsync does not manage
    body = {k: doc[k] for k in ("metadata", "custom_fields", "access")}
    assert api(emulator, "PUT", f"/records/{record_id}/draft", json=body).status_code == 200
    ds.set("metadata.title", "Changed while an edit was open")
    emulator.clear_log()
    proc = sync(ds)
    assert mutations(emulator) == ["PUT /records/{id}/draft"]
    assert "did not publish it" in proc.stderr
    assert api(emulator, "GET", f"/records/{record_id}").json()["metadata"]["title"] == "End-to-end dataset"
    draft = api(emulator, "GET", f"/records/{record_id}/draft").json()["metadata"]
    languages = [language["id"] for language in draft["languages"]]  # the server adds each one's title
    assert (draft["title"], languages) == ("Changed while an edit was open", ["eng"])
    emulator.clear_log()
    sync(ds, "--publish")  # the person's choice to make; --publish makes it
    assert mutations(emulator) == ["POST /records/{id}/draft/actions/publish"]
    assert (
        api(emulator, "GET", f"/records/{record_id}").json()["metadata"]["title"]
        == "Changed while an edit was open"
    )


def test_an_edit_draft_without_foreign_changes_is_finished(ds: Dataset, emulator: Emulator) -> None:
    """zsync's own edit, stopped before its publish (or an Edit pressed and left): completed."""
    sync(ds)
    record_id = ds.record_id()
    emulator.publish(record_id)
    assert api(emulator, "POST", f"/records/{record_id}/draft").status_code == 201
    ds.set("metadata.title", "Finished edit")
    emulator.clear_log()
    sync(ds)
    assert mutations(emulator) == ["PUT /records/{id}/draft", "POST /records/{id}/draft/actions/publish"]
    assert api(emulator, "GET", f"/records/{record_id}").json()["metadata"]["title"] == "Finished edit"


def test_unknown_id_is_an_error_with_guidance_never_a_new_record(ds: Dataset, emulator: Emulator) -> None:
    ds.id_file.write_text("999999\n")
    proc = sync(ds, expect=1)
    assert "record 999999" in proc.stderr and "sandbox vs production" in proc.stderr
    assert mutations(emulator) == []


def test_deleted_record_is_an_error_with_guidance(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.publish(ds.record_id())
    emulator.delete_record(ds.record_id())
    emulator.clear_log()
    proc = sync(ds, expect=1)
    assert "was deleted on Zenodo" in proc.stderr
    assert mutations(emulator) == []


def test_without_a_token_it_validates_and_sends_nothing(ds: Dataset, emulator: Emulator) -> None:
    proc = run_zsync("sync", str(ds.config_path), token=None, cwd=ds.root)
    assert proc.returncode == 0, proc.stderr
    assert "no Zenodo token" in proc.stdout
    assert emulator.request_log == []
    assert not ds.id_file.exists()


def test_wrong_token_fails_with_a_hint_and_never_shows_the_token(ds: Dataset, emulator: Emulator) -> None:
    proc = run_zsync("sync", str(ds.config_path), token="wrong-secret-token-123")
    assert proc.returncode == 1
    assert "403" in proc.stderr
    assert "wrong-secret-token-123" not in proc.stderr + proc.stdout


def test_verbose_logs_requests_but_not_the_token(ds: Dataset, emulator: Emulator) -> None:
    proc = sync(ds, "--verbose")
    assert re.search(r"POST /api/records -> 201", proc.stderr) or re.search(
        r"POST .*/records -> 201", proc.stderr
    )
    assert TOKEN not in proc.stderr + proc.stdout


def test_plan_prints_the_plan_and_changes_nothing(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    ds.write_file("file00.csv", b"new content\n")
    ds.set("metadata.title", "Planned title")
    emulator.clear_log()
    proc = run_zsync("plan", str(ds.config_path))
    assert proc.returncode == 0, proc.stderr
    assert "replace  file00.csv" in proc.stderr
    assert "change   metadata.title: 'End-to-end dataset' -> 'Planned title'" in proc.stderr
    assert mutations(emulator) == []


def test_publish_flag_publishes_once_even_when_publish_answers_504(ds: Dataset, emulator: Emulator) -> None:
    emulator.faults = Faults(p_publish_504_after_success=1.0, seed=1)
    out = outputs_of(sync(ds, "--publish", "--json"))
    assert (out["state"], out["status"]) == ("published", "created")
    publishes = [r for r in emulator.request_log if r.path.endswith("/actions/publish")]
    assert len(publishes) == 1
    assert out["doi"]


def test_discard_removes_only_this_draft(ds: Dataset, emulator: Emulator, tmp_path: Path) -> None:
    other = make_dataset(tmp_path / "other", emulator.url)
    sync(other)
    sync(ds)
    proc = run_zsync("discard", str(ds.config_path))
    assert proc.returncode == 0, proc.stderr
    assert not ds.id_file.exists()
    assert api(emulator, "GET", f"/records/{other.record_id()}/draft").status_code == 200
    assert len(user_drafts(emulator)) == 1


def test_version_from_a_release_tag(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.publish(ds.record_id())
    out = outputs_of(sync(ds, "--set-version", "v2.0.0", "--json"))
    assert out["status"] == "new-version"
    assert api(emulator, "GET", f"/records/{ds.record_id()}/draft").json()["metadata"]["version"] == "2.0.0"


def test_github_output_file_gets_the_outputs(ds: Dataset, emulator: Emulator, tmp_path: Path) -> None:
    output = tmp_path / "gh_output"
    output.write_text("")
    proc = run_zsync("sync", str(ds.config_path), extra_env={"GITHUB_OUTPUT": str(output)})
    assert proc.returncode == 0, proc.stderr
    outputs = parse_outputs(output.read_text())
    assert outputs["record-id"] == ds.record_id()
    assert outputs["status"] == "created"
    assert outputs["state"] == "draft"
    assert outputs["files-uploaded"] == "3"
    assert outputs["doi"].startswith("10.")
    assert outputs["html-url"].startswith("http")
    assert set(outputs) >= {"concept-id", "concept-doi", "files-deleted", "files-unchanged", "bytes-uploaded"}


# --------------------------------------------------------------------------- crash safety and faults


@pytest.mark.parametrize("kill_after_content_puts", [0, 1, 2])
def test_killed_during_upload_then_rerun_converges_to_one_draft(
    tmp_path: Path, emulator: Emulator, kill_after_content_puts: int
) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url, n_files=3)
    ds.write_file("big.bin", os.urandom(3 * 1024 * 1024))
    emulator.faults = Faults(latency_s=0.05, seed=3)  # slow enough to be caught mid-run
    proc = spawn_zsync("sync", str(ds.config_path))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        puts = [r for r in emulator.request_log if r.method == "PUT" and r.path.endswith("/content")]
        if len(puts) >= kill_after_content_puts and any(
            r.method == "POST" and r.path.endswith("/files") for r in emulator.request_log
        ):
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, (
        "the run finished before it could be killed: the test proved nothing"
    )
    assert ds.id_file.exists(), "the id file must be written before any upload"
    at_kill = draft_files(emulator, ds.record_id())
    assert at_kill != {k: ("completed", v) for k, v in ds.local_md5s().items()}, (
        "killed after the work was done"
    )
    emulator.faults = Faults()
    sync(ds)
    assert_converged(emulator, ds)
    emulator.clear_log()
    sync(ds)
    assert mutations(emulator) == []


@pytest.mark.slow  # ~150 s, most of it the client's real retry waits; `.ci/run` runs it (`pytest -m slow`)
def test_fault_soak_fifty_runs_converge(tmp_path: Path, emulator: Emulator) -> None:
    """50 syncs with 30% of requests failing (429, 5xx, resets), some creates applied with their
    answer lost, and a search that lags 1 s: each converges to the exact state, one draft each."""
    emulator.rate_limit = RateLimit(limit=10**6, window_s=60.0, enforce=False)  # pacing is not under test
    emulator.index_delay_s = 1.0  # the re-read after a lost create must wait for the search
    lag_bound = {"ZSYNC_INDEX_LAG_S": "3"}  # above the lag; a create that was not applied waits 3 s
    reruns: list[int] = []
    for run in range(50):
        ds = make_dataset(tmp_path / f"d{run}", emulator.url, n_files=2)
        if run % 2:
            ds.write_file("third.txt", f"run {run}\n".encode())
        emulator.faults = Faults(
            p_429=0.08,
            retry_after_s=0,
            p_500=0.0,
            p_502=0.07,
            p_503=0.07,
            p_504=0.08,
            p_reset_upload=0.3,
            p_create_504_after_success=0.15,
            seed=run,
        )
        proc = run_zsync("sync", str(ds.config_path), extra_env=lag_bound)
        if proc.returncode != 0:
            # A streak of faults longer than the retry policy: a loud, resumable failure...
            assert proc.returncode == 1 and "run the sync again" in proc.stderr, proc.stderr
            reruns.append(run)
            again = run_zsync("sync", str(ds.config_path), extra_env=lag_bound)
            assert again.returncode == 0, (
                again.stderr
            )  # ...that the next run, under the same faults, completes
        emulator.faults = Faults()
        remote = draft_files(emulator, ds.record_id())
        assert remote == {k: ("completed", v) for k, v in ds.local_md5s().items()}, f"run {run}"
    assert len(emulator.drafts) == 50, "a lost create was sent again: a second draft"
    assert len(reruns) <= 2, f"runs that needed a second go: {reruns}"


def test_reserved_doi_is_an_output_of_the_draft_and_stays_at_publication(
    ds: Dataset, emulator: Emulator
) -> None:
    out = outputs_of(sync(ds, "--json"))
    assert out["doi"], "a draft's DOI is reserved so it is known before publication"
    emulator.publish(ds.record_id())
    published = api(emulator, "GET", f"/records/{ds.record_id()}").json()
    assert published["pids"]["doi"]["identifier"] == out["doi"]


def test_a_reservation_answered_without_a_doi_is_one_warning_never_a_loop(
    ds: Dataset, emulator: Emulator
) -> None:
    """Issue #10 item 6: `reserved DOI None` was printed, and every later run reserved again."""
    emulator.faults = Faults(reserve_doi_blank=True)
    first = sync(ds)
    output = first.stdout + first.stderr
    assert "None" not in output
    assert output.count("answered the DOI reservation without a DOI") == 1
    assert count(mutations(emulator))["POST /records/{id}/draft/pids/doi"] == 1
    emulator.clear_log()
    again = sync(ds)
    assert "POST /records/{id}/draft/pids/doi" not in mutations(emulator)
    assert "DOI reservation" not in again.stdout + again.stderr


def test_no_reserve_doi_leaves_the_draft_without_one(ds: Dataset, emulator: Emulator) -> None:
    out = outputs_of(sync(ds, "--no-reserve-doi", "--json"))
    assert out["doi"] == ""
    assert "POST /records/{id}/draft/pids/doi" not in mutations(emulator)
    emulator.clear_log()
    sync(ds, "--no-reserve-doi")
    assert mutations(emulator) == []


def test_an_award_with_only_a_number_or_a_title_publishes(ds: Dataset, emulator: Emulator) -> None:
    """Issue #10 item 3: zsync refused these, though InvenioRDM's AwardRelationSchema takes them (and
    the emulator, which refused them too, now answers as that schema does)."""
    ds.set(
        "metadata.funding",
        [
            {"funder": {"name": "Acme"}, "award": {"number": "42"}},
            {"funder": {"name": "B"}, "award": {"title": "T"}},
        ],
    )
    out = outputs_of(sync(ds, "--publish", "--json"))
    assert out["status"] == "created" and out["state"] == "published"
    funding = api(emulator, "GET", f"/records/{ds.record_id()}").json()["metadata"]["funding"]
    assert [f["award"] for f in funding] == [{"number": "42"}, {"title": {"en": "T"}}]


def _default_preview(emulator: Emulator, record_id: str, *, draft: bool) -> str | None:
    path = f"/records/{record_id}/draft" if draft else f"/records/{record_id}"
    preview: str | None = api(emulator, "GET", path).json()["files"].get("default_preview")
    return preview


def test_replacing_the_default_preview_restores_it_in_the_same_run_in_every_flow(
    ds: Dataset, emulator: Emulator
) -> None:
    """Issue #10 item 4: InvenioRDM unsets files.default_preview when that file is deleted; zsync must
    set it again in the run that replaced it, not in an extra edit-and-republish run afterwards."""
    sync(ds)  # a draft: replace file00.csv (the default preview) in it
    assert _default_preview(emulator, ds.record_id(), draft=True) == "file00.csv"
    ds.write_file("file00.csv", b"column\nchanged in the draft\n")
    sync(ds)
    assert _default_preview(emulator, ds.record_id(), draft=True) == "file00.csv"
    sync(ds, "--publish")
    assert _default_preview(emulator, ds.record_id(), draft=False) == "file00.csv"

    ds.set("metadata.version", "1.1.0")  # a new version: replace it in the next-version draft
    ds.write_file("file00.csv", b"column\nchanged in version 1.1.0\n")
    sync(ds, "--publish")
    assert _default_preview(emulator, ds.record_id(), draft=False) == "file00.csv"
    emulator.clear_log()
    sync(ds)
    assert mutations(emulator) == [], "the next run edited the record again to restore the preview"


def test_a_push_sync_after_a_release_draft_neither_fails_nor_changes_its_version(
    ds: Dataset, emulator: Emulator
) -> None:
    """Issue #10 item 7: the release workflow (`--set-version v1.1.0`, no publish) and then the push
    workflow (zenodo.yaml still 1.0.0): the push failed with "1.0.0 is not above 1.0.0"."""
    sync(ds, "--publish")
    sync(ds, "--set-version", "v1.1.0")
    ds.write_file("file01.csv", b"column\nchanged after the release\n")
    out = outputs_of(sync(ds, "--json"))
    assert out["status"] == "updated"
    draft = api(emulator, "GET", f"/records/{ds.record_id()}/draft").json()
    assert draft["metadata"]["version"] == "1.1.0"
    assert (
        draft_files(emulator, ds.record_id())["file01.csv"][1]
        == hashlib.md5((ds.root / "data" / "file01.csv").read_bytes()).hexdigest()
    )
