"""Agreement of dockerfix with BuildKit's parser over a directory of real-world Dockerfiles.

Usage: python bench/realworld_agreement.py [DIR] [--show 10]

DIR (default /work/realworld) holds the files, listed by its MANIFEST.tsv (first column: the
path) when there is one, else every file below it. The files stay where they are: they must
never be copied into the repository. Each file is judged by tests/buildkit_oracle.py's
`compare` (the same check as tests/test_differential.py) against BuildKit v0.12.5 (PyPI
`dockerfile`), in this process (the oracle's Go runtime does not survive fork()). Prints the
counts, the first disagreements with a one-line reason, and the agreement rate.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` and `dockerfix` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.buildkit_oracle import compare

DEFAULT_DIR = Path("/work/realworld")
MANIFEST = "MANIFEST.tsv"


def dockerfiles(directory: Path) -> list[Path]:
    manifest = directory / MANIFEST
    if manifest.exists():
        rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
        return [directory / row.split("\t", 1)[0] for row in rows if row.strip()]
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


def _one_line(reason: str, width: int = 160) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= width else reason[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--show", type=int, default=10, help="disagreements to list")
    options = parser.parse_args(argv)

    paths = dockerfiles(options.directory)
    kinds: Counter[str] = Counter()
    disagreements: list[tuple[Path, str]] = []
    versions: Counter[str] = Counter()
    undecodable = 0
    started = time.perf_counter()
    for path in paths:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            undecodable += 1
            continue
        verdict = compare(text)
        kinds[verdict.kind] += 1
        if verdict.kind == "disagree":
            disagreements.append((path, verdict.reason))
        elif verdict.kind == "version":
            versions[verdict.reason.split(":")[0]] += 1
    elapsed = time.perf_counter() - started

    judged = kinds["agree"] + kinds["both-reject"] + kinds["disagree"]
    print(f"directory: {options.directory}")
    print(f"files: {len(paths)}")
    print(f"both parse and agree: {kinds['agree']}")
    print(f"both reject: {kinds['both-reject']}")
    print(f"v0.12.5-vs-HEAD differences (not judged): {kinds['version']}")
    for reason, count in versions.most_common():
        print(f"    {count}: {_one_line(reason, 100)}")
    if undecodable:
        print(f"not UTF-8 (skipped): {undecodable}")
    print(f"disagreements: {kinds['disagree']}")
    for path, reason in disagreements[: options.show]:
        print(f"    {path.relative_to(options.directory)}: {_one_line(reason)}")
    rate = (kinds["agree"] + kinds["both-reject"]) / judged if judged else 1.0
    print(f"agreement rate: {rate:.2%} of {judged} judged files ({elapsed:.1f} s)")
    return 0 if not disagreements else 1


if __name__ == "__main__":
    raise SystemExit(main())
