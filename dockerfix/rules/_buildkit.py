"""What BuildKit's dispatcher knows when it runs the build checks on variables and stages.

Shared by the BuildKit-check rules (BK0xx): BuildKit's "did you mean" search
(`util/suggest/error.go`) and a replay of `dockerfile2llb.dispatch` over every stage (as
`docker build --check` does: with no target, all stages are dispatched,
`convert.go#L135-L144`), recording what `UndefinedVar`, `WorkdirRelativePath` and
`JSONArgsRecommended` see. References are to moby/buildkit at the commit of BUILDKIT.md §0.

The variable expansion (`frontend/dockerfile/shell/lex.go`, `ProcessWord`) is
`dockerfix.expansion.scan_word`, the one port of that lexer: it keeps the order in which
variables are used (diagnostics come in source order), what was looked up before a syntax
error (BuildKit reports those before failing), and `SkipProcessQuotes` (heredoc bodies).

The one thing a Dockerfile alone cannot tell is the base image's config (its `Env`,
`WorkingDir`, `Shell`). BuildKit pulls it; here it comes from `IMAGE_ENV` below (official
images), `dockerfix.semantics.IMAGE_ENV`, and for any other image only the `PATH` BuildKit
always adds (`convert.go`, "make sure that PATH is always set"). No image is assumed to set
`SHELL`; `IMAGE_WORKDIR` lists the working directories known for sure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from dockerfix import semantics
from dockerfix.expansion import AUTOMATIC_ARGS, scan_word
from dockerfix.semantics import Image, StageInfo
from dockerfix.syntax import Dockerfile, Instruction, Stage, Token, buildkit

# convert.go nonEnvArgs: ARGs never put in the environment and never reported undefined.
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})
# util/system DefaultPathEnv for Linux.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The `Env` of official images (union over their current tags), as BuildKit reads it from the
# pulled config. python, rust and node were checked against docker-library/repo-info
# (`repos/<image>/local/<tag>.md`, "Environment"); the others are the `ENV` lines of the
# images' Dockerfile templates (docker-library/*), not re-checked in this session.
IMAGE_ENV: dict[str, tuple[str, ...]] = {
    "python": ("LANG", "GPG_KEY", "PYTHON_VERSION", "PYTHON_SHA256"),
    "pypy": ("LANG", "PYPY_VERSION"),
    "node": ("NODE_VERSION", "YARN_VERSION"),
    "golang": ("GOLANG_VERSION", "GOTOOLCHAIN", "GOPATH"),
    "rust": ("RUSTUP_HOME", "CARGO_HOME", "RUST_VERSION"),
    "ruby": (
        "LANG", "RUBY_MAJOR", "RUBY_VERSION", "RUBY_DOWNLOAD_URL", "RUBY_DOWNLOAD_SHA256",
        "GEM_HOME", "BUNDLE_SILENCE_ROOT_WARNING", "BUNDLE_APP_CONFIG",
    ),
    "php": (
        "PHPIZE_DEPS", "PHP_INI_DIR", "APACHE_CONFDIR", "APACHE_ENVVARS", "PHP_CFLAGS",
        "PHP_CPPFLAGS", "PHP_LDFLAGS", "GPG_KEYS", "PHP_VERSION", "PHP_URL", "PHP_ASC_URL",
        "PHP_SHA256",
    ),
    "eclipse-temurin": ("JAVA_HOME", "LANG", "LANGUAGE", "LC_ALL", "JAVA_VERSION"),
    "openjdk": ("JAVA_HOME", "LANG", "JAVA_VERSION"),
    "maven": ("JAVA_HOME", "LANG", "LANGUAGE", "LC_ALL", "JAVA_VERSION", "MAVEN_HOME", "MAVEN_CONFIG"),
    "gradle": ("JAVA_HOME", "LANG", "LANGUAGE", "LC_ALL", "JAVA_VERSION", "GRADLE_HOME", "GRADLE_VERSION"),
    "nginx": ("NGINX_VERSION", "NJS_VERSION", "NJS_RELEASE", "PKG_RELEASE", "DYNPKG_RELEASE"),
    "httpd": ("HTTPD_PREFIX", "HTTPD_VERSION", "HTTPD_SHA256", "HTTPD_PATCHES"),
    "postgres": ("GOSU_VERSION", "LANG", "PG_MAJOR", "PG_VERSION", "PGDATA"),
    "redis": ("REDIS_VERSION", "REDIS_DOWNLOAD_URL", "REDIS_DOWNLOAD_SHA"),
    "composer": ("PHP_INI_DIR", "COMPOSER_ALLOW_SUPERUSER", "COMPOSER_HOME", "COMPOSER_VERSION"),
    "docker": ("DOCKER_VERSION", "DOCKER_BUILDX_VERSION", "DOCKER_COMPOSE_VERSION", "DOCKER_TLS_CERTDIR"),
    # Base OS images that set nothing but PATH (fedora, for one, sets DISTTAG/FGC/FBR).
    "alpine": (), "debian": (), "ubuntu": (), "busybox": (), "buildpack-deps": (),
}  # fmt: skip

# The `WorkingDir` of official images whose Dockerfile sets it (or, "", does not: `/`), from
# the same templates: `WORKDIR $GOPATH`, `WORKDIR $HTTPD_PREFIX`, `WORKDIR /data` (redis).
IMAGE_WORKDIR: dict[str, str] = {
    "alpine": "", "debian": "", "ubuntu": "", "busybox": "", "python": "", "node": "",
    "rust": "", "nginx": "", "golang": "/go", "httpd": "/usr/local/apache2", "redis": "/data",
}  # fmt: skip


# -- ProcessWord -----------------------------------------------------------------------------

# `shell.Lex.ProcessWordWithMatches`, not raising: variables in order of first use, what was
# seen before a syntax error, `skip_quotes` for heredoc bodies (the name the tests know).
process_word = scan_word


# -- suggestions -----------------------------------------------------------------------------


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def suggest(value: str, options: Iterator[str] | list[str] | tuple[str, ...]) -> str:
    """`suggest.Search(value, options, true)`: the first option at distance < 3, or ''."""
    best, distance = "", 3
    for option in options:
        if option == value:
            return ""
        d = _levenshtein(value, option)
        if d < distance:
            best, distance = option, d
    return best


# -- references in the source ----------------------------------------------------------------


def reference_pattern(name: str) -> re.Pattern[str]:
    """Where `$name` / `${name...}` is written."""
    escaped = re.escape(name)
    if len(name) == 1 and not (name.isalpha() or name == "_"):
        return re.compile(r"\$\{?" + escaped)
    return re.compile(r"\$(?:\{" + escaped + r"(?=[}:+\-?#%/])|" + escaped + r"(?![\w]))")


_SOURCE_TOKENS = frozenset({"FLAG", "ARGS", "HEREDOC_BODY"})


def find_reference(instruction: Instruction, name: str) -> Token | None:
    """A token covering the first written use of `$name` in the instruction, if any."""
    pattern = reference_pattern(name)
    for token in instruction.tokens():
        if token.type in _SOURCE_TOKENS and token.start >= 0:
            match = pattern.search(token.text)
            if match:
                return Token(token.type, match.group(), token.start + match.start())
    return None


_WORD = re.compile(r"[^\t\v\f\r ]+")


def word_token(instruction: Instruction, index: int) -> Token | None:
    """A token covering word `index` of a whitespace-split argument list (FROM, EXPOSE)."""
    arguments = instruction.arguments
    if arguments is None:
        return None
    pieces = [t for t in arguments.tokens() if t.type == "ARGS"]
    joined = "".join(t.text for t in pieces)
    words = list(_WORD.finditer(joined))
    if index >= len(words):
        return None
    start, end = words[index].span()
    at = 0
    for token in pieces:
        if at <= start and end <= at + len(token.text):
            return Token("ARGS", joined[start:end], token.start + start - at)
        at += len(token.text)
    return None


def replace_in_token(token: Token, start: int, end: int, new: str) -> Token:
    """`token` with source offsets [start, end) replaced by `new`."""
    text = token.text
    return Token(token.type, text[: start - token.start] + new + text[end - token.start :])


def args_token_at(instruction: Instruction, offset: int) -> Token | None:
    """The ARGS or FLAG token of the instruction containing the source offset."""
    for token in instruction.tokens():
        if token.type in ("ARGS", "FLAG") and token.start <= offset < token.end:
            return token
    return None


# -- stages and global args ------------------------------------------------------------------


@dataclass
class GlobalArgs:
    """The meta args every FROM sees (`buildMetaArgs` over `defaultArgs`)."""

    env: dict[str, str]
    declared: list[str]  # every global ARG name, with or without a default

    @property
    def keys(self) -> list[str]:
        """The names `UndefinedArgInFrom` accepts and suggests from."""
        return list(dict.fromkeys([*self.env, *self.declared]))


def global_args(tree: Dockerfile) -> GlobalArgs:
    env = dict(AUTOMATIC_ARGS)
    declared: list[str] = []
    for instruction in tree.global_args:
        if instruction.name != "ARG":
            continue
        for word in instruction.buildkit_arguments[0]:
            key, equals, value = word.partition("=")
            declared.append(key)
            if equals:
                env[key] = scan_word(value, env, tree.escape).result
    return GlobalArgs(env, declared)


def stage_names(tree: Dockerfile) -> list[tuple[Instruction, str]]:
    """Each `FROM ... AS name` as (FROM, name as written); `stage_name_node` is where to
    report it."""
    found = []
    for stage in tree.stages:
        args = stage.from_instruction.buildkit_arguments[0]
        if len(args) == 3 and args[1].lower() == "as":
            found.append((stage.from_instruction, args[2]))
    return found


def stage_name_node(from_instruction: Instruction) -> Token | Instruction:
    """The name's token in `FROM ... AS name`, or the FROM when it cannot be placed."""
    return word_token(from_instruction, 2) or from_instruction


