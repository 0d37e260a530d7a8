from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules._secret_mounts import (
    Command,
    add_flag,
    copy_blocker,
    cut,
    following,
    has_mount,
    later_stages,
    makes,
    mentions,
    mkdir_instead,
    owner_option,
    replace_arguments,
    resolve,
    run_commands,
    strip_commands,
    within,
)
from dockerfix.rules.base import REMOVE, Invalid, Rule, Target
from dockerfix.semantics import StageInfo
from dockerfix.shell import SimpleCommand, commands, effective_argv
from dockerfix.syntax import Arguments, Instruction

# Credential files and the programs that read them (npm docs "npmrc"; Python packaging
# ".pypirc"; curl/wget/git/pip/requests read ~/.netrc; git's credential-store reads
# ~/.git-credentials, and every tool that fetches through git does too).
READERS: dict[str, frozenset[str]] = {
    ".npmrc": frozenset({"npm", "npx", "yarn", "pnpm", "pnpx", "corepack", "bun"}),
    ".pypirc": frozenset({"twine", "flit", "hatch"}),
    ".netrc": frozenset(
        {"curl", "wget", "git", "pip", "pip3", "uv", "poetry", "pipenv", "go", "ftp", "lftp",
         "python", "python3"}
    ),
    ".git-credentials": frozenset(
        {"git", "go", "pip", "pip3", "uv", "poetry", "npm", "yarn", "pnpm", "cargo", "bundle",
         "composer"}
    ),
}  # fmt: skip
# Programs that may name the file in the RUN without writing to it (a secret mount is
# read-only: `chmod`, `rm` or `> .npmrc` on it fail).
_LOOKERS = frozenset({"cat", "test", "[", "ls", "grep", "head", "tail", "wc"})
# Why a COPY flag outside DROPPABLE_COPY_FLAGS stops the fix, when more can be said.
_FLAG_REASONS = {"from": "it comes from another stage or image, not from the build context"}


@dataclass(frozen=True)
class _Copied:
    source: str  # as written in the COPY
    kind: str  # `.npmrc`...
    index: int  # of the source among the COPY's sources


