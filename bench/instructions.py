"""CPU instructions that check() and fix() execute, counted by valgrind (callgrind).

Usage: python bench/instructions.py [--files 40] [--repo PATH ...] [--keystrokes]

Timings on the development VM vary by ±20 % from run to run, more than most single changes
gain; instruction counts do not vary. Each workload runs in a fresh interpreter under
`valgrind --tool=callgrind`, and the same interpreter doing everything but the workload
(start-up, imports, reading the inputs) is subtracted:

- fix: `fix()` over the first N gen_corpus.py files (seed 1), every default rule;
- check-1000: `parse()` and `check_tree()` with every rule, twice, on the 1,007-line file that
  bench/lsp_latency.py types into;
- edit-1000: what dockerfix-lsp does per keystroke: that file checked once with a `Memo`, then
  20 one-character edits typed as bench/lsp_latency.py types them, each parsed from the
  previous version's tree and checked with the memo.

`--keystrokes` measures one typed character instead: its parse (from the previous version's
tree where the checkout can) and its parse + memo check, the edit workloads with 12 typed
characters minus those with 4, over 8; typed near the top of the file (as the latency
benchmark types) and near its end (where the parse reuses almost every item).

`--repo` names checkouts to measure (default: this one), e.g. a `git worktree` of an older
commit, so that two versions are compared on the same inputs. Needs valgrind (Debian package).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.lsp_latency import big_dockerfile, typed_versions
from bench.parse_bench import corpus

ROOT = Path(__file__).resolve().parents[1]

RUNNER = """
import inspect, json, sys
sys.path.insert(0, sys.argv[1])
from dockerfix.config import Config
from dockerfix.engine import Memo, check_tree, fix
from dockerfix.syntax import parse
workload, texts = sys.argv[2], json.loads(open(sys.argv[3]).read())
if workload == "fix":
    for text in texts:
        fix(text)
elif workload == "check-1000":
    config = Config(select=("ALL",))
    for text in texts:
        check_tree(parse(text), config)
elif workload in ("edit-1000", "edit-parse-1000"):
    config, memo, tree = Config(select=("ALL",)), Memo(), None
    incremental = "previous" in inspect.signature(parse).parameters  # not in older checkouts
    for text in texts:
        tree = parse(text, previous=tree) if incremental else parse(text)
        if workload == "edit-1000" or memo.settings is None:  # edit-parse: the first only
            check_tree(tree, config, memo=memo)
"""

_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(repo: Path, workload: str, inputs: Path) -> int:
    valgrind = [shutil.which("valgrind") or "valgrind", "--tool=callgrind"]
    command = [*valgrind, "--callgrind-out-file=/dev/null", sys.executable, "-c", RUNNER]
    done = subprocess.run(
        [*command, str(repo), workload, str(inputs)], capture_output=True, text=True, check=True
    )
    match = _COLLECTED.search(done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def per_keystroke(repo: Path, scratch: Path, *, from_end: bool) -> dict[str, float]:
    """Instructions of one typed character after the first check, parse alone and parse with
    the memo check: the edit workloads with 12 typed characters minus those with 4, over 8."""
    big = big_dockerfile(1000)
    counts: dict[tuple[str, int], int] = {}
    for edits in (4, 12):
        inputs = scratch / f"keystrokes-{edits}.json"
        inputs.write_text(json.dumps(typed_versions(big, edits, from_end=from_end)))
        for workload in ("edit-parse-1000", "edit-1000"):
            counts[workload, edits] = instructions(repo, workload, inputs)
    return {
        workload: (counts[workload, 12] - counts[workload, 4]) / 8
        for workload in ("edit-parse-1000", "edit-1000")
    }


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--files", type=int, default=40)
    args.add_argument("--repo", type=Path, action="append")
    args.add_argument(
        "--keystrokes", action="store_true", help="per typed character: parse, parse + check"
    )
    options = args.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found (apt-get install valgrind)")
    if options.keystrokes:
        print("| checkout | typed | parse per keystroke | parse + memo check per keystroke |")
        print("| --- | --- | ---: | ---: |")
        with tempfile.TemporaryDirectory() as scratch:
            for repo in options.repo or [ROOT]:
                for from_end, where in ((False, "near the top"), (True, "near the end")):
                    counts = per_keystroke(repo, Path(scratch), from_end=from_end)
                    parse, both = counts["edit-parse-1000"], counts["edit-1000"]
                    print(f"| {repo} | {where} | {parse / 1e6:,.1f} M | {both / 1e6:,.1f} M |")
        return
    big = big_dockerfile(1000)
    workloads = {
        "fix": corpus(options.files, 1)[: options.files],
        "check-1000": [big, big + "# changed\n"],
        "edit-1000": typed_versions(big, 20),
    }
    print("| checkout | workload | instructions (millions) |")
    print("| --- | --- | ---: |")
    with tempfile.TemporaryDirectory() as scratch:
        for repo in options.repo or [ROOT]:
            for name, texts in workloads.items():
                inputs = Path(scratch) / f"{name}.json"
                inputs.write_text(json.dumps(texts))
                total = instructions(repo, name, inputs) - instructions(repo, "none", inputs)
                print(f"| {repo} | {name} | {total / 1e6:,.0f} |")


if __name__ == "__main__":
    main()