# -- dispatch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undefined:
    """An `UndefinedVar` finding: where BuildKit reports it and where the text is."""

    at: Instruction
    source: Instruction
    name: str
    suggestion: str


@dataclass
class StageState:
    """`dispatchState`, reduced to what the checks read."""

    index: int
    base: StageState | None
    image: Image | None  # None when the base is another stage
    env: dict[str, str]
    build_args: list[str]
    env_known: bool  # False when the base image's Env is not in our tables
    workdir_set: bool = False
    shell: bool = False
    base_workdir: str | None = None  # the image's WorkingDir, when known
    cmd: bool = False  # set by this stage (an inherited CMD is reset by an ENTRYPOINT)
    entrypoint: bool = False
    json_entrypoint: bool = False
    onbuild: list[Instruction] = field(default_factory=list)

    @property
    def root_image(self) -> Image | None:
        state: StageState | None = self
        while state is not None and state.image is None:
            state = state.base
        return state.image if state is not None else None


@dataclass
class Dispatch:
    """The replay of every stage: what the checks found, in source order."""

    stages: list[StageState] = field(default_factory=list)
    undefined: list[Undefined] = field(default_factory=list)
    # (where reported, WORKDIR, path after expansion, stage): the first WORKDIR of a stage chain
    relative_workdirs: list[tuple[Instruction, Instruction, str, StageState]] = field(
        default_factory=list
    )
    # (where reported, CMD/ENTRYPOINT, stage): shell form while no SHELL is set
    shell_forms: list[tuple[Instruction, Instruction, StageState]] = field(default_factory=list)
    state_of: dict[int, StageState] = field(default_factory=dict)  # id(instruction) -> stage


