"""Parse throughput: dockerfix vs BuildKit's Go parser (PyPI `dockerfile`) vs `dockerfile-parse`.

Usage: python bench/parse_bench.py [--files 2000] [--seed 1] [--rounds 5]

Generates a corpus with ../shared/tools/gen_corpus.py, reads every file into memory, then
times each parser over all of them, interleaving rounds so that all three see the same machine
load, and prints a Markdown table (best round, CPU time of this process).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dockerfile
from dockerfile_parse import DockerfileParser

import dockerfix

ROOT = Path(__file__).resolve().parents[1]
GEN_CORPUS = ROOT.parent / "shared" / "tools" / "gen_corpus.py"


def _dockerfile_parse(text: str) -> object:
    parser = DockerfileParser(fileobj=None, cache_content=True)
    parser.content = text
    return parser.structure


PARSERS: dict[str, Callable[[str], object]] = {
    "dockerfix": dockerfix.parse,
    "dockerfile (BuildKit Go parser)": dockerfile.parse_string,
    "dockerfile-parse": _dockerfile_parse,
}


def corpus(count: int, seed: int) -> list[str]:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, str(GEN_CORPUS), out, "-n", str(count), "--seed", str(seed)],
            check=True,
            capture_output=True,
        )
        return [p.read_text() for p in sorted(Path(out).rglob("*")) if p.is_file()]


def bench(texts: list[str], rounds: int) -> dict[str, float]:
    best = dict.fromkeys(PARSERS, float("inf"))
    for _ in range(rounds):
        for name, parse in PARSERS.items():
            start = time.process_time()
            for text in texts:
                parse(text)
            best[name] = min(best[name], time.process_time() - start)
    return best


def table(title: str, texts: list[str], rounds: int) -> str:
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    rows = [
        f"#### {title}: {len(texts)} files, {megabytes * 1e3 / len(texts):.2f} KB average",
        "",
        "| parser | files/s | MB/s |",
        "| --- | ---: | ---: |",
    ]
    for name, seconds in bench(texts, rounds).items():
        rows.append(f"| {name} | {len(texts) / seconds:,.0f} | {megabytes / seconds:.2f} |")
    return "\n".join(rows)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--files", type=int, default=2000)
    args.add_argument("--seed", type=int, default=1)
    args.add_argument("--rounds", type=int, default=5)
    options = args.parse_args()
    texts = corpus(options.files, options.seed)
    print(table("gen_corpus.py", texts, options.rounds))
    large = [t for t in texts if len(t.encode()) >= 1000]
    print()
    print(table("gen_corpus.py files of 1 KB or more", large, options.rounds))


if __name__ == "__main__":
    main()
