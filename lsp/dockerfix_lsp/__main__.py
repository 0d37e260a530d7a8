"""`dockerfix-lsp`: serve LSP over stdio (the default) or TCP."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence

from dockerfix_lsp import __version__

LEVELS = ("error", "warning", "info", "debug")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockerfix-lsp",
        description="The dockerfix language server: diagnostics, quick fixes, fix-all and "
        "hovers for Dockerfiles, over the Language Server Protocol.",
    )
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)"
    )
    transport.add_argument("--tcp", action="store_true", help="listen on a TCP port instead")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default: %(default)s)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default: %(default)s)")
    parser.add_argument(
        "--log-level", choices=LEVELS, default="warning", help="(default: %(default)s)"
    )
    parser.add_argument("--log-file", help="log here instead of to stderr")
    parser.add_argument("--version", action="version", version=f"dockerfix-lsp {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    handler: logging.Handler = (
        logging.FileHandler(args.log_file, encoding="utf-8")
        if args.log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("dockerfix_lsp").setLevel(args.log_level.upper())
    if unknown:
        # Editors add their own flags (e.g. --clientProcessId); they do not concern us.
        logging.getLogger("dockerfix_lsp").info("ignoring arguments: %s", " ".join(unknown))

    from dockerfix_lsp.server import create_server  # noqa: PLC0415 - imports every rule

    server = create_server()
    _tune_garbage_collector()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        # The protocol owns stdout: anything else printed there would corrupt it.
        stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
        sys.stdout = sys.stderr
        server.start_io(stdin, stdout)
    # Exit now, with LSP's exit code (0 after a shutdown request, else 1): a normal interpreter
    # exit would wait for a check still running on the worker thread, and for the thread
    # blocked reading stdin.
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0 if server.protocol.shut_down else 1)


def _tune_garbage_collector() -> None:
    """Collect cycles less often. A check builds and drops a tree of ~10^5 objects (freed by
    reference counting: trees hold no cycles), which with the default thresholds triggers
    about one full collection every two checks of a 1,000-line file, each traversing every
    live object: a fifth of the check's time. Objects alive after start-up are frozen out of
    the collections altogether."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


if __name__ == "__main__":
    main()
