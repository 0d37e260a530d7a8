from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial

from dockerfix.conventions import Conventions, insert_flag
from dockerfix.diagnostics import Safety, Severity
from dockerfix.rules.base import Invalid, Replacements, Rule
from dockerfix.semantics import StageInfo, assignments, substitute, unquote
from dockerfix.shell import SimpleCommand, commands, effective_argv
from dockerfix.syntax import Arguments, Comment, Heredoc, Instruction, Node, Token

# -- knowledge tables (BUILDKIT.md §5) -------------------------------------------------------

# The automatic platform ARGs a stage must re-declare, bare, to read (§5.1).
TARGET_ARGS = ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT")
BUILDPLATFORM_VALUES = frozenset({"$BUILDPLATFORM", "${BUILDPLATFORM}"})

# What the fix passes to the Go toolchain, with the ARG each value reads (§5.2). GOARM comes from
# the variant (`linux/arm/v6` -> `6`); it is empty, hence Go's default, for targets without one.
GO_PLATFORM_ENV = (
    ("GOOS", "$TARGETOS", "TARGETOS"),
    ("GOARCH", "$TARGETARCH", "TARGETARCH"),
    ("GOARM", "${TARGETVARIANT#v}", "TARGETVARIANT"),
)

# `go` flags that take a separate value (cmd/go `go help build`), to find the package arguments.
_GO_VALUE_FLAGS = frozenset(
    {
        "-C", "-o", "-p", "-asmflags", "-buildmode", "-compiler", "-gccgoflags", "-gcflags",
        "-installsuffix", "-ldflags", "-mod", "-modfile", "-overlay", "-pgo", "-pkgdir", "-tags",
        "-toolexec", "-covermode", "-coverpkg", "-exec",
    }
)  # fmt: skip

# Programs a Go builder stage runs that cannot be the binary it builds: when a `go build` output
# name is unknown (`go build ./...`), any other program may be that output (§5.4 case 3).
_KNOWN_PROGRAMS = frozenset(
    {
        ".", ":", "[", "adduser", "addgroup", "apk", "apt", "apt-get", "awk", "basename", "bash",
        "buf", "cat", "cd", "chgrp", "chmod", "chown", "command", "cp", "curl", "cut", "dash",
        "date", "declare", "df", "diff", "dirname", "dnf", "dpkg", "du", "echo", "env", "eval",
        "exit", "export", "false", "file", "find", "git", "go", "gofmt", "grep", "groupadd", "gzip",
        "head", "id", "install", "jq", "ldd", "ln", "local", "ls", "make", "md5sum", "microdnf",
        "mkdir", "mktemp", "mv", "node", "npm", "npx", "patch", "pnpm", "printenv", "printf",
        "protoc", "pwd", "read", "readlink", "realpath", "return", "rm", "rmdir", "rpm", "sed",
        "set", "sh", "sha1sum", "sha256sum", "sha512sum", "shift", "sleep", "sort", "source", "stat",
        "strip", "tail", "tar", "tee", "test", "touch", "tr", "true", "type", "umask", "uname",
        "uniq", "unset", "unzip", "update-ca-certificates", "upx", "useradd", "usermod", "wc",
        "wget", "which", "whoami", "xargs", "xx-info", "xx-verify", "xz", "yarn", "yum", "zip",
    }
)  # fmt: skip
# Programs that handle a binary of another architecture without running it.
_HARMLESS_ON_OUTPUT = frozenset(
    {
        "[", "basename", "cat", "chgrp", "chmod", "chown", "cp", "dirname", "du", "echo", "file",
        "gzip", "install", "ln", "ls", "md5sum", "mkdir", "mv", "printf", "readlink", "realpath",
        "rm", "sha1sum", "sha256sum", "sha512sum", "stat", "tar", "test", "touch", "upx",
        "xx-verify", "xz", "zip",
    }
)  # fmt: skip
# Programs that report the architecture of the machine they run on (§5.4 case 2).
_ARCH_PROBES = {"uname": ("-m", "-p", "-a"), "arch": (), "dpkg": ("--print-architecture",)}
_ARCH_PROBES |= {"apk": ("--print-arch",), "dpkg-architecture": ()}

# Directories whose files are native to the platform they were installed on (§5.4 case 2).
_SYSTEM_DIRS = (
    "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr/bin", "/usr/sbin", "/usr/lib",
    "/usr/lib32", "/usr/lib64", "/usr/libexec", "/usr/local/lib",
)  # fmt: skip

