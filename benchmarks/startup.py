"""Figure 6, start-up: `zsync --version`, `zsync validate examples/zenodo.yaml` and a no-op `zsync plan`
of a 3-file dataset (against the local emulator: no network time to speak of) against a bare
`python -c pass` of the same interpreter, best of many interleaved runs.

Start-up is what a CI step pays on every run; the CLI imports its heavy modules (requests, the
engine) only in the commands that need them, so validating stays close to a bare interpreter.
"""

from __future__ import annotations

from benchmarks.harness import (
    REPO_ROOT,
    TOKEN,
    Context,
    Line,
    child_env,
    emulator,
    fmt_s,
    invariant,
    ratio,
    run_child,
    timing,
    write_dataset,
    zsync,
    zsync_command,
)

GOAL_RATIO = 3.0
PLAN_GOAL_RATIO = 5.0


def run(ctx: Context) -> list[Line]:
    rounds = 10 if ctx.quick else 30
    example = REPO_ROOT / "examples" / "zenodo.yaml"
    with emulator(ctx.workdir) as emu:
        config, _ = write_dataset(ctx.workdir / "dataset", endpoint=emu.url, file_count=3, file_bytes=1000)
        zsync(["sync", "-q", str(config)]).check("first zsync sync")
        commands = {
            "bare": [ctx.python(), "-c", "pass"],
            "version": [*zsync_command(), "--version"],
            "validate": [*zsync_command(), "validate", "-q", str(example)],
            "plan": [*zsync_command(), "plan", "-q", str(config)],
        }
        best, failures = _best_of(commands, rounds)
    bare = best["bare"]
    version_ratio = ratio(best["version"], bare)
    validate_ratio = ratio(best["validate"], bare)
    plan_ratio = ratio(best["plan"], bare)
    return [
        invariant(
            "startup.commands_succeed",
            "exit 0" if not failures else failures[0],
            "python -c pass",
            None,
            "exit 0",
            not failures,
        ),
        timing(
            "startup.version",
            f"zsync --version {fmt_s(best['version'])}",
            f"python -c pass {fmt_s(bare)}",
            version_ratio,
            "reported",
            None,
            note=f"best of {rounds}",
        ),
        timing(
            "startup.validate",
            f"zsync validate examples/zenodo.yaml {fmt_s(best['validate'])}",
            f"python -c pass {fmt_s(bare)}",
            validate_ratio,
            f"<= {GOAL_RATIO:.2f}",
            validate_ratio is not None and validate_ratio <= GOAL_RATIO,
            note=f"best of {rounds}",
        ),
        timing(
            "startup.plan[3 files]",
            f"zsync plan (no-op, local emulator) {fmt_s(best['plan'])}",
            f"python -c pass {fmt_s(bare)}",
            plan_ratio,
            f"<= {PLAN_GOAL_RATIO:.2f}",
            plan_ratio is not None and plan_ratio <= PLAN_GOAL_RATIO,
            note=f"best of {rounds}; 2 requests to 127.0.0.1 included",
        ),
    ]


def _best_of(commands: dict[str, list[str]], rounds: int) -> tuple[dict[str, float], list[str]]:
    best = dict.fromkeys(commands, float("inf"))
    failures: list[str] = []
    env = child_env({"ZENODO_TOKEN": TOKEN})
    for argv in commands.values():  # warm-up: bytecode caches written, files in the page cache
        run_child(argv, cwd=REPO_ROOT, env=env)
    for _ in range(rounds):
        for name, argv in commands.items():
            child = run_child(argv, cwd=REPO_ROOT, env=env)
            if child.returncode != 0:
                failures.append(f"{name}: exit {child.returncode}: {child.stderr.strip()[-300:]}")
            best[name] = min(best[name], child.wall_s)
    return best, failures
