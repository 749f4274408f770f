"""Shared fixtures: a local Zenodo emulator per test (real sockets on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_proxy import HostileProxy

from zsync.emulator import Emulator
from zsync.localfiles import usable_cores

EMULATOR_TOKEN = "test-token"
# CI checks out shared/ beside the repository; the emulator then refuses the ids Zenodo refuses.
VOCAB_DIR = Path(__file__).resolve().parents[2] / "shared/data/zenodo-vocab"


_PYCACHE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """With PYTHONDONTWRITEBYTECODE set (this workplace sets it), each of the suite's ~400 zsync
    subprocesses compiled zsync's modules from source again: a fresh clone's `zsync validate` took
    0.12 s instead of 0.065 s, and the suite ~10 s more on 2 cores. The suite's processes (the xdist
    workers are started after this hook, and inherit it) write bytecode instead, under a temporary
    PYTHONPYCACHEPREFIX outside the checkout, removed at the end. Measured back to back in a fresh
    clone on 2 cores: 118 s -> 108 s."""
    if "PYTHONDONTWRITEBYTECODE" not in os.environ or "PYTHONPYCACHEPREFIX" in os.environ:
        return
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    config.stash[_PYCACHE] = os.environ["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="zsync-tests-pyc-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PYCACHE in config.stash:
        shutil.rmtree(config.stash[_PYCACHE], ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many workers `-n auto` (pyproject's addopts) starts: two per core this process may use.
    Much of the suite waits (on zsync subprocesses, sockets, throttled uploads, deadlines), so one
    worker per core leaves cores idle: on 2 cores the default suite took 94 s with 2 workers, 83 s
    with 3, 81 s with 4. `-n 0` runs it in this process, for a debugger."""
    return 2 * usable_cores()


@pytest.fixture(autouse=True)
def state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own XDG_STATE_HOME (where a sync notes a create in flight, zsync.createnote):
    never the real home's, and never shared by two tests. Subprocesses inherit it."""
    state = tmp_path_factory.mktemp("state-home")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture
def emulator_token() -> str:
    return EMULATOR_TOKEN


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A started emulator with token "test-token", no faults, torn down after the test."""
    if VOCAB_DIR.is_dir() and "ZSYNC_EMULATOR_VOCAB" not in os.environ:
        monkeypatch.setenv("ZSYNC_EMULATOR_VOCAB", str(VOCAB_DIR))
    with Emulator(tokens=(EMULATOR_TOKEN,)) as emu:
        yield emu


@pytest.fixture
def hostile_proxy(emulator: Emulator) -> Iterator[HostileProxy]:
    """A `tests/hostile_proxy.HostileProxy` in front of the `emulator`: give zsync `proxy.url`."""
    with HostileProxy(emulator.url) as proxy:
        yield proxy


@pytest.fixture
def foreign_origin() -> Iterator[HostileProxy]:
    """Another origin on 127.0.0.1 with no upstream (404 `{}` unless a rule answers): a redirect
    target whose `requests` show what was sent there."""
    with HostileProxy(None) as proxy:
        yield proxy
