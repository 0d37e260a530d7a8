from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from dockerfix.conventions import Conventions
from dockerfix.diagnostics import Safety
from dockerfix.rules._secret_mounts import (
    EXPANDED,
    add_flag,
    cut,
    flags_text,
    has_mount,
    is_windows,
    mentions,
    references,
    replace_arguments,
    shell_text,
)
from dockerfix.rules.base import REMOVE, Invalid, Rule, Target
from dockerfix.semantics import StageInfo, assignments
from dockerfix.shell import commands
from dockerfix.syntax import Instruction, Stage
from dockerfix.syntax.buildkit import go_quote

# BuildKit's SecretsUsedInArgOrEnv name rule (BUILDKIT.md §4.4, read from
# frontend/dockerfile/dockerfile2llb/validations.go `getSecretsRegex`): a deny token, delimited
# by `_` or the ends of the name, and no allow token. Case-insensitive with Go's simple case
# folding, so the Kelvin sign folds to `k` and the long s to `s` (and nothing else non-ASCII).
DENY_TOKENS = (
    "apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd",
    "secret", "token",
)  # fmt: skip
ALLOW_TOKENS = ("public", "file", "version")
_GO_FOLDS = str.maketrans({"\u212a": "k", "\u017f": "s"})


@cache
def _tokens(tokens: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(token) for token in tokens)
    return re.compile(rf"(?:_|^)(?:{alternatives})(?:_|\Z)", re.IGNORECASE | re.ASCII)


def looks_secret(name: str, extra: Iterable[str] = ()) -> bool:
    """BuildKit's test on an ARG or ENV name, with `extra` deny tokens (`Config.secret_patterns`)."""
    folded = name.translate(_GO_FOLDS)
    deny = _tokens((*DENY_TOKENS, *(token.lower() for token in extra)))
    return deny.search(folded) is not None and _tokens(ALLOW_TOKENS).search(folded) is None


def buildkit_message(instruction: str, name: str) -> str:
    """linter.RuleSecretsUsedInArgOrEnv.Format (frontend/dockerfile/linter/ruleset.go)."""
    return f"Do not use ARG or ENV instructions for sensitive data ({instruction} {go_quote(name)})"


