"""Short reference texts for instruction keywords and their flags (hover).

Condensed from the Dockerfile reference (docs.docker.com/reference/dockerfile/); the versions
are docker/dockerfile frontend releases (BUILDKIT.md §2).
"""

from __future__ import annotations

DOCS = "https://docs.docker.com/reference/dockerfile/"

INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "FROM": (
        "FROM [--platform=<platform>] <image> [AS <name>]",
        "Starts a build stage from a base image. Name the stage with `AS` to refer to it from "
        "`COPY --from` or a later `FROM`.",
    ),
    "RUN": (
        "RUN [--mount=...] [--network=...] [--security=...] <command>",
        "Runs a command in a new layer. The shell form runs through `SHELL` (`/bin/sh -c` by "
        'default); the exec form `RUN ["exe", "arg"]` runs without a shell.',
    ),
    "CMD": (
        'CMD ["executable", "arg"...]',
        "The container's default command, or the default arguments of `ENTRYPOINT`. Only the "
        "last `CMD` of a stage counts.",
    ),
    "LABEL": ("LABEL <key>=<value>...", "Adds metadata to the image."),
    "MAINTAINER": (
        "MAINTAINER <name>",
        "Deprecated: use `LABEL org.opencontainers.image.authors=<name>`.",
    ),
    "EXPOSE": (
        "EXPOSE <port>[/<protocol>]...",
        "Documents the ports the container listens on (`tcp` unless `/udp`). It does not "
        "publish them.",
    ),
    "ENV": (
        "ENV <key>=<value>...",
        "Sets environment variables for the following instructions and the running container.",
    ),
    "ADD": (
        "ADD [--chown=...] [--chmod=...] [--link] [--checksum=...] [--exclude=...] <src>... <dest>",
        "Copies files, URLs or Git repositories into the image and extracts local tar "
        "archives. Prefer `COPY` for plain files.",
    ),
    "COPY": (
        "COPY [--from=...] [--chown=...] [--chmod=...] [--link] [--parents] [--exclude=...] "
        "<src>... <dest>",
        "Copies files from the build context, another stage or an image.",
    ),
    "ENTRYPOINT": (
        'ENTRYPOINT ["executable", "arg"...]',
        "The command the container runs; `CMD` supplies its default arguments. The shell form "
        "ignores `CMD` and does not receive signals directly.",
    ),
    "VOLUME": (
        'VOLUME ["/path"...]',
        "Marks paths as volumes: data written there at run time lives outside the container's "
        "layer. Changes to them in later build steps are discarded.",
    ),
    "USER": (
        "USER <user>[:<group>]",
        "The user (and group) for the following `RUN`, `CMD` and `ENTRYPOINT`.",
    ),
    "WORKDIR": (
        "WORKDIR <path>",
        "The working directory for the following instructions; created if missing. Relative "
        "paths are relative to the previous `WORKDIR`.",
    ),
    "ARG": (
        "ARG <name>[=<default>]...",
        "A build argument, set with `docker build --build-arg`. Before the first `FROM` it is "
        "only usable in `FROM` lines; redeclare it inside a stage to use it there.",
    ),
    "ONBUILD": (
        "ONBUILD <instruction>",
        "Runs the instruction later, when another build uses this image as its base.",
    ),
    "STOPSIGNAL": (
        "STOPSIGNAL <signal>",
        "The signal that stops the container (`SIGTERM` by default).",
    ),
    "HEALTHCHECK": (
        "HEALTHCHECK [--interval=...] [--timeout=...] [--start-period=...] [--retries=...] "
        "CMD <command> | HEALTHCHECK NONE",
        "How to test that the container still works; `NONE` disables a base image's check.",
    ),
    "SHELL": (
        'SHELL ["executable", "arg"...]',
        "The shell that runs the shell form of the following `RUN`, `CMD` and `ENTRYPOINT`.",
    ),
}

