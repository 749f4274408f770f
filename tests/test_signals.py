"""SIGINT and SIGTERM (a cancelled job, Ctrl-C, `docker stop`): the real processes, against the emulator.

Each test starts the entrypoint (as the Action, with the runner's environment) or the `zsync`
command as a subprocess, sends a signal at a chosen point of the run, and checks what a person
would: the exit code (130 for SIGINT, 143 for SIGTERM), one line on stderr and no traceback,
`status=cancelled` in GITHUB_OUTPUT, the job summary, the token nowhere; then that the next run, on a
fresh checkout as in a new job, finishes the same draft: no second draft, no stale or pending file,
and a run after it has nothing to do. The in-process variant, a signal after every request that
changes something, is tests/test_crash_points_signals.py; in the container as PID 1,
tests/test_signals_container.py.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_proxy import HostileProxy, Rule
from test_entrypoint import ENTRYPOINT, ID_FILE, TOKEN, Workspace, add_big_file, git, parse_outputs, workspace
from test_hostile import action, example_workspace
from test_sync_e2e import FAST_RETRIES, draft_files, make_dataset, mutations, user_drafts

from zsync.emulator import Emulator, Faults
from zsync.localfiles import md5_of

__all__ = ["action", "example_workspace", "workspace"]  # the fixtures, for the tests below

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
BIG = 3 * 1024 * 1024
SLOW_UPLOAD = Faults(upload_bytes_per_s=250_000)  # big.bin takes 12 s: a signal finds it mid-upload

AT_ONCE = re.compile(r"zsync: SIG(INT|TERM) again: stopped at once$")


@dataclass
class Stopped:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    seconds_after_signal: float

    @property
    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, self.summary, *self.outputs.values()])


def signal_action(
    ws: Workspace, when: Callable[[], bool], signals: list[signal.Signals], gap_s: float = 0.3
) -> Stopped:
    """Start the action as the container does, send `signals` (`gap_s` apart) once `when()` holds."""
    env, files = ws.environment(token=TOKEN, **{k.lower(): v for k, v in FAST_RETRIES.items()})
    proc = subprocess.Popen(
        [sys.executable, str(ENTRYPOINT)], cwd=ws.root, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    sent_at = _send_when(proc, when, signals, gap_s)
    stdout, stderr = proc.communicate(timeout=60)
    return Stopped(
        proc.returncode,
        stdout,
        stderr,
        parse_outputs((files / "output").read_text()),
        (files / "summary").read_text(),
        time.monotonic() - sent_at,
    )


def _send_when(
    proc: subprocess.Popen[str], when: Callable[[], bool], signals: list[signal.Signals], gap_s: float
) -> float:
    deadline = time.monotonic() + 60
    while not when():
        assert proc.poll() is None, "the run ended before the point the signal was meant for"
        assert time.monotonic() < deadline, "the run never reached the point the signal was meant for"
        time.sleep(0.005)
    sent_at = 0.0
    for index, signum in enumerate(signals):
        if index:
            time.sleep(gap_s)
        assert proc.poll() is None, "the run ended before the signal: the test proved nothing"
        sent_at = time.monotonic()
        proc.send_signal(signum)
    return sent_at


def uploading(emulator: Emulator) -> Callable[[], bool]:
    """True once the uploads were announced and a moment has passed: big.bin is on its way."""
    announced: list[float] = []

    def check() -> bool:
        if not announced and any(
            r.method == "POST" and r.path.endswith("/draft/files") for r in emulator.request_log
        ):
            announced.append(time.monotonic())
        return bool(announced) and time.monotonic() - announced[0] > 0.5

    return check


def assert_cancelled(run: Stopped, signum: signal.Signals) -> None:
    assert run.code == EXIT[signum], run.stderr
    assert run.outputs["status"] == "cancelled", run.outputs
    assert "Traceback" not in run.everything
    assert TOKEN not in run.everything.replace(f"::add-mask::{TOKEN}", "")
    lines = [line for line in run.stderr.splitlines() if line.startswith("zsync: cancelled")]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"zsync: cancelled by {signum.name}")
    assert run.summary.startswith("## Zenodo sync cancelled"), run.summary


def next_job_converges(ws: Workspace, emulator: Emulator, tmp_path: Path) -> str:
    """A new job on a fresh clone finishes the record; a third has nothing to do. Returns its id."""
    emulator.faults = Faults()
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(ws.remote), str(fresh))
    again = Workspace(fresh, ws.remote, tmp_path).run(token=TOKEN)
    assert again.code == 0, again.log
    record_id = again.outputs["record-id"]
    local = {p.name: md5_of(p) for p in [*(fresh / "data").iterdir(), *(fresh / "figures").iterdir()]}
    assert draft_files(emulator, record_id) == {k: ("completed", v) for k, v in local.items()}
    assert len(user_drafts(emulator)) == 1, "a second draft"
    emulator.clear_log()
    third = Workspace(fresh, ws.remote, tmp_path).run(token=TOKEN)
    assert third.outputs["status"] == "unchanged", third.log
    assert mutations(emulator) == []
    return record_id


# --------------------------------------------------------------------------- the Action


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_upload_stops_the_action_with_cancelled_outputs_and_summary(
    workspace: Workspace, emulator: Emulator, tmp_path: Path, signum: signal.Signals
) -> None:
    add_big_file(workspace, BIG)
    emulator.faults = SLOW_UPLOAD
    run = signal_action(workspace, uploading(emulator), [signum])

    assert_cancelled(run, signum)
    assert run.seconds_after_signal < 5, "the upload in flight is abandoned, not finished"
    record_id = workspace.remote_file(ID_FILE).strip()
    assert run.outputs["record-id"] == record_id
    assert f"during 'upload big.bin 3.0 MiB (new)'; the next run continues draft {record_id}" in run.stderr
    assert "### Done before it stopped\n\n- create a new draft\n" in run.summary
    assert "### Stopped during\n\n- upload big.bin 3.0 MiB (new): abandoned part way" in run.summary
    assert f"continues draft {record_id}; it never creates a second draft" in run.summary
    assert "- send the metadata" in run.summary.split("What was left at the stop:")[1]
    assert draft_files(emulator, record_id)["big.bin"][0] == "pending", "stopped after the upload ended"

    assert next_job_converges(workspace, emulator, tmp_path) == record_id


def test_a_signal_before_anything_changed_says_so_and_the_next_run_syncs(
    workspace: Workspace, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.faults = Faults(latency_s=0.3)
    run = signal_action(workspace, lambda: bool(emulator.request_log), [signal.SIGTERM])

    assert_cancelled(run, signal.SIGTERM)
    assert "before anything was changed on Zenodo" in run.stderr
    assert "Nothing was changed on Zenodo." in run.summary
    assert "record-id" not in run.outputs
    assert emulator.mutating_requests() == [] and user_drafts(emulator) == []
    next_job_converges(workspace, emulator, tmp_path)


def _creating(proxy: HostileProxy) -> Callable[[], bool]:
    return lambda: any(r.method == "POST" and r.path == "/records" for r in proxy.requests)


def test_a_signal_while_the_draft_is_created_waits_for_its_id_to_be_pushed(
    action: Workspace, emulator: Emulator, hostile_proxy: HostileProxy, tmp_path: Path
) -> None:
    """Creating the draft and recording its id are never split: the next job continues that draft
    by its id, instead of finding it by its title (or, while the search index lags, not at all)."""
    hostile_proxy.add(Rule("POST", r"/records", stall_s=1.5, times=1))
    run = signal_action(action, _creating(hostile_proxy), [signal.SIGTERM])

    assert_cancelled(run, signal.SIGTERM)
    assert run.seconds_after_signal > 1.0, "the create in flight was abandoned"
    record_id = action.remote_file(ID_FILE).strip()
    assert set(emulator.drafts) == {record_id}
    assert run.outputs["record-id"] == record_id
    assert "- create a new draft\n- write the record id (a new draft)\n" in run.summary
    assert not any(r.path.endswith("/draft/files") for r in hostile_proxy.requests), (
        "went on after the signal"
    )
    assert next_job_converges(action, emulator, tmp_path) == record_id


def test_a_second_signal_while_stopping_exits_at_once(
    action: Workspace, emulator: Emulator, hostile_proxy: HostileProxy, tmp_path: Path
) -> None:
    hostile_proxy.add(Rule("POST", r"/records", stall_s=4, times=1))
    run = signal_action(action, _creating(hostile_proxy), [signal.SIGINT, signal.SIGTERM])

    assert_cancelled(run, signal.SIGTERM)
    assert run.seconds_after_signal < 2, "the second signal waited for the create to end"
    next_job_converges(action, emulator, tmp_path)


# --------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_cli_stops_on_a_signal_with_one_line_and_the_next_run_finishes(
    tmp_path: Path, emulator: Emulator, signum: signal.Signals
) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url)
    ds.write_file("big.bin", os.urandom(BIG))
    emulator.faults = SLOW_UPLOAD
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENODO", "GITHUB_"))}
    env.update(FAST_RETRIES, ZENODO_TOKEN=TOKEN)
    proc = subprocess.Popen(
        [sys.executable, "-m", "zsync", "sync", str(ds.config_path)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _send_when(proc, uploading(emulator), [signum], 0)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == EXIT[signum], stderr
    assert "Traceback" not in stdout + stderr and TOKEN not in stdout + stderr
    assert stderr.splitlines()[-1] == (
        f"zsync: cancelled by {signum.name} during 'upload big.bin 3.0 MiB (new)'; "
        f"the next run continues draft {ds.record_id()}"
    )
    emulator.faults = Faults()
    again = subprocess.run(
        [sys.executable, "-m", "zsync", "sync", str(ds.config_path)], env=env, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert draft_files(emulator, ds.record_id()) == {k: ("completed", v) for k, v in ds.local_md5s().items()}
    assert len(user_drafts(emulator)) == 1


# --------------------------------------------------------------------------- the soak


@pytest.mark.slow  # about 2 minutes; `.ci/run` runs it (`pytest -m slow`)
def test_signal_soak_twenty_runs_stopped_at_random_points_converge(
    tmp_path: Path, emulator: Emulator
) -> None:
    """20 CLI syncs under faults, each sent SIGINT or SIGTERM (sometimes twice) at a random moment:
    each stops cleanly (or had finished), and the next run completes it with no second draft."""
    rng = random.Random(20261202)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENODO", "GITHUB_"))}
    env.update(FAST_RETRIES, ZENODO_TOKEN=TOKEN)
    cancelled = 0
    for n in range(20):
        ds = make_dataset(tmp_path / f"d{n}", emulator.url)
        ds.set("metadata.title", f"Soak dataset {n}")  # the next run never takes another's draft for its own
        ds.write_file("big.bin", rng.randbytes(600_000))
        emulator.faults = Faults(
            latency_s=0.02, upload_bytes_per_s=500_000, p_503=0.05, retry_after_s=0, seed=n
        )
        signals = [rng.choice([signal.SIGINT, signal.SIGTERM]) for _ in range(rng.choice([1, 1, 2]))]
        proc = subprocess.Popen(
            [sys.executable, "-m", "zsync", "sync", str(ds.config_path)], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        emulator.clear_log()
        while not emulator.request_log and proc.poll() is None:  # past the interpreter's start-up
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 2.5))
        for signum in signals:
            if proc.poll() is None:
                proc.send_signal(signum)
                time.sleep(rng.uniform(0, 0.1))
        stdout, stderr = proc.communicate(timeout=60)
        at = f"run {n} ({[s.name for s in signals]}): exit {proc.returncode}\n{stderr}"
        assert proc.returncode in (0, 130, 143), at
        assert "Traceback" not in stdout + stderr and TOKEN not in stdout + stderr, at
        if proc.returncode:
            cancelled += 1
            # One closing line: the clean stop's, or, when a second signal came while it was being
            # written (the documented "a second signal exits at once"), that second signal's.
            ends = [
                ln for ln in stderr.splitlines() if ln.startswith("zsync: cancelled by") or AT_ONCE.match(ln)
            ]
            assert len(ends) == 1, at
            assert ends[0].startswith("zsync: cancelled by") or len(signals) == 2, at
        emulator.faults = Faults()
        _settle(emulator)
        again = subprocess.run(
            [sys.executable, "-m", "zsync", "sync", str(ds.config_path)], env=env, capture_output=True,
            text=True, timeout=60, check=False,
        )  # fmt: skip
        assert again.returncode == 0, f"{at}\nthe next run:\n{again.stderr}"
        remote = draft_files(emulator, ds.record_id())
        assert remote == {k: ("completed", v) for k, v in ds.local_md5s().items()}, at
        assert len(user_drafts(emulator)) == n + 1, f"{at}: a second draft"
    assert cancelled >= 12, f"only {cancelled} of 20 runs were stopped: the soak proved little"


def _settle(emulator: Emulator, quiet_s: float = 0.3) -> None:
    """Until the emulator has logged nothing new for `quiet_s`: an upload the stopped run abandoned
    ends on the server (its entry reset, the draft's revision bumped) before the next run starts, as
    it would at Zenodo long before a re-run job; otherwise the next run may meet that late change
    (a 412: "changed by someone else during this run", which a further run resolves)."""
    seen, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s:
        if len(emulator.request_log) != seen:
            seen, since = len(emulator.request_log), time.monotonic()
        time.sleep(0.02)