# Platform-independent builds (§5.3 "Node.js / Java"): what runs them, and what they write.
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})
_JS_MANAGERS = frozenset({"npm", "pnpm", "yarn", "bun"})
_JS_RUNNERS = frozenset({"npx", "pnpx", "bunx"})
_JS_BUNDLERS = frozenset(
    {
        "astro", "esbuild", "gatsby", "ng", "next", "nuxi", "nuxt", "parcel", "react-scripts",
        "rollup", "tsc", "tsup", "vite", "vue-cli-service", "webpack",
    }
)  # fmt: skip
_MAVEN = frozenset({"mvn", "mvnw"})
_MAVEN_GOALS = frozenset({"package", "install", "verify"})
_GRADLE = frozenset({"gradle", "gradlew"})
_GRADLE_TASKS = frozenset(
    {"assemble", "bootJar", "bootWar", "build", "installDist", "jar", "shadowJar", "war"}
)
# Steps that make native code (a self-contained executable, a JRE, a compiled addon...).
_NATIVE_PROGRAMS = frozenset(
    {
        "c++", "cargo", "cc", "clang", "cmake", "deno", "electron-builder", "electron-forge",
        "electron-packager", "g++", "gcc", "go", "jlink", "jpackage", "make", "native-image",
        "nexe", "node-gyp", "pkg", "prisma", "rustc",
    }
)  # fmt: skip
_NATIVE_WORDS = re.compile(r"--compile\b|native", re.IGNORECASE)  # -Pnative, nativeCompile...
_BUNDLE_DIRS = frozenset({"build", "dist", "html", "out", "public", "static", "storybook-static"})
_BUNDLE_FILES = (".css", ".html", ".js", ".json", ".map", ".mjs", ".cjs", ".svg", ".wasm")
_NOT_BUNDLE_DIRS = frozenset({"node_modules", "standalone", "bin", "Release", "Debug"})
_JVM_FILES = (".jar", ".war", ".ear")
# Images that can only use such output as what it is (served, interpreted, embedded): a bundle
# copied into `debian` and run as `/app/app` was a native executable after all.
_RUNS_BUNDLES = {
    "js": ("node", "bun", "deno", "nginx", "httpd", "caddy", "openresty", "lighttpd", "golang"),
    "jvm": (
        "java", "jdk", "jre", "temurin", "corretto", "tomcat", "jetty", "liberica", "zulu",
        "semeru", "wildfly", "sapmachine", "payara", "liberty",
    ),
}  # fmt: skip

# Windows base images (the Windows families of semantics.Image): no cross-compiling from Linux.
_WINDOWS = re.compile(r"windows|nanoserver|ltsc20\d\d", re.IGNORECASE)
_GO_TEXT = re.compile(r"\bgo\s+(?:-C\s+\S+\s+)?(?:build|install)\b")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


