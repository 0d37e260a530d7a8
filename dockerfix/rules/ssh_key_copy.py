from __future__ import annotations

import posixpath
from collections.abc import Callable

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules._secret_mounts import (
    Command,
    add_flag,
    copy_blocker,
    following,
    has_mount,
    later_stages,
    makes,
    mentions,
    mkdir_instead,
    nested,
    owner_option,
    replace_arguments,
    resolve,
    run_commands,
    strip_commands,
)
from dockerfix.rules.base import REMOVE, Invalid, Rule, Target
from dockerfix.semantics import StageInfo
from dockerfix.shell import commands, effective_argv
from dockerfix.syntax import Instruction

# Default private key file names of OpenSSH (ssh(1) `-i`: the identity files it tries).
KEY_NAMES = frozenset(
    {"id_rsa", "id_dsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss"}
)
# Files of ~/.ssh that are not private keys.
NOT_KEYS = frozenset({"known_hosts", "known_hosts2", "config", "authorized_keys", "environment"})
# Programs that connect over SSH (and so use the agent of `--mount=type=ssh`).
SSH_CLIENTS = frozenset({"git", "ssh", "scp", "sftp", "rsync"})
# The build flag that forwards the client's default SSH agent (docker build --ssh).
SSH_FLAG = "--ssh default"


