"""Editor latency of Dockerfile language servers: dockerfix-lsp and its peers, in one run.

Usage: python bench/lsp_latency.py [--edits 200] [--lines 1000] [--servers a,b,...]
                                   [--out bench/results/lsp_latency.json]

For each server: open a ~1,000-line Dockerfile (gen_corpus.py files, seed 3, concatenated),
then type one character at a time (20 characters at the end of one RUN line, then the next
line...) and measure, for every edit:

- diagnostics: from sending `textDocument/didChange` to receiving the server's
  `textDocument/publishDiagnostics` for that version (or, for a server that does not send the
  version, the first one after the change);
- codeAction: the round trip of a `textDocument/codeAction` request on the edited line, with
  the diagnostics just received in its context.

Each server gets the sync kind it asks for (incremental changes or the full text). The client is
a minimal JSON-RPC client (no pygls) so that it costs every server the same; it pushes nothing
but what the protocol needs. Wall-clock times; the machine's load average is recorded beside
them. Peers: `tally lsp --stdio` (PyPI tally-cli) and `docker-langserver --stdio`
(npm dockerfile-language-server-nodejs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GEN_CORPUS = ROOT.parent / "shared" / "tools" / "gen_corpus.py"
TYPED = " && echo typing-in-the-editor-0123456789"
PER_LINE = 20  # characters typed on one line before moving to the next


def _dockerfix_lsp() -> list[str]:
    beside = Path(sys.executable).parent / "dockerfix-lsp"
    return [str(beside) if beside.exists() else "dockerfix-lsp"]


# dockerfix-lsp logs where each check's time went (parse, check, fixes, lsp) at debug level.
STEPS_LOG = Path(tempfile.gettempdir()) / "dockerfix-lsp-latency.log"
DEBUG = ["--log-level", "debug", "--log-file", str(STEPS_LOG)]

# name -> (command, initializationOptions)
SERVERS: dict[str, tuple[list[str], Any]] = {
    # every rule on, including those off by default
    "dockerfix": ([*_dockerfix_lsp(), *DEBUG], {"settings": {"select": ["ALL"]}}),
    # the same server with every rule off: parsing and the LSP adapter alone
    "dockerfix (no rules)": ([*_dockerfix_lsp(), *DEBUG], {"settings": {"ignore": ["ALL"]}}),
    "tally": (["tally", "lsp", "--stdio"], None),
    "dockerfile-language-server-nodejs": (["docker-langserver", "--stdio"], None),
}

CAPABILITIES: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "textDocument": {
        "synchronization": {"didSave": True, "dynamicRegistration": False},
        "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
        "codeAction": {
            "codeActionLiteralSupport": {
                "codeActionKind": {
                    "valueSet": ["", "quickfix", "refactor", "source", "source.fixAll"]
                }
            },
            "isPreferredSupport": True,
            "dataSupport": True,
            "resolveSupport": {"properties": ["edit"]},
        },
        "hover": {"contentFormat": ["markdown", "plaintext"]},
    },
    "workspace": {
        "configuration": True,
        "workspaceEdit": {"documentChanges": True},
        "applyEdit": True,
    },
}


def big_dockerfile(lines: int) -> str:
    """gen_corpus.py files (seed 3) concatenated in name order until `lines` lines."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, str(GEN_CORPUS), out, "-n", "200", "--seed", "3"],
            check=True,
            capture_output=True,
        )
        parts: list[str] = []
        total = 0
        for path in sorted(Path(out).rglob("*")):
            if not path.is_file() or total >= lines:
                continue
            text = path.read_text()
            parts.append(text if text.endswith("\n") else text + "\n")
            total += parts[-1].count("\n")
    return "".join(parts)


