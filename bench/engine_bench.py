"""check() and fix() throughput over a gen_corpus tree, every default rule on.

Usage: python bench/engine_bench.py [--files 2000] [--seed 1]

Prints a Markdown table: files/s and ms per file for parse, check, fix (safe) and fix
(unsafe), plus how many files each fix changed. Single process, CPU time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench.parse_bench import corpus
from dockerfix import parse
from dockerfix.config import Config
from dockerfix.engine import check, fix

CONFIG = Config()


def _timed(texts: list[str], run: Callable[[str], object]) -> tuple[float, list[object]]:
    start = time.process_time()
    results = [run(text) for text in texts]
    return time.process_time() - start, results


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--files", type=int, default=2000)
    args.add_argument("--seed", type=int, default=1)
    options = args.parse_args()
    texts = corpus(options.files, options.seed)
    steps: dict[str, Callable[[str], object]] = {
        "parse": parse,
        "check": lambda text: check(text, CONFIG),
        "fix (safe)": lambda text: fix(text, CONFIG),
        "fix (safe + unsafe)": lambda text: fix(text, CONFIG, unsafe=True),
    }
    print(f"#### {len(texts)} gen_corpus.py files, every default rule\n")
    print("| step | files/s | ms/file | files changed |")
    print("| --- | ---: | ---: | ---: |")
    for name, run in steps.items():
        seconds, results = _timed(texts, run)
        changed = sum(1 for t, r in zip(texts, results, strict=True) if getattr(r, "text", t) != t)
        shown = str(changed) if name.startswith("fix") else "—"
        rate, per_file = len(texts) / seconds, seconds * 1e3 / len(texts)
        print(f"| {name} | {rate:,.0f} | {per_file:.2f} | {shown} |")


if __name__ == "__main__":
    main()
