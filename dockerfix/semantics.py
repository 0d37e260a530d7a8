"""What a rule needs to know about a stage beyond its text.

Base image (and its family), the USER, WORKDIR, ENV and ARG in effect at each instruction,
which stages feed which (`FROM <stage>`, `COPY --from`, `RUN --mount=from=`) and which stage is
final. Everything is derived from the tree alone; knowledge of images lives in the tables below.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from dockerfix.compat import cached_property
from dockerfix.syntax import Dockerfile, Instruction, Stage

# Image repositories (last path component) whose default variant is Debian-based.
DEBIAN_IMAGES = frozenset(
    {
        "debian", "buildpack-deps", "python", "node", "golang", "ruby", "php", "rust", "perl",
        "openjdk", "maven", "gradle", "httpd", "nginx", "postgres", "mysql", "mariadb", "redis",
        "haskell", "elixir", "erlang", "julia", "r-base", "swift", "gcc", "clojure", "sbt",
        "composer", "wordpress", "dotnet/sdk", "dotnet/runtime", "dotnet/aspnet", "node-slim",
    }
)  # fmt: skip
UBUNTU_IMAGES = frozenset({"ubuntu", "eclipse-temurin", "ibm-semeru-runtimes"})
ALPINE_IMAGES = frozenset({"alpine", "docker", "traefik"})
RHEL_IMAGES = frozenset(
    {
        "centos", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "ubi", "ubi7",
        "ubi8", "ubi9", "ubi10", "ubi-minimal", "ubi8-minimal", "ubi9-minimal", "fedora",
    }
)  # fmt: skip
SUSE_IMAGES = frozenset({"leap", "tumbleweed", "sle15", "bci-base"})

# Variables the official images set, which cache paths depend on.
IMAGE_ENV: dict[str, dict[str, str]] = {
    "golang": {"GOPATH": "/go"},
    "rust": {"CARGO_HOME": "/usr/local/cargo", "RUSTUP_HOME": "/usr/local/rustup"},
    "composer": {"COMPOSER_HOME": "/tmp"},
    "ruby": {"GEM_HOME": "/usr/local/bundle", "BUNDLE_APP_CONFIG": "/usr/local/bundle"},
    "gradle": {"GRADLE_USER_HOME": "/home/gradle/.gradle"},
    "maven": {"MAVEN_CONFIG": "/root/.m2"},
}

# Users the official images create: name -> (uid, gid, home).
IMAGE_USERS: dict[str, dict[str, tuple[int, int, str]]] = {
    "node": {"node": (1000, 1000, "/home/node")},
    "gradle": {"gradle": (1000, 1000, "/home/gradle")},
}

_WINDOWS_TAG = re.compile(r"windowsservercore|nanoserver|ltsc20\d\d|windows", re.IGNORECASE)
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}?")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    uid: int | None = None
    gid: int | None = None
    home: str | None = None

    @property
    def is_root(self) -> bool:
        return self.name in ("root", "0") or self.uid == 0


ROOT = User("root", 0, 0, "/root")


@dataclass(frozen=True)
class Image:
    """A resolved `FROM` reference: registry/path, repository name and tag."""

    reference: str
    repository: str
    tag: str

    @classmethod
    def parse(cls, reference: str) -> Image:
        name = reference.split("@", 1)[0]
        last = name.rsplit("/", 1)[-1]
        repository_name, _, tag = last.partition(":")
        path = name.rsplit(":", 1)[0] if ":" in last else name
        parts = path.split("/")
        if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            parts = parts[1:]
        if parts and parts[0] == "library":
            parts = parts[1:]
        repository = "/".join(parts) if parts else repository_name
        return cls(reference, repository.lower(), tag)

    @property
    def name(self) -> str:
        """The last path component: `python` for `docker.io/library/python:3.12`."""
        return self.repository.rsplit("/", 1)[-1]

    @cached_property
    def family(self) -> str:
        """debian, ubuntu, alpine, rhel, suse, windows, scratch, distroless or unknown."""
        repo, name, tag = self.repository, self.name, self.tag.lower()
        if repo == "scratch":
            return "scratch"
        if "distroless" in repo or "chainguard" in repo:
            return "distroless"
        if _WINDOWS_TAG.search(tag) or "windows" in repo:
            return "windows"
        if "alpine" in tag or name in ALPINE_IMAGES:
            return "alpine"
        if name in RHEL_IMAGES or repo.startswith(("redhat/", "ubi")) or "/ubi" in repo:
            return "rhel"
        if name in SUSE_IMAGES or repo.startswith(("opensuse/", "suse/")):
            return "suse"
        if name in UBUNTU_IMAGES or any(t in tag for t in ("jammy", "noble", "focal")):
            return "ubuntu"
        if name in DEBIAN_IMAGES or repo in DEBIAN_IMAGES or repo.startswith("dotnet/"):
            return "debian"
        return "unknown"


class StageInfo:
    """A stage with the context its instructions run in.

    A stage refers to the stages it reads (earlier ones) directly, and to its model and the
    stages that read it only weakly or by index: a model and its stages form no reference
    cycle, so a checked tree is freed as soon as the last reference to it goes, not at the
    next full garbage collection (a language server checks a new tree at every keystroke).
    A stage is used while its model lives: the context of every rule holds the model.
    """

    def __init__(self, stage: Stage, model: Model) -> None:
        self.stage = stage
        self._model = weakref.ref(model)
        self.base_stage: StageInfo | None = None  # the stage this one is built on
        self.sources: list[StageInfo] = []  # the stages it reads: its base, COPY/RUN --from
        self._consumers: list[int] = []

    def __repr__(self) -> str:
        return f"StageInfo({self.index}, {self.name!r})"

    @property
    def model(self) -> Model:
        model = self._model()
        if model is None:
            raise RuntimeError("a StageInfo was used after its Model was freed")
        return model

    @property
    def consumers(self) -> list[StageInfo]:
        """The stages that read this one."""
        stages = self.model.stages
        return [stages[index] for index in self._consumers]

    @property
    def index(self) -> int:
        return self.stage.index

    @property
    def name(self) -> str | None:
        return self.stage.name

    @property
    def is_final(self) -> bool:
        return self.index == len(self.model.stages) - 1

    @cached_property
    def image(self) -> Image:
        """The base image, global ARG defaults substituted; a stage base resolves to its image."""
        if self.base_stage is not None:
            return self.base_stage.image
        return Image.parse(substitute(self.stage.base_image, self.model.global_arg_defaults))

    @property
    def family(self) -> str:
        return self.image.family

    @property
    def is_windows(self) -> bool:
        return self.family == "windows"

    def _position(self, instruction: Instruction | None) -> int:
        """Index of `instruction` in the stage body (its length for None or a stranger)."""
        body = self.stage.instructions
        if instruction is None:
            return len(body)
        return self._positions.get(id(instruction), len(body))

    @cached_property
    def _positions(self) -> dict[int, int]:
        positions: dict[int, int] = {}
        for i, ins in enumerate(self.stage.instructions):
            positions.setdefault(id(ins), i)
        return positions

    @cached_property
    def _envs(self) -> list[dict[str, str]]:
        """ENV before each instruction of the body, then at its end (shared: never mutate)."""
        if self.base_stage is not None:
            env = self.base_stage.env_at()
        else:
            env = dict(IMAGE_ENV.get(self.image.name, {}))
        envs = [env]
        for ins in self.stage.instructions:
            if ins.name in ("ENV", "ARG"):
                env = dict(env)
                for key, value in assignments(ins):
                    if value is not None or ins.name == "ENV":
                        env[key] = substitute(unquote(value or ""), env)
                    else:
                        env.setdefault(key, self.model.global_arg_defaults.get(key, ""))
            envs.append(env)
        return envs

    @cached_property
    def _users(self) -> list[User]:
        user = self.base_stage.user_at() if self.base_stage is not None else ROOT
        users = [user]
        for ins in self.stage.instructions:
            if ins.name == "USER" and ins.value:
                user = self._user(ins.value.split()[0])
            users.append(user)
        return users

    @cached_property
    def _workdirs(self) -> list[str]:
        workdir = self.base_stage.workdir_at() if self.base_stage is not None else "/"
        workdirs = [workdir]
        envs = self._envs
        for i, ins in enumerate(self.stage.instructions):
            if ins.name == "WORKDIR" and ins.value:
                path = substitute(ins.value, envs[i])
                workdir = path if path.startswith("/") else workdir.rstrip("/") + "/" + path
            workdirs.append(workdir)
        return workdirs

    def env_at(self, instruction: Instruction | None = None) -> dict[str, str]:
        """ENV (and ARG defaults) in effect before `instruction` (None: at the stage's end)."""
        return dict(self._envs[self._position(instruction)])

    def user_at(self, instruction: Instruction | None = None) -> User:
        return self._users[self._position(instruction)]

    def _user(self, spec: str) -> User:
        name, _, group = spec.partition(":")
        known = IMAGE_USERS.get(self.image.name, {}).get(name)
        if name in ("root", "0"):
            return ROOT
        if name.isdigit():
            uid = int(name)
            gid = int(group) if group.isdigit() else (uid if not group else None)
            return User(name, uid, gid, known[2] if known else None)
        if known:
            uid, gid, home = known
            return User(name, uid, int(group) if group.isdigit() else gid, home)
        return User(name, None, int(group) if group.isdigit() else None, f"/home/{name}")

    def workdir_at(self, instruction: Instruction | None = None) -> str:
        return self._workdirs[self._position(instruction)]


class Model:
    """The stages of a Dockerfile and how they relate."""

    def __init__(self, tree: Dockerfile) -> None:
        self.tree = tree
        self.stages = [StageInfo(stage, self) for stage in tree.stages]
        by_name: dict[str, StageInfo] = {}
        # A base or reference BuildKit may read as another name (expanded, unquoted).
        self._unsure_links = False
        for info in self.stages:
            base = by_name.get(info.stage.base_image.lower())
            if base is not None:
                info.base_stage = base
                _link(base, info)
            if info.name:
                by_name[info.name] = info
            references = stage_references(info.stage)
            self._unsure_links = self._unsure_links or any(
                map(_unsure, (info.stage.base_image, *references))
            )
            for reference in references:
                source = by_name.get(reference.lower())
                if source is None and reference.isdigit() and int(reference) < info.index:
                    source = self.stages[int(reference)]
                if source is not None and source is not info:
                    _link(source, info)

    @cached_property
    def global_arg_defaults(self) -> dict[str, str]:
        defaults: dict[str, str] = {}
        for ins in self.tree.global_args:
            for key, value in assignments(ins):
                if value is not None:
                    defaults[key] = unquote(value)
        return defaults

    @cached_property
    def stage_groups(self) -> list[list[StageInfo]]:
        """The stages in groups that do not refer to each other (FROM, COPY --from,
        RUN --mount=from=), each group in file order. One group when a base or a reference
        holds a variable, a quote or an escape: which stage BuildKit reads it as is not worked
        out here."""
        if self._unsure_links:
            return [self.stages] if self.stages else []
        group_of: dict[int, int] = {}
        groups: list[list[StageInfo]] = []
        for info in self.stages:
            linked = {group_of[s.index] for s in info.sources}  # sources come earlier
            if not linked:
                group_of[info.index] = len(groups)
                groups.append([info])
                continue
            target, *others = sorted(linked)
            for other in others:
                for moved in groups[other]:
                    group_of[moved.index] = target
                groups[target].extend(groups[other])
                groups[other] = []
            group_of[info.index] = target
            groups[target].append(info)
        return [sorted(group, key=lambda s: s.index) for group in groups if group]

    @property
    def final(self) -> StageInfo | None:
        return self.stages[-1] if self.stages else None


_UNSURE = frozenset("$'\"\\`")


def _unsure(name: str) -> bool:
    return not _UNSURE.isdisjoint(name)


def _link(source: StageInfo, consumer: StageInfo) -> None:
    if source not in consumer.sources:
        consumer.sources.append(source)
        source._consumers.append(consumer.index)


def stage_references(stage: Stage) -> list[str]:
    """Stage names used by `COPY --from=` and `RUN --mount=from=` in a stage."""
    references = []
    for ins in stage.instructions:
        if not ins.flags:  # most instructions
            continue
        if ins.name == "COPY" and (flag := ins.flag("from")) and flag.value:
            references.append(flag.value)
        if ins.name == "RUN":
            for mount in ins.flags:
                if mount.name == "mount" and (source := mount.option("from")):
                    references.append(source)
    return references


def assignments(instruction: Instruction) -> list[tuple[str, str | None]]:
    """The (name, value) pairs of an ENV, ARG or LABEL; value None for a bare ARG name."""
    values, _ = instruction.buildkit_arguments
    if instruction.name == "ARG":
        pairs: list[tuple[str, str | None]] = []
        for word in values:
            key, equals, value = word.partition("=")
            pairs.append((key, value if equals else None))
        return pairs
    return [(values[i], values[i + 1]) for i in range(0, len(values) - 2, 3)]


def unquote(value: str) -> str:
    """Remove shell-style quotes from an ENV/ARG value (BuildKit's ProcessWord, roughly)."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def substitute(text: str, env: dict[str, str]) -> str:
    """Expand `$VAR`, `${VAR}` and `${VAR:-default}` from `env` (unknown: the default or '')."""

    def expand(match: re.Match[str]) -> str:
        return env.get(match.group(1)) or match.group(2) or ""

    return _REFERENCE.sub(expand, text) if "$" in text else text
