"""containerd's platform specifiers (`platforms.Parse`, `Normalize`, `FormatAll`), ported.

BuildKit parses `FROM --platform=...` with `github.com/containerd/platforms` (vendored in
`BK:vendor/github.com/containerd/platforms/{platforms.go,database.go}`). Where that code asks
the running machine (`runtime.GOOS`/`GOARCH`), the BuildKit daemon is taken to be linux/amd64.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HOST_OS = "linux"
HOST_ARCH = "amd64"

_SPECIFIER = re.compile(r"^[A-Za-z0-9_.-]+$")
_OS = re.compile(r"^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$")
_KNOWN_OS = frozenset(
    {
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
        "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos",
    }
)  # fmt: skip
_KNOWN_ARCH = frozenset(
    {
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le",
        "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc",
        "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""

    def format(self) -> str:
        """`platforms.FormatAll` (without OS features): `linux/arm/v7`, `windows(10.0)/amd64`."""
        head = f"{self.os}({self.os_version})" if self.os_version else self.os
        return "/".join(part for part in (head, self.architecture, self.variant) if part)

    def normalized(self) -> Platform:
        arch, variant = normalize_arch(self.architecture, self.variant)
        return Platform(normalize_os(self.os), arch, variant, self.os_version)


def normalize_os(os: str) -> str:
    if not os:
        return HOST_OS
    os = os.lower()
    return "darwin" if os == "macos" else os


def normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        if variant in ("8", "v8", "v8.0"):
            variant = ""
        elif variant in ("9", "9.0", "v9.0"):
            variant = "v9"
        return "arm64", variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    return arch, variant


def parse(specifier: str) -> Platform | None:
    """`platforms.Parse`: the platform, or None where containerd returns an error."""
    if "*" in specifier:
        return None
    parts = specifier.split("/", 3)
    match = _OS.match(parts[0])
    if match is None or any(not _SPECIFIER.match(part) for part in parts[1:]):
        return None
    os = normalize_os(match.group(1))
    os_version = match.group(2) or ""
    if len(parts) == 1:
        if os in _KNOWN_OS:
            return Platform(os, HOST_ARCH, "", os_version)
        arch, variant = normalize_arch(parts[0], "")
        if arch == "arm" and variant == "v7":
            variant = ""
        return Platform(HOST_OS, arch, variant) if arch in _KNOWN_ARCH else None
    if len(parts) == 2:
        arch, variant = normalize_arch(parts[1], "")
        if arch == "arm" and variant == "v7":
            variant = ""
        return Platform(os, arch, variant, os_version)
    if len(parts) == 3:
        arch, variant = normalize_arch(parts[1], parts[2])
        if arch == "arm64" and not variant:
            variant = "v8"
        return Platform(os, arch, variant, os_version)
    return None
