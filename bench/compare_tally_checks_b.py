"""Compare dockerfix's BK012-BK022 (without BK016) with tally's `buildkit/*` findings.

Usage:
    python /work/shared/tools/gen_corpus.py /tmp/gencorpus_b -n 200 --seed 8
    python bench/compare_tally_checks_b.py /tmp/gencorpus_b [--show 5]
    python bench/compare_tally_checks_b.py /tmp/gencorpus_b --mutate /tmp/mutated_b --seed 1

tally (tally-cli, which embeds BuildKit's linter) runs once over every Dockerfile of the corpus;
dockerfix runs the same files with only these rules selected (InvalidDefinitionDescription
included, as tally reports it when asked for `buildkit/*`). A `.dockerignore` beside a
Dockerfile is passed to both. Findings are compared per rule as (file, line, message);
CopyIgnoredFile is compared on (file, line) only, as tally words its message differently.

The generated corpus seldom triggers most of these checks; `--mutate OUT` first copies it to
OUT with random edits that do (duplicate CMD/ENTRYPOINT/HEALTHCHECK, `--platform` values,
FROM tags from ARGs, EXPOSE forms, legacy ENV/LABEL, comments above definitions, a
.dockerignore), then compares on the copy.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from dockerfix.config import Config
from dockerfix.engine import check
from dockerfix.rules import ALL_RULES
from dockerfix.syntax import ParseError

CODES = ("BK012", "BK013", "BK014", "BK015", "BK017", "BK018", "BK019", "BK020", "BK021", "BK022")
RULES = {rule.name: rule.code for rule in ALL_RULES if rule.code in CODES}
LINE_ONLY = {"CopyIgnoredFile"}
Finding = tuple[str, int, str]


def dockerfiles(root: Path) -> list[Path]:
    names = ("Dockerfile", "Containerfile")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and (p.name.startswith(names) or p.name.endswith(".Dockerfile"))
    )


def _key(rule: str, path: str, line: int, message: str) -> Finding:
    return (path, line, "" if rule in LINE_ONLY else message)


def run_tally(root: Path, files: list[Path]) -> dict[str, set[Finding]]:
    found: dict[str, set[Finding]] = {name: set() for name in RULES}
    by_dir: dict[Path, list[Path]] = {}
    for path in files:
        by_dir.setdefault(
            path.parent if (path.parent / ".dockerignore").exists() else root, []
        ).append(path)
    for context, group in by_dir.items():
        command = ["tally", "lint", "--no-config", "-f", "json", "--select", "buildkit/*"]
        if context != root:
            command += ["--context", str(context)]
        result = subprocess.run(
            [*command, *map(str, group)], capture_output=True, text=True, check=False
        )
        for entry in json.loads(result.stdout)["files"]:
            for violation in entry["violations"]:
                name = violation["rule"].removeprefix("buildkit/")
                if name in found:
                    file = str(Path(entry["file"]).resolve())
                    line = violation["location"]["start"]["line"]
                    found[name].add(_key(name, file, line, violation["message"]))
    return found


def run_dockerfix(files: list[Path]) -> dict[str, set[Finding]]:
    found: dict[str, set[Finding]] = {name: set() for name in RULES}
    names = {code: name for name, code in RULES.items()}
    config = Config(select=CODES)
    for path in files:
        ignore = path.parent / ".dockerignore"
        try:
            diagnostics = check(
                path.read_text(),
                config,
                dockerignore=ignore.read_text() if ignore.exists() else None,
            )
        except ParseError:
            continue
        for d in diagnostics:
            name = names[d.code]
            found[name].add(_key(name, str(path.resolve()), d.location.line, d.message))
    return found


PLATFORMS = (
    "$TARGETPLATFORM",
    "${TARGETPLATFORM}",
    "linux/amd64",
    "linux/arm64",
    "$BUILDPLATFORM",
    '"$TARGETPLATFORM"',
)
PORTS = (
    "8080/TCP",
    "127.0.0.1:80:80",
    "5000:5000/Udp",
    "80",
    "9000/udp",
    "[::1]:53:53/UDP",
    "8000-8010:8000-8010",
)
LEGACY = (
    "ENV GREETING hello world",
    'ENV OPTS -Dk="a b" -Dx',
    "LABEL description A small image",
    "ENV PATH /app/bin:$PATH",
)
IGNORES = (
    "scripts",
    "*.json",
    "go.sum",
    "**/*.txt",
    "*",
    "requirements.txt",
    "node_modules",
    "!keep",
    "**",
)
COMMENTS = ("# the build stage", "# s0 builds the app", "# version of the base", "#")


def mutate(text: str, rng: random.Random) -> tuple[str, str | None]:
    """A copy of a Dockerfile with random edits that trigger BK012-BK022, and a .dockerignore."""
    lines = text.splitlines()
    froms = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    if froms and rng.random() < 0.4:
        i = rng.choice(froms)
        if "--platform" not in lines[i]:
            image = "amd64/alpine:3.20" if rng.random() < 0.2 else None
            parts = lines[i].split(" ")
            if image:
                parts[1] = image
            lines[i] = " ".join([parts[0], f"--platform={rng.choice(PLATFORMS)}", *parts[1:]])
    if froms and rng.random() < 0.25:
        i = rng.choice(froms)
        lines[i] = re.sub(r"^(FROM (?:--\S+ )?[^:\s]+):\S+", r"\1:${TAG}", lines[i])
        lines.insert(0, rng.choice(("ARG TAG", "ARG TAG=", "ARG TAG=latest")))
    if rng.random() < 0.3:
        last = max(
            (i for i, line in enumerate(lines) if line.startswith(("CMD", "ENTRYPOINT"))),
            default=None,
        )
        if last is not None:
            lines.insert(last, lines[last])
        else:
            lines += ['HEALTHCHECK CMD ["true"]', "HEALTHCHECK NONE"]
    if rng.random() < 0.4:
        lines.append("EXPOSE " + " ".join(rng.sample(PORTS, rng.randint(1, 3))))
    if rng.random() < 0.3:
        lines.append(rng.choice(LEGACY))
    if froms and rng.random() < 0.3:
        i = rng.choice([i for i, line in enumerate(lines) if line.startswith(("FROM ", "ARG "))])
        lines.insert(i, rng.choice(COMMENTS))
    ignore = None
    if rng.random() < 0.4:
        ignore = "\n".join(rng.sample(IGNORES, rng.randint(1, 3))) + "\n"
    return "\n".join(lines) + "\n", ignore


def create_sources(text: str, context: Path) -> None:
    """Placeholder files for the COPY/ADD sources, so that only .dockerignore hides them.

    (tally's CopyIgnoredFile reports any source missing from the context directory.)
    """
    for line in text.splitlines():
        words = line.split()
        if (
            not words
            or words[0] not in ("COPY", "ADD")
            or any(w.startswith("--from") for w in words)
        ):
            continue
        for source in [w for w in words[1:-1] if not w.startswith("--")]:
            name = source.replace("*", "").strip("/")
            if name in ("", ".") or "$" in name or "://" in name:
                continue
            target = context / name
            if source.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                (target / "placeholder").touch()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.is_dir():
                    target.touch()


def mutated_corpus(root: Path, out: Path, seed: int) -> Path:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    for path in dockerfiles(root):
        target = out / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        text, ignore = mutate(path.read_text(), rng)
        target.write_text(text)
        create_sources(text, target.parent)
        if ignore is not None:
            (target.parent / ".dockerignore").write_text(ignore)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--show", type=int, default=3, help="disagreements to print per rule")
    parser.add_argument("--mutate", type=Path, help="compare on a mutated copy written here")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.mutate:
        args.corpus = mutated_corpus(args.corpus, args.mutate, args.seed)
    files = dockerfiles(args.corpus)
    tally, ours = run_tally(args.corpus, files), run_dockerfix(files)
    print(f"{len(files)} Dockerfiles in {args.corpus}\n")
    print(
        "Findings are (file, line, message); `lines` compares (file, line) only, since tally keeps"
        "\none finding per rule and line. `shadowed`: ours-only lines where tally reports another"
        "\nbuildkit/* rule on the same line (tally then drops the rest).\n"
    )
    header = ("tally", "dockerfix", "both", "tally only", "ours only", "lines", "shadowed")
    print(f"{'rule':37}" + "".join(f"{h:>11}" for h in header))
    totals: Counter[str] = Counter()
    tally_lines = {(p, line) for found in tally.values() for p, line, _ in found}
    for name, code in RULES.items():
        theirs, mine = tally[name], ours[name]
        their_lines = {(p, line) for p, line, _ in theirs}
        my_lines = {(p, line) for p, line, _ in mine}
        ours_only = my_lines - their_lines
        row = {
            "tally": len(theirs),
            "dockerfix": len(mine),
            "both": len(theirs & mine),
            "tally only": len(theirs - mine),
            "ours only": len(mine - theirs),
            "lines": f"{len(their_lines & my_lines)}/{len(their_lines | my_lines)}",
            "shadowed": len(ours_only & tally_lines),
        }
        totals.update({k: v for k, v in row.items() if isinstance(v, int)})
        print(f"{code} {name:31}" + "".join(f"{row[h]!s:>11}" for h in header))
        for label, diff in (("tally only", theirs - mine), ("ours only", mine - theirs)):
            for path, line, message in sorted(diff)[: args.show]:
                where = Path(path).relative_to(args.corpus.resolve())
                print(f"      {label}: {where}:{line} {message}")
    print(f"{'total':37}" + "".join(f"{totals[h]!s:>11}" for h in header[:5]))
    explain_copy_ignored(tally["CopyIgnoredFile"], ours["CopyIgnoredFile"])
    return 0


def explain_copy_ignored(theirs: set[Finding], mine: set[Finding]) -> None:
    """tally's CopyIgnoredFile checks the files on disk; BuildKit's matches the patterns only."""
    with_exclusions = sum(
        "!" in (Path(p).parent / ".dockerignore").read_text() for p, _, _ in theirs - mine
    )
    roots = wildcards = 0
    for p, line, _ in mine - theirs:
        sources = Path(p).read_text().splitlines()[line - 1].split()[1:-1]
        roots += sources in (
            [
                ".",
            ],
            ["/"],
        )
        wildcards += any("*" in source or "?" in source for source in sources)
    print(
        f"\nCopyIgnoredFile: {with_exclusions}/{len(theirs - mine)} tally-only findings come from"
        " ignore files with `!` exceptions (BuildKit skips the check then);"
        f" of {len(mine - theirs)} ours-only, {roots} are `COPY . ...` under `*`/`**` (BuildKit"
        f" reports the context root, tally does not) and {wildcards} have wildcard sources"
        " (BuildKit matches the source text itself, tally the files on disk)."
    )


if __name__ == "__main__":
    sys.exit(main())