# The replays of the tree checked last, by group. Only that tree's: a language server checks
# a new tree at every keystroke, and replays of older ones would keep them alive.
_replays: tuple[Dockerfile | None, dict[tuple[int, ...], Dispatch]] = (None, {})


def dispatch(tree: Dockerfile, group: Sequence[StageInfo]) -> Dispatch:
    """Replay BuildKit's dispatch of a group of stages of `tree` that refer only to each
    other (cached for the tree being checked: the rules that read it share one replay)."""
    global _replays  # noqa: PLW0603 - the cache of the tree being checked
    replayed_tree, replays = _replays
    if replayed_tree is not tree:
        replays = {}
        _replays = (tree, replays)
    key = tuple(info.index for info in group)
    result = replays.get(key)
    if result is None:
        result = replays[key] = _Dispatcher(tree, [info.stage for info in group]).run()
    return result


def image_env(image: Image) -> tuple[dict[str, str], bool]:
    """The base image's Env as far as known, and whether it is known completely."""
    env = {"PATH": DEFAULT_PATH}
    if image.repository == "scratch":
        return env, True
    official = "/" not in image.repository
    names = IMAGE_ENV.get(image.repository) if official else None
    for key, value in semantics.IMAGE_ENV.get(image.repository if official else "", {}).items():
        env[key] = value
    if names is None:
        return env, False
    for name in names:
        env.setdefault(name, "")
    return env, True


