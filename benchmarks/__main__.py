"""`python -m benchmarks [--quick] [--only NAME ...] [--markdown FILE]`: run the figures, print one line
each, exit 1 when an invariant that does not depend on timing broke (0 otherwise).

Each figure works in its own temporary folder, removed when it ends (the full mode writes 1 GB and
2 GB files). A figure that raises is reported as a failed invariant with its error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks import archive, hashing, new_version, noop, original, parallel, rate_limit, startup, upload
from benchmarks.harness import Context, Figure, Line, invariant
from zsync._version import __version__

FIGURES: dict[str, Figure] = {
    "hashing": hashing.run,
    "upload": upload.run,
    "noop": noop.run,
    "new_version": new_version.run,
    "rate_limit": rate_limit.run,
    "startup": startup.run,
    "original": original.run,
    "parallel": parallel.run,
    "archive": archive.run,
}


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text("utf-8", "replace").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown memory"
    for line in Path("/proc/meminfo").read_text("ascii").splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 2**20:.1f} GiB RAM"
            break
    return f"{os.cpu_count()} CPUs ({cpu}), {memory}, {platform.system()} {platform.release()}"


def run_figure(name: str, figure: Figure, *, quick: bool, root: Path) -> tuple[list[Line], float]:
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    started = time.perf_counter()
    try:
        lines = figure(Context(quick=quick, workdir=workdir))
    except Exception as exc:  # a broken figure must show, not hide the others
        detail = "".join(traceback.format_exception_only(exc)).strip().splitlines()[-1]
        traceback.print_exc(file=sys.stderr)
        lines = [invariant(f"{name}.ran", f"raised {detail[:300]}", "-", None, "runs to the end", False)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return lines, time.perf_counter() - started


def markdown(results: list[tuple[str, list[Line], float]], *, quick: bool, about_machine: str) -> str:
    mode = "quick mode (`python -m benchmarks --quick`)" if quick else "full mode (`python -m benchmarks`)"
    out = [
        "## Performance",
        "",
        f"Measured by `benchmarks/` in {mode} on {dt.date.today().isoformat()}, zsync {__version__}, "
        f"Python {platform.python_version()}, on {about_machine}. Every figure is compared with a "
        "baseline measured in the same run against the local emulator; the machines are shared and "
        "noisy, so read the ratios, not the absolute times. PASS/FAIL on a count, a byte total or "
        "the memory bound is exact; on a time it is indicative.",
        "",
        "| figure | zsync | baseline | ratio | goal | |",
        "|---|---|---|---|---|---|",
    ]
    for _, lines, _ in results:
        for line in lines:
            ratio = "-" if line.ratio is None else f"{line.ratio:.2f}"
            verdict = (
                f"{line.verdict} (timing)" if line.verdict == "FAIL" and not line.invariant else line.verdict
            )
            cells = [line.name, line.value, line.baseline, ratio, line.goal, verdict]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    notes = [f"- `{line.name}`: {line.note}" for _, lines, _ in results for line in lines if line.note]
    if notes:
        out += ["", "Notes:", "", *notes]
    out += [
        "",
        "Reproduce with `python -m benchmarks` (several minutes, needs about 6 GB of free disk) or "
        "`python -m benchmarks --quick` (small sizes, what CI runs).",
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes; fails only on invariants (for CI)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(FIGURES),
        metavar="NAME",
        help=f"run only this figure (repeatable): {', '.join(FIGURES)}",
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="also write the results as a README section"
    )
    args = parser.parse_args(argv)
    chosen = [name for name in FIGURES if not args.only or name in args.only]
    about_machine = machine()
    print(
        f"zsync {__version__} benchmarks, {'quick' if args.quick else 'full'} mode, on {about_machine}",
        flush=True,
    )
    results: list[tuple[str, list[Line], float]] = []
    with tempfile.TemporaryDirectory(prefix="zsync-bench-") as tmp:
        for name in chosen:
            lines, seconds = run_figure(name, FIGURES[name], quick=args.quick, root=Path(tmp))
            for line in lines:
                print(line.render(), flush=True)
            print(f"  ({name}: {seconds:.1f} s)", flush=True)
            results.append((name, lines, seconds))
    every = [line for _, lines, _ in results for line in lines]
    broken = [line for line in every if line.breaks_run]
    slow = [line for line in every if not line.invariant and line.verdict == "FAIL"]
    skipped = [line for line in every if line.verdict == "SKIP"]
    checked = sum(1 for line in every if line.invariant)
    print(
        f"{checked - len(broken)} of {checked} invariants held; {len(slow)} goals on timing or third-party "
        f"behaviour missed (reported, not enforced); {len(skipped)} skipped; "
        f"{sum(s for *_, s in results):.0f} s in all"
    )
    if args.markdown:
        args.markdown.write_text(markdown(results, quick=args.quick, about_machine=about_machine), "utf-8")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
