"""The Neovim plugin (editors/nvim) end to end: a real `nvim --headless` runs the plugin against
the real `dockerfix-lsp` on a Dockerfile, waits for diagnostics, applies fix-all and writes the
buffer; the file must then equal what `dockerfix --write` makes of a copy.

Runs with every `nvim` it finds: the one on PATH (.ci/run installs Debian's, 0.7) and any listed
in DOCKERFIX_TEST_NVIM (os.pathsep-separated paths, e.g. a current release). Without an `nvim`
the test is skipped, except under CI, where a missing `nvim` is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, console_script

PLUGIN = ROOT / "editors" / "nvim"
TIMEOUT = 120  # seconds for one nvim run (it stops itself well before on any failure)

# Non-ASCII before edited columns (an astral-plane emoji is two UTF-16 code units), so a client
# that gets the position encoding wrong corrupts the file.
FIXTURE = """\
FROM python:3.12-slim AS base
LABEL description="café ☕ — naïve 🐳"
RUN echo "☕ café 🐳" && pip install --no-cache-dir flask
ENV LANG C.UTF-8
WORKDIR /app
RUN apt-get update && apt-get install -y curl
"""

DRIVER = r"""
local function log(msg)
  io.stderr:write(msg .. "\n")
end

local ok, err = xpcall(function()
  vim.cmd("filetype on")
  local cmd = vim.fn.json_decode(vim.env.DOCKERFIX_TEST_CMD)
  local settings = vim.fn.json_decode(vim.env.DOCKERFIX_TEST_SETTINGS)
  local mode = vim.env.DOCKERFIX_TEST_MODE
  local dockerfix = require("dockerfix")
  if mode == "enable" then -- Neovim 0.11+: editors/nvim/lsp/dockerfix.lua, no setup()
    local config = { cmd = cmd }
    if next(settings) then
      config.settings = { dockerfix = settings }
    end
    vim.lsp.config("dockerfix", config)
    vim.lsp.enable("dockerfix")
  else
    dockerfix.setup({
      cmd = cmd,
      settings = settings,
      fix_on_save = mode == "save",
      timeout_ms = 30000,
    })
  end

  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.DOCKERFIX_TEST_FILE))
  assert(vim.bo.filetype == "dockerfile", "filetype is '" .. vim.bo.filetype .. "'")
  local got = vim.wait(60000, function()
    return #vim.diagnostic.get(0) > 0
  end, 50)
  assert(got, "no diagnostics within 60 s")
  assert(#dockerfix.clients(0) == 1, "no dockerfix client attached")
  log(("diagnostics: %d"):format(#vim.diagnostic.get(0)))

  if mode == "command" then
    vim.cmd("DockerfixFixAll")
  elseif mode == "enable" then
    local tick = vim.b.changedtick
    vim.lsp.buf.code_action({ context = { only = { dockerfix.fix_all_kind } }, apply = true })
    assert(vim.wait(30000, function()
      return vim.b.changedtick ~= tick
    end, 50), "the fix-all code action changed nothing within 30 s")
  end
  vim.cmd("write")
end, debug.traceback)

log(vim.fn.execute("messages"))
if ok then
  log("driver: ok")
  vim.cmd("qall!")
else
  log("driver: FAILED: " .. tostring(err))
  vim.cmd("cquit 1")
end
"""


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _nvim_version(nvim: str) -> tuple[int, ...]:
    first = subprocess.run(
        [nvim, "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.splitlines()[0]  # "NVIM v0.7.2"
    return tuple(int(part) for part in first.split()[1].lstrip("v").split("-")[0].split("."))


def _nvims() -> list[str | None]:
    found = [shutil.which("nvim"), *os.environ.get("DOCKERFIX_TEST_NVIM", "").split(os.pathsep)]
    return [nvim for nvim in found if nvim] or [None]


@pytest.fixture(params=_nvims(), ids=str)
def nvim(request: pytest.FixtureRequest) -> str:
    path: str | None = request.param
    if path is None:
        if _under_ci():
            pytest.fail("nvim is not installed (.ci/run installs Debian's neovim)")
        pytest.skip("nvim is not installed")
    return path


def _run_nvim(nvim: str, dockerfile: Path, mode: str, settings: dict[str, object]) -> None:
    driver = dockerfile.parent / "driver.lua"
    driver.write_text(DRIVER)
    env = {
        **os.environ,
        "DOCKERFIX_TEST_CMD": json.dumps([console_script("dockerfix-lsp")]),
        "DOCKERFIX_TEST_SETTINGS": json.dumps(settings),
        "DOCKERFIX_TEST_MODE": mode,
        "DOCKERFIX_TEST_FILE": str(dockerfile),
        "XDG_CONFIG_HOME": str(dockerfile.parent / "config"),  # no user config, no user data
        "XDG_DATA_HOME": str(dockerfile.parent / "data"),
        "XDG_STATE_HOME": str(dockerfile.parent / "state"),
    }
    command = [
        nvim,
        "--headless",
        "-u",
        "NONE",
        "-i",
        "NONE",
        "-n",
        "--cmd",
        f"set rtp+={PLUGIN}",
        "-c",
        f"luafile {driver}",
    ]
    try:
        result = subprocess.run(
            command,
            cwd=dockerfile.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"nvim did not finish within {TIMEOUT} s:\n{timeout.stderr!r}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "driver: ok" in result.stderr, result.stdout + result.stderr


def _expected(folder: Path, text: str, cli_args: list[str]) -> str:
    """What `dockerfix --write` makes of `text` (a copy, in `folder`, a folder of its own)."""
    folder.mkdir()
    copy = folder / "Dockerfile"
    copy.write_bytes(text.encode())
    result = subprocess.run(
        [console_script("dockerfix"), "--write", "--quiet", *cli_args, str(copy)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return copy.read_bytes().decode()


EXAMPLE = (ROOT / "examples" / "Dockerfile").read_bytes().decode()

CASES: dict[str, tuple[str, str, dict[str, object], list[str]]] = {
    # id: (source, mode, the plugin's `settings`, dockerfix CLI options meaning the same)
    "fix-all-command": (FIXTURE, "command", {}, []),
    "fix-on-save": (FIXTURE, "save", {}, []),
    "example-dockerfile": (EXAMPLE, "command", {}, []),
    "settings-ignore": (FIXTURE, "command", {"ignore": ["DF001"]}, ["--ignore", "DF001"]),
    "settings-unsafe-fixes": (EXAMPLE, "command", {"unsafeFixes": True}, ["--unsafe-fixes"]),
    "nvim-0.11-lsp-enable": (FIXTURE, "enable", {}, []),
}


@pytest.mark.parametrize("case", CASES)
def test_nvim_fix_all_matches_cli(nvim: str, case: str, tmp_path: Path) -> None:
    source, mode, settings, cli_args = CASES[case]
    if mode == "enable" and _nvim_version(nvim) < (0, 11):
        pytest.skip("vim.lsp.enable and lsp/*.lua configs need Neovim 0.11")
    expected = _expected(tmp_path / "cli", source, cli_args)
    assert expected != source, "the fixture must have something to fix"
    if cli_args:
        default = _expected(tmp_path / "cli-default", source, [])
        assert expected != default, f"{cli_args} must change the outcome for the test to count"

    folder = tmp_path / "editor"
    folder.mkdir()
    dockerfile = folder / "Dockerfile"
    dockerfile.write_bytes(source.encode())
    _run_nvim(nvim, dockerfile, mode, settings)
    assert dockerfile.read_bytes().decode() == expected