class _Blocked(Exception):
    """The stage cannot be cross-compiled safely; `reason` says why, about `node`."""

    def __init__(self, reason: str, node: Node | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.node = node


@dataclass(frozen=True)
class _Script:
    """Shell text a RUN runs: its arguments, or a heredoc the shell reads as its script."""

    instruction: Instruction
    node: Arguments | Heredoc
    text: str
    commands: tuple[SimpleCommand, ...]


@dataclass
class _GoCommand:
    script: _Script
    command: SimpleCommand
    subcommand: str  # build or install
    insert_at: int  # where new `NAME=value ` assignments go in script.text
    env: dict[str, str]  # the environment the go command sees
    outputs: list[str] = field(default_factory=list)  # absolute output paths (dirs end in /)
    names: set[str] | None = field(default_factory=set)  # binary names; None: unknown
    reads: list[str] = field(default_factory=list)  # TARGET* ARGs its own text reads

    def missing(self, goarm: bool) -> list[tuple[str, str, str]]:
        """The GOOS/GOARCH/GOARM assignments it lacks."""
        wanted = GO_PLATFORM_ENV if goarm and not self.env.get("GOARCH") else GO_PLATFORM_ENV[:2]
        return [entry for entry in wanted if not self.env.get(entry[0])]


class CrossCompile(Rule):
    """
    ## What it does
    Builds a Go builder stage natively on the build machine (`FROM --platform=$BUILDPLATFORM`)
    and cross-compiles for the target platform with `GOOS`/`GOARCH`; runs platform-independent
    JS or JVM builds natively too.

    ## Why is this bad?
    In a multi-platform build (`--platform linux/amd64,linux/arm64`) every stage without
    `--platform` runs once per target platform, under QEMU emulation for the foreign ones:
    often ten times slower. A builder stage whose only product is copied into the runtime stage
    (`COPY --from`) can run natively once per target and let the compiler target the platform:
    Go does it with `GOOS`/`GOARCH` when cgo is off. JS bundles and JVM jars are the same for
    every platform, so those builds need no emulation at all.

    The stage must re-declare `ARG TARGETOS TARGETARCH TARGETVARIANT` (bare: a default would
    shadow the automatic value) to read the target platform. The declaration is inserted right
    before the first `go build` that needs it, so the steps above it (`go mod download`...)
    stay identical for every target and are built once.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

    FROM alpine:3.20
    COPY --from=build /out/app /app
    ```

    Use instead:
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    ARG TARGETOS TARGETARCH TARGETVARIANT
    RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} go build -o /out/app ./cmd/app

    FROM alpine:3.20
    COPY --from=build /out/app /app
    ```

    ## Fix safety
    Unsafe: the stage then runs on the build platform, which is only right when nothing native
    to it leaves the stage. The rule does nothing, and says why, when the stage is the final
    one or the base (`FROM`) of another stage, is itself based on a stage (it inherits that
    stage's platform), already has `--platform`, may have cgo on (`CGO_ENABLED=0` must be set
    by `ENV`, `ARG`, an `export`, `go env -w` or the command's own prefix: Go turns cgo on for
    native builds and off when cross-compiling, so leaving it implicit changes the binary),
    runs or post-processes (`strip`) what it built, runs a program copied from a
    target-platform stage, probes the architecture (`uname -m`), gives a `TARGET*` ARG a
    default, or hands out a `go install` result (a cross-compiled `go install` writes to
    `$GOPATH/bin/<os>_<arch>/`). `go install`ed tools that stay in the stage are left native.
    `GOARM=${TARGETVARIANT#v}` makes `linux/arm/v6` builds right; Go rejects it for the rare
    `linux/amd64/v2` targets: turn it off with the rule option `goarm = false`. JS and JVM
    stages are changed only when every path other stages copy from them is a bundle (`dist`,
    `build`, `*.jar`...), never `node_modules` or a `.next/standalone` tree, copied into a JS
    runtime, web server or JVM image, and nothing in the stage makes native code or comes from
    another stage. What a `package.json` build script runs cannot be seen: a script that
    compiles a native addon into `dist` would be built for the build platform.

    ## References
    - https://docs.docker.com/build/building/multi-platform/#cross-compilation
    - https://docs.docker.com/reference/dockerfile/#automatic-platform-args-in-the-global-scope
    - https://github.com/tonistiigi/xx
    """

    code = "DF003"
    name = "CrossCompile"
    fix_safety = Safety.UNSAFE

    VALID = (
        # the final stage is the image: its binaries must be for the target platform
        "FROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /app .\nCMD [\"/app\"]\n",
        # already cross-compiled
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS b\nARG TARGETOS TARGETARCH\nRUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n",
        # a stage nobody copies from is only ever built with --target, as the image
        "FROM golang:1.22 AS dev\nRUN CGO_ENABLED=0 go build -o /app .\nFROM alpine\n",
        # no compiler step at all
        "FROM alpine AS certs\nRUN apk add ca-certificates\nFROM scratch\nCOPY --from=certs /etc/ssl /etc/ssl\n",
        # a JS build whose node_modules (native addons) reach the runtime stage
        "FROM node:20 AS b\nRUN npm ci && npm run build\nFROM node:20-slim\nCOPY --from=b /app/node_modules /app/node_modules\nCOPY --from=b /app/dist /app/dist\n",
    )  # fmt: skip
    INVALID = (
        Invalid(
            "FROM golang:1.22 AS build\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\nFROM alpine\nCOPY --from=build /out/app /app\n",
            "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nCOPY . .\nARG TARGETOS TARGETARCH TARGETVARIANT\nRUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} go build -o /out/app .\nFROM alpine\nCOPY --from=build /out/app /app\n",
            unsafe=True,
        ),
        # ENV in the stage turns cgo off; GOOS is already set, so only GOARCH and GOARM are added
        Invalid(
            "from golang AS build\nenv CGO_ENABLED=0\nrun GOOS=linux go build -o /app .\nfrom scratch\ncopy --from=build /app /app\n",
            "from --platform=$BUILDPLATFORM golang AS build\nenv CGO_ENABLED=0\narg TARGETARCH TARGETVARIANT\nrun GOOS=linux GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} go build -o /app .\nfrom scratch\ncopy --from=build /app /app\n",
            unsafe=True,
        ),
        # a JS bundle is the same for every platform
        Invalid(
            "FROM node:20 AS ui\nRUN npm ci && npm run build\nFROM nginx\nCOPY --from=ui /app/dist /usr/share/nginx/html\n",
            "FROM --platform=$BUILDPLATFORM node:20 AS ui\nRUN npm ci && npm run build\nFROM nginx\nCOPY --from=ui /app/dist /usr/share/nginx/html\n",
            unsafe=True,
        ),
        # reported without a fix: cgo may be on
        Invalid("FROM golang AS b\nRUN go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n"),
        # reported without a fix: the stage runs what it built
        Invalid("FROM golang AS b\nRUN CGO_ENABLED=0 go build -o /app . && /app --version\nFROM alpine\nCOPY --from=b /app /app\n"),
        # reported without a fix: --platform=$BUILDPLATFORM but no GOARCH, a build-platform binary
        Invalid("FROM --platform=$BUILDPLATFORM golang AS b\nRUN CGO_ENABLED=0 go build -o /app .\nFROM alpine\nCOPY --from=b /app /app\n"),
    )  # fmt: skip

    def visit_stage(self, stage: StageInfo) -> None:
        if stage.is_final or _WINDOWS.search(stage.image.reference):
            return
        go = _GoStage(stage, bool(self.options.get("goarm", True)))
        if go.builds or go.problems or go.handed_out_installs():
            self._go(stage, go)
        elif not go.commands:
            self._bundle(stage)

    # -- Go ----------------------------------------------------------------------------------

    def _go(self, stage: StageInfo, go: _GoStage) -> None:
        from_consumers = [c for c in stage.consumers if c.base_stage is stage]
        if from_consumers:
            name = _stage_name(from_consumers[0])
            self._blocked(
                stage,
                _Blocked(f"stage {name} is built FROM it and would inherit the build platform"),
            )
            return
        if not stage.consumers:
            return  # only built with --target, as the image
        if stage.base_stage is not None:
            reason = f"it is based on stage {_stage_name(stage.base_stage)} and inherits that stage's platform"
            self._blocked(stage, _Blocked(reason))
            return
        platform = stage.stage.from_instruction.flag("platform")
        if platform is not None and go.uses_xx:
            return  # tonistiigi/xx sets the target (xx-go --wrap) where this rule cannot see it
        if platform is not None:
            self._has_platform(stage, go, platform.value or "")
            return
        try:
            go.check(self.context.tree.global_args)
        except _Blocked as blocked:
            self._blocked(stage, blocked)
            return
        self.report(
            stage.stage.from_instruction,
            f"stage {_stage_name(stage)} compiles Go under emulation for every target platform; "
            "it can run natively on $BUILDPLATFORM and cross-compile with GOOS/GOARCH",
            fix=partial(self._go_fix, stage, go),
            title=f"Cross-compile stage {_stage_name(stage)} on $BUILDPLATFORM",
        )

    def _has_platform(self, stage: StageInfo, go: _GoStage, platform: str) -> None:
        if platform not in BUILDPLATFORM_VALUES:
            reason = f"its FROM already sets `--platform={platform}`"
            self._blocked(stage, _Blocked(reason, stage.stage.from_instruction))
            return
        for build in go.builds:
            lacking = [name for name, _, _ in GO_PLATFORM_ENV[:2] if not build.env.get(name)]
            if lacking:
                line = go.line(build.script, build.command)
                self.report(
                    build.script.instruction,
                    f"stage {_stage_name(stage)} runs on $BUILDPLATFORM but `go build` on line "
                    f"{line} sets no {'/'.join(lacking)}: it builds for the build platform, not "
                    "the target",
                    severity=Severity.WARNING,
                )
                return

    def _go_fix(self, stage: StageInfo, go: _GoStage) -> Replacements:
        """The whole file rebuilt (an ARG line may be added): worked out when applied."""
        tree = self.context.tree
        conventions = Conventions.of(tree)
        replacements: dict[int, Node] = {}
        from_instruction = stage.stage.from_instruction
        flag = conventions.flag("--platform=$BUILDPLATFORM")
        replacements[id(from_instruction)] = insert_flag(from_instruction, flag)

        first: Instruction | None = None
        needed: set[str] = set()
        inserts: dict[int, list[tuple[int, str]]] = {}
        scripts: dict[int, _Script] = {}
        for build in go.builds:
            missing = build.missing(go.goarm)
            reads = {arg for *_, arg in missing} | set(build.reads)
            if reads:
                first = first or build.script.instruction
                needed |= reads
            if missing:
                text = "".join(f"{name}={value} " for name, value, _ in missing)
                inserts.setdefault(id(build.script.node), []).append((build.insert_at, text))
                scripts[id(build.script.node)] = build.script
        for key, script in scripts.items():
            instruction = replacements.get(id(script.instruction), script.instruction)
            assert isinstance(instruction, Instruction)
            node = _insert_text(script.node, inserts[key])
            replacements[id(script.instruction)] = _replace_child(instruction, script.node, node)

        children = [replacements.get(id(child), child) for child in tree.children]
        if first is not None:
            declared = go.declared_before(first)
            names = [name for name in TARGET_ARGS if name in needed and name not in declared]
            if names:
                at = _insertion_index(tree.children, first)
                line = f"{_indent(first)}{conventions.keyword('ARG')} {' '.join(names)}"
                children.insert(at, conventions.instruction_line(line))
        return {tree: tree.with_changes(children=tuple(children))}

    # -- JS / JVM bundles -------------------------------------------------------------------

    def _bundle(self, stage: StageInfo) -> None:
        if stage.base_stage is not None or stage.sources or not stage.consumers:
            return
        if any(c.base_stage is stage for c in stage.consumers):
            return
        if stage.stage.from_instruction.flag("platform") is not None:
            return
        kinds: set[str] = set()
        for instruction in stage.stage.instructions:
            if instruction.name == "COPY" and instruction.flag("from") is not None:
                return  # files from another image: they may be native to it
            if instruction.name != "RUN":
                continue
            if instruction.json is not None or any(f.option("from") for f in instruction.flags):
                return
            for script in _scripts(instruction, self.context.tree.escape):
                if _NATIVE_WORDS.search(script.text):
                    return
                for command in script.commands:
                    argv = effective_argv(command)
                    if not argv:
                        continue
                    if argv[0] in _NATIVE_PROGRAMS or (argv[0] in _ARCH_PROBES and _probes(argv)):
                        return
                    kind = _bundle_kind(argv)
                    if kind:
                        kinds.add(kind)
        if not kinds:
            return
        for consumer, _, path in _copied_paths(stage):
            image = consumer.image.repository
            if not any(
                _bundle_shaped(path, kind) and any(n in image for n in _RUNS_BUNDLES[kind])
                for kind in kinds
            ):
                return
        tool = "JS" if "js" in kinds else "JVM"
        conventions = Conventions.of(self.context.tree)
        from_instruction = stage.stage.from_instruction
        flag = conventions.flag("--platform=$BUILDPLATFORM")
        self.report(
            from_instruction,
            f"stage {_stage_name(stage)} builds platform-independent {tool} output under "
            "emulation for every target platform; it can run natively on $BUILDPLATFORM",
            fix={from_instruction: insert_flag(from_instruction, flag)},
            title=f"Run stage {_stage_name(stage)} on $BUILDPLATFORM",
        )

    # -- helpers -----------------------------------------------------------------------------

    def _blocked(self, stage: StageInfo, blocked: _Blocked) -> None:
        self.report(
            blocked.node or stage.stage.from_instruction,
            f"stage {_stage_name(stage)} is not cross-compiled: {blocked.reason}",
            severity=Severity.INFO,
        )


class _GoStage:
    """The `go build`/`go install` commands of a stage, what they see and what follows them."""

    def __init__(self, stage: StageInfo, goarm: bool) -> None:
        self.stage = stage
        self.goarm = goarm
        self.escape = stage.model.tree.escape
        self.commands: list[_GoCommand] = []
        self.scripts: list[_Script] = []
        self.problems: list[_Blocked] = []  # `go` commands the fix cannot reach
        go_env: dict[str, str] = {}  # `go env -w`, below real variables in precedence
        for instruction in stage.stage.instructions:
            if instruction.name != "RUN":
                continue
            if instruction.json is not None:
                if _GO_TEXT.search(" ".join(instruction.json)):
                    reason = "`go` in an exec-form RUN cannot be given GOOS/GOARCH"
                    self.problems.append(_Blocked(reason, instruction))
                continue
            for heredoc in instruction.heredocs:
                if not _is_shell_heredoc(instruction, heredoc) and _GO_TEXT.search(heredoc.body):
                    reason = "`go` runs from a heredoc that is not a shell script"
                    self.problems.append(_Blocked(reason, instruction))
            stage_env: dict[str, str] | None = None  # computed for the first `go` command
            for script in _scripts(instruction, self.escape):
                self.scripts.append(script)
                exported: dict[str, str] = {}
                for command in script.commands:
                    argv = effective_argv(command)
                    if command.name == "export":
                        exported |= _assigned(w.value for w in command.words[1:])
                    if argv[:3] == ("go", "env", "-w"):
                        go_env |= _assigned(argv[3:])
                    subcommand = _go_subcommand(argv)
                    if subcommand is None:
                        continue
                    prefix = _assigned(a.value for a in command.assignments)
                    if stage_env is None:
                        stage_env = _stage_env(stage, instruction)
                    env = go_env | stage_env | exported | prefix | _env_wrapper_assignments(command)
                    go = self._go_command(script, command, subcommand, env, argv)
                    span = script.text[command.start : command.end] + " ".join(exported.values())
                    go.reads = [name for name in TARGET_ARGS if re.search(rf"\$\{{?{name}\b", span)]
                    self.commands.append(go)

    @property
    def uses_xx(self) -> bool:
        return any(
            (effective_argv(c)[:1] or ("",))[0].startswith("xx-")
            for script in self.scripts
            for c in script.commands
        )

    @property
    def builds(self) -> list[_GoCommand]:
        """The commands that get GOOS/GOARCH: every `go build` (`go install`s stay native)."""
        return [c for c in self.commands if c.subcommand == "build"]

    def _go_command(
        self,
        script: _Script,
        command: SimpleCommand,
        subcommand: str,
        env: dict[str, str],
        argv: tuple[str, ...],
    ) -> _GoCommand:
        go_index = len(command.words) - len(argv)
        wrappers = [
            posixpath.basename(w.value)
            for w in command.words[:go_index]
            if not w.value.startswith("-") and not _ASSIGNMENT.fullmatch(w.value)
        ]
        if subcommand == "build" and any(w != "env" for w in wrappers):
            other = next(w for w in wrappers if w != "env")
            self.problems.append(_Blocked(f"`go` runs through `{other}`", script.instruction))
        go = _GoCommand(script, command, subcommand, command.words[go_index].start, env)
        workdir = self.stage.workdir_at(script.instruction)
        output, packages = _go_arguments(argv)
        if packages and all(p.endswith(".go") for p in packages):  # go build main.go util.go
            packages = [packages[0].removesuffix(".go")]
        names = {_binary_name(p, workdir) for p in packages}
        if subcommand == "install":
            gobin = env.get("GOBIN") or env.get("GOPATH", "/root/go").split(":")[0] + "/bin"
            go.outputs = [gobin.rstrip("/") + "/"]
            go.names = None if None in names or not packages else {n for n in names if n}
        elif output is not None:
            path = posixpath.join(workdir, substitute(output, env))
            go.outputs = [path]
            if output.endswith("/"):
                go.names = None if None in names or not packages else {n for n in names if n}
            else:
                go.names = {posixpath.basename(path)}
        elif len(packages) <= 1:  # one package: a binary named after it, in the working dir
            name = next(iter(names)) if packages else _binary_name(".", workdir)
            go.names = {name} if name else None
            go.outputs = [posixpath.join(workdir, name)] if name else []
        return go

    def handed_out_installs(self) -> list[tuple[_GoCommand, StageInfo, Instruction, str]]:
        """`go install` results other stages copy: (command, consumer, instruction, path)."""
        found = []
        for consumer, ins, path in _copied_paths(self.stage):
            for go in self.commands:
                if go.subcommand == "install" and any(
                    _overlap(path, output.rstrip("/")) for output in go.outputs
                ):
                    found.append((go, consumer, ins, path))
        return found

    def line(self, script: _Script, command: SimpleCommand) -> int:
        """The line `command` starts on."""
        return self.stage.model.tree.location(script.node.start + command.start).line

    def declared_before(self, instruction: Instruction) -> set[str]:
        """The ARG names the stage declares, bare, before `instruction`."""
        declared: set[str] = set()
        for ins in self.stage.stage.instructions:
            if ins is instruction:
                break
            if ins.name == "ARG":
                declared |= {key for key, value in assignments(ins) if value is None}
        return declared

    def check(self, global_args: tuple[Instruction, ...]) -> None:
        """Raise `_Blocked` if cross-compiling the stage could change what it produces."""
        if self.problems:
            raise self.problems[0]
        for ins in (*global_args, *self.stage.stage.instructions):
            if ins.name != "ARG":
                continue
            for key, value in assignments(ins):
                if key in TARGET_ARGS and value is not None:
                    where = "the global" if any(ins is g for g in global_args) else "its"
                    raise _Blocked(
                        f"{where} `ARG {key}={value}` replaces the automatic target platform", ins
                    )
        for build in self.builds:
            cgo = build.env.get("CGO_ENABLED")
            if cgo != "0":
                state = (
                    "is on (CGO_ENABLED=1)"
                    if cgo == "1"
                    else "may be on (CGO_ENABLED=0 is not set)"
                )
                raise _Blocked(
                    f"cgo {state} for `go build` on line {self.line(build.script, build.command)}: "
                    "cgo needs a C cross-compiler (tonistiigi/xx), "
                    "and Go turns cgo off when cross-compiling; set CGO_ENABLED=0 if the program "
                    "is pure Go",
                    build.script.instruction,
                )
        for _, consumer, ins, path in self.handed_out_installs():
            raise _Blocked(
                f"stage {_stage_name(consumer)} copies `{path}`, written by `go install`: "
                "a cross-compiled `go install` writes to $GOPATH/bin/<os>_<arch>/ (and "
                "fails when GOBIN is set); use `go build -o`",
                ins,
            )
        handed_out = _copied_paths(self.stage)
        outputs = [o for b in self.builds for o in b.outputs]
        for consumer, ins, path in handed_out:
            if any(_overlap(path, d) for d in _SYSTEM_DIRS) and not any(
                _within(path, o.rstrip("/")) for o in outputs
            ):
                raise _Blocked(
                    f"stage {_stage_name(consumer)} copies `{path}` from it, which would hold "
                    "files of the build platform",
                    ins,
                )
        self._check_later_commands()

    def _check_later_commands(self) -> None:
        """Nothing may run (or rewrite) what the stage built, nor depend on the machine's arch."""
        tools = {n for go in self.commands if go.subcommand == "install" for n in go.names or ()}
        foreign = self._copied_programs()
        built: dict[str, _GoCommand] = {}
        unknown = False
        for script, command in self._commands():
            argv = effective_argv(command)
            if not argv:
                continue
            line = self.line(script, command)
            if argv[0] in _ARCH_PROBES and _probes(argv):
                raise _Blocked(
                    f"`{' '.join(argv)}` on line {line} reads the build machine's architecture",
                    script.instruction,
                )
            if argv[0] in foreign:
                raise _Blocked(
                    f"it runs `{argv[0]}` (line {line}), copied from {foreign[argv[0]]}, "
                    "which is built for the target platform",
                    script.instruction,
                )
            go = next((g for g in self.builds if g.command is command), None)
            if go is not None:
                built |= dict.fromkeys(go.names or (), go)
                unknown = unknown or go.names is None
                continue
            if argv[0] in built or (
                unknown and argv[0] not in _KNOWN_PROGRAMS and argv[0] not in tools
            ):
                raise _Blocked(
                    f"it runs its own build output (`{argv[0]}` on line {line}), which would be "
                    "built for the target platform",
                    script.instruction,
                )
            if (
                argv[0] not in _HARMLESS_ON_OUTPUT
                and argv[0] != "go"
                and any(posixpath.basename(a.rstrip("/")) in built for a in argv[1:])
            ):
                raise _Blocked(
                    f"`{argv[0]}` on line {line} processes the built binary and may not handle "
                    "another architecture",
                    script.instruction,
                )

    def _commands(self) -> Iterator[tuple[_Script, SimpleCommand]]:
        """Every command of the stage in execution order (`$(...)` before its command)."""
        for script in self.scripts:
            ordered = sorted(script.commands, key=lambda c: (c.end, c.start))
            for command in ordered:
                yield script, command

    def _copied_programs(self) -> dict[str, str]:
        """Basenames of files the stage copies from other stages or images, and from where."""
        found: dict[str, str] = {}
        for ins in self.stage.stage.instructions:
            source = ins.flag("from") if ins.name == "COPY" else None
            if source is None or not source.value:
                continue
            values, _ = ins.buildkit_arguments
            for path in values[:-1]:
                found[posixpath.basename(path.rstrip("/"))] = f"`{source.value}`"
        return found


# -- reading the stage ----------------------------------------------------------------------


def _stage_name(stage: StageInfo) -> str:
    return f"`{stage.name}`" if stage.name else f"#{stage.index}"


def _is_shell_heredoc(instruction: Instruction, heredoc: Heredoc) -> bool:
    """True when the shell runs `heredoc` as a script (BuildKit's dispatchRun, §1)."""
    if len(instruction.heredocs) != 1 or instruction.arguments is None:
        return False
    script = commands(instruction.arguments.text, instruction.escape)
    words = [c for c in script if c.words]
    if not words:  # `RUN <<EOF`: the body is the script, or runs through its shebang
        first = heredoc.body.split("\n", 1)[0]
        if not first.startswith("#!"):
            return True
        interpreter = first[2:].split()
        if interpreter and posixpath.basename(interpreter[0]) == "env":
            interpreter = interpreter[1:]
        return bool(interpreter) and posixpath.basename(interpreter[0]) in _SHELLS
    if len(words) != 1:
        return False
    argv = effective_argv(words[0])
    return (
        bool(argv)
        and argv[0] in _SHELLS
        and all(a.startswith("-") and "c" not in a for a in argv[1:])
    )


def _scripts(instruction: Instruction, escape: str) -> list[_Script]:
    """The shell texts a shell-form RUN runs."""
    if instruction.name != "RUN" or instruction.json is not None or instruction.arguments is None:
        return []
    arguments = instruction.arguments
    found = [_Script(instruction, arguments, arguments.text, commands(arguments.text, escape))]
    for heredoc in instruction.heredocs:
        if _is_shell_heredoc(instruction, heredoc):
            body = commands(heredoc.body, escape, continuations=False)
            found.append(_Script(instruction, heredoc, heredoc.body, body))
    return found


def _stage_env(stage: StageInfo, instruction: Instruction) -> dict[str, str]:
    """Variables set before `instruction`; values that read other variables kept as written."""
    env = {key: value for key, value in stage.env_at(instruction).items() if value}
    for ins in stage.stage.instructions:
        if ins is instruction:
            break
        if ins.name in ("ENV", "ARG"):
            for key, value in assignments(ins):
                if value is not None and "$" in value:
                    env[key] = unquote(value)
    return env


def _assigned(words: Iterator[str] | tuple[str, ...]) -> dict[str, str]:
    pairs = (_ASSIGNMENT.fullmatch(word) for word in words)
    return {m.group(1): m.group(2) for m in pairs if m}


def _env_wrapper_assignments(command: SimpleCommand) -> dict[str, str]:
    """`NAME=value` arguments of an `env` wrapper: `env CGO_ENABLED=0 go build`."""
    words = [w.value for w in command.words]
    if not words or posixpath.basename(words[0]) != "env":
        return {}
    return _assigned(w for w in words[1:] if not w.startswith("-"))


def _go_subcommand_index(argv: tuple[str, ...]) -> int | None:
    """Where `build` or `install` is in a `go` argv (`go -C dir build`), if it is one of them."""
    if not argv or argv[0] != "go":
        return None
    i = 1
    while i < len(argv) and argv[i].startswith("-C"):
        i += 1 if "=" in argv[i] else 2
    return i if i < len(argv) and argv[i] in ("build", "install") else None


def _go_subcommand(argv: tuple[str, ...]) -> str | None:
    i = _go_subcommand_index(argv)
    return None if i is None else argv[i]


def _go_arguments(argv: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """The `-o` value and the package arguments of `go build`/`go install`."""
    output = None
    packages: list[str] = []
    i = (_go_subcommand_index(argv) or 0) + 1
    while i < len(argv):
        word = argv[i]
        if word.startswith("-") and word != "-":
            name, equals, value = word.lstrip("-").partition("=")
            takes = f"-{name}" in _GO_VALUE_FLAGS and not equals
            if name == "o":
                output = argv[i + 1] if takes and i + 1 < len(argv) else value
            i += 2 if takes else 1
            continue
        packages.append(word)
        i += 1
    return output, packages


def _binary_name(package: str, workdir: str) -> str | None:
    """The name go gives the binary of one package: its last element, minus a major version."""
    if "..." in package:
        return None
    path = package.split("@", 1)[0].rstrip("/")
    if path in ("", "."):
        path = workdir
    elif path.startswith("."):
        path = posixpath.normpath(posixpath.join(workdir, path))
    parts = [p for p in path.split("/") if p]
    if len(parts) > 1 and re.fullmatch(r"v[2-9]\d*", parts[-1]):
        parts.pop()
    return parts[-1] if parts else None


def _probes(argv: tuple[str, ...]) -> bool:
    flags = _ARCH_PROBES[argv[0]]
    return not flags or any(a in flags for a in argv[1:])


def _bundle_kind(argv: tuple[str, ...]) -> str | None:
    program, args = argv[0], [a for a in argv[1:] if not a.startswith("-")]
    if program in _JS_MANAGERS:
        if args[:1] == ["run"] and len(args) > 1 and args[1].startswith("build"):
            return "js"
        if program in ("yarn", "pnpm", "bun") and args and args[0].startswith("build"):
            return "js"
        return None
    if (program in _JS_RUNNERS and args and args[0] in _JS_BUNDLERS) or program in _JS_BUNDLERS:
        return "js"
    if program in _MAVEN and _MAVEN_GOALS & set(args):
        return "jvm"
    if program in _GRADLE and _GRADLE_TASKS & {a.rsplit(":", 1)[-1] for a in args}:
        return "jvm"
    return None


def _bundle_shaped(path: str, kind: str) -> bool:
    """True when a copied path is build output of the kind, not installed (native) files."""
    parts = [p for p in path.split("/") if p]
    if any(p in _NOT_BUNDLE_DIRS for p in parts) or not parts:
        return False
    if kind == "jvm":
        return parts[-1].endswith(_JVM_FILES) or "target" in parts or "libs" in parts
    return any(p in _BUNDLE_DIRS for p in parts) or parts[-1].endswith(_BUNDLE_FILES)


def _copied_paths(stage: StageInfo) -> list[tuple[StageInfo, Instruction, str]]:
    """Every path other stages take from `stage` (`COPY --from`, `RUN --mount=from=`)."""
    refs = {str(stage.index)} | ({stage.name} if stage.name else set())
    found = []
    for consumer in stage.consumers:
        for ins in consumer.stage.instructions:
            if (
                ins.name == "COPY"
                and (flag := ins.flag("from"))
                and (flag.value or "").lower() in refs
            ):
                env = consumer.env_at(ins)
                values, _ = ins.buildkit_arguments
                found += [(consumer, ins, _absolute(substitute(p, env))) for p in values[:-1]]
            for mount in ins.flags if ins.name == "RUN" else ():
                if mount.name == "mount" and (mount.option("from") or "").lower() in refs:
                    source = mount.option("source") or mount.option("src") or "/"
                    env = consumer.env_at(ins)
                    found.append((consumer, ins, _absolute(substitute(source, env))))
    return found


def _absolute(path: str) -> str:
    """A COPY --from source is relative to the source stage's root."""
    return posixpath.normpath("/" + path.lstrip("/")) if path else "/"


def _overlap(pattern: str, path: str) -> bool:
    """True when the (glob) path `pattern` names `path`, something inside it, or a parent of it."""
    a = [p for p in pattern.split("/") if p]
    b = [p for p in path.split("/") if p]
    return all(fnmatchcase(y, x) for x, y in zip(a, b, strict=False))


def _within(path: str, directory: str) -> bool:
    """True when `path` is `directory` or inside it."""
    a = [p for p in path.split("/") if p]
    b = [p for p in directory.split("/") if p]
    return len(a) >= len(b) and all(fnmatchcase(y, x) for x, y in zip(a, b, strict=False))


# -- building the fix -------------------------------------------------------------------------


def _insert_text(node: Arguments | Heredoc, inserts: list[tuple[int, str]]) -> Node:
    """`node` with each text inserted at its offset into `node.text` (inside ARGS/body tokens)."""
    children = list(node.children)
    offset = 0
    spans = []
    for child in children:
        spans.append((offset, offset + len(child.text)))
        offset += len(child.text)
    for at, text in sorted(inserts, reverse=True):
        index = next(
            i
            for i, (start, end) in enumerate(spans)
            if start <= at < end and _is_token(children[i], "ARGS", "HEREDOC_BODY")
        )
        token = children[index]
        assert isinstance(token, Token)
        cut = at - spans[index][0]
        children[index] = Token(token.type, token.text[:cut] + text + token.text[cut:])
    return node.with_changes(children=tuple(children))


def _is_token(child: Node | Token, *types: str) -> bool:
    return isinstance(child, Token) and child.type in types


def _indent(instruction: Instruction) -> str:
    first = instruction.children[0]
    return first.text if isinstance(first, Token) and first.type == "INDENT" else ""


def _replace_child(instruction: Instruction, old: Node, new: Node) -> Instruction:
    children = tuple(new if child is old else child for child in instruction.children)
    return instruction.with_changes(children=children)


def _insertion_index(children: tuple[Node | Token, ...], instruction: Instruction) -> int:
    """Where to put a line before `instruction`: above the comment lines that lead into it."""
    at = next(i for i, child in enumerate(children) if child is instruction)
    while at > 0 and isinstance(children[at - 1], Comment):
        at -= 1
    return at


__all__ = ["CrossCompile"]
