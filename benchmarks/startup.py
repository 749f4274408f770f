"""Figure 6, start-up: `zsync --version` and `zsync validate examples/zenodo.yaml` against a bare
`python -c pass` of the same interpreter, best of many interleaved runs.

Start-up is what a CI step pays on every run; the CLI imports its heavy modules (requests, the
engine) only in the commands that need them, so validating stays close to a bare interpreter.
"""

from __future__ import annotations

from benchmarks.harness import (
    REPO_ROOT,
    Context,
    Line,
    fmt_s,
    invariant,
    ratio,
    run_child,
    timing,
    zsync_command,
)

GOAL_RATIO = 3.0


def run(ctx: Context) -> list[Line]:
    rounds = 10 if ctx.quick else 30
    example = REPO_ROOT / "examples" / "zenodo.yaml"
    commands = {
        "bare": [ctx.python(), "-c", "pass"],
        "version": [*zsync_command(), "--version"],
        "validate": [*zsync_command(), "validate", "-q", str(example)],
    }
    best = dict.fromkeys(commands, float("inf"))
    failures: list[str] = []
    for argv in commands.values():  # warm-up: bytecode caches written, files in the page cache
        run_child(argv, cwd=REPO_ROOT)
    for _ in range(rounds):
        for name, argv in commands.items():
            child = run_child(argv, cwd=REPO_ROOT)
            if child.returncode != 0:
                failures.append(f"{name}: exit {child.returncode}: {child.stderr.strip()[-300:]}")
            best[name] = min(best[name], child.wall_s)
    bare = best["bare"]
    version_ratio = ratio(best["version"], bare)
    validate_ratio = ratio(best["validate"], bare)
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
    ]