# (instruction or "*", flag name) -> (syntax, text)
FLAGS: dict[tuple[str, str], tuple[str, str]] = {
    ("FROM", "platform"): (
        "--platform=<os>/<arch>[/<variant>]",
        "Uses the base image for this platform instead of the target platform, e.g. "
        "`--platform=$BUILDPLATFORM` for a stage that cross-compiles.",
    ),
    ("RUN", "mount"): (
        "--mount=type=<bind|cache|tmpfs|secret|ssh>[,option=value...]",
        "Mounts a filesystem for this command only: `type=cache,target=<dir>` keeps a "
        "package manager's cache between builds, `type=secret,id=<id>` exposes a secret "
        "without storing it in a layer (docker/dockerfile 1.2+).",
    ),
    ("RUN", "network"): (
        "--network=<default|none|host>",
        "The network the command runs in (docker/dockerfile 1.3+).",
    ),
    ("RUN", "security"): (
        "--security=<sandbox|insecure>",
        "`insecure` runs the command with elevated privileges; the build must allow the "
        "`security.insecure` entitlement (docker/dockerfile 1.20+).",
    ),
    ("COPY", "from"): (
        "--from=<stage|image|context>",
        "Copies from an earlier stage, an image or a named build context instead of the "
        "build context.",
    ),
    ("*", "chown"): (
        "--chown=<user>[:<group>]",
        "The owner of the copied files (Linux containers only).",
    ),
    ("*", "chmod"): (
        "--chmod=<permissions>",
        "The permissions of the copied files, e.g. `--chmod=0755` (docker/dockerfile 1.2+).",
    ),
    ("*", "link"): (
        "--link[=<bool>]",
        "Copies into an independent layer that does not depend on the layers before it, so "
        "it is reused even when they change (docker/dockerfile 1.4+).",
    ),
    ("*", "exclude"): (
        "--exclude=<pattern>",
        "Leaves out the files matching the pattern (docker/dockerfile 1.19+).",
    ),
    ("COPY", "parents"): (
        "--parents[=<bool>]",
        "Keeps the source paths' parent directories under the destination "
        "(docker/dockerfile 1.20+).",
    ),
    ("ADD", "checksum"): (
        "--checksum=<algorithm>:<hash>",
        "Verifies the checksum of a remote file (docker/dockerfile 1.6+).",
    ),
    ("ADD", "keep-git-dir"): (
        "--keep-git-dir=<bool>",
        "Keeps the `.git` directory when adding a Git repository (docker/dockerfile 1.6+).",
    ),
    ("ADD", "unpack"): (
        "--unpack=<bool>",
        "Whether to extract an archive, local or remote (docker/dockerfile 1.17+).",
    ),
    ("HEALTHCHECK", "interval"): (
        "--interval=<duration>",
        "Time between two checks (default `30s`).",
    ),
    ("HEALTHCHECK", "timeout"): (
        "--timeout=<duration>",
        "How long one check may take before it counts as failed (default `30s`).",
    ),
    ("HEALTHCHECK", "start-period"): (
        "--start-period=<duration>",
        "Start-up time during which failures do not count (default `0s`).",
    ),
    ("HEALTHCHECK", "start-interval"): (
        "--start-interval=<duration>",
        "Time between checks during the start period (default `5s`).",
    ),
    ("HEALTHCHECK", "retries"): (
        "--retries=<n>",
        "Consecutive failures before the container is unhealthy (default `3`).",
    ),
}


def instruction_text(name: str) -> str | None:
    entry = INSTRUCTIONS.get(name.upper())
    if entry is None:
        return None
    syntax, text = entry
    anchor = name.lower()
    return f"```dockerfile\n{syntax}\n```\n{text}\n\n[Reference]({DOCS}#{anchor})"


def flag_text(instruction: str, flag: str) -> str | None:
    entry = FLAGS.get((instruction.upper(), flag)) or FLAGS.get(("*", flag))
    if entry is None:
        return None
    syntax, text = entry
    return f"```dockerfile\n{instruction.upper()} {syntax}\n```\n{text}"