class SshKeyCopy(Rule):
    """
    ## What it does
    Reports a `COPY` of a private SSH key (`id_rsa`, `id_ed25519`, a file put in `~/.ssh/`)
    and, when the pattern is clear, replaces it with `RUN --mount=type=ssh` on the RUNs that
    connect over SSH (`git`, `ssh`, `scp`, `sftp`, `rsync`).

    ## Why is this bad?
    The key stays in the image layer that copied it, even if a later RUN deletes it: anyone
    who can pull the image (or a stage's cache) gets a key to your repositories. An SSH mount
    forwards the builder's SSH agent to one RUN, and the key never enters the build.

    ## Example
    ```dockerfile
    FROM alpine/git
    COPY id_ed25519 /root/.ssh/id_ed25519
    RUN chmod 600 /root/.ssh/id_ed25519 && git clone git@github.com:acme/private.git
    ```

    Use instead (and build with `--ssh default`, the key loaded in your ssh-agent):
    ```dockerfile
    FROM alpine/git
    RUN --mount=type=ssh git clone git@github.com:acme/private.git
    ```

    ## Fix safety
    Unsafe: the build command needs `--ssh default` (or `--ssh default=<key file>`) and the key
    no longer is in the image. The fix drops the COPY, adds `--mount=type=ssh` (with `uid=` for
    a non-root user) to every later RUN of the stage that runs an SSH client, and drops the
    plumbing that only served the copied key: `chmod`/`chown`/`rm` of it, `ssh-add`, and
    `eval $(ssh-agent)`; a RUN left with nothing else is removed. Known-hosts set-up
    (`ssh-keyscan`, `mkdir ~/.ssh`) stays, and when it relied on the directory the COPY made,
    `RUN mkdir -p ~/.ssh` (the absolute path) takes the COPY's place. It only fixes what it
    clearly recognizes: a single
    key copied by itself, named only by that plumbing, never by `ssh -i` or `GIT_SSH_COMMAND`,
    not used by a later stage. Otherwise the diagnostic says why there is no fix.

    ## References
    - https://docs.docker.com/reference/dockerfile/#run---mounttypessh
    - https://docs.docker.com/build/building/secrets/#ssh-mounts
    """

    code = "DF005"
    name = "SshKeyCopy"
    fix_safety = Safety.UNSAFE

    VALID = (
        "FROM alpine\nCOPY known_hosts /root/.ssh/known_hosts\nRUN --mount=type=ssh git clone git@github.com:a/b.git\n",
        "FROM alpine\nCOPY id_rsa.pub /root/.ssh/authorized_keys\n",
        "FROM alpine\nCOPY ssh_config /etc/ssh/ssh_config\n",
    )  # fmt: skip
    INVALID = (
        Invalid(
            "FROM alpine/git\nCOPY id_ed25519 /root/.ssh/id_ed25519\nRUN chmod 600 /root/.ssh/id_ed25519 && git clone git@github.com:acme/private.git\n",
            "FROM alpine/git\nRUN --mount=type=ssh git clone git@github.com:acme/private.git\n",
            unsafe=True,
        ),
        Invalid(
            "FROM alpine\nCOPY deploy_key /root/.ssh/id_rsa\nRUN eval $(ssh-agent -s) && ssh-add /root/.ssh/id_rsa && scp host:/a /a\nRUN rm /root/.ssh/id_rsa\n",
            "FROM alpine\nRUN --mount=type=ssh scp host:/a /a\n",
            unsafe=True,
        ),
        Invalid(
            "FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN GIT_SSH_COMMAND='ssh -i /root/.ssh/id_rsa' git clone git@h:a/b\n",
            unsafe=True,
        ),
        Invalid("FROM alpine\nCOPY .ssh /root/.ssh\nRUN git clone git@h:a/b\n", unsafe=True),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if stage is None or instruction.name not in ("COPY", "ADD"):
            return
        words, _ = instruction.buildkit_arguments
        if len(words) < 2 or instruction.heredocs:
            return
        sources, dest = words[:-1], words[-1]
        keys = [s for s in sources if _is_key(s, dest, len(sources))]
        directories = [s for s in sources if posixpath.basename(s.rstrip("/")) == ".ssh"]
        if not keys and not directories:
            return
        if directories:
            message = (
                f"`{instruction.keyword} {directories[0]}` copies an .ssh directory, whose private"
                " keys stay in the image layer"
            )
            self.report(
                instruction,
                f"{message}; no automatic fix: use `RUN --mount=type=ssh` and build with"
                f" `{SSH_FLAG}`",
            )
            return
        message = (
            f"`{instruction.keyword} {keys[0]}` stores a private SSH key in an image layer, where"
            " anyone with the image can read it (a later `rm` does not take it out of the layer)"
        )
        result = self._migration(instruction, stage, sources, dest)
        if isinstance(result, str):
            self.report(instruction, f"{message}; no automatic fix: {result}")
            return
        self.report(
            instruction,
            message,
            fix=result,
            title=f"Use `RUN --mount=type=ssh` instead of the copied key; build with `{SSH_FLAG}`"
            " (the key loaded in your ssh-agent)",
            build_flags=(SSH_FLAG,),
        )

    def _migration(
        self, copy: Instruction, stage: StageInfo, sources: list[str], dest: str
    ) -> dict[Target, Target | object] | str:
        tree = self.context.tree
        if len(sources) != 1:
            return "it is copied with other files"
        if reason := copy_blocker(copy, stage, "SSH"):
            return reason
        target = resolve(dest, stage, copy)
        if target is None:
            return "its destination holds a variable"
        if dest.endswith("/") or target == stage.workdir_at(copy):
            target = posixpath.join(target, posixpath.basename(sources[0].rstrip("/")))
        key = posixpath.basename(target)
        body = stage.stage.instructions
        after = following(stage, copy)
        fix: dict[Target, Target | object] = {copy: REMOVE}
        conventions = Conventions.of(tree)
        users = 0
        # The COPY also made the key's directory: later uses of it need it made another way.
        directory = posixpath.dirname(target)
        made = any(makes(ins, stage, directory) for ins in body[: len(body) - len(after) - 1])
        for ins in after:
            line = tree.location(ins.start).line
            if ins.name != "RUN":
                if mentions(ins.text, key) or mentions(ins.text, "SSH_AUTH_SOCK"):
                    return f"{ins.keyword} on line {line} uses it"
                made = made or makes(ins, stage, directory)
                if not made and _names(ins.text, directory):
                    kept = mkdir_instead(copy, directory, conventions)
                    if isinstance(kept, str):
                        return f"{ins.keyword} on line {line} uses {directory}: {kept}"
                    fix[copy] = kept
                    made = True
                continue
            plan = _plan_run(ins, stage, target)
            if isinstance(plan, str):
                return f"the RUN on line {line} {plan}"
            new, uses_ssh = plan
            if isinstance(new, Instruction):
                made = made or makes(new, stage, directory, ins)
                if not made and _names(new.text, directory):
                    kept = mkdir_instead(copy, directory, conventions)
                    if isinstance(kept, str):
                        return f"the RUN on line {line} uses {directory}: {kept}"
                    fix[copy] = kept
                    made = True
            if uses_ssh:
                users += 1
                owner = owner_option(stage, ins)
                if owner is None:
                    user = stage.user_at(ins).name
                    return f"the RUN on line {line} runs as user {user!r}, whose uid is unknown"
                if isinstance(new, Instruction) and not has_mount(ins, type="ssh"):
                    new = add_flag(new, conventions, f"--mount=type=ssh{owner}")
            if new is not ins:
                fix[ins] = new
        if not users:
            return "no RUN after it runs git, ssh, scp, sftp or rsync"
        for later in later_stages(stage):
            for ins in later.stage.instructions:
                uses = any(c.argv[:1] and c.argv[0] in SSH_CLIENTS for c in run_commands(ins))
                if mentions(ins.text, key) or (
                    ins.name == "RUN" and uses and _inherits(later, stage)
                ):
                    line = tree.location(ins.start).line
                    return f"stage {later.name or later.index} (line {line}) may use it too"
        return fix


def _names(text: str, directory: str) -> bool:
    name = posixpath.basename(directory)
    return directory in text or (name.startswith(".") and mentions(text, name))


def _inherits(later: StageInfo, stage: StageInfo) -> bool:
    """Whether `later` is built on `stage` (`FROM stage`, maybe through other stages)."""
    base = later.base_stage
    while base is not None:
        if base is stage:
            return True
        base = base.base_stage
    return False


def _is_key(source: str, dest: str, count: int) -> bool:
    name = posixpath.basename(source.rstrip("/"))
    if name in KEY_NAMES:
        return True
    directory = dest
    if not dest.endswith("/") and count == 1:
        directory, name = posixpath.dirname(dest), posixpath.basename(dest)
    in_ssh = posixpath.basename(directory.rstrip("/")) == ".ssh"
    return name in KEY_NAMES or (
        in_ssh and name not in NOT_KEYS and not name.endswith(".pub") and name != ".ssh"
    )


def _plan_run(
    run: Instruction, stage: StageInfo, target: str
) -> tuple[Instruction | object, bool] | str:
    """The RUN without the key's plumbing (or REMOVE), and whether it runs an SSH client."""
    key = posixpath.basename(target)
    cmds = run_commands(run)
    uses_ssh = any(c.argv[:1] and c.argv[0] in SSH_CLIENTS for c in cmds)
    if mentions(" ".join(f.word for f in run.flags), key):
        return "names the key in a flag"
    moves = any(c.argv[:1] in (("cd",), ("pushd",)) for c in cmds)

    def is_key(word: str) -> bool:
        if moves and not word.startswith(("/", "~", "$")):
            return False  # relative to a directory `cd` changed: unknown
        return resolve(word, stage, run, shell=True) == target

    def plumbing(argv: tuple[str, ...]) -> bool:
        return _is_plumbing(argv, is_key)

    mentioned = [c for c in cmds if c.mentions(key) or _agent(c.argv)]
    if not mentioned:
        return run, uses_ssh
    for command in mentioned:
        if not command.editable:
            return "uses the key in a heredoc or exec form"
        if not plumbing(command.argv) and not _inside_plumbing(command, cmds, plumbing):
            return f"uses the key with `{command.argv[0] if command.argv else '...'}`"
    shell_cmds = [c for c in cmds if c.editable]
    top = [c for c in shell_cmds if not nested(c.command, (o.command for o in shell_cmds))]
    if not run.heredocs and all(plumbing(c.argv) for c in top):
        return REMOVE, False
    assert run.arguments is not None
    stripped = strip_commands(run.arguments, run.escape, lambda _, argv: plumbing(argv))
    if stripped is None:
        return "sets the key up in a way the fix cannot take apart"
    return replace_arguments(run, stripped), uses_ssh


def _agent(argv: tuple[str, ...]) -> bool:
    return bool(argv) and argv[0] in ("ssh-agent", "ssh-add")


def _inside_plumbing(
    command: Command, cmds: list[Command], plumbing: Callable[[tuple[str, ...]], bool]
) -> bool:
    """`ssh-agent -s` inside `eval $(ssh-agent -s)`."""
    return any(
        other.editable
        and other is not command
        and plumbing(other.argv)
        and other.command.start <= command.command.start
        and command.command.end <= other.command.end
        for other in cmds
    )


def _is_plumbing(argv: tuple[str, ...], is_key: Callable[[str], bool]) -> bool:
    """`chmod 600 KEY`, `chown u KEY`, `rm -f KEY`, `ssh-add [KEY]`, `eval $(ssh-agent ...)`."""
    if not argv:
        return False
    name = argv[0]
    if name == "eval":
        script = " ".join(argv[1:])
        inner = [effective_argv(c) for c in commands(script.strip("$()`\"' "))]
        return "ssh-agent" in script and all(a[:1] == ("ssh-agent",) for a in inner if a)
    operands = [w for w in argv[1:] if not w.startswith("-")]
    if name == "ssh-add":
        return all(is_key(w) for w in operands)
    if name in ("chmod", "chown", "chgrp"):
        operands = operands[1:]  # the mode or owner
    elif name != "rm":
        return False
    return bool(operands) and all(is_key(w) for w in operands)
