"""The `dockerfix-lsp` process itself: exit codes, TCP (the LSP features are in test_lsp.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

from tests.conftest import console_script


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
SHUTDOWN = {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}
EXIT = {"jsonrpc": "2.0", "method": "exit"}


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([INITIALIZE, SHUTDOWN, EXIT], 0),
        ([INITIALIZE, EXIT], 1),  # exit without shutdown
        ([INITIALIZE], 1),  # the client went away
    ],
)
def test_exit_codes(messages: list[dict[str, object]], code: int) -> None:
    done = subprocess.run(
        [console_script("dockerfix-lsp")],
        input=b"".join(_frame(m) for m in messages),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code
    assert b'"capabilities"' in done.stdout


def test_tcp() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([console_script("dockerfix-lsp"), "--tcp", "--port", str(port)])
    try:
        for _ in range(600):
            try:
                connection = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.1)
        with connection:
            connection.sendall(_frame(INITIALIZE))
            answer = b""
            while b'"capabilities"' not in answer:
                answer += connection.recv(65536)
            connection.sendall(_frame(SHUTDOWN) + _frame(EXIT))
            assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
