"""`zsync demo`: the real sync, end to end, on a copy of a dataset, against the built-in emulator.

No token and no network: a new user sees the plan, per-file progress and the summary of a first
sync, then a second run that uploads nothing. The dataset folder is copied to a temporary folder,
so the user's record-id file is never touched. Without a config it is `DEMO_CONFIG`, the example
dataset shipped in the package (a copy of the repository's examples/), so the demo also runs from a
wheel (pipx, uv tool) or the image, outside a checkout. `run_demo` yields one `DemoRun` per run and prints
nothing: the CLI prints them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from zsync import engine
from zsync.config import load_config
from zsync.errors import UsageError
from zsync.frozen import frozen
from zsync.models import Config
from zsync.report import LogReporter

_TOKEN = "demo-token"  # noqa: S105 (the emulator's own throwaway token)

DEMO_CONFIG = Path(__file__).parent / "demodata" / "zenodo.yaml"

RUNS = (("1. plan", True), ("2. first sync", False), ("3. second sync", False))


@frozen
class DemoRun:
    """One run of the demo: its title, what it did, and how many requests it made (and changed)."""

    title: str
    result: engine.SyncResult
    requests: int
    mutating_requests: int


@frozen
class DemoSetup:
    """Where the demo syncs to, instead of the config's own endpoint."""

    config_path: Path
    emulator_url: str
    endpoint: str


def run_demo(config_path: Path = DEMO_CONFIG) -> Iterator[DemoSetup | DemoRun]:
    """Copy the dataset, start an emulator, then plan, sync and sync again: one item per stage."""
    from zsync.api import ZenodoClient
    from zsync.emulator import Emulator

    source = load_config(config_path)  # fail early, with the user's own paths in the messages
    with tempfile.TemporaryDirectory(prefix="zsync-demo-") as tmp:
        copy = _copy_dataset(source, config_path, Path(tmp) / "dataset")
        with Emulator(tokens=(_TOKEN,)) as emulator:
            yield DemoSetup(config_path, emulator.url, source.endpoint)
            for title, dry_run in RUNS:
                emulator.clear_log()
                result = engine.sync(
                    copy,
                    token=_TOKEN,
                    dry_run=dry_run,
                    client=ZenodoClient(emulator.url, _TOKEN),
                    reporter=LogReporter(),
                )
                yield DemoRun(title, result, len(emulator.request_log), len(emulator.mutating_requests()))


def _copy_dataset(config: Config, config_path: Path, work: Path) -> Path:
    """Copy the config, its readme and its files (only those) into `work`, keeping their layout.

    The demo must never write the user's own record-id file, so everything it names has to live
    below the config's folder.
    """
    base = config_path.resolve().parent
    named = [config.path_record_id, *config.paths, *([config.path_readme] if config.path_readme else [])]
    outside = [str(p) for p in named if not p.resolve().is_relative_to(base)]
    if outside:
        raise UsageError(
            f"zsync demo copies a dataset that lives beside its config; these are outside {base}: "
            + ", ".join(outside),
            hint="try `zsync demo` (the example dataset), or `zsync plan` against your own endpoint",
        )
    for path in [config_path.resolve(), *config.paths, *([config.path_readme] if config.path_readme else [])]:
        target = work / path.resolve().relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return work / config_path.name