@dataclass
class Client:
    """A minimal LSP client over a server's stdin/stdout."""

    process: asyncio.subprocess.Process
    settings: Any
    pending: dict[int, asyncio.Future[tuple[float, Any]]] = field(default_factory=dict)
    published: list[tuple[float, str, int | None, list[Any]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    next_id: int = 0
    reader: asyncio.Task[None] | None = None

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: Any, timeout: float = 120) -> tuple[float, Any]:
        """(seconds from sending to the answer, result)."""
        self.next_id += 1
        future: asyncio.Future[tuple[float, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        sent = time.perf_counter()
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.process.stdin is not None
        await self.process.stdin.drain()
        received, result = await asyncio.wait_for(future, timeout)
        return received - sent, result

    async def read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if not line.strip():
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = await stdout.readexactly(length)
            received = time.perf_counter()
            self._dispatch(received, json.loads(body))

    def _dispatch(self, received: float, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is not None and "id" in message:  # a request from the server
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
        elif method is not None:
            if method == "textDocument/publishDiagnostics":
                params = message["params"]
                self.published.append(
                    (received, params["uri"], params.get("version"), params["diagnostics"])
                )
                self.arrived.set()
        else:
            future = self.pending.pop(message.get("id"), None)  # type: ignore[arg-type]
            if future is not None and not future.done():
                future.set_result((received, message.get("result")))

    def _answer(self, message: dict[str, Any]) -> Any:
        if message["method"] == "workspace/configuration":
            return [self.settings for _ in message["params"]["items"]]
        if message["method"] == "workspace/applyEdit":
            return {"applied": False}
        return None

    async def diagnostics_after(
        self, uri: str, version: int, since: float, timeout: float
    ) -> tuple[float, list[Any]] | None:
        """(arrival time, diagnostics) of the first publication for `version`."""
        deadline = time.perf_counter() + timeout
        while True:
            for received, where, published_version, diagnostics in self.published:
                if where != uri or received < since:
                    continue
                if published_version is None or published_version >= version:
                    return received, diagnostics
            self.arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)


def typing(text: str, count: int, *, from_end: bool = False) -> Iterator[tuple[int, str]]:
    """The edits typed into `text`: (offset, character), each offset in the text as the edits
    before it left it. PER_LINE characters at the end of a RUN line, then the next RUN line
    (from the first RUN line down, or from the last one up)."""
    run_lines = [i for i, line in enumerate(text.split("\n")) if line.startswith("RUN ")]
    if from_end:
        run_lines.reverse()
    for step in range(count):
        line = run_lines[(step // PER_LINE) % len(run_lines)]
        lines = text.split("\n")
        offset = sum(len(x) + 1 for x in lines[:line]) + len(lines[line])
        character = TYPED[step % len(TYPED)]
        yield offset, character
        text = text[:offset] + character + text[offset:]


def typed_versions(text: str, count: int, *, from_end: bool = False) -> list[str]:
    """`text`, then each version after one more of `typing()`'s edits."""
    versions = [text]
    for offset, character in typing(text, count, from_end=from_end):
        text = text[:offset] + character + text[offset:]
        versions.append(text)
    return versions


def _position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": len(text[start:offset].encode("utf-16-le")) // 2}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    milliseconds = [v * 1e3 for v in values]
    return {
        "p50": round(_percentile(milliseconds, 0.5), 1),
        "p95": round(_percentile(milliseconds, 0.95), 1),
        "mean": round(statistics.fmean(milliseconds), 1),
        "max": round(max(milliseconds), 1),
    }


_STEP = re.compile(r"(\w+) ([\d.]+) ms")


def server_steps(version_from: int) -> dict[str, dict[str, float]]:
    """p50/p95 of each step of dockerfix-lsp's checks (from its debug log), for the checks of
    versions >= `version_from` (the measured edits)."""
    steps: dict[str, list[float]] = {}
    if not STEPS_LOG.exists():
        return {}
    for line in STEPS_LOG.read_text().splitlines():
        match = re.search(r" v(\d+): (parse .*)$", line)
        if match is None or int(match.group(1)) < version_from:
            continue
        for step, milliseconds in _STEP.findall(match.group(2)):
            steps.setdefault(step, []).append(float(milliseconds) / 1e3)
    return {step: _summary(values) for step, values in steps.items()}


async def measure(
    name: str, command: list[str], options: Any, text: str, *, edits: int, warmup: int
) -> dict[str, Any]:
    STEPS_LOG.unlink(missing_ok=True)
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        limit=64 * 1024 * 1024,
    )
    settings = options.get("settings") if isinstance(options, dict) else None
    client = Client(process, settings)
    client.reader = asyncio.create_task(client.read())
    workdir = Path(tempfile.mkdtemp(prefix="lsp-latency-"))
    uri = (workdir / "Dockerfile").as_uri()
    try:
        _, init = await client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": workdir.as_uri(),
                "capabilities": CAPABILITIES,
                "initializationOptions": options,
                "workspaceFolders": [{"uri": workdir.as_uri(), "name": "bench"}],
            },
        )
        client.notify("initialized", {})
        sync = init["capabilities"].get("textDocumentSync", 1)
        incremental = (sync.get("change", 1) if isinstance(sync, dict) else sync) == 2
        opened = time.perf_counter()
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}},
        )
        first = await client.diagnostics_after(uri, 1, opened, timeout=300)
        assert first is not None, f"{name}: no diagnostics after didOpen"
        open_seconds = first[0] - opened
        diagnostics_times: list[float] = []
        action_times: list[float] = []
        timeouts = 0
        version = 1
        latest = first[1]
        for step, (offset, character) in enumerate(typing(text, warmup + edits)):
            line = text.count("\n", 0, offset)
            before = text
            text = text[:offset] + character + text[offset:]
            version += 1
            if incremental:
                at = _position(before, offset)
                changes: list[Any] = [{"range": {"start": at, "end": at}, "text": character}]
            else:
                changes = [{"text": text}]
            sent = time.perf_counter()
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
            )
            arrived = await client.diagnostics_after(uri, version, sent, timeout=60)
            if arrived is None:
                timeouts += 1
            else:
                latest = arrived[1]
            on_line = [d for d in latest if d["range"]["start"]["line"] <= line]
            on_line = [d for d in on_line if d["range"]["end"]["line"] >= line]
            seconds, _ = await client.request(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": uri},
                    "range": {
                        "start": {"line": line, "character": 0},
                        "end": {"line": line, "character": 0},
                    },
                    "context": {"diagnostics": on_line},
                },
            )
            if step >= warmup:
                if arrived is not None:
                    diagnostics_times.append(arrived[0] - sent)
                action_times.append(seconds)
        with contextlib.suppress(Exception):
            await client.request("shutdown", None, timeout=10)
            client.notify("exit", None)
        return {
            "server": name,
            "command": " ".join(command),
            "server_steps_ms": server_steps(version_from=2 + warmup),
            "sync": "incremental" if incremental else "full",
            "edits": edits,
            "open_ms": round(open_seconds * 1e3, 1),
            "diagnostics_at_end": len(latest),
            "diagnostics_ms": _summary(diagnostics_times),
            "code_action_ms": _summary(action_times),
            "timeouts": timeouts,
        }
    finally:
        if client.reader is not None:
            client.reader.cancel()
        if process.returncode is None:
            process.kill()
        await process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def engine_alone(text: str, edits: int) -> dict[str, Any]:
    """`dockerfix.engine.check()` alone (in process, every rule) on the same edited texts:
    what the server's diagnostics latency is made of, before the LSP adapter."""
    from dockerfix.config import Config  # noqa: PLC0415
    from dockerfix.engine import check  # noqa: PLC0415
    from dockerfix.syntax import parse  # noqa: PLC0415

    config = Config(select=("ALL",))
    parse_times, check_times = [], []
    for version in typed_versions(text, edits)[1:]:
        started = time.perf_counter()
        parse(version)
        parsed = time.perf_counter()
        check(version, config)
        parse_times.append(parsed - started)
        check_times.append(time.perf_counter() - parsed)
    return {"parse_ms": _summary(parse_times), "check_ms": _summary(check_times)}


