"""DF002 CacheMount: give package-manager RUNs a BuildKit cache mount for their download cache.

The knowledge lives in the tables below, one per package manager (BUILDKIT.md §3.3 recipes,
§3.4 summary, §3.5 USER moves). The rule reads each RUN with `dockerfix.shell` (chains,
`sh -c`, env prefixes, heredoc bodies), resolves where every cache lives for the user and the
ENV in effect, then adds the missing `--mount=type=cache` flags and drops what would now wipe
or bypass the cache (§3.2 pitfall 8).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from dockerfix import shell
from dockerfix.compat import cached_property
from dockerfix.conventions import Conventions, insert_flag
from dockerfix.diagnostics import Safety
from dockerfix.rules.base import Context, Invalid, Replacements, Rule
from dockerfix.semantics import ROOT, StageInfo, User, substitute
from dockerfix.syntax import Arguments, Flag, Heredoc, Instruction, Keyword, Node, Token

# --- the tables ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Loc:
    """One place a cache may live: `path` under the value of `var` (first that applies wins).

    `var` None: `path` is absolute. `HOME`: the home of the user running the command.
    `@name`: a location computed by `_special_base` (the conda prefix, the WORKDIR...).
    """

    var: str | None
    path: str = ""
    root_only: bool = False  # only when the command runs as root (Yarn 1's /usr/local/share)
    first_of: str = ""  # the variable holds a list: take the first item (GOPATH, pkgs_dirs)


@dataclass(frozen=True)
class Cache:
    """A directory a manager downloads into (or builds into, for `copied_out` ones)."""

    key: str
    locations: tuple[Loc, ...]
    option: str | None = None  # a command-line option that relocates it (`--cache-dir`)
    sharing: str | None = None
    only: frozenset[str] | None = None  # subcommands that use it (None: every trigger)
    narrow: tuple[str, ...] = ()  # mount these subdirectories when the stage puts files in it
    pin: str | None = None  # variable to set on the command when only the home default is known
    copied_out: bool = False  # a build-output directory: only when the RUN copies out of it


@dataclass(frozen=True)
class Cleanup:
    """A command that wipes the cache: positional words starting with `words` (+ a flag)."""

    words: tuple[str, ...]
    flags: tuple[str, ...] = ()  # one of these must be given
    exact: bool = False  # the positional words must be exactly `words`
    needs: str | None = None  # only a wipe when that cache (key) is mounted


@dataclass(frozen=True)
class Manager:
    name: str
    programs: frozenset[str]
    # First positional word of a command that downloads ("" = no positional word; None: any
    # command with a positional word, e.g. Maven goals or Gradle tasks).
    triggers: frozenset[str] | None
    caches: tuple[Cache, ...]
    reason: str
    system: bool = False  # an OS package manager: runs as root
    value_options: frozenset[str] = frozenset()  # options before the subcommand taking a value
    no_cache_flags: tuple[str, ...] = ()  # options that bypass the cache: dropped
    replace_flags: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (flag, by, unless one of)
    no_cache_env: tuple[str, ...] = ()  # variables that turn the cache off
    cleanups: tuple[Cleanup, ...] = ()  # commands that wipe the cache: dropped
    rm_paths: tuple[str, ...] = ()  # more paths whose `rm` is dropped, beside the cache targets
    add_flags: tuple[
        tuple[str, str], ...
    ] = ()  # (flag, unless a word has this) after the subcommand...
    add_flags_to: frozenset[str] = frozenset()  # ...of these subcommands
    set_env: tuple[tuple[str, str], ...] = ()  # variables set on the command (unless set)
    offline_flags: tuple[str, ...] = ()  # the command only reads what another RUN downloaded


def _words(*names: str) -> frozenset[str]:
    return frozenset(names)


_DOWNLOADS = "downloaded packages are fetched again on every build"

# §3.3 "apt / apt-get": both directories, sharing=locked; docker-clean is handled by the rule
# (`APT_KEEP_DOWNLOADS`); `rm -rf /var/lib/apt/lists/*`, `rm -rf /var/cache/apt/*` fall under
# the targets, `apt-get clean` is a cleanup.
APT = Manager(
    name="apt",
    programs=_words("apt-get", "apt"),
    triggers=_words("update", "install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "reinstall"),
    caches=(
        Cache("archives", (Loc(None, "/var/cache/apt"),), sharing="locked"),
        Cache("lists", (Loc(None, "/var/lib/apt"),), sharing="locked"),
    ),
    reason=_DOWNLOADS,
    system=True,
    value_options=_words("-o", "-c", "-t", "--option", "--config-file", "--target-release"),
    cleanups=(Cleanup(("clean",)), Cleanup(("autoclean",)), Cleanup(("distclean",))),
    offline_flags=("--no-download",),
)  # fmt: skip

# §3.3 "apk": /etc/apk/cache; `--no-cache` becomes `--update-cache` (the image has no index);
# `rm -rf /var/cache/apk/*` and `apk cache clean` are dropped.
APK = Manager(
    name="apk",
    programs=_words("apk"),
    triggers=_words("add", "update", "upgrade", "fix", "fetch"),
    caches=(Cache("cache", (Loc(None, "/etc/apk/cache"),), option="--cache-dir"),),
    reason=_DOWNLOADS,
    system=True,
    value_options=_words("-X", "--repository", "-p", "--root", "--arch", "--cache-dir", "--keys-dir"),
    replace_flags=(("--no-cache", "--update-cache", ("-U", "--update-cache")),),
    cleanups=(Cleanup(("cache", "clean")), Cleanup(("cache", "purge"))),
    rm_paths=("/var/cache/apk",),
    offline_flags=("--no-network",),
)  # fmt: skip

# §3.3 "dnf / yum / microdnf": sharing=locked, `keepcache=True` so downloaded RPMs stay, `clean`
# dropped. dnf4 and `yum` of EL8+ use /var/cache/dnf, dnf5 (Fedora 41+) /var/cache/libdnf5,
# yum of EL7 /var/cache/yum; microdnf [unverified in §3.3] /var/cache/yum.
_RPM_INSTALLS = _words(
    "install",
    "update",
    "upgrade",
    "reinstall",
    "downgrade",
    "groupinstall",
    "group",
    "builddep",
    "distro-sync",
    "swap",
)
_RPM_TRIGGERS = _RPM_INSTALLS | _words("makecache")
_RPM_OPTIONS = _words(
    "--setopt",
    "--releasever",
    "--installroot",
    "-c",
    "--config",
    "--repo",
    "--enablerepo",
    "--disablerepo",
    "-x",
    "--exclude",
)


def _rpm(name: str, programs: frozenset[str], path: str, keepcache: bool = True) -> Manager:
    return Manager(
        name=name,
        programs=programs,
        triggers=_RPM_TRIGGERS,
        caches=(Cache("cache", (Loc(None, path),), sharing="locked"),),
        reason=_DOWNLOADS,
        system=True,
        value_options=_RPM_OPTIONS,
        cleanups=(Cleanup(("clean",)),),
        add_flags=(("--setopt=keepcache=True", "keepcache"),) if keepcache else (),
        add_flags_to=_RPM_INSTALLS,
        offline_flags=("-C", "--cacheonly"),
    )


DNF = _rpm("dnf", _words("dnf", "yum"), "/var/cache/dnf")
DNF5 = _rpm("dnf5", _words("dnf5", "dnf"), "/var/cache/libdnf5")
YUM = _rpm("yum", _words("yum"), "/var/cache/yum")
MICRODNF = _rpm("microdnf", _words("microdnf"), "/var/cache/yum", keepcache=False)

# §3.3 "zypper": /var/cache/zypp, sharing=locked, `zypper clean` dropped.
ZYPPER = Manager(
    name="zypper",
    programs=_words("zypper"),
    triggers=_words("install", "in", "update", "up", "dist-upgrade", "dup", "refresh", "ref", "patch", "source-install", "si"),
    caches=(Cache("cache", (Loc(None, "/var/cache/zypp"),), sharing="locked"),),
    reason=_DOWNLOADS,
    system=True,
    value_options=_words("--root", "-R", "--reposd-dir", "--cache-dir", "-C", "--raw-cache-dir", "--solv-cache-dir", "--pkg-cache-dir"),
    cleanups=(Cleanup(("clean",)), Cleanup(("cc",))),
)  # fmt: skip

# §3.3 "npm": ~/.npm, relocated by npm_config_cache (any case) or `--cache`.
NPM = Manager(
    name="npm",
    programs=_words("npm"),
    triggers=_words("install", "i", "ci", "clean-install", "install-clean", "add", "update", "up", "upgrade", "exec", "x"),
    caches=(Cache("cache", (Loc("npm_config_cache"), Loc("NPM_CONFIG_CACHE"), Loc("HOME", ".npm")), option="--cache"),),
    reason=_DOWNLOADS,
    value_options=_words("--prefix", "-C", "--cache", "--userconfig", "-w", "--workspace"),
    cleanups=(Cleanup(("cache", "clean")), Cleanup(("cache", "clear")), Cleanup(("cache", "rm"))),
    offline_flags=("--offline",),
)  # fmt: skip

# §3.3 "Yarn classic (1.x)": as root /usr/local/share/.cache/yarn, else ~/.cache/yarn;
# XDG_CACHE_HOME, YARN_CACHE_FOLDER and `--cache-folder` relocate it.
_YARN_TRIGGERS = _words("", "install", "add", "upgrade", "up", "global", "dlx")
YARN = Manager(
    name="yarn",
    programs=_words("yarn"),
    triggers=_YARN_TRIGGERS,
    caches=(
        Cache(
            "cache",
            (Loc("YARN_CACHE_FOLDER"), Loc("XDG_CACHE_HOME", "yarn"), Loc(None, "/usr/local/share/.cache/yarn", root_only=True), Loc("HOME", ".cache/yarn")),
            option="--cache-folder",
        ),
    ),
    reason=_DOWNLOADS,
    value_options=_words("--cwd", "--cache-folder", "--modules-folder"),
    cleanups=(Cleanup(("cache", "clean")),),
    offline_flags=("--offline",),
)  # fmt: skip

# §3.3 "Yarn Berry (2+)": with the global cache (Yarn 4's default) ~/.yarn/berry/cache or
# $YARN_GLOBAL_FOLDER/cache; YARN_CACHE_FOLDER only when the global cache is off. A project
# cache (`.yarn/cache`, zero-install) is never mounted (`@berry` resolves to nothing then).
YARN_BERRY = Manager(
    name="yarn",
    programs=_words("yarn"),
    triggers=_YARN_TRIGGERS,
    caches=(Cache("cache", (Loc("@berry"), Loc("YARN_GLOBAL_FOLDER", "cache"), Loc("HOME", ".yarn/berry/cache"))),),
    reason=_DOWNLOADS,
    value_options=_words("--cwd"),
    cleanups=(Cleanup(("cache", "clean")),),
)  # fmt: skip

# §3.3 "pnpm": $PNPM_HOME/store, else $XDG_DATA_HOME/pnpm/store, else ~/.local/share/pnpm/store.
PNPM = Manager(
    name="pnpm",
    programs=_words("pnpm"),
    triggers=_words("install", "i", "add", "fetch", "update", "up", "dlx"),
    caches=(
        Cache(
            "store",
            (Loc("npm_config_store_dir"), Loc("NPM_CONFIG_STORE_DIR"), Loc("PNPM_HOME", "store"), Loc("XDG_DATA_HOME", "pnpm/store"), Loc("HOME", ".local/share/pnpm/store")),
            option="--store-dir",
        ),
    ),
    reason=_DOWNLOADS,
    value_options=_words("-C", "--dir", "--filter", "-F", "--store-dir"),
    cleanups=(Cleanup(("store", "prune")),),
    offline_flags=("--offline",),
)  # fmt: skip

# §3.3 "pip": ~/.cache/pip (XDG_CACHE_HOME, PIP_CACHE_DIR, `--cache-dir`); `--no-cache-dir`
# (and its optparse abbreviation `--no-cache`), PIP_NO_CACHE_DIR and `pip cache purge` go.
_PIP_CACHE = Cache(
    "cache",
    (Loc("PIP_CACHE_DIR"), Loc("XDG_CACHE_HOME", "pip"), Loc("HOME", ".cache/pip")),
    option="--cache-dir",
)
PIP = Manager(
    name="pip",
    programs=_words("pip"),
    triggers=_words("install", "download", "wheel"),
    caches=(_PIP_CACHE,),
    reason=_DOWNLOADS,
    value_options=_words("--cache-dir", "--log", "--proxy", "--python", "--retries", "--timeout", "--cert", "--client-cert", "--exists-action", "--trusted-host"),
    no_cache_flags=("--no-cache-dir", "--no-cache"),
    no_cache_env=("PIP_NO_CACHE_DIR",),
    cleanups=(Cleanup(("cache", "purge")), Cleanup(("cache", "remove"))),
)  # fmt: skip

# §3.3 "uv": ~/.cache/uv (XDG_CACHE_HOME, UV_CACHE_DIR, `--cache-dir`); `--no-cache`,
# UV_NO_CACHE and `uv cache clean|prune` go.
UV = Manager(
    name="uv",
    programs=_words("uv"),
    triggers=_words("pip", "sync", "add", "lock", "run", "tool", "python", "venv", "export"),
    caches=(Cache("cache", (Loc("UV_CACHE_DIR"), Loc("XDG_CACHE_HOME", "uv"), Loc("HOME", ".cache/uv")), option="--cache-dir"),),
    reason=_DOWNLOADS,
    value_options=_words("--cache-dir", "--directory", "--project", "--config-file", "--color"),
    no_cache_flags=("--no-cache", "-n"),
    no_cache_env=("UV_NO_CACHE",),
    cleanups=(Cleanup(("cache", "clean")), Cleanup(("cache", "prune"))),
    offline_flags=("--offline",),
)  # fmt: skip

# §3.3 "Poetry": ~/.cache/pypoetry (POETRY_CACHE_DIR); only when the virtualenvs are not in
# the cache (`_poetry_venvs_outside`); `--no-cache` and `poetry cache clear` go.
POETRY = Manager(
    name="poetry",
    programs=_words("poetry"),
    triggers=_words("install", "add", "update", "lock", "sync"),
    caches=(Cache("cache", (Loc("POETRY_CACHE_DIR"), Loc("XDG_CACHE_HOME", "pypoetry"), Loc("HOME", ".cache/pypoetry"))),),
    reason=_DOWNLOADS,
    value_options=_words("-C", "--directory", "-P", "--project"),
    no_cache_flags=("--no-cache",),
    cleanups=(Cleanup(("cache", "clear")),),
)  # fmt: skip

# §3.3 "Pipenv": PIPENV_CACHE_DIR (default ~/.cache/pipenv [unverified]) and pip's cache;
# `--clear` goes.
PIPENV = Manager(
    name="pipenv",
    programs=_words("pipenv"),
    triggers=_words("install", "sync", "lock", "update", "upgrade"),
    caches=(Cache("cache", (Loc("PIPENV_CACHE_DIR"), Loc("XDG_CACHE_HOME", "pipenv"), Loc("HOME", ".cache/pipenv"))), _PIP_CACHE),
    reason=_DOWNLOADS,
    no_cache_flags=("--clear",),
    cleanups=(Cleanup((), flags=("--clear",), exact=True),),
)  # fmt: skip

# §3.3 "conda / mamba / micromamba": the first pkgs_dirs entry (CONDA_PKGS_DIRS), else
# <root prefix>/pkgs; sharing=locked [inference]; `clean` goes.
CONDA = Manager(
    name="conda",
    programs=_words("conda", "mamba", "micromamba"),
    triggers=_words("install", "create", "update", "upgrade", "env"),
    caches=(Cache("pkgs", (Loc("CONDA_PKGS_DIRS", first_of=","), Loc("@conda", "pkgs")), sharing="locked"),),
    reason=_DOWNLOADS,
    cleanups=(Cleanup(("clean",)),),
    offline_flags=("--offline",),
)  # fmt: skip

# §3.3 "Go": GOMODCACHE (default $GOPATH/pkg/mod; GOPATH=/go in the golang image, §3.5) for
# every module-aware command, GOCACHE (XDG_CACHE_HOME/go-build, ~/.cache/go-build) for the
# ones that compile; `go clean -modcache|-cache` goes.
_GO_COMPILES = _words("build", "install", "test", "run", "vet", "generate", "list")
GO = Manager(
    name="go",
    programs=_words("go"),
    triggers=_GO_COMPILES | _words("mod", "get", "download"),
    caches=(
        Cache("modules", (Loc("GOMODCACHE"), Loc("GOPATH", "pkg/mod", first_of=":"), Loc("HOME", "go/pkg/mod"))),
        Cache("build", (Loc("GOCACHE"), Loc("XDG_CACHE_HOME", "go-build"), Loc("HOME", ".cache/go-build")), only=_GO_COMPILES),
    ),
    reason="modules are downloaded and packages compiled again on every build",
    value_options=_words("-C"),
    cleanups=(Cleanup(("clean",), flags=("-modcache", "-cache", "-testcache", "-fuzzcache")),),
)  # fmt: skip

# §3.3 "Cargo": $CARGO_HOME/registry and $CARGO_HOME/git/db (CARGO_HOME=/usr/local/cargo in
# the rust image, §3.5); the target directory only when the RUN copies the artefacts out
# (§3.2 pitfall 2), locked so that parallel platform builds never copy each other's binary.
CARGO = Manager(
    name="cargo",
    programs=_words("cargo"),
    triggers=_words("build", "b", "install", "fetch", "test", "t", "check", "c", "run", "r", "doc", "clippy", "update", "generate-lockfile", "vendor", "bench"),
    caches=(
        Cache("registry", (Loc("CARGO_HOME", "registry"), Loc("HOME", ".cargo/registry"))),
        Cache("git", (Loc("CARGO_HOME", "git/db"), Loc("HOME", ".cargo/git/db"))),
        Cache("target", (Loc("CARGO_TARGET_DIR"), Loc("@workdir", "target")), option="--target-dir", sharing="locked", only=_words("build", "b"), copied_out=True),
    ),
    reason="crates are downloaded again on every build",
    value_options=_words("-Z", "--config", "-C"),
    cleanups=(Cleanup(("clean",), needs="target"),),
    offline_flags=("--offline", "--frozen"),
)  # fmt: skip

# §3.3 "Maven": ~/.m2 (or `-Dmaven.repo.local`, also via MAVEN_OPTS); ~/.m2/repository when
# the stage puts files such as settings.xml into ~/.m2.
MAVEN = Manager(
    name="maven",
    programs=_words("mvn", "mvnw"),
    triggers=None,
    caches=(Cache("repository", (Loc("@maven-repo"), Loc("HOME", ".m2")), narrow=("repository",)),),
    reason="dependencies are downloaded again on every build",
    value_options=_words("-f", "--file", "-s", "--settings", "-gs", "--global-settings", "-P", "--activate-profiles", "-pl", "--projects", "-T", "--threads", "-l", "--log-file", "-t", "--toolchains", "-rf", "--resume-from"),
    cleanups=(Cleanup(("dependency:purge-local-repository",)),),
    offline_flags=("-o", "--offline"),
)  # fmt: skip

# §3.3 "Gradle": the Gradle user home (GRADLE_USER_HOME, `-g`), sharing=locked; its `caches`
# and `wrapper` only, the "more surgical" form that keeps a baked gradle.properties/init.d.
_GRADLE_HOME = (Loc("GRADLE_USER_HOME"), Loc("HOME", ".gradle"))
GRADLE = Manager(
    name="gradle",
    programs=_words("gradle", "gradlew"),
    triggers=None,
    caches=(
        Cache("caches", tuple(Loc(loc.var, posixpath.join(loc.path, "caches")) for loc in _GRADLE_HOME), option="--gradle-user-home", sharing="locked"),
        Cache("wrapper", tuple(Loc(loc.var, posixpath.join(loc.path, "wrapper")) for loc in _GRADLE_HOME), sharing="locked"),
    ),
    reason="dependencies are downloaded again on every build",
    value_options=_words("-p", "--project-dir", "-g", "--gradle-user-home", "-b", "--build-file", "-c", "--settings-file", "-x", "--exclude-task", "-D", "-P", "-I", "--init-script"),
    offline_flags=("--offline",),
)  # fmt: skip

# §3.3 "sbt / Scala": the Coursier cache (COURSIER_CACHE), ~/.sbt and ~/.ivy2.
SBT = Manager(
    name="sbt",
    programs=_words("sbt"),
    triggers=None,
    caches=(
        Cache("coursier", (Loc("COURSIER_CACHE"), Loc("XDG_CACHE_HOME", "coursier"), Loc("HOME", ".cache/coursier"))),
        Cache("sbt", (Loc("HOME", ".sbt"),)),
        Cache("ivy", (Loc("HOME", ".ivy2"),)),
    ),
    reason="dependencies are downloaded again on every build",
)  # fmt: skip

# §3.3 "Bundler / RubyGems": the user cache ~/.bundle/cache (BUNDLE_USER_CACHE [unverified],
# BUNDLE_USER_HOME) with BUNDLE_GLOBAL_GEM_CACHE=true, set on the command (§3.5 "prefix the
# variable on the RUN command line"). Never GEM_HOME/BUNDLE_PATH (`_RUNTIME_VARIABLES`).
# `bundle clean --force` prunes installed gems, not the cache: it is left alone.
BUNDLER = Manager(
    name="bundler",
    programs=_words("bundle", "bundler"),
    triggers=_words("", "install", "update"),
    caches=(Cache("cache", (Loc("BUNDLE_USER_CACHE"), Loc("BUNDLE_USER_HOME", "cache"), Loc("HOME", ".bundle/cache"))),),
    reason=_DOWNLOADS,
    value_options=_words("--gemfile", "--path", "--jobs", "-j", "--retry"),
    set_env=(("BUNDLE_GLOBAL_GEM_CACHE", "true"),),
)  # fmt: skip

# §3.3 "Composer": COMPOSER_CACHE_DIR, $COMPOSER_HOME/cache (COMPOSER_HOME=/tmp in the composer
# image), $XDG_CACHE_HOME/composer; otherwise the home default depends on /etc/xdg, so the
# location is pinned on the command; `clear-cache` and `--no-cache` go.
COMPOSER = Manager(
    name="composer",
    programs=_words("composer"),
    triggers=_words("install", "i", "update", "u", "upgrade", "require", "r", "create-project", "global", "reinstall"),
    caches=(
        Cache(
            "cache",
            (Loc("COMPOSER_CACHE_DIR"), Loc("COMPOSER_HOME", "cache"), Loc("XDG_CACHE_HOME", "composer"), Loc("HOME", ".cache/composer")),
            pin="COMPOSER_CACHE_DIR",
        ),
    ),
    reason=_DOWNLOADS,
    value_options=_words("-d", "--working-dir"),
    no_cache_flags=("--no-cache",),
    cleanups=(Cleanup(("clear-cache",)), Cleanup(("clearcache",)), Cleanup(("cc",))),
)  # fmt: skip

# §3.3 ".NET / NuGet": the global-packages folder ~/.nuget/packages (NUGET_PACKAGES), on every
# restoring or building RUN (§3.2 pitfall 3); `dotnet nuget locals all --clear` goes.
DOTNET = Manager(
    name="nuget",
    programs=_words("dotnet"),
    triggers=_words("restore", "build", "publish", "test", "run", "pack", "tool", "add", "workload"),
    caches=(Cache("packages", (Loc("NUGET_PACKAGES"), Loc("HOME", ".nuget/packages"))),),
    reason=_DOWNLOADS,
    cleanups=(Cleanup(("nuget", "locals"), flags=("--clear", "-c")),),
    offline_flags=("--no-restore", "--no-build"),
)  # fmt: skip

# §3.3 "ccache / sccache": CCACHE_DIR (ccache 4 default ~/.cache/ccache), SCCACHE_DIR (default
# ~/.cache/sccache, sharing=locked: one server per directory). Triggered by a mention
# (`_compiler_cache_uses`), not a subcommand; `ccache -C` goes.
CCACHE = Manager(
    name="ccache",
    programs=_words("ccache"),
    triggers=frozenset(),
    caches=(Cache("cache", (Loc("CCACHE_DIR"), Loc("XDG_CACHE_HOME", "ccache"), Loc("HOME", ".cache/ccache"))),),
    reason="compiled objects are rebuilt from scratch on every build",
    cleanups=(Cleanup((), flags=("-C", "--clear"), exact=True),),
)  # fmt: skip
SCCACHE = Manager(
    name="sccache",
    programs=_words("sccache"),
    triggers=frozenset(),
    caches=(Cache("cache", (Loc("SCCACHE_DIR"), Loc("XDG_CACHE_HOME", "sccache"), Loc("HOME", ".cache/sccache")), sharing="locked"),),
    reason="compiled objects are rebuilt from scratch on every build",
)  # fmt: skip

MANAGERS: tuple[Manager, ...] = (
    APT, APK, DNF, DNF5, YUM, MICRODNF, ZYPPER, NPM, YARN, YARN_BERRY, PNPM, PIP, UV, POETRY,
    PIPENV, CONDA, GO, CARGO, MAVEN, GRADLE, SBT, BUNDLER, COMPOSER, DOTNET, CCACHE, SCCACHE,
)  # fmt: skip

# §3.3 apt: the official Debian/Ubuntu images delete downloaded .debs after every apt run; the
# recipe removes that hook once (here: in the first apt RUN of a stage that gets the mounts).
APT_KEEP_DOWNLOADS = (
    "rm -f /etc/apt/apt.conf.d/docker-clean && echo "
    "'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache"
)

# Images whose default USER is not root (§3.3 conda: micromamba's mambauser), and the ENV they
# set that cache paths depend on beside dockerfix.semantics.IMAGE_ENV.
_IMAGE_DEFAULT_USER = {"micromamba": User("mambauser", 57439, 57439, "/home/mambauser")}
_IMAGE_ENV = {"micromamba": {"MAMBA_ROOT_PREFIX": "/opt/conda"}}
_CONDA_IMAGES = frozenset(
    {"miniconda3", "miniconda", "anaconda3", "miniforge3", "mambaforge", "micromamba"}
)

# Directories the image needs at run time: a cache mount never overlaps them (§3.2 pitfall 1).
_RUNTIME_VARIABLES = ("GEM_HOME", "BUNDLE_PATH", "BUNDLE_APP_CONFIG", "VIRTUAL_ENV", "CONDA_PREFIX")
# Never a cache target, and never dropped from an `rm` (dropping it would change too much).
_SYSTEM_DIRS = frozenset(
    {
        "/",
        "/tmp",
        "/var",
        "/usr",
        "/usr/local",
        "/etc",
        "/opt",
        "/root",
        "/home",
        "/srv",
        "/bin",
        "/lib",
        "/sbin",
        "/var/cache",
        "/var/lib",
        "/var/tmp",
    }
)

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})
_BUILD_TOOLS = frozenset(
    {
        "make",
        "gmake",
        "cmake",
        "ninja",
        "meson",
        "cc",
        "c++",
        "gcc",
        "g++",
        "clang",
        "clang++",
        "cargo",
        "bazel",
        "scons",
    }
)
_PROGRAMS = frozenset({"php"}).union(_BUILD_TOOLS, *(m.programs for m in MANAGERS))
_CANDIDATES: dict[str, list[Manager]] = {
    program: [m for m in MANAGERS if program in m.programs]
    for program in frozenset().union(*(m.programs for m in MANAGERS))
}
_MENTIONS = {
    m.name: re.compile(rf"(?:^|[\s=/\"']){m.name}(?:$|[\s\"'])") for m in (CCACHE, SCCACHE)
}
_COMPILER_VARIABLES = (
    "CC",
    "CXX",
    "CMAKE_C_COMPILER_LAUNCHER",
    "CMAKE_CXX_COMPILER_LAUNCHER",
    "RUSTC_WRAPPER",
)
_COPY_PROGRAMS = frozenset({"cp", "mv", "install", "rsync", "strip", "upx"})
_INFORMATIONAL = frozenset({"--version", "-v", "-V", "--help", "-h"})
_FALSE = frozenset({"", "0", "false", "off", "no"})
_GLOB = re.compile(r"[*?\[]")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_WINDOWS_TAG = re.compile(r"windowsservercore|nanoserver|ltsc20\d\d|windows", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_REPO_LOCAL = re.compile(r"-Dmaven\.repo\.local=(\S+)")
_CONDA_BIN = re.compile(r"^(/.*(?:conda|forge|mamba)[^/]*)/bin/?$")
_BERRY_HINTS = re.compile(
    r"yarn(?:@|\s+set\s+version\s+)(?:berry|stable|canary|[2-9])|\.yarnrc\.yml|YARN_(?:ENABLE_GLOBAL_CACHE|GLOBAL_FOLDER|NODE_LINKER)"
)
_BERRY_FLAGS = frozenset({"--immutable", "--immutable-cache", "--check-cache", "--mode"})  # fmt: skip


# --- reading a RUN -------------------------------------------------------------------------


@dataclass
class _Script:
    """Shell text of a RUN: its arguments, or the body of a heredoc the shell runs."""

    text: str
    escape: str
    continuations: bool
    heredoc: Heredoc | None = None

    @cached_property
    def commands(self) -> tuple[shell.SimpleCommand, ...]:
        return shell.commands(self.text, self.escape, continuations=self.continuations)


@dataclass
class _Use:
    """One command of a manager in a RUN, with what it runs as."""

    manager: Manager
    script: _Script
    command: shell.SimpleCommand
    argv: tuple[str, ...]  # effective argv, program basename first
    program: str  # the program as written (a path for `/opt/conda/bin/conda`)
    positional: tuple[str, ...]
    env: dict[str, str]
    user: User
    trigger: bool  # downloads (as opposed to only being cleaned or configured)

    @property
    def label(self) -> str:
        program = self.program if " (" in self.program else self.program.rsplit("/", 1)[-1]
        return f"{program} {self.positional[0]}" if self.positional else program


@dataclass
class _Mount:
    target: str
    sharing: str | None
    user: User

    def text(self) -> str:
        parts = ["type=cache", f"target={self.target}"]
        if self.sharing:
            parts.append(f"sharing={self.sharing}")
        if not self.user.is_root and self.user.uid is not None:
            gid = self.user.gid if self.user.gid is not None else self.user.uid
            parts += [f"uid={self.user.uid}", f"gid={gid}"]
        return "--mount=" + ",".join(parts)


@dataclass
class _Plan:
    """What one manager needs in one RUN."""

    manager: Manager
    uses: list[_Use]
    mounts: list[_Mount] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # every target, mounted already or not
    keys: set[str] = field(default_factory=set)  # the caches (keys) it has targets for
    pins: list[tuple[str, str]] = field(default_factory=list)  # variables set on its commands
    problem: str | None = None
    unsafe: str | None = None


def _scripts(instruction: Instruction) -> list[_Script]:
    arguments = instruction.arguments
    text = arguments.text if arguments is not None else ""
    scripts = [_Script(text, instruction.escape, True)]
    for heredoc in _shell_heredocs(instruction, scripts[0]):
        scripts.append(_Script(heredoc.body, "\\", False, heredoc))
    return scripts


def _shell_heredocs(instruction: Instruction, args: _Script) -> list[Heredoc]:
    """Heredocs whose body the shell runs: the whole RUN, or the stdin of `sh`/`bash`."""
    heredocs = instruction.heredocs
    if not heredocs:
        return []
    value = instruction.value
    rest = value
    for heredoc in heredocs:
        rest = rest.replace(heredoc.marker.word, "", 1)
    if len(heredocs) == 1 and not rest.strip():
        body = heredocs[0].body.lstrip("\t") if heredocs[0].chomp else heredocs[0].body
        if body.startswith("#!"):
            first = body.split("\n", 1)[0][2:].split()
            interpreter = (
                first[1]
                if first and first[0].endswith("/env") and len(first) > 1
                else (first[0] if first else "")
            )
            return list(heredocs[:1]) if interpreter.rsplit("/", 1)[-1] in _SHELLS else []
        return list(heredocs[:1])
    found: list[Heredoc] = []
    at = 0
    commands = args.commands
    for heredoc in heredocs:
        position = args.text.find(heredoc.marker.word, at)
        if position < 0:
            continue
        at = position + len(heredoc.marker.word)
        for command in commands:
            reads_stdin = not any(
                w.value.startswith("-") and "c" in w.value[1:] for w in command.words[1:]
            )
            if command.start <= position < command.end and command.name in _SHELLS and reads_stdin:
                found.append(heredoc)
    return found


def _positional(argv: Sequence[str], value_options: frozenset[str]) -> list[int]:
    """Indexes of the positional words of argv (after the program)."""
    found: list[int] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            found.extend(range(i + 1, len(argv)))
            break
        if word.startswith("-") and len(word) > 1:
            i += 2 if word in value_options else 1
            continue
        found.append(i)
        i += 1
    return found


def _normalize_program(name: str) -> str:
    if re.fullmatch(r"pip[0-9.]*", name):
        return "pip"
    if name.startswith("composer"):
        return "composer"
    return name


def _program_index(command: shell.SimpleCommand, program: str) -> int:
    """Index in `command.words` of the word that runs `program` (after sudo, env, python -m)."""
    for i, word in enumerate(command.words):
        if word.value.startswith("-") or _ASSIGNMENT.fullmatch(word.value):
            continue
        if _normalize_program(word.value.rsplit("/", 1)[-1]) == program:
            return i
    return 0


def _is_cleanup(
    manager: Manager, use_argv: Sequence[str], positional: Sequence[str]
) -> Cleanup | None:
    for cleanup in manager.cleanups:
        n = len(cleanup.words)
        if tuple(positional[:n]) != cleanup.words or (cleanup.exact and len(positional) != n):
            continue
        if cleanup.flags and not any(_has_option(use_argv, f) for f in cleanup.flags):
            continue
        return cleanup
    return None


def _has_option(argv: Sequence[str], option: str) -> bool:
    return any(word == option or word.startswith(option + "=") for word in argv[1:])


def _option_value(argv: Sequence[str], option: str) -> str | None:
    for i, word in enumerate(argv[1:], 1):
        if word == option and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith(option + "="):
            return word[len(option) + 1 :]
    return None


# --- the context of a RUN ------------------------------------------------------------------


@dataclass
class _Context:
    stage: StageInfo
    instruction: Instruction
    history: list[tuple[StageInfo, Instruction]]  # the instructions before, base stages first
    env: dict[str, str]
    user: User
    workdir: str
    # `_manager_use` of each command `_uses` read (by id; the command is kept with it)
    seen: dict[int, tuple[shell.SimpleCommand, _Use | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, stage: StageInfo, instruction: Instruction) -> _Context:
        history = _history(stage, instruction)
        env = {**_IMAGE_ENV.get(stage.image.name, {}), **stage.env_at(instruction)}
        if any(ins.name == "USER" for _, ins in history):
            user = stage.user_at(instruction)
        else:
            user = _IMAGE_DEFAULT_USER.get(stage.image.name, ROOT)
        known = _IMAGE_DEFAULT_USER.get(stage.image.name)
        if known is not None and user.name == known.name and user.uid is None:
            user = known
        return cls(stage, instruction, history, env, user, stage.workdir_at(instruction))

    def history_text(self) -> str:
        return "\n".join(ins.text for _, ins in self.history)


def _history(stage: StageInfo, upto: Instruction | None) -> list[tuple[StageInfo, Instruction]]:
    chain: list[StageInfo] = []
    base = stage.base_stage
    while base is not None and base not in chain:
        chain.append(base)
        base = base.base_stage
    found = [(info, ins) for info in reversed(chain) for ins in info.stage.instructions]
    for ins in stage.stage.instructions:
        if ins is upto:
            break
        found.append((stage, ins))
    return found


def _is_windows(stage: StageInfo) -> bool:
    """Local stand-in for `StageInfo.is_windows`: `Image` is slotted, so its cached `family`
    raises TypeError (same test as dockerfix.semantics)."""
    image = stage.image
    return bool(_WINDOWS_TAG.search(image.tag)) or "windows" in image.repository


def _non_posix_shell(context: _Context) -> bool:
    """Whether SHELL switched the stage to a shell this rule cannot read (cmd, PowerShell)."""
    shell_name = "sh"
    for _, ins in context.history:
        if ins.name == "SHELL" and ins.json:
            shell_name = ins.json[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    return shell_name.removesuffix(".exe") not in _SHELLS


def _may_use(scripts: list[_Script]) -> bool:
    """Whether `_uses` can find anything: a command runs a manager, a build tool (ccache may be
    configured in the ENV), `php` (composer) or names ccache/sccache in a word."""
    for script in scripts:
        for command in script.commands:
            argv = shell.effective_argv(command)
            if not argv:
                continue
            if _normalize_program(argv[0]) in _PROGRAMS:
                return True
            if any("ccache" in w.value for w in command.assignments) or any(
                "ccache" in w.value for w in command.words
            ):
                return True
    return False


def _uses(scripts: list[_Script], context: _Context) -> list[_Use]:
    found: list[_Use] = []
    for script in scripts:
        commands = script.commands
        for command in commands:
            use = _manager_use(script, command, context)
            context.seen[id(command)] = (command, use)
            if use is not None:
                found.append(use)
        found.extend(_compiler_cache_uses(script, commands, context))
    return found


def _manager_use(script: _Script, command: shell.SimpleCommand, context: _Context) -> _Use | None:
    argv = shell.effective_argv(command)
    if not argv:
        return None
    if argv[0] == "php" and len(argv) > 1 and argv[1].rsplit("/", 1)[-1].startswith("composer"):
        argv = argv[1:]
    program = _normalize_program(argv[0])
    argv = (program, *argv[1:])
    candidates = _CANDIDATES.get(program)
    if not candidates:
        return None
    index = _program_index(command, program)
    env = dict(context.env)
    wrapper_words = [w.value for w in command.words[:index]]
    home = env.get("HOME") or context.user.home or ""
    for word in (*(a.value for a in command.assignments), *wrapper_words):
        match = _ASSIGNMENT.fullmatch(word)
        if match:  # the shell expands it, with HOME set
            env[match.group(1)] = _substitute_known(match.group(2), {"HOME": home, **env})
    user = context.user
    if "sudo" in (w.rsplit("/", 1)[-1] for w in wrapper_words) and not any(
        w in ("-u", "--user") or w.startswith("--user=") for w in wrapper_words
    ):
        user = ROOT
    manager = _choose(candidates, argv, script, context)
    positional = tuple(argv[i] for i in _positional(argv, manager.value_options))
    trigger = _is_trigger(manager, argv, positional)
    written = command.words[index].value if command.words else program
    return _Use(manager, script, command, argv, written, positional, env, user, trigger)


def _is_trigger(manager: Manager, argv: Sequence[str], positional: Sequence[str]) -> bool:
    if _is_cleanup(manager, argv, positional):
        return False
    if not positional and any(a in _INFORMATIONAL for a in argv[1:]):
        return False  # `yarn --version`, `bundle -v`
    if manager.triggers is None:
        return bool(positional)
    return (positional[0] if positional else "") in manager.triggers


def _choose(
    candidates: list[Manager], argv: Sequence[str], script: _Script, context: _Context
) -> Manager:
    """The variant of a program: Yarn 1 or Berry; dnf4, dnf5 or yum."""
    if len(candidates) == 1:
        return candidates[0]
    program = argv[0]
    image = context.stage.image
    if program == "yarn":
        hints = context.history_text() + "\n" + script.text
        berry = any(f.split("=")[0] in _BERRY_FLAGS for f in argv[1:]) or bool(
            _BERRY_HINTS.search(hints)
        )
        return YARN_BERRY if berry else YARN
    tag = image.tag.lower()
    major = re.match(r"(\d+)", tag)
    if program == "dnf":
        dnf5 = image.name == "fedora" and (not major or int(major.group(1)) >= 41)
        return DNF5 if dnf5 else DNF
    if program == "yum":
        el7 = (
            image.name in ("centos", "oraclelinux", "ubi7", "rhel7") and tag.startswith("7")
        ) or (image.name == "amazonlinux" and re.fullmatch(r"2(?:\.0.*)?", tag) is not None)
        return YUM if el7 or image.name == "ubi7" else DNF
    return candidates[0]


def _compiler_cache_uses(
    script: _Script, commands: Sequence[shell.SimpleCommand], context: _Context
) -> Iterator[_Use]:
    """ccache/sccache: run directly, named as a launcher or wrapper, or set in the ENV."""
    for manager in (CCACHE, SCCACHE):
        tool = manager.name
        mention = _MENTIONS[tool]
        configured = any(mention.search(context.env.get(v, "")) for v in _COMPILER_VARIABLES)
        configured = configured or (
            tool == "ccache" and "/usr/lib/ccache" in context.env.get("PATH", "")
        )
        for command in commands:
            argv = shell.effective_argv(command)
            if not argv:
                continue
            # `ccache gcc ...` (not `ccache -s`), or named in a variable or `--option=value`
            wraps = argv[0] == tool and bool(_positional(argv, manager.value_options))
            named = wraps or any(mention.search(v) for v in _option_values(command))
            if not (named or (configured and argv[0] in _BUILD_TOOLS)):
                continue
            env = dict(context.env)
            for assignment in command.assignments:
                key, _, value = assignment.value.partition("=")
                env[key] = value
            program = argv[0] if argv[0] == tool else f"{tool} ({argv[0]})"
            yield _Use(manager, script, command, argv, program, (), env, context.user, True)
            break


def _option_values(command: shell.SimpleCommand) -> Iterator[str]:
    """The values a command sets: of its assignments and its `-option=value` words."""
    for assignment in command.assignments:
        yield assignment.value.partition("=")[2]
    for word in command.words:
        if word.value.startswith("-") and "=" in word.value:
            yield word.value.partition("=")[2]


# --- where the caches are ------------------------------------------------------------------


def _home(use: _Use) -> str | None:
    return use.env.get("HOME") or use.user.home


def _join(base: str, path: str, workdir: str) -> str:
    joined = posixpath.join(base, path) if path else base
    if not joined.startswith("/"):
        joined = posixpath.join(workdir, joined)
    return posixpath.normpath(joined)


def _special_base(name: str, use: _Use, context: _Context) -> str | None:
    if name == "@workdir":
        return context.workdir
    if name == "@berry":
        if use.env.get("YARN_ENABLE_GLOBAL_CACHE", "").lower() in ("0", "false"):
            return use.env.get("YARN_CACHE_FOLDER") or "@skip"
        return None
    if name == "@maven-repo":
        value = _option_value(use.argv, "-Dmaven.repo.local")
        if value is None:
            found = _REPO_LOCAL.search(use.env.get("MAVEN_OPTS", ""))
            value = found.group(1) if found else None
        return value
    if name == "@conda":
        if use.program.startswith("/") and "/bin/" in use.program:
            return use.program.rsplit("/bin/", 1)[0]
        for variable in ("MAMBA_ROOT_PREFIX", "CONDA_DIR", "CONDA_ROOT"):
            if use.env.get(variable):
                return use.env[variable]
        for entry in use.env.get("PATH", "").split(":"):
            match = _CONDA_BIN.match(entry)
            if match:
                return match.group(1)
        if context.stage.image.name in _CONDA_IMAGES:
            return "/opt/conda"
        return None
    return None


class _Unresolved(Exception):
    """A cache location that cannot be told; the message says why."""


def _resolve(cache: Cache, use: _Use, context: _Context) -> tuple[str, bool] | None:
    """(target, whether only the home default told it), or None when the cache does not apply."""
    if cache.option:
        value = _option_value(use.argv, cache.option)
        if value is not None:
            return _join(_expand(value, use), "", context.workdir), False
    for loc in cache.locations:
        if loc.var is None:
            if loc.root_only and not use.user.is_root:
                continue
            return posixpath.normpath(loc.path), False
        if loc.var == "HOME":
            home = _home(use)
            if not home:
                raise _Unresolved(f"the home of USER {use.user.name} is unknown")
            return _join(home, loc.path, context.workdir), True
        if loc.var.startswith("@"):
            base = _special_base(loc.var, use, context)
            if base == "@skip":
                return None
            if base is None:
                if loc.var == "@conda":
                    raise _Unresolved("conda's package directory is unknown (set CONDA_PKGS_DIRS)")
                continue
            return _join(_expand(base, use), loc.path, context.workdir), False
        value = use.env.get(loc.var)
        if value:
            if loc.first_of:
                value = value.split(loc.first_of)[0]
            return _join(_expand(value, use), loc.path, context.workdir), False
    return None


def _expand(value: str, use: _Use) -> str:
    home = _home(use) or ""
    value = _substitute_known(re.sub(r"^~(?=/|$)", home, value), {**use.env, "HOME": home})
    if "$" in value or "`" in value:
        raise _Unresolved(f"`{value}` is only known when the build runs")
    return value


def _substitute_known(value: str, env: dict[str, str]) -> str:
    """`value` with its variables expanded, or unchanged when one of them is unknown."""
    if any(name not in env for name in _VARIABLE.findall(value)):
        return value
    return substitute(value, env)


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _copied_into(target: str, context: _Context, runs: bool) -> str | None:
    """A file the stage puts under `target` before the RUN (COPY/ADD; with `runs`, RUN text)."""
    for info, ins in context.history:
        if ins.name in ("COPY", "ADD") and ins.buildkit_arguments[0]:
            destination = ins.buildkit_arguments[0][-1]
            destination = _join(substitute(destination, info.env_at(ins)), "", info.workdir_at(ins))
            if _under(destination, target):
                return f"what {ins.name} puts in {destination}"
        if runs and ins.name == "RUN" and target in ins.value:
            return f"what a RUN writes in {target}"
    return None


def _runtime_conflict(target: str, use: _Use, context: _Context) -> str | None:
    """Why a cache mount at `target` would hide something the build or the image needs."""
    if target in _SYSTEM_DIRS or target == _home(use) or "/node_modules" in target + "/":
        return f"{target} is not a cache directory"
    for variable in _RUNTIME_VARIABLES:
        value = use.env.get(variable)
        if value and value.startswith("/") and _overlaps(target, posixpath.normpath(value)):
            return f"{target} overlaps {variable}={value}, which the image needs at run time"
    if _under(context.workdir, target):
        return f"{target} would hide the WORKDIR {context.workdir}"
    return None


def _poetry_venvs_outside(target: str, use: _Use, context: _Context) -> bool:
    """§3.3 Poetry: virtualenvs.path defaults to {cache-dir}/virtualenvs."""
    env = use.env
    if env.get("POETRY_VIRTUALENVS_IN_PROJECT", "").lower() in ("1", "true"):
        return True
    if env.get("POETRY_VIRTUALENVS_CREATE", "").lower() in ("0", "false"):
        return True
    path = env.get("POETRY_VIRTUALENVS_PATH")
    if path and not _under(posixpath.normpath(path), target):
        return True
    text = context.history_text() + "\n" + use.script.text
    return bool(
        re.search(
            r"virtualenvs\.create\s+(?:false|0)\b|virtualenvs\.in-project\s+(?:true|1)\b", text
        )
    )


def _copies_out(target: str, use: _Use, context: _Context) -> bool:
    """§3.2 pitfall 2: a later command of the RUN copies something out of the build directory."""
    relative = (
        posixpath.relpath(target, context.workdir) if _under(target, context.workdir) else None
    )
    after = False
    for command in use.script.commands:
        if command is use.command:
            after = True
            continue
        if not after:
            continue
        argv = shell.effective_argv(command)
        if not argv or argv[0] not in _COPY_PROGRAMS:
            continue
        for word in argv[1:]:
            path = word.removeprefix("./")
            if (
                _under(posixpath.normpath(path), target)
                if path.startswith("/")
                else (relative is not None and _under(posixpath.normpath(path), relative))
            ):
                return True
    return False


# --- editing shell text --------------------------------------------------------------------


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _line_end(text: str, i: int) -> int:
    """Index of the line break (or the end) of the line holding `i`."""
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def _tail(escape: str) -> re.Pattern[str]:
    """Blanks, an optional operator, then a line continuation at the end of a line."""
    return re.compile(r"[ \t]*(?:(&&|\|\||;)[ \t]*)?" + re.escape(escape) + r"[ \t]*\r?$")


def _is_inert(line: str) -> bool:
    return re.fullmatch(r"[ \t]*(?:#.*)?\r?", line) is not None


def _is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def _remove(
    text: str, start: int, end: int, script: _Script, sep: shell.Word | None = None
) -> str | None:
    """`text` without [start, end) and the layout around it; comment lines always stay."""
    escape = script.escape if script.continuations else "\\"
    ls, le = _line_start(text, start), _line_end(text, end)
    before, after = text[ls:start], text[end:le].rstrip("\r")
    if before.strip(" \t"):  # more on the line before: take the blanks before
        k = start
        while k > ls and text[k - 1] in " \t":
            k -= 1
        return text[:k] + text[end:]
    continued = re.fullmatch(r"[ \t]*" + re.escape(escape) + r"[ \t]*", after) is not None
    if (after.strip(" \t") and not continued) or (continued and ls == 0):
        k = end
        while k < len(text) and text[k] in " \t":
            k += 1
        return text[:start] + text[k:]
    if continued:  # the item fills its line, the next line goes on: drop the line
        return text[:ls] + text[le + 1 :]
    # The item ends the continued line: drop it with the continuation that led to it.
    if ls == 0:
        return None
    previous = ls - 1
    while True:
        pls = _line_start(text, previous)
        line = text[pls:previous]
        if script.continuations and _is_inert(line) and pls > 0:
            previous = pls - 1
            continue
        break
    match = _tail(escape).search(line)
    if match is None:
        return None
    cut = pls + match.start()
    if match.group(1):
        if sep is None or sep.start != pls + match.start(1):
            return None
    elif sep is not None and sep.start < ls:
        return None
    break_at = ls - 2 if text[ls - 2 : ls] == "\r\n" else ls - 1
    k = end
    while k < len(text) and text[k] in " \t":
        k += 1
    return text[:cut] + text[pls + len(line.rstrip("\r")) : break_at] + text[k:]


def _remove_command(text: str, command: shell.SimpleCommand, script: _Script) -> str | None:
    commands = script.commands
    nxt = next(
        (
            c
            for c in commands
            if c.separator is not None
            and c.start > command.end
            and _linked(text, command, c, script)
        ),
        None,
    )
    sep = command.separator
    ls, le = _line_start(text, command.start), _line_end(text, command.end)
    alone = not text[ls : command.start].strip(" \t") and not text[command.end : le].strip(" \t\r")
    if (
        alone
        and ((sep is not None and sep.value == "\n") or (sep is None and nxt is not None))
        and (nxt is None or (nxt.separator is not None and nxt.separator.value == "\n"))
    ):
        return text[:ls] + text[le + 1 :]
    span = shell.removal_span(
        text, commands, command, script.escape, continuations=script.continuations
    )
    if span is None:
        return None
    a, b = span
    if text[a : a + 1] == "\n" and text[a - 1 : a] == "\r":
        a -= 1
    chunk_lines = text[_line_start(text, a) : b].split("\n")[1:-1]
    if not any(_is_comment(line) for line in chunk_lines):
        return text[:a] + text[b:]
    # Comment lines inside the span: remove the command with one operator, line by line.
    if sep is not None and sep.value != "\n":
        if _line_start(text, sep.start) == ls and not text[ls : sep.start].strip(" \t"):
            return _remove(text, sep.start, command.end, script)  # `&& cmd` on its own line
        if not text[ls : command.start].strip(" \t"):
            if nxt is None:
                return _remove(text, command.start, command.end, script, sep)
            assert nxt.separator is not None
            op = nxt.separator
            if _line_start(text, op.start) == ls and sep.value in (op.value, ";"):
                return _remove(text, command.start, op.end, script)  # `cmd &&` on its own line
        return None
    first = nxt.separator if nxt is not None else None
    if sep is None and first is not None and _line_start(text, first.start) == ls:
        return _remove(text, command.start, first.end, script)  # first command: `cmd &&`
    return None


def _linked(
    text: str, command: shell.SimpleCommand, nxt: shell.SimpleCommand, script: _Script
) -> bool:
    """Whether `nxt` follows `command` in the same list (only layout between them)."""
    assert nxt.separator is not None
    gap = text[command.end : nxt.separator.start]
    if script.continuations:
        gap = re.sub(re.escape(script.escape) + r"[ \t]*\r?\n", "", gap)
        gap = "\n".join(line for line in gap.split("\n") if not _is_comment(line))
    return not gap.strip(" \t\r\n") or (nxt.separator.value == "\n" and not gap.strip(" \t\r"))


# --- the rule ------------------------------------------------------------------------------


class CacheMount(Rule):
    """
    ## What it does
    Adds `--mount=type=cache` flags to RUN instructions that run a package manager (apt, apk,
    dnf/yum, zypper, npm, Yarn, pnpm, pip, uv, Poetry, Pipenv, conda, Go, Cargo, Maven, Gradle,
    sbt, Bundler, Composer, NuGet, ccache/sccache), and removes what would wipe or bypass the
    cache (`rm -rf /var/lib/apt/lists/*`, `apt-get clean`, `pip --no-cache-dir`, `apk
    --no-cache`...).

    ## Why is this bad?
    Without a cache mount, every rebuild of the step downloads every package again (and Go,
    Cargo or ccache compile everything again). A cache mount keeps those files on the builder
    between builds without putting them in the image, so the cleanup commands that kept the
    layer small are no longer needed, and would now empty the cache.

    ## Example
    ```dockerfile
    FROM python:3.12
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12
    RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    ```

    ## Fix safety
    Safe: the target follows the ENV in effect (`PIP_CACHE_DIR`, `GOMODCACHE`, `CARGO_HOME`...),
    the base image (`/go`, `/usr/local/cargo`) and the USER (its home, and `uid`/`gid` on the
    mount). Existing mounts are kept and never duplicated; comments inside continuations stay.
    For apt, the image's `docker-clean` hook is removed once per stage. Nothing is mounted over
    what the image needs at run time (GEM_HOME, a Poetry virtualenv in its cache,
    `node_modules`), and a RUN whose user or paths cannot be told is reported without a fix.
    The fix is unsafe when another RUN only reads what this one downloads (`dotnet publish
    --no-restore`, `mvn -o`, `pnpm install --offline`): once the downloads live in a cache
    mount, that RUN depends on the cache. Windows images are skipped.

    Layout: the mounts follow the RUN keyword on its first line; when the RUN is written over
    several lines, or would grow past 100 columns, each mount gets a continuation line of its
    own (in the file's continuation indent), and so does each command of the apt hook.

    ## References
    - https://docs.docker.com/build/cache/optimize/#use-cache-mounts
    - https://docs.docker.com/reference/dockerfile/#run---mounttypecache
    """

    code = "DF002"
    name = "CacheMount"
    fix_safety = Safety.SAFE

    VALID = (
        "FROM node:20\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
        "FROM alpine\nRUN make -C /src\n",
        "FROM debian\nRUN apt-get clean\n",
        'FROM python\nRUN ["pip", "install", "flask"]\n',
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN pip install flask\n",
        "FROM debian\nRUN cat > /etc/notes <<EOF\napt-get install -y curl\nEOF\n",
        "FROM golang:1.22\nRUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build go build ./...\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache pip install flask\n",
        "FROM node:20\nRUN npm run build\n",
    )  # fmt: skip
    INVALID = (
        Invalid(
            "FROM debian\nRUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*\n",
            "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n    --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n    "
            + APT_KEEP_DOWNLOADS + " && apt-get update && apt-get install -y gcc\n",
        ),
        Invalid(
            "FROM python:3.12\nRUN pip install --no-cache-dir -r requirements.txt\n",
            "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n",
        ),
        Invalid(
            "FROM python:3.12\nENV PIP_CACHE_DIR=/var/cache/pip\nRUN python -m pip install flask\n",
            "FROM python:3.12\nENV PIP_CACHE_DIR=/var/cache/pip\nRUN --mount=type=cache,target=/var/cache/pip python -m pip install flask\n",
        ),
        Invalid(
            "FROM node:20\nUSER node\nRUN npm ci\n",
            "FROM node:20\nUSER node\nRUN --mount=type=cache,target=/home/node/.npm,uid=1000,gid=1000 npm ci\n",
        ),
        Invalid(
            "FROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /app .\n",
            "FROM golang:1.22\nRUN --mount=type=cache,target=/go/pkg/mod \\\n    --mount=type=cache,target=/root/.cache/go-build \\\n    CGO_ENABLED=0 go build -o /app .\n",
        ),
        Invalid(
            "FROM alpine:3.20\nRUN apk add --no-cache curl\n",
            "FROM alpine:3.20\nRUN --mount=type=cache,target=/etc/apk/cache apk add --update-cache curl\n",
        ),
        Invalid(
            "FROM rust:1.80\nWORKDIR /app\nRUN cargo build --release && cp target/release/app /usr/local/bin/\n",
            "FROM rust:1.80\nWORKDIR /app\nRUN --mount=type=cache,target=/usr/local/cargo/registry \\\n    --mount=type=cache,target=/usr/local/cargo/git/db \\\n    --mount=type=cache,target=/app/target,sharing=locked \\\n    cargo build --release && cp target/release/app /usr/local/bin/\n",
        ),
        Invalid(
            "FROM node:20\nRUN --mount=type=bind,source=package.json,target=package.json \\\n    yarn install\n",
            "FROM node:20\nRUN --mount=type=bind,source=package.json,target=package.json \\\n    --mount=type=cache,target=/usr/local/share/.cache/yarn \\\n    yarn install\n",
        ),
        Invalid("FROM python:3.12\nUSER app\nRUN pip install flask\n"),
        Invalid("FROM python:3.12\nRUN poetry install\n"),
    )  # fmt: skip

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._hooked: set[int] = set()  # stages whose apt docker-clean hook this run removes
        self._offline: dict[str, str] = {}  # manager name -> a RUN that only reads its cache
        self._runs: dict[int, tuple[_Context, list[_Script], list[_Use]]] = {}

    def visit_stage(self, stage: StageInfo) -> None:
        """Read every RUN once; note the managers some RUN uses only offline (§3.2 pitfall 3).

        The engine visits every stage of a group of related stages before any instruction,
        so an offline RUN anywhere in the group is known when its downloads are planned.
        """
        for instruction in stage.stage.instructions:
            if instruction.name != "RUN" or instruction.json is not None:
                continue
            scripts = _scripts(instruction)
            if not _may_use(scripts):
                continue  # no manager, build tool or ccache: `_uses` would find nothing
            context = _Context.of(stage, instruction)
            uses = _uses(scripts, context)
            self._runs[id(instruction)] = (context, scripts, uses)
            names = {u.manager.name for u in uses if u.trigger and not _offline(u)}
            for use in uses:
                flag = _offline(use)
                if flag and use.manager.name not in names:
                    self._offline.setdefault(use.manager.name, f"{use.label} {flag}")

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        run = self._runs.get(id(instruction))
        if stage is None or run is None:
            return
        context, scripts, uses = run
        if _is_windows(stage) or _non_posix_shell(context):
            return
        plans: dict[str, _Plan] = {}
        for use in uses:
            if use.trigger:
                plans.setdefault(use.manager.name, _Plan(use.manager, []))
        for use in uses:
            if use.manager.name in plans:
                plans[use.manager.name].uses.append(use)
        if not plans:
            return
        existing = _existing_targets(instruction, context)
        todo: list[_Plan] = []
        for plan in plans.values():
            self._plan(plan, context, existing)
            if plan.problem is not None:
                self._report_problem(instruction, plan)
            elif plan.mounts:
                todo.append(plan)
        if todo:
            self._fix(instruction, context, scripts, todo)

    # -- planning -----------------------------------------------------------------------

    def _plan(self, plan: _Plan, context: _Context, existing: list[str]) -> None:
        manager = plan.manager
        for use in plan.uses:
            if not use.trigger:
                continue
            if manager.system and not use.user.is_root:
                plan.problem = f"it runs as USER {use.user.name}; {manager.name} needs root"
                return
            for variable in manager.no_cache_env:
                if context.env.get(variable, "").lower() not in _FALSE:
                    plan.problem = f"{variable} is set in the ENV, which turns the cache off"
                    return
            for cache in manager.caches:
                if cache.only is not None and (use.positional[:1] or ("",))[0] not in cache.only:
                    continue
                try:
                    resolved = _resolve(cache, use, context)
                except _Unresolved as error:
                    plan.problem = str(error)
                    return
                if resolved is None:
                    continue
                target, from_home = resolved
                if cache.copied_out and not _copies_out(target, use, context):
                    continue
                targets = [target]
                if cache.narrow and _copied_into(target, context, runs=True):
                    targets = [posixpath.join(target, sub) for sub in cache.narrow]
                for path in targets:
                    plan.problem = _add_target(
                        plan, cache, use, context, target=path, existing=existing
                    )
                    if plan.problem is not None:
                        return
                if from_home and cache.pin and cache.pin not in use.env:
                    plan.pins.append((cache.pin, target))
        if manager is POETRY and plan.mounts:
            use = next(u for u in plan.uses if u.trigger)
            if not all(_poetry_venvs_outside(t, use, context) for t in plan.targets):
                plan.problem = (
                    "Poetry keeps its virtualenvs inside its cache (virtualenvs.path); set "
                    "POETRY_VIRTUALENVS_IN_PROJECT=true or POETRY_VIRTUALENVS_CREATE=false first"
                )
                return
        if plan.mounts and manager.name in self._offline:
            plan.unsafe = (
                f"`{self._offline[manager.name]}` in another RUN reads what this RUN downloads, "
                "which will live in the cache mount instead of the image"
            )

    def _report_problem(self, instruction: Instruction, plan: _Plan) -> None:
        label = _label(plan)
        self.report(instruction, f"{label} without a cache mount, not fixed: {plan.problem}")

    # -- fixing -------------------------------------------------------------------------

    def _fix(
        self,
        instruction: Instruction,
        context: _Context,
        scripts: list[_Script],
        plans: list[_Plan],
    ) -> None:
        managers = [plan.manager for plan in plans]
        new_texts: dict[int, str] = {}
        for index, script in enumerate(scripts):
            result = _rewrite(script, plans, context)
            if isinstance(result, _Failure):
                self._report_failure(instruction, plans, result.message)
                return
            if result != script.text:
                new_texts[index] = result
        if APT in managers and self._needs_apt_hook(context):
            first = next(u for p in plans if p.manager is APT for u in p.uses if u.trigger)
            index = next(i for i, script in enumerate(scripts) if script is first.script)
            new_texts[index] = _prepend(new_texts.get(index, first.script.text), first.script)
            self._hooked.add(context.stage.index)
        mounts: list[_Mount] = []
        for plan in plans:
            for mount in plan.mounts:
                if all(m.target != mount.target for m in mounts):
                    mounts.append(mount)

        def updated() -> Replacements:
            conventions = Conventions.of(self.context.tree)
            flags = [conventions.flag(m.text()) for m in mounts]
            # Scripts first: where the mounts go depends on the RUN's lines as they end up.
            with_scripts = _with_scripts(instruction, scripts, new_texts)
            return {instruction: _with_flags(with_scripts, flags, conventions)}

        labels = list(dict.fromkeys(_label(p) for p in plans))
        if len(plans) == 1:
            message = f"{labels[0]} without a cache mount: {plans[0].manager.reason}"
        else:
            message = f"{' and '.join(labels)} without cache mounts: downloads are fetched again on every build"
        parts = [f"{p.manager.name} ({', '.join(m.target for m in p.mounts)})" for p in plans]
        noun = "a cache mount" if len(mounts) == 1 else "cache mounts"
        title = f"Add {noun} for {' and '.join(parts)}"
        unsafe = next((p.unsafe for p in plans if p.unsafe), None)
        if unsafe:
            message += f" (fix unsafe: {unsafe})"
        self.report(
            instruction,
            message,
            fix=updated,
            title=title,
            safety=Safety.UNSAFE if unsafe else None,
        )

    def _report_failure(self, instruction: Instruction, plans: list[_Plan], why: str) -> None:
        labels = list(dict.fromkeys(_label(p) for p in plans))
        self.report(instruction, f"{' and '.join(labels)} without a cache mount, not fixed: {why}")

    def _needs_apt_hook(self, context: _Context) -> bool:
        if context.stage.index in self._hooked:
            return False
        base = context.stage.base_stage
        while base is not None:
            if base.index in self._hooked:
                return False
            base = base.base_stage
        text = context.history_text() + "\n" + context.instruction.text
        return "docker-clean" not in text and "Keep-Downloaded-Packages" not in text


def _label(plan: _Plan) -> str:
    """How the RUN runs the manager, e.g. `apt-get install` (its last downloading command)."""
    return [u.label for u in plan.uses if u.trigger][-1]


def _add_target(
    plan: _Plan, cache: Cache, use: _Use, context: _Context, *, target: str, existing: list[str]
) -> str | None:
    """Record `target` for `plan` (and a mount unless one covers it); else why it cannot be."""
    if target in plan.targets:
        plan.keys.add(cache.key)
        return None
    if any(_overlaps(target, other) for other in existing):
        plan.targets.append(target)
        plan.keys.add(cache.key)
        return None
    if not use.user.is_root and use.user.uid is None:
        return f"the uid of USER {use.user.name} is unknown (the mount needs uid=/gid=)"
    if re.search(r"[\s,\"'$]", target):
        return f"the cache path `{target}` cannot be written in a mount"
    conflict = _runtime_conflict(target, use, context)
    if conflict is None:
        copied = _copied_into(target, context, runs=False)
        if copied is not None:
            conflict = f"a mount at {target} would hide {copied}"
    if conflict is not None:
        return conflict
    plan.targets.append(target)
    plan.keys.add(cache.key)
    plan.mounts.append(_Mount(target, cache.sharing, use.user))
    return None


def _offline(use: _Use) -> str | None:
    """The option that makes the command read only what an earlier RUN downloaded."""
    return next((f for f in use.manager.offline_flags if _has_option(use.argv, f)), None)


def _existing_targets(instruction: Instruction, context: _Context) -> list[str]:
    """Targets of the cache (or other) mounts the RUN has: nothing is mounted over them."""
    found = []
    for flag in instruction.flags:
        if flag.name != "mount":
            continue
        target = flag.option("target") or flag.option("dst") or flag.option("destination")
        if target:
            target = substitute(target, context.env)
            found.append(_join(target, "", context.workdir))
    return found


@dataclass
class _Failure:
    message: str


def _rewrite(script: _Script, plans: list[_Plan], context: _Context) -> str | _Failure:
    """Drop cleanups, no-cache flags and `rm` of the targets; add keepcache flags and pins."""
    text = script.text
    for _ in range(200):
        current = _Script(text, script.escape, script.continuations, script.heredoc)
        step = _next_step(current, plans, context)
        if step is None:
            return text
        if isinstance(step, _Failure):
            return step
        text = step
    return _Failure("the RUN could not be rewritten")


def _next_step(script: _Script, plans: list[_Plan], context: _Context) -> str | _Failure | None:
    """The text after the first change still to make, None when done."""
    mounted = [t for plan in plans for t in plan.targets]
    others = [path for plan in plans for path in plan.manager.rm_paths]
    for command in script.commands:
        argv = shell.effective_argv(command)
        if not argv:
            continue
        if argv[0] == "rm":
            step = _rm_step(script, command, mounted, others, context)
            if step is not None:
                return step
            continue
        seen = context.seen.get(id(command))
        if seen is not None and seen[0] is command:
            use = seen[1]  # the same command of the same text: `_uses` read it already
        else:
            use = _manager_use(script, command, context)
        plan = None if use is None else next((p for p in plans if p.manager is use.manager), None)
        if use is None or plan is None:
            continue
        step = _manager_step(script, command, use, plan)
        if step is not None:
            return step
    return None


def _manager_step(
    script: _Script, command: shell.SimpleCommand, use: _Use, plan: _Plan
) -> str | _Failure | None:
    text, manager = script.text, plan.manager
    index = _program_index(command, use.argv[0])
    cleanup = _is_cleanup(manager, use.argv, use.positional)
    if cleanup is not None and (cleanup.needs is None or cleanup.needs in plan.keys):
        return _removed(_remove_command(text, command, script), _command_text(script, command))
    for word in (*command.assignments, *command.words[:index]):
        name, _, value = word.value.partition("=")
        if name in manager.no_cache_env and value.lower() not in _FALSE:
            return _removed(_remove(text, word.start, word.end, script), word.text)
    words = command.words[index + 1 :]
    for word in words:
        flag = word.value.split("=", 1)[0]
        if flag in manager.no_cache_flags:
            return _removed(_remove(text, word.start, word.end, script), word.text)
        for old, by, unless in manager.replace_flags:
            if flag == old:
                if any(_has_option(use.argv, u) for u in unless):
                    return _removed(_remove(text, word.start, word.end, script), word.text)
                return text[: word.start] + by + text[word.end :]
    if not use.trigger:
        return None
    if use.positional and use.positional[0] in manager.add_flags_to:
        missing = [f for f, marker in manager.add_flags if not any(marker in a for a in use.argv)]
        sub = next((w for w in words if w.value == use.positional[0]), None)
        if missing and sub is not None:
            return text[: sub.end] + " " + " ".join(missing) + text[sub.end :]
    settings = dict.fromkeys((k, v) for k, v in (*manager.set_env, *plan.pins) if k not in use.env)
    if settings and command.words:
        # Before the command; after `sudo` (which resets the environment), before its program.
        values = [w.value.rsplit("/", 1)[-1] for w in command.words[:index]]
        at = command.start
        if "sudo" in values:
            runner = index - 2 if index >= 2 and values[index - 1] == "-m" else index
            runner -= 1 if runner >= 1 and values[runner - 1].startswith("php") else 0
            at = command.words[runner].start
        prefix = "".join(f"{k}={v} " for k, v in settings)
        return text[:at] + prefix + text[at:]
    return None


def _removed(new: str | None, shown: str) -> str | _Failure:
    return new if new is not None else _Failure(f"`{shown}` cannot be removed cleanly")


def _rm_step(
    script: _Script,
    command: shell.SimpleCommand,
    mounted: list[str],
    others: list[str],
    context: _Context,
) -> str | _Failure | None:
    """Drop the operands of `rm` that would wipe a cache (or the whole `rm`).

    Paths inside a mounted target, or in `others`, are dropped; a parent of a mounted target is
    dropped too (rm would empty the cache, then fail on the mount point), unless it is a
    system directory: then the RUN is not fixed.
    """
    words = command.words
    start = next((i for i, w in enumerate(words) if w.value.rsplit("/", 1)[-1] == "rm"), None)
    if start is None:
        return None
    operands: list[shell.Word] = []
    options_done = False
    for word in words[start + 1 :]:
        if not options_done and word.value == "--":
            options_done = True
        elif not options_done and word.value.startswith("-") and len(word.value) > 1:
            continue
        else:
            operands.append(word)
    home = context.env.get("HOME") or context.user.home or "/root"
    env = {**context.env, "HOME": home}
    hits: list[shell.Word] = []
    for word in operands:
        value = re.sub(r"^~(?=/|$)", home, word.value)
        if any(not env.get(name) for name in _VARIABLE.findall(value)) or "`" in value:
            continue  # only known when the build runs: not a cache path we can tell
        value = substitute(value, env)
        path = value if value.startswith("/") else posixpath.join(context.workdir, value)
        pattern = [part for part in posixpath.normpath(path).split("/") if part]
        for target in mounted:
            relation = _relation(pattern, target)
            if relation == "inside":
                hits.append(word)
                break
            if relation == "around":
                literal = next(
                    (i for i, part in enumerate(pattern) if _GLOB.search(part)), len(pattern)
                )
                parent = "/" + "/".join(pattern[:literal])
                if parent in _SYSTEM_DIRS or parent == home:
                    return _Failure(
                        f"`{_command_text(script, command)}` would empty the cache mount at {target}"
                    )
                hits.append(word)
                break
        else:
            if any(_relation(pattern, other) == "inside" for other in others):
                hits.append(word)
    if not hits:
        return None
    if len(hits) == len(operands):
        return _removed(
            _remove_command(script.text, command, script), _command_text(script, command)
        )
    word = hits[0]
    return _removed(_remove(script.text, word.start, word.end, script), word.text)


def _relation(pattern: list[str], target: str) -> str | None:
    """How an `rm` operand (path components, globs allowed) relates to a cache target.

    "inside": it only removes the target itself or things in it; "around": it removes the
    target with other things (a parent, or a glob beside it); None: it does not touch it.
    """
    parts = [part for part in target.split("/") if part]
    shared = min(len(pattern), len(parts))
    if not all(fnmatch.fnmatchcase(parts[i], pattern[i]) for i in range(shared)):
        return None
    if len(pattern) > len(parts):
        return "inside"
    if len(pattern) == len(parts) and not any(_GLOB.search(p) for p in pattern):
        return "inside"
    return "around"


def _command_text(script: _Script, command: shell.SimpleCommand) -> str:
    return " ".join(script.text[command.start : command.end].split())


def _prepend(text: str, script: _Script) -> str:
    """The apt hook first in the script (after a `#!` line in a heredoc body); on a line of
    its own when the RUN is written over several lines."""
    if script.heredoc is None:
        continued = re.search(re.escape(script.escape) + r"(\r?\n)([ \t]*)", text)
        if continued is not None:
            newline, indent = continued.groups()
            line_break = f" {script.escape}{newline}{indent}&& "
            return APT_KEEP_DOWNLOADS.replace(" && ", line_break) + line_break + text
        return f"{APT_KEEP_DOWNLOADS} && {text}"
    at = 0
    if text.lstrip("\t").startswith("#!"):
        at = _line_end(text, 0) + 1
    newline = "\r\n" if "\r\n" in text[: _line_end(text, 0) + 1] else "\n"
    indent = re.match(r"[ \t]*", text[at:])
    return text[:at] + (indent.group() if indent else "") + APT_KEEP_DOWNLOADS + newline + text[at:]


# Past this width, mounts go on lines of their own rather than on the RUN's first line.
_LINE_WIDTH = 100


def _with_flags(
    instruction: Instruction, flags: list[Flag], conventions: Conventions
) -> Instruction:
    """The flags after the existing ones: on their own lines when the flags end a line, or
    when the RUN has no flags yet and is written over several lines or would get too long."""
    if not flags:
        return instruction
    children = list(instruction.children)
    last = max((i for i, c in enumerate(children) if isinstance(c, Flag)), default=None)
    if last is None and not instruction.heredocs:
        lines = instruction.text.rstrip("\r\n").split("\n")
        width = len(lines[0]) + sum(len(flag.text) + 1 for flag in flags)
        if len(lines) > 1 or width > _LINE_WIDTH:
            return _with_flags_on_lines(instruction, flags, conventions)
    if last is not None:
        rest = children[last + 1 :]
        types = [c.type if isinstance(c, Token) else "" for c in rest[:3]]
        if "LINE_CONTINUATION" in types[:2] and (
            types[0] == "LINE_CONTINUATION" or types[0] == "WS"
        ):
            at = types.index("LINE_CONTINUATION")
            after = rest[at + 1] if at + 1 < len(rest) else None
            indent = (
                after.text
                if isinstance(after, Token) and after.type == "WS"
                else conventions.continuation_indent
            )
            continuation = rest[at]
            assert isinstance(continuation, Token)
            inserted: list[Token | Flag] = []
            for flag in flags:
                inserted += [*_line_break(continuation.text, indent), flag]
            children[last + 1 : last + 1] = inserted
            return instruction.with_changes(children=tuple(children))
    for flag in flags:
        instruction = insert_flag(instruction, flag)
    return instruction


def _with_flags_on_lines(
    instruction: Instruction, flags: list[Flag], conventions: Conventions
) -> Instruction:
    """`RUN --mount=... \\` with each flag, then the arguments, on a continuation line."""
    children = list(instruction.children)
    keyword = next(i for i, c in enumerate(children) if isinstance(c, Keyword))
    head, tail = children[: keyword + 1], children[keyword + 1 :]
    kinds = [c.type if isinstance(c, Token) else "" for c in tail[:2]]
    continuation = _line_break(
        conventions.escape + conventions.newline, conventions.continuation_indent
    )
    inserted: list[Token | Node] = [Token("WS", " "), flags[0]]
    for flag in flags[1:]:
        inserted += [*continuation, flag]
    if "LINE_CONTINUATION" in kinds:  # `RUN \` already ends its first line: keep that break
        inserted += [] if kinds[0] == "WS" else [Token("WS", " ")]
    else:
        inserted += continuation
        tail = tail[1:] if kinds[0] == "WS" else tail
    return instruction.with_changes(children=(*head, *inserted, *tail))


def _line_break(continuation: str, indent: str) -> list[Token]:
    """` \\` + line end, then `indent`: what goes before a flag or word on a line of its own."""
    return [Token("WS", " "), Token("LINE_CONTINUATION", continuation), Token("WS", indent)]


def _with_scripts(
    instruction: Instruction, scripts: list[_Script], texts: dict[int, str]
) -> Instruction:
    if not texts:
        return instruction
    children = list(instruction.children)
    for index, text in texts.items():
        script = scripts[index]
        if script.heredoc is None:
            at = next(i for i, c in enumerate(children) if isinstance(c, Arguments))
            children[at] = Arguments((Token("ARGS", text),))
        else:
            at = next(i for i, c in enumerate(children) if c is script.heredoc)
            heredoc = script.heredoc
            parts = [
                Token("HEREDOC_BODY", text)
                if isinstance(c, Token) and c.type == "HEREDOC_BODY"
                else c
                for c in heredoc.children
            ]
            children[at] = heredoc.with_changes(children=tuple(parts))
    return instruction.with_changes(children=tuple(children))