class CredentialFileCopy(Rule):
    """
    ## What it does
    Reports a `COPY` of a credential file (`.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`)
    and, when only the next `RUN` uses it, turns it into a secret mount on that RUN.

    ## Why is this bad?
    A copied file is stored in the image layer for good: deleting it in a later RUN
    (`rm -f .npmrc`) only hides it, and anyone who pulls the image (or a stage's cache) can
    read the token. A secret mount shows the file to one RUN only and never stores it.

    ## Example
    ```dockerfile
    FROM node:20
    WORKDIR /app
    COPY .npmrc package.json package-lock.json ./
    RUN npm ci && rm -f .npmrc
    ```

    Use instead (and build with `--secret id=npmrc,src=.npmrc`):
    ```dockerfile
    FROM node:20
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci
    ```

    ## Fix safety
    Unsafe: the build command needs `--secret id=ID,src=FILE`, and the file is no longer in
    the image. The fix drops the file from the COPY (the whole COPY if it was alone), mounts it
    at the same absolute path in the next RUN (`uid=`/`gid=` added when that RUN's user is not
    root) and drops that RUN's `rm` of it, which would fail on a read-only mount. There is no
    fix, and the message says why, when the next RUN does not seem to use the file, when an
    instruction or a later RUN (one that runs a program reading it, unless the next RUN deletes
    it) or a later stage may use it, when the RUN writes to it or deletes a directory above
    it, when the COPY takes it from another stage (`--from`) or a heredoc, or when its path
    cannot be told. If the COPY was the only thing creating the file's directory and a later
    instruction uses that directory, a `RUN mkdir -p DIR` takes the COPY's place.

    ## References
    - https://docs.docker.com/build/building/secrets/
    - https://docs.docker.com/reference/dockerfile/#run---mounttypesecret
    - https://docs.npmjs.com/docker-and-private-modules
    """

    code = "DF004"
    name = "CredentialFileCopy"
    fix_safety = Safety.UNSAFE

    VALID = (
        "FROM node:20\nCOPY package.json .npmrc.example ./\nRUN npm ci\n",
        "FROM node:20\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci\n",
        "FROM python:3\nCOPY .pypirc.template /tmp/\n",
    )  # fmt: skip
    INVALID = (
        Invalid(
            "FROM node:20\nWORKDIR /app\nCOPY .npmrc package.json ./\nRUN npm ci && rm -f .npmrc\n",
            "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\n",
            unsafe=True,
        ),
        Invalid(
            "FROM python:3\nCOPY .pypirc /root/.pypirc\nRUN twine upload dist/*\n",
            "FROM python:3\nRUN --mount=type=secret,id=pypirc,target=/root/.pypirc twine upload dist/*\n",
            unsafe=True,
        ),
        Invalid(
            "FROM node:20\nCOPY .npmrc /root/.npmrc\nRUN npm ci\nRUN npm run build\n",
            unsafe=True,
        ),
        Invalid("FROM alpine\nCOPY --from=creds /.netrc /root/.netrc\nRUN curl -n https://x\n", unsafe=True),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if stage is None or instruction.name not in ("COPY", "ADD"):
            return
        for copied in _credential_sources(instruction):
            message = (
                f"`{instruction.keyword} {copied.source}` stores the credential file"
                f" {copied.kind} in an image layer, where anyone with the image can read it"
                " (a later `rm` does not take it out of the layer)"
            )
            result = self._migration(instruction, stage, copied)
            if isinstance(result, str):
                self.report(instruction, f"{message}; no automatic fix: {result}")
                continue
            fix, run, build_flag = result
            line = self.context.tree.location(run.start).line
            self.report(
                instruction,
                message,
                fix=fix,
                title=f"Mount {copied.kind} as a secret in the RUN on line {line}; build with"
                f" `{build_flag}`",
                build_flags=(build_flag,),
            )

    def _migration(
        self, copy: Instruction, stage: StageInfo, copied: _Copied
    ) -> tuple[dict[Target, Target | object], Instruction, str] | str:
        tree = self.context.tree
        if copy.heredocs:
            return (
                "its content is written in the Dockerfile; keep it in a file passed with --secret"
            )
        if reason := copy_blocker(copy, stage, "secret", _FLAG_REASONS):
            return reason
        target = _target(copy, stage, copied)
        if target is None:
            return "cannot tell where it lands (a variable, or a destination that may be a file)"
        kind = copied.kind
        after = following(stage, copy)
        run_index = next((i for i, ins in enumerate(after) if ins.name == "RUN"), None)
        if run_index is None:
            return "no RUN after it in the stage uses it"
        run = after[run_index]
        for ins in after[:run_index]:
            if mentions(ins.text, kind):
                return f"{ins.keyword} on line {tree.location(ins.start).line} uses it"
        cmds = run_commands(run)
        if not any(_reads(command, kind) for command in cmds):
            return f"the next RUN (line {tree.location(run.start).line}) does not seem to use it"
        removes = any(
            c.argv[:1] == ("rm",) and _rm_targets(c.argv, stage, run, target) for c in cmds
        )
        if reason := self._later_use(after[run_index + 1 :], stage, kind, removes):
            return reason
        owner = owner_option(stage, run)
        if owner is None:
            user = stage.user_at(run).name
            return f"the RUN runs as user {user!r}, whose uid is unknown (a secret is root-only)"
        arguments = run.arguments
        if arguments is not None and run.json is None:
            stripped = _strip_rm(arguments, run.escape, stage, run, target)
            if stripped is None:
                return "its `rm` of the file cannot be dropped cleanly from the RUN"
            if stripped is not arguments:
                run = replace_arguments(run, stripped)
        new_run = run
        for command in run_commands(run):
            if command.mentions(kind) and not (
                command.in_words_only(kind) and command.argv[:1] and _may_name(command, kind)
            ):
                return "the RUN also writes or changes it, which a read-only secret mount refuses"
            if command.argv[:1] in (("rm",), ("mv",)) and _removes_parent(
                command.argv, stage, after[run_index], target
            ):
                return "the RUN deletes a directory that holds it, which fails on a mount"
        if not has_mount(new_run, type="secret", target=target):
            mount = f"--mount=type=secret,id={_secret_id(target)},target={target}{owner}"
            new_run = add_flag(new_run, Conventions.of(tree), mount)
        fix: dict[Target, Target | object] = {after[run_index]: new_run}
        removal = _remove_source(copy, copied)
        if removal is None:
            return "it cannot be taken out of the COPY cleanly"
        if removal is REMOVE:
            directory = posixpath.dirname(target)
            if not _exists(directory, stage, copy):
                for ins in after[run_index + 1 :]:
                    if makes(ins, stage, directory):
                        break
                    if directory in ins.text:
                        kept = mkdir_instead(copy, directory, Conventions.of(tree))
                        if isinstance(kept, str):
                            line = tree.location(ins.start).line
                            return f"{ins.keyword} on line {line} uses {directory}: {kept}"
                        removal = kept
                        break
        fix[copy] = removal
        source = copied.source.removeprefix("./")
        return fix, after[run_index], f"--secret id={_secret_id(target)},src={source}"

    def _later_use(
        self, later: tuple[Instruction, ...], stage: StageInfo, kind: str, removed: bool
    ) -> str | None:
        """Why a later instruction (or stage) may need the file, if one may."""
        tree = self.context.tree
        stages = [(stage, later)] + [(s, s.stage.instructions) for s in later_stages(stage)]
        for info, instructions in stages:
            for ins in instructions:
                line = tree.location(ins.start).line
                if mentions(ins.text, kind):
                    return f"{ins.keyword} on line {line} uses it too"
                if removed or ins.name != "RUN":
                    continue
                readers = [c.argv[0] for c in run_commands(ins) if _reads(c, kind)]
                if readers:
                    where = "" if info is stage else f" in stage {info.name or info.index}"
                    return f"the RUN on line {line}{where} ({readers[0]}) may read it too"
        return None


def _credential_sources(copy: Instruction) -> list[_Copied]:
    words, _ = copy.buildkit_arguments
    if len(words) < 2:
        return []
    sources, dest = words[:-1], words[-1]
    found = []
    for index, source in enumerate(sources):
        name = posixpath.basename(source.rstrip("/"))
        if name in READERS:
            found.append(_Copied(source, name, index))
    if not found and len(sources) == 1 and not _is_directory(dest):
        name = posixpath.basename(dest)
        if name in READERS:
            found.append(_Copied(sources[0], name, 0))
    return found


# Directories every Linux image has.
_STANDARD_DIRECTORIES = frozenset(
    {"/", "/root", "/tmp", "/etc", "/usr", "/usr/local", "/var", "/opt", "/home"}
)


def _exists(directory: str, stage: StageInfo, copy: Instruction) -> bool:
    """Whether `directory` is there without the COPY (as far as the Dockerfile tells)."""
    workdir = stage.workdir_at(copy)
    if directory in _STANDARD_DIRECTORIES or (workdir + "/").startswith(
        directory.rstrip("/") + "/"
    ):
        return True
    user = stage.user_at(copy)
    if user.home == directory and (user.is_root or user.uid is not None):
        return True
    body = stage.stage.instructions
    return any(makes(ins, stage, directory) for ins in body[: body.index(copy)])


def _is_directory(dest: str) -> bool:
    return dest.endswith("/") or posixpath.basename(dest) in (".", "..")


def _target(copy: Instruction, stage: StageInfo, copied: _Copied) -> str | None:
    """The absolute path the file lands at."""
    words, _ = copy.buildkit_arguments
    sources, dest = words[:-1], words[-1]
    resolved = resolve(dest, stage, copy)
    if resolved is None:
        return None
    source_name = posixpath.basename(copied.source.rstrip("/"))
    if _is_directory(dest) or len(sources) > 1 or resolved == stage.workdir_at(copy):
        if source_name != copied.kind:
            return None
        return posixpath.join(resolved, source_name)
    return resolved if posixpath.basename(resolved) == copied.kind else None


def _secret_id(target: str) -> str:
    return posixpath.basename(target).lstrip(".")


def _reads(command: Command, kind: str) -> bool:
    argv = command.argv
    return bool(argv) and (
        argv[0] in READERS[kind] or (command.mentions(kind) and argv[0] in _LOOKERS)
    )


def _may_name(command: Command, kind: str) -> bool:
    return command.argv[0] in READERS[kind] or command.argv[0] in _LOOKERS


def _operands(argv: tuple[str, ...]) -> list[int]:
    """Indices of the non-option words of `argv` (after `argv[0]`)."""
    found = []
    options = True
    for i, word in enumerate(argv[1:], 1):
        if options and word == "--":
            options = False
        elif options and word.startswith("-") and word != "-":
            continue
        else:
            found.append(i)
    return found


def _rm_targets(
    argv: tuple[str, ...], stage: StageInfo, run: Instruction, target: str
) -> list[int]:
    """Indices of the operands of an `rm` that delete `target`."""
    if argv[:1] != ("rm",):
        return []
    return [i for i in _operands(argv) if resolve(argv[i], stage, run, shell=True) == target]


def _removes_parent(argv: tuple[str, ...], stage: StageInfo, run: Instruction, target: str) -> bool:
    """Whether an `rm`/`mv` takes away a directory above `target` (or may, through a glob)."""
    for i in _operands(argv):
        word = argv[i]
        if any(c in word for c in "*?["):
            word = posixpath.dirname(word) or "."
        path = resolve(word, stage, run, shell=True)
        if path is None or (path != target and within(target, path)):
            return True
    return False


def _strip_rm(
    arguments: Arguments, escape: str, stage: StageInfo, run: Instruction, target: str
) -> Arguments | None:
    """The RUN's arguments without its `rm` of `target` (the other files it removes stay)."""
    has_cd = any(effective_argv(c)[:1] == ("cd",) for c in commands(arguments.text, escape))
    if has_cd:
        return arguments  # relative paths are not known: a left `rm` is caught as a write

    def whole(command: SimpleCommand, argv: tuple[str, ...]) -> bool:
        hits = _rm_targets(argv, stage, run, target)
        return bool(hits) and len(hits) == len(_operands(argv))

    stripped = strip_commands(arguments, escape, whole)
    if stripped is None:
        return None
    spans = []
    text = stripped.text
    for command in commands(text, escape):
        argv = effective_argv(command)
        hits = _rm_targets(argv, stage, run, target)
        offset = len(command.words) - len(argv)
        for i in hits:
            word = command.words[offset + i]
            previous = command.words[offset + i - 1]
            spans.append((previous.end, word.end))
    if not spans:
        return stripped
    return cut(stripped, spans)


def _remove_source(copy: Instruction, copied: _Copied) -> Instruction | object | None:
    words, is_json = copy.buildkit_arguments
    if len(words) == 2:
        return REMOVE
    arguments = copy.arguments
    if is_json or arguments is None:
        return None
    shell_words = [
        w for c in commands(arguments.text, copy.escape) for w in (*c.assignments, *c.words)
    ]
    shell_words.sort(key=lambda word: word.start)
    if [w.value for w in shell_words] != words:
        return None
    index = copied.index
    word = shell_words[index]
    span = (word.start, shell_words[index + 1].start)
    updated = cut(arguments, [span])
    return None if updated is None else replace_arguments(copy, updated)