def _version(command: list[str]) -> str:
    for flag in ("--version", "version"):
        with contextlib.suppress(Exception):
            out = subprocess.run(
                [command[0], flag], capture_output=True, text=True, timeout=30, check=False
            )
            line = (out.stdout or out.stderr).strip().splitlines()
            if out.returncode == 0 and line:
                return line[0]
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "lsp_latency.json")
    parser.add_argument(
        "--engine-edits", type=int, default=20, help="edits for the in-process check() row"
    )
    args = parser.parse_args()
    text = big_dockerfile(args.lines)
    load_before = os.getloadavg()
    results = []
    for name in args.servers.split(","):
        command, options = SERVERS[name]
        if shutil.which(command[0]) is None and not Path(command[0]).exists():
            print(f"skipping {name}: {command[0]} is not installed", file=sys.stderr)
            continue
        print(f"measuring {name}...", file=sys.stderr)
        result = asyncio.run(
            measure(name, command, options, text, edits=args.edits, warmup=args.warmup)
        )
        result["version"] = _version(command)
        results.append(result)
    engine = engine_alone(text, args.engine_edits) if args.engine_edits else {}
    report = {
        "file_lines": text.count("\n"),
        "file_bytes": len(text.encode()),
        "edits": args.edits,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "results": results,
        "engine_alone": engine,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"#### {args.edits} one-character edits to a {report['file_lines']}-line Dockerfile "
        f"(load average {load_before[0]:.1f} on {os.cpu_count()} CPUs)\n"
    )
    print("| server | sync | diagnostics p50 / p95 (ms) | codeAction p50 / p95 (ms) | findings |")
    print("| --- | --- | ---: | ---: | ---: |")
    for r in results:
        d, c = r["diagnostics_ms"], r["code_action_ms"]
        print(
            f"| {r['server']} | {r['sync']} | {d.get('p50')} / {d.get('p95')} | "
            f"{c.get('p50')} / {c.get('p95')} | {r['diagnostics_at_end']} |"
        )
    for r in results:
        if r.get("server_steps_ms"):
            steps = ", ".join(
                f"{step} {v['p50']} / {v['p95']}" for step, v in r["server_steps_ms"].items()
            )
            print(f"\n{r['server']}, inside the server, p50 / p95 ms: {steps}")
    if engine:
        p, c = engine["parse_ms"], engine["check_ms"]
        print(
            f"\nIn process, same edits ({args.engine_edits}): dockerfix parse() p50 {p['p50']} ms "
            f"/ p95 {p['p95']} ms; check() (every rule, parse included) p50 {c['p50']} ms "
            f"/ p95 {c['p95']} ms."
        )


if __name__ == "__main__":
    main()
