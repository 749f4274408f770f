"""The engine through its public Python API (`zsync.sync`, `zsync.plan`), in-process, against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from test_sync_e2e import ACCEPT, TOKEN, make_dataset

import zsync
from zsync.api import RetryPolicy, ZenodoClient
from zsync.emulator import Emulator
from zsync.errors import SyncError
from zsync.report import NullReporter


def no_wait() -> RetryPolicy:
    return RetryPolicy(sleep=lambda _s: None)


def test_public_api_sync_plan_validate(tmp_path: Path, emulator: Emulator) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url)
    config = zsync.validate(ds.config_path)
    assert config.metadata.title == "End-to-end dataset"
    planned = zsync.plan(ds.config_path, token=TOKEN, retry=no_wait())
    assert planned.status == "planned"
    assert planned.plan is not None and len(planned.plan.uploads) == 3
    assert emulator.mutating_requests() == []
    result = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait(), reporter=NullReporter())
    assert (result.status, result.files_uploaded, result.record_id_changed) == ("created", 3, True)
    again = zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    assert (again.status, again.files_uploaded, again.record_id_changed) == ("unchanged", 0, False)


def test_token_from_the_environment_mapping_not_os_environ(tmp_path: Path, emulator: Emulator) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url)
    result = zsync.sync(ds.config_path, environ={"ZENODO_TOKEN": TOKEN}, retry=no_wait())
    assert result.status == "created"
    assert zsync.sync(ds.config_path, environ={}).status == "validated"


class RacingClient(ZenodoClient):
    """Someone else saves the draft between zsync's read and zsync's PUT (a second run, a person)."""

    def update_draft(self, record_id: str, document: Any, *, if_match: int | None = None) -> Any:
        url = f"{self.endpoint}/records/{record_id}/draft"
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": ACCEPT}
        theirs = requests.get(url, headers=headers, timeout=10).json()
        theirs["metadata"]["title"] = "Their title"
        body = {k: theirs[k] for k in ("metadata", "custom_fields", "access")}
        assert requests.put(url, json=body, headers=headers, timeout=10).status_code == 200
        return super().update_draft(record_id, document, if_match=if_match)


def test_a_concurrent_change_is_detected_not_overwritten(tmp_path: Path, emulator: Emulator) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url)
    zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    ds.set("metadata.title", "Our title")
    client = RacingClient(emulator.url, TOKEN, retry=no_wait())
    with pytest.raises(SyncError, match="changed by someone else during this run") as info:
        zsync.sync(ds.config_path, token=TOKEN, client=client)
    assert "concurrency" in (info.value.hint or "")
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": ACCEPT}
    draft = requests.get(f"{emulator.url}/records/{ds.record_id()}/draft", headers=headers, timeout=10).json()
    assert draft["metadata"]["title"] == "Their title"


def test_fields_added_on_the_web_survive_a_metadata_update(tmp_path: Path, emulator: Emulator) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url)
    zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    url = f"{emulator.url}/records/{ds.record_id()}/draft"
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": ACCEPT}
    doc = requests.get(url, headers=headers, timeout=10).json()
    doc["metadata"]["languages"] = [{"id": "eng"}]
    body = {k: doc[k] for k in ("metadata", "custom_fields", "access")}
    assert requests.put(url, json=body, headers=headers, timeout=10).status_code == 200
    ds.set("metadata.title", "New title")
    zsync.sync(ds.config_path, token=TOKEN, retry=no_wait())
    after = requests.get(url, headers=headers, timeout=10).json()["metadata"]
    assert after["title"] == "New title"
    assert [language["id"] for language in after["languages"]] == ["eng"]  # the server adds its title
