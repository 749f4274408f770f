"""Against the real Zenodo sandbox: opt-in only (`pytest -m live`, with ZENODO_SANDBOX_TOKEN set).

Never run by CI (no network there). It creates a small draft on sandbox.zenodo.org, checks that a
second run changes nothing, then discards the draft, so the account is left as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import zsync
from zsync.engine import discard

pytestmark = pytest.mark.live

SANDBOX = "https://sandbox.zenodo.org/api"


@pytest.fixture
def token() -> str:
    value = os.environ.get("ZENODO_SANDBOX_TOKEN", "")
    if not value:
        pytest.fail("set ZENODO_SANDBOX_TOKEN to a sandbox.zenodo.org token to run the live tests")
    return value


def test_sync_to_the_sandbox_then_discard(tmp_path: Path, token: str) -> None:
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "zenodo.yaml").write_text(
        f"endpoint: {SANDBOX}\n"
        "metadata:\n"
        "  title: 'zsync live test (safe to delete)'\n"
        "  version: '0.0.1'\n"
        "  resource_type: dataset\n"
        "  license: cc0-1.0\n"
        "  creators:\n"
        "    - family_name: Tester\n"
        "      given_name: Zsync\n"
        "paths: [data.csv]\n"
    )
    config = tmp_path / "zenodo.yaml"
    try:
        first = zsync.sync(config, token=token)
        assert first.status == "created"
        assert first.files_uploaded == 1
        second = zsync.sync(config, token=token)
        assert second.status == "unchanged"
        assert second.files_uploaded == 0
    finally:
        discard(config, token=token)