class SecretsUsedInArgOrEnv(Rule):
    """
    ## What it does
    Reports `ARG` and `ENV` instructions whose names look like secrets (`GITHUB_TOKEN`,
    `DB_PASSWORD`, `API_KEY`...), exactly as BuildKit's `SecretsUsedInArgOrEnv` check does, and
    moves a bare `ARG` to secret mounts on the `RUN`s that use it.

    ## Why is this bad?
    ARG and ENV values are not secret: an ARG's value is written into the image history of
    every RUN in its scope (`|1 NPM_TOKEN=...`), into provenance attestations and the build
    cache; an ENV is stored in the image config and reaches every container. A secret mount
    gives the value to one RUN only, and leaves no trace in the image or its cache.

    The name rule is BuildKit's: a token `apikey`, `auth`, `credential(s)`, `key`, `password`,
    `pword`, `passwd`, `secret` or `token` delimited by `_` (or the ends of the name), and none
    of the allowed tokens `public`, `file`, `version`. `secret-patterns` in the configuration
    adds tokens. Global ARGs (before the first `FROM`) are not reported, as in BuildKit: they
    only reach a stage through a redeclaration, which is.

    ## Example
    ```dockerfile
    FROM node:20-alpine
    ARG NPM_TOKEN
    RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
    ```

    Use instead (and build with `--secret id=NPM_TOKEN,env=NPM_TOKEN`):
    ```dockerfile
    FROM node:20-alpine
    RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
    ```

    ## Fix safety
    Unsafe: the build command changes (`--secret id=NAME,env=NAME` instead of
    `--build-arg NAME=...`), and only RUNs that name the variable (`$NAME`, `${NAME}`,
    `${NAME:-...}`, `printenv NAME`...) get the mount: a script that reads it from the
    environment without naming it loses it. The fix removes the ARG (only its secret name when
    it declares several, and a global `ARG NAME` without a default that no `FROM` uses) and adds
    `--mount=type=secret,id=NAME,env=NAME` to every RUN of the stage after it that uses it.
    Secret mounts with `env=` need docker/dockerfile 1.10: the `SyntaxDirective` rule raises
    an older pin. There is no fix, and the message says why, for an ARG with a default value
    (in the stage or from its global ARG), an ENV, a secret also used outside RUN (COPY,
    ENV, a RUN flag...), an ARG no RUN names, and Windows stages.

    ## References
    - https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
    - https://docs.docker.com/build/building/secrets/
    - https://docs.docker.com/reference/dockerfile/#run---mounttypesecret
    """

    code = "BK016"
    name = "SecretsUsedInArgOrEnv"
    fix_safety = Safety.UNSAFE
    buildkit_check = "SecretsUsedInArgOrEnv"

    VALID = (
        "FROM alpine\nARG PUBLIC_KEY\nARG PASSWORD_FILE\nARG AUTH_MODULE_VERSION\nRUN echo $PUBLIC_KEY\n",
        "FROM alpine\nARG KEYCLOAK_URL\nARG TOKENIZER\nARG AUTHOR\nARG MY-TOKEN\nARG myToken\nARG token2\n",
        "ARG GITHUB_TOKEN\nFROM alpine\nRUN echo hi\n",
        "FROM alpine\nONBUILD ARG GITHUB_TOKEN\n",
        "FROM alpine\nRUN --mount=type=secret,id=GITHUB_TOKEN,env=GITHUB_TOKEN ./fetch.sh\n",
    )  # fmt: skip
    INVALID = (
        Invalid(
            "FROM alpine\nARG GITHUB_TOKEN\nRUN ./fetch.sh $GITHUB_TOKEN\n",
            "FROM alpine\nRUN --mount=type=secret,id=GITHUB_TOKEN,env=GITHUB_TOKEN ./fetch.sh $GITHUB_TOKEN\n",
            unsafe=True,
        ),
        Invalid(
            "FROM alpine\nARG VERSION NPM_TOKEN\nRUN npm ci --token=${NPM_TOKEN:-none} && echo $VERSION\n",
            "FROM alpine\nARG VERSION\nRUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci --token=${NPM_TOKEN:-none} && echo $VERSION\n",
            unsafe=True,
        ),
        Invalid("FROM alpine\nARG GITHUB_TOKEN\nRUN ./fetch.sh $GITHUB_TOKEN\n"),  # safe fixes only
        Invalid("FROM alpine\nARG DB_PASSWORD=changeme\nRUN ./setup $DB_PASSWORD\n", unsafe=True),
        Invalid("FROM alpine\nENV AWS_SECRET_ACCESS_KEY=abc\n", unsafe=True),
        Invalid("FROM alpine\nARG API_KEY\nCOPY config-$API_KEY.json /etc/\n", unsafe=True),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        # Global ARGs and ONBUILD triggers are not dispatched in this build: BuildKit skips them.
        if stage is None or instruction.name not in ("ARG", "ENV"):
            return
        extra = self.context.config.secret_patterns
        for name, value in assignments(instruction):
            if not looks_secret(name, extra):
                continue
            message = buildkit_message(instruction.name, name)
            if instruction.name == "ENV":
                self._no_fix(instruction, message, _env_reason(name, value or ""))
            else:
                self._arg(instruction, stage, name, value)

    def _no_fix(self, instruction: Instruction, message: str, reason: str) -> None:
        self.report(instruction, f"{message}; no automatic fix: {reason}")

    def _arg(self, arg: Instruction, stage: StageInfo, name: str, value: str | None) -> None:
        message = buildkit_message("ARG", name)
        result = self._migration(arg, stage, name, value)
        if isinstance(result, str):
            self._no_fix(arg, message, result)
            return
        flag = f"--secret id={name},env={name}"
        self.report(
            arg,
            message,
            fix=result,
            title=f"Mount {name} as a secret in the RUNs that use it; build with `{flag}`"
            f" instead of `--build-arg {name}=...`",
            build_flags=(flag,),
        )

    def _migration(
        self, arg: Instruction, stage: StageInfo, name: str, value: str | None
    ) -> dict[Target, Target | object] | str:
        """The fix moving ARG `name` to secret mounts, or why there is none."""
        tree = self.context.tree
        if value is not None:
            return "it has a default value, which would be in the Dockerfile (a secret has none)"
        global_arg = _global_arg(tree.global_args, name)
        if global_arg is not None and global_arg[1] is not None:
            line = tree.location(global_arg[0].start).line
            return f"the global ARG on line {line} gives it a default value"
        if is_windows(stage):
            return "the fix does not handle Windows stages (cmd and PowerShell read variables differently)"
        body = stage.stage.instructions
        scope = body[next(i for i, ins in enumerate(body) if ins is arg) + 1 :]
        runs: list[Instruction] = []
        for ins in scope:
            outside = None
            if ins.name == "RUN":
                if references(flags_text(ins), name):
                    outside = "a RUN flag"
                elif mentions(shell_text(ins), name):
                    runs.append(ins)
            elif ins.name == "ENV" and any(key == name for key, _ in assignments(ins)):
                outside = "ENV"
            elif ins.name in EXPANDED and references(ins.text, name):
                outside = ins.keyword
            if outside is not None:
                line = tree.location(ins.start).line
                return (
                    f"it is also used outside a RUN's commands ({outside} on line {line}), where"
                    " a secret mount cannot reach it"
                )
        if not runs:
            return (
                "no RUN in its scope names it; if a program reads it from the environment, add"
                f" `--mount=type=secret,id={name},env={name}` to that RUN by hand"
            )
        fix: dict[Target, Target | object] = {}
        removal = _remove_name(arg, name)
        if removal is None:
            return "a comment sits between the names of the ARG"
        fix[arg] = removal
        if global_arg is not None and not _used_in_from(tree.stages, name):
            global_removal = _remove_name(global_arg[0], name)
            if global_removal is not None:
                fix[global_arg[0]] = global_removal
        conventions = Conventions.of(tree)
        mount = f"--mount=type=secret,id={name},env={name}"
        for run in runs:
            if not has_mount(run, type="secret", env=name):
                fix[run] = add_flag(run, conventions, mount)
        return fix


def _env_reason(name: str, value: str) -> str:
    if "$" not in value:
        return (
            "its value is written in the Dockerfile and stored in the image config: rotate the"
            f" secret, then pass it with `--secret id={name},env={name}` to the RUNs that need it"
        )
    return (
        "ENV stores the value in the image config, for every container and later stage; if only"
        f" RUNs need it, mount it in them with `--mount=type=secret,id={name},env={name}`"
    )


def _global_arg(
    global_args: tuple[Instruction, ...], name: str
) -> tuple[Instruction, str | None] | None:
    """The last global ARG declaring `name`, with its default value."""
    found = None
    for ins in global_args:
        if ins.name == "ARG":
            for key, value in assignments(ins):
                if key == name:
                    found = (ins, value)
    return found


def _used_in_from(stages: Iterable[Stage], name: str) -> bool:
    return any(references(stage.from_instruction.text, name) for stage in stages)


def _remove_name(arg: Instruction, name: str) -> Instruction | object | None:
    """REMOVE for an ARG declaring only `name`; else the ARG without it (None: no clean cut)."""
    pairs = assignments(arg)
    if [key for key, _ in pairs] == [name]:
        return REMOVE
    arguments = arg.arguments
    if arguments is None:
        return None
    words = sorted(
        (word for command in commands(arguments.text, arg.escape)
         for word in (*command.assignments, *command.words)),
        key=lambda word: word.start,
    )  # fmt: skip
    index = next((i for i, word in enumerate(words) if word.value.partition("=")[0] == name), None)
    if index is None or len(words) != len(pairs):
        return None
    word = words[index]
    if index + 1 < len(words):
        span = (word.start, words[index + 1].start)
    else:
        span = (words[index - 1].end, word.end)
    updated = cut(arguments, [span])
    return None if updated is None else replace_arguments(arg, updated)