_WINDOWS = re.compile(r"windowsservercore|nanoserver|ltsc20\d\d|windows", re.IGNORECASE)


def is_windows(image: Image | None) -> bool:
    """A Windows base image (the test of `semantics.Image.family`)."""
    return image is not None and bool(_WINDOWS.search(image.tag) or "windows" in image.repository)


def image_workdir(image: Image) -> str | None:
    if image.repository == "scratch":
        return "/"
    if "/" in image.repository or image.repository not in IMAGE_WORKDIR:
        return None
    return IMAGE_WORKDIR[image.repository] or "/"


class _Dispatcher:
    def __init__(self, tree: Dockerfile, stages: Sequence[Stage]) -> None:
        self.tree = tree
        self.stages = stages
        self.escape = tree.escape
        self.globals = global_args(tree)
        self.result = Dispatch()
        self.by_name: dict[str, StageState] = {}
        self.reported: set[tuple[int, int, str]] = set()

    def run(self) -> Dispatch:
        for stage in self.stages:
            base_name = scan_word(stage.base_image, self.globals.env, self.escape).result
            parent = self.by_name.get(base_name)
            if parent is not None:
                state = StageState(
                    index=stage.index,
                    base=parent,
                    image=None,
                    env=dict(parent.env),
                    build_args=list(parent.build_args),
                    env_known=parent.env_known,
                    workdir_set=parent.workdir_set,
                    shell=parent.shell,
                    base_workdir=parent.base_workdir,
                    entrypoint=parent.entrypoint,
                    json_entrypoint=parent.json_entrypoint,
                )
            else:
                image = Image.parse(base_name)
                env, known = image_env(image)
                state = StageState(
                    stage.index, None, image, env, [], known, base_workdir=image_workdir(image)
                )
            self.result.stages.append(state)
            self.result.state_of[id(stage.from_instruction)] = state
            if stage.name:
                self.by_name[stage.name] = state
            if parent is not None:
                for trigger in parent.onbuild:
                    self.instruction(trigger, stage.from_instruction, state)
            for instruction in stage.instructions:
                self.result.state_of[id(instruction)] = state
                self.instruction(instruction, instruction, state)
        return self.result

    # -- expansion ---------------------------------------------------------------------

    def expand(
        self, word: str, at: Instruction, source: Instruction, state: StageState, raw: bool = False
    ) -> str:
        escape = "\\" if raw else self.escape
        expansion = scan_word(word, state.env, escape, skip_quotes=raw)
        self.report(expansion.unmatched, at, source, state)
        return expansion.result

    def report(
        self, names: tuple[str, ...], at: Instruction, source: Instruction, state: StageState
    ) -> None:
        """reportUnmatchedVariables."""
        for name in names:
            if name in state.build_args or name in NON_ENV_ARGS:
                continue
            key = (id(at), id(source), name)
            if key not in self.reported:
                self.reported.add(key)
                self.result.undefined.append(
                    Undefined(at, source, name, suggest(name, list(state.env)))
                )

    # -- instructions ------------------------------------------------------------------

    def instruction(self, ins: Instruction, at: Instruction, state: StageState) -> None:
        name = ins.name
        if name == "ONBUILD":
            if ins.trigger is not None:
                state.onbuild.append(ins.trigger)
            return
        try:
            values, is_json = ins.buildkit_arguments
        except buildkit.LineError:
            return
        if name in ("ENV", "LABEL"):
            pairs = [(values[i], values[i + 1]) for i in range(0, len(values) - 2, 3)]
            expanded = [
                (self.expand(k, at, ins, state), self.expand(v, at, ins, state)) for k, v in pairs
            ]
            if name == "ENV":
                for key, value in expanded:
                    state.env[key] = value
        elif name in ("COPY", "ADD"):
            self.copy(ins, at, state, values, is_json)
        elif name == "RUN":
            for flag in ins.flags:
                if flag.name == "mount":
                    for _, option in flag.options:
                        if option is not None:
                            self.expand(option, at, ins, state)
        elif name == "WORKDIR":
            self.workdir(ins, at, state, values[0] if values else "")
        elif name in ("USER", "STOPSIGNAL"):
            self.expand(values[0] if values else "", at, ins, state)
        elif name == "VOLUME":
            for value in values:
                self.expand(value, at, ins, state)
        elif name == "ARG":
            self.arg(ins, at, state, values)
        elif name == "SHELL":
            state.shell = state.shell or bool(values)
        elif name in ("CMD", "ENTRYPOINT"):
            if not is_json and not state.shell:
                self.result.shell_forms.append((at, ins, state))
            if name == "CMD":
                state.cmd = True
            else:
                state.entrypoint, state.json_entrypoint = True, is_json

    def copy(
        self, ins: Instruction, at: Instruction, state: StageState, values: list[str], is_json: bool
    ) -> None:
        flags = ("chown", "chmod", "checksum") if ins.name == "ADD" else ("chown", "chmod")
        for flag_name in flags:
            flag = ins.flag(flag_name)
            if flag is not None and flag.value:
                self.expand(flag.value, at, ins, state)
        if not values:
            return
        heredocs = list(ins.heredocs)
        contents: list[str] = []
        for source in values[:-1]:
            marker = buildkit.HEREDOC_WORD.match(source)
            if not is_json and heredocs and marker and marker.group(3):
                heredoc = heredocs.pop(0)
                if not heredoc.quoted:
                    contents.append(heredoc.content)
                continue
            self.expand(source, at, ins, state)
        self.expand(values[-1], at, ins, state)
        for content in contents:
            self.expand(content, at, ins, state, raw=True)

    def workdir(self, ins: Instruction, at: Instruction, state: StageState, path: str) -> None:
        expanded = self.expand(path, at, ins, state)
        if not state.workdir_set and not _is_absolute(expanded, state):
            self.result.relative_workdirs.append((at, ins, expanded, state))
        state.workdir_set = True

    def arg(self, ins: Instruction, at: Instruction, state: StageState, words: list[str]) -> None:
        """dispatchArg, without build args (`--check` passes none)."""
        for word in words:
            key, equals, raw = word.partition("=")
            value: str | None = raw if equals else None
            if value is None:
                if key in self.globals.env:
                    value = self.globals.env[key]
            else:
                expansion = scan_word(value, state.env, self.escape)
                self.report(expansion.unmatched, at, ins, state)
                value = expansion.result
            if value is not None and key not in NON_ENV_ARGS:
                state.env[key] = value
            state.build_args.append(key)


def _is_absolute(path: str, state: StageState) -> bool:
    """system.IsAbs for the stage's platform (Windows: after dropping a `C:` drive)."""
    if is_windows(state.root_image):
        if len(path) == 2 and path[1] == ":":
            return False
        _, colon, rest = path.partition(":")
        path = (rest if colon else path).replace("\\", "/")
    return path.startswith("/")
