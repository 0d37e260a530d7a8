# ruff: noqa: E501  (before/after tables stay one example per line: they read like a spec)
"""Spec of the secret-migration rules: BK016 SecretsUsedInArgOrEnv, DF004 CredentialFileCopy,
DF005 SshKeyCopy. Before/after tables run the real engine with only the rule under test on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dockerfile
import pytest

from dockerfix.config import Config
from dockerfix.engine import check, fix
from dockerfix.rules.secrets_used_in_arg_or_env import looks_secret
from tests.conftest import CASES, read_exact

BK016 = Config(select=("BK016",))
DF004 = Config(select=("DF004",))
DF005 = Config(select=("DF005",))


def fixed(source: str, config: Config) -> str:
    result = fix(source, config, unsafe=True)
    assert result.converged
    assert fix(result.text, config, unsafe=True).text == result.text  # idempotent
    dockerfile.parse_string(result.text)  # BuildKit's parser accepts it
    return result.text


def messages(source: str, config: Config) -> list[str]:
    return [d.message for d in check(source, config)]


# --- BK016: the name rule, exactly BuildKit's ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        # BUILDKIT.md §4.4 table
        ("GITHUB_TOKEN", True),
        ("NPM_TOKEN", True),
        ("AUTH_TOKEN", True),
        ("OAUTH_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("SSH_PRIVATE_KEY", True),
        ("API_KEY", True),
        ("GPG_KEY", True),
        ("APIKEY", True),
        ("PASSWORD", True),
        ("DB_PASSWD", True),
        ("PWORD", True),
        ("CREDENTIALS", True),
        ("CREDENTIAL", True),
        ("AUTH", True),
        ("SECRET_PASSPHRASE", True),
        ("SUPER_Secret", True),
        ("super_duper_secret_token", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("PUBLIC_KEY", False),
        ("public_token", False),
        ("PASSWORD_FILE", False),
        ("secret_File", False),
        ("SECRET_PASSPHRASE_FILE", False),
        ("AUTH_MODULE_VERSION", False),
        ("KEYCLOAK_URL", False),
        ("TOKENIZER", False),
        ("AUTHOR", False),
        ("PASS", False),
        ("PRIVATE", False),
        ("ACCESS_ID", False),
        ("MY-TOKEN", False),
        ("myToken", False),
        ("token2", False),
        # Go's (?i) folds the Kelvin sign to k and the long s to s, and nothing else
        ("API_\u212aEY", True),
        ("\u017fECRET", True),
        ("AUTH_PUBL\u0131C", True),  # a dotless i is not an i: `public` does not match
    ],
)
def test_names_match_buildkit(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


def test_secret_patterns_add_name_tokens() -> None:
    source = "FROM a\nARG GITHUB_PAT\nRUN ./fetch $GITHUB_PAT\n"
    assert messages(source, BK016) == []
    config = Config(select=("BK016",), secret_patterns=("pat",))
    assert fixed(source, config) == (
        "FROM a\nRUN --mount=type=secret,id=GITHUB_PAT,env=GITHUB_PAT ./fetch $GITHUB_PAT\n"
    )


def test_message_is_buildkits() -> None:
    source = "FROM a\nARG GITHUB_TOKEN\nRUN ./fetch $GITHUB_TOKEN\n"
    assert messages(source, BK016) == [
        'Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")'
    ]
    assert messages("FROM a\nENV API_KEY=x\n", BK016)[0].startswith(
        'Do not use ARG or ENV instructions for sensitive data (ENV "API_KEY"); no automatic fix:'
    )


def test_one_diagnostic_per_secret_name() -> None:
    assert len(messages("FROM a\nARG A_TOKEN B_TOKEN C\nENV X_KEY=1 Y=2\n", BK016)) == 3


def test_fix_carries_the_build_flag_and_says_it() -> None:
    (diagnostic,) = check("FROM a\nARG NPM_TOKEN\nRUN npm ci $NPM_TOKEN\n", BK016)
    assert diagnostic.build_flags == ("--secret id=NPM_TOKEN,env=NPM_TOKEN",)
    assert diagnostic.fix is not None
    assert "--secret id=NPM_TOKEN,env=NPM_TOKEN" in diagnostic.fix.title
    result = fix("FROM a\nARG NPM_TOKEN\nRUN npm ci $NPM_TOKEN\n", BK016, unsafe=True)
    assert result.build_flags == ["--secret id=NPM_TOKEN,env=NPM_TOKEN"]


def test_check_skip_silences_it() -> None:
    source = "FROM a\n# check=skip=SecretsUsedInArgOrEnv\nARG GITHUB_TOKEN\n"
    assert messages(source, BK016) == []


@pytest.mark.parametrize(
    "source",
    [
        "ARG GITHUB_TOKEN\nFROM alpine\n",  # global (meta) ARGs are not checked by BuildKit
        "ARG GITHUB_TOKEN=x\nFROM alpine:$GITHUB_TOKEN\n",
        "FROM alpine\nONBUILD ARG GITHUB_TOKEN\n",  # triggers run in the child build
        "FROM alpine\nONBUILD ENV API_KEY=x\n",
        "FROM alpine\nARG PUBLIC_KEY=x\nENV GPG_KEY_FILE=/k\n",
        "FROM alpine\nLABEL API_KEY=x\n",
    ],
)
def test_not_reported(source: str) -> None:
    assert messages(source, BK016) == []


# --- BK016: the ARG -> secret mount fix ----------------------------------------------------

M = "--mount=type=secret,id=TOKEN,env=TOKEN"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM a\nARG TOKEN\nRUN ./a $TOKEN\nRUN ./b ${TOKEN}\nRUN ./c\n",
            f"FROM a\nRUN {M} ./a $TOKEN\nRUN {M} ./b ${{TOKEN}}\nRUN ./c\n",
            id="several RUNs, only those that use it",
        ),
        pytest.param(
            'FROM a\nARG TOKEN\nRUN curl -H "Authorization: ${TOKEN:-none}" x\n',
            f'FROM a\nRUN {M} curl -H "Authorization: ${{TOKEN:-none}}" x\n',
            id="default expansion",
        ),
        pytest.param(
            "FROM a\nARG TOKEN\nRUN <<EOF\n./fetch $TOKEN\nEOF\n",
            f"FROM a\nRUN {M} <<EOF\n./fetch $TOKEN\nEOF\n",
            id="heredoc: mount on the RUN line, body untouched",
        ),
        pytest.param(
            "FROM a\nARG TOKEN\nONBUILD RUN ./x $TOKEN\nRUN ./y $TOKEN\n",
            f"FROM a\nONBUILD RUN ./x $TOKEN\nRUN {M} ./y $TOKEN\n",
            id="ONBUILD triggers run in another build: left alone",
        ),
        pytest.param(
            "FROM a AS one\nARG TOKEN\nRUN ./x $TOKEN\nFROM one AS two\nRUN ./y $TOKEN\n",
            f"FROM a AS one\nRUN {M} ./x $TOKEN\nFROM one AS two\nRUN ./y $TOKEN\n",
            id="an ARG's scope ends with its stage",
        ),
        pytest.param(
            "FROM a\r\nARG TOKEN\r\nRUN ./x $TOKEN && \\\r\n    ./y\r\n",
            f"FROM a\r\nRUN {M} ./x $TOKEN && \\\r\n    ./y\r\n",
            id="CRLF",
        ),
        pytest.param(
            "# escape=`\nFROM a\nARG TOKEN\nRUN ./x $TOKEN `\n    && ./y\n",
            f"# escape=`\nFROM a\nRUN {M} ./x $TOKEN `\n    && ./y\n",
            id="backtick escape",
        ),
        pytest.param(
            "FROM a\nARG VERSION TOKEN\nRUN ./x $TOKEN $VERSION\n",
            f"FROM a\nARG VERSION\nRUN {M} ./x $TOKEN $VERSION\n",
            id="ARG with several names: only the secret goes",
        ),
        pytest.param(
            "FROM a\nARG TOKEN VERSION=1\nRUN ./x $TOKEN\n",
            f"FROM a\nARG VERSION=1\nRUN {M} ./x $TOKEN\n",
            id="secret first among several names",
        ),
        pytest.param(
            "FROM a\nARG V \\\n    TOKEN\nRUN ./x $TOKEN\n",
            f"FROM a\nARG V\nRUN {M} ./x $TOKEN\n",
            id="name on a continuation line",
        ),
        pytest.param(
            "FROM a\n# the token\nARG TOKEN\n\nRUN ./x $TOKEN # not a comment\n",
            f"FROM a\n# the token\n\nRUN {M} ./x $TOKEN # not a comment\n",
            id="comment above, blank line kept",
        ),
        pytest.param(
            "FROM a\nRUN ./before\nARG TOKEN\nRUN ./x $TOKEN",
            f"FROM a\nRUN ./before\nRUN {M} ./x $TOKEN",
            id="no newline at the end",
        ),
        pytest.param(
            "FROM a\nARG TOKEN\nRUN \\\n    ./x $TOKEN\n",
            f"FROM a\nRUN {M} \\\n    ./x $TOKEN\n",
            id="arguments on a continuation line",
        ),
        pytest.param(
            "FROM a\nARG TOKEN\nRUN --network=none ./x $TOKEN\n",
            f"FROM a\nRUN --network=none {M} ./x $TOKEN\n",
            id="after the existing flags",
        ),
        pytest.param(
            'FROM a\nARG TOKEN\nRUN ["sh", "-c", "./x $TOKEN"]\n',
            f'FROM a\nRUN {M} ["sh", "-c", "./x $TOKEN"]\n',
            id="exec form",
        ),
        pytest.param(
            f"FROM a\nARG TOKEN\nRUN {M} ./x $TOKEN\n",
            f"FROM a\nRUN {M} ./x $TOKEN\n",
            id="already mounted",
        ),
        pytest.param(
            "from a\narg TOKEN\nrun ./x $TOKEN\n",
            f"from a\nrun {M} ./x $TOKEN\n",
            id="lower-case keywords",
        ),
        pytest.param(
            "FROM a\nARG TOKEN\nRUN printenv TOKEN > /dev/null\n",
            f"FROM a\nRUN {M} printenv TOKEN > /dev/null\n",
            id="named without $",
        ),
        pytest.param(
            "ARG TOKEN\nFROM a\nARG TOKEN\nRUN ./x $TOKEN\n",
            f"FROM a\nRUN {M} ./x $TOKEN\n",
            id="meta ARG without default, unused by FROM, goes too",
        ),
        pytest.param(
            "ARG TOKEN\nFROM a:$TOKEN\nARG TOKEN\nRUN ./x $TOKEN\n",
            f"ARG TOKEN\nFROM a:$TOKEN\nRUN {M} ./x $TOKEN\n",
            id="meta ARG used by FROM stays",
        ),
        pytest.param(
            "FROM a\nARG TOKEN\nARG TOKEN\nRUN ./x $TOKEN\n",
            f"FROM a\nRUN {M} ./x $TOKEN\n",
            id="declared twice",
        ),
        pytest.param(
            "FROM a\nARG A_TOKEN B_TOKEN\nRUN ./x $A_TOKEN $B_TOKEN\n",
            "FROM a\nRUN --mount=type=secret,id=A_TOKEN,env=A_TOKEN"
            " --mount=type=secret,id=B_TOKEN,env=B_TOKEN ./x $A_TOKEN $B_TOKEN\n",
            id="two secrets, one ARG",
        ),
    ],
)
def test_arg_becomes_secret_mount(before: str, after: str) -> None:
    assert fixed(before, BK016) == after


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("FROM a\nARG TOKEN=abc\nRUN ./x $TOKEN\n", "it has a default value"),
        (
            "ARG TOKEN=abc\nFROM a\nARG TOKEN\nRUN ./x $TOKEN\n",
            "the global ARG on line 1 gives it a default value",
        ),
        ("FROM a\nENV TOKEN=abc\n", "its value is written in the Dockerfile"),
        ("FROM a\nARG T\nENV TOKEN=$T\n", "ENV stores the value in the image config"),
        (
            "FROM a\nARG TOKEN\nCOPY conf-$TOKEN /etc/\nRUN ./x $TOKEN\n",
            "(COPY on line 3)",
        ),
        ("FROM a\nARG TOKEN\nENV T2=${TOKEN}\nRUN ./x $TOKEN\n", "(ENV on line 3)"),
        (
            "FROM a\nARG TOKEN\nRUN --mount=type=secret,id=$TOKEN ./x\n",
            "(a RUN flag on line 3)",
        ),
        ("FROM a\nARG TOKEN\nRUN ./x\n", "no RUN in its scope names it"),
        (
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nARG TOKEN\nRUN echo %TOKEN%\n",
            "Windows",
        ),
        (
            "FROM a\nARG V \\\n  # why\n  TOKEN\nRUN ./x $TOKEN\n",
            "a comment sits between the names",
        ),
    ],
)
def test_no_fix_says_why(source: str, reason: str) -> None:
    (message,) = messages(source, BK016)
    assert "no automatic fix: " in message
    assert reason in message
    assert fix(source, BK016, unsafe=True).text == source


def test_unsafe_fix_needs_unsafe() -> None:
    source = "FROM a\nARG TOKEN\nRUN ./x $TOKEN\n"
    assert fix(source, BK016).text == source


def test_syntax_pin_is_raised_by_the_syntax_rule() -> None:
    source = "# syntax=docker/dockerfile:1.4\nFROM a\nARG TOKEN\nRUN ./x $TOKEN\n"
    result = fix(source, Config(select=("BK016", "DF001")), unsafe=True)
    assert result.text == f"# syntax=docker/dockerfile:1.10\nFROM a\nRUN {M} ./x $TOKEN\n"
    assert [d.code for d in result.applied] == ["BK016", "DF001"]


# --- the shared acceptance cases -----------------------------------------------------------


def _mounts(flags: tuple[str, ...]) -> list[dict[str, str]]:
    """verify_cases.py's reading of `--mount` flags."""
    found = []
    for flag in flags:
        if flag.startswith("--mount="):
            options = {
                key: value if sep else "true"
                for key, sep, value in (p.partition("=") for p in flag[8:].split(","))
            }
            options.setdefault("type", "bind")
            found.append(options)
    return found


def _matches(want: dict[str, object], have: dict[str, str]) -> bool:
    return all(
        have.get(key) in (value if isinstance(value, list) else [value])
        for key, value in want.items()
    )


@pytest.mark.parametrize("case", ["secret-arg-to-mount", "secret-arg-needs-unsafe"])
def test_shared_secret_cases(case: str) -> None:
    folder: Path = CASES / case
    source = read_exact(folder / "Dockerfile")
    spec = json.loads((folder / "expect.json").read_text())
    unsafe = "--unsafe-fixes" in spec.get("args", [])
    result = fix(source, Config(), unsafe=unsafe)
    assert fix(result.text, Config(), unsafe=unsafe).text == result.text  # idempotent
    commands = dockerfile.parse_string(result.text)
    for expectation in spec["expect"]:
        kind = expectation["kind"]
        if kind == "instruction":
            hits = [
                c
                for c in commands
                if c.cmd == expectation["cmd"]
                and re.search(expectation["value_re"], " ".join(c.value))
            ]
            assert len(hits) == expectation["count"]
        elif kind == "directive":
            directives = dict(
                m.groups()
                for line in result.text.splitlines()
                if (m := re.match(r"\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$", line))
            )
            assert re.search(expectation["value_re"], directives[expectation["name"]])
        elif kind == "run":
            runs = [
                c
                for c in commands
                if c.cmd == "RUN" and expectation["contains"] in " ".join(c.value)
            ]
            assert runs
            for run in runs:
                mounts = _mounts(run.flags)
                # The secret mount is BK016's; the npm cache mount is the cache-mount rule's.
                for want in expectation.get("mounts", []):
                    assert any(_matches(want, have) for have in mounts), (want, mounts)
                if "no_mount_type" in expectation:
                    assert all(m["type"] != expectation["no_mount_type"] for m in mounts)
        else:
            pytest.fail(f"unexpected check {kind}")
    # Every comment line survives.
    for line in source.splitlines():
        if line.strip().startswith("#"):
            assert line.strip() in {out.strip() for out in result.text.splitlines()}


# --- DF004 CredentialFileCopy --------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY package.json .npmrc ./\nRUN npm ci && \\\n    rm -f .npmrc\nCOPY . .\n",
            "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\nCOPY . .\n",
            id="one source of several, rm dropped with its operator",
        ),
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN rm -f .npmrc package-lock.json && npm ci\n",
            "FROM node:20\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc rm -f package-lock.json && npm ci\n",
            id="rm of other files keeps them",
        ),
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY --chown=node:node .npmrc ./\nUSER node\nRUN npm ci\n",
            "FROM node:20\nWORKDIR /app\nUSER node\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc,uid=1000,gid=1000 npm ci\n",
            id="non-root RUN user gets uid/gid",
        ),
        pytest.param(
            "FROM alpine\nCOPY ci/netrc /root/.netrc\nRUN curl -n -O https://x/y && rm /root/.netrc\n",
            "FROM alpine\nRUN --mount=type=secret,id=netrc,target=/root/.netrc curl -n -O https://x/y\n",
            id="destination names the file",
        ),
        pytest.param(
            "FROM alpine\r\nCOPY .git-credentials /root/\r\nRUN git clone https://h/r && \\\r\n    rm ~/.git-credentials\r\n",
            "FROM alpine\r\nRUN --mount=type=secret,id=git-credentials,target=/root/.git-credentials git clone https://h/r\r\n",
            id="CRLF, ~ path",
        ),
        pytest.param(
            "# escape=`\nFROM alpine\nCOPY .git-credentials /root/\nRUN git clone https://h/r && `\n    rm $HOME/.git-credentials\n",
            "# escape=`\nFROM alpine\nRUN --mount=type=secret,id=git-credentials,target=/root/.git-credentials git clone https://h/r\n",
            id="backtick escape, $HOME path",
        ),
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN <<EOF\nnpm ci\nEOF\n",
            "FROM node:20\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc <<EOF\nnpm ci\nEOF\n",
            id="heredoc RUN",
        ),
        pytest.param(
            "FROM node:20 AS b\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci && rm .npmrc\nFROM b\nRUN npm run x\n",
            "FROM node:20 AS b\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\nFROM b\nRUN npm run x\n",
            id="deleted by the RUN: later stages cannot use it",
        ),
        pytest.param(
            "FROM node:20\nCOPY .npmrc /build/\nRUN cd /build && npm ci\nRUN ls /build\n",
            "FROM node:20\nRUN mkdir -p /build\nRUN --mount=type=secret,id=npmrc,target=/build/.npmrc cd /build && npm ci\nRUN ls /build\n",
            id="the directory the COPY made is kept",
        ),
        pytest.param(
            "FROM node:20\nCOPY .npmrc /build/\nRUN cd /build && npm ci\n",
            "FROM node:20\nRUN --mount=type=secret,id=npmrc,target=/build/.npmrc cd /build && npm ci\n",
            id="the mount makes the directory for its RUN",
        ),
        pytest.param(
            "FROM python:3\nCOPY .pypirc /root/.pypirc\nRUN python -m twine upload dist/*\n",
            "FROM python:3\nRUN --mount=type=secret,id=pypirc,target=/root/.pypirc python -m twine upload dist/*\n",
            id="python -m twine",
        ),
    ],
)
def test_credential_copy_becomes_secret_mount(before: str, after: str) -> None:
    assert fixed(before, DF004) == after


def test_credential_build_flag() -> None:
    source = "FROM node:20\nWORKDIR /app\nCOPY config/.npmrc ./\nRUN npm ci\n"
    result = fix(source, DF004, unsafe=True)
    assert result.build_flags == ["--secret id=npmrc,src=config/.npmrc"]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("FROM node:20\nCOPY .npmrc /root/\nRUN npm ci\nRUN npm run build\n", "(npm) may read it too"),
        ("FROM node:20\nCOPY .npmrc /root/\nRUN npm ci\nRUN cat /root/.npmrc\n", "RUN on line 4 uses it too"),
        ("FROM node:20 AS b\nCOPY .npmrc /root/\nRUN npm ci\nFROM b\nRUN npm start\n", "in stage 1"),
        ("FROM node:20\nCOPY .npmrc /root/\nRUN apk add git\nRUN npm ci\n", "does not seem to use it"),
        ("FROM node:20\nCOPY .npmrc /root/\nRUN npm ci && chmod 600 /root/.npmrc\n", "writes or changes it"),
        ("FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN echo x >> .npmrc && npm ci\n", "writes or changes it"),
        ("FROM node:20\nCOPY .npmrc /app\nRUN npm ci\n", "cannot tell where it lands"),
        ("FROM node:20\nCOPY --from=creds /.npmrc /root/\nRUN npm ci\n", "another stage"),
        ("FROM node:20\nCOPY .npmrc /root/\nUSER app\nRUN npm ci\n", "uid is unknown"),
        ("FROM node:20\nCOPY <<EOF /root/.npmrc\n//r/:_authToken=x\nEOF\nRUN npm ci\n", "written in the Dockerfile"),
        ("FROM node:20\nCOPY .npmrc /root/\nRUN npm ci && \\\n    # clean\n    rm -f /root/.npmrc\n", "cannot be dropped cleanly"),
        ("FROM node:20\nCOPY .npmrc /root/\nRUN npm ci\nCOPY --from=0 /root/.npmrc /x\n", "COPY on line 4 uses it too"),
        ("FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci && cd / && rm -rf /app\n", "deletes a directory that holds it"),
        ("FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci && rm -rf ./.*\n", "deletes a directory that holds it"),
    ],
)  # fmt: skip
def test_credential_no_fix_says_why(source: str, reason: str) -> None:
    message = messages(source, DF004)[0]
    assert "no automatic fix: " in message
    assert reason in message
    assert fix(source, DF004, unsafe=True).text == source


# --- DF005 SshKeyCopy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM alpine\nRUN apk add git openssh\nCOPY id_rsa /root/.ssh/id_rsa\nRUN chmod 600 /root/.ssh/id_rsa && \\\n    ssh-keyscan github.com >> /root/.ssh/known_hosts\nRUN git clone git@github.com:a/b.git /src\nRUN rm -f /root/.ssh/id_rsa\n",
            "FROM alpine\nRUN apk add git openssh\nRUN mkdir -p /root/.ssh\nRUN ssh-keyscan github.com >> /root/.ssh/known_hosts\nRUN --mount=type=ssh git clone git@github.com:a/b.git /src\n",
            id="chmod and rm dropped, the .ssh directory kept for known_hosts",
        ),
        pytest.param(
            'FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN eval "$(ssh-agent -s)" && \\\n    ssh-add ~/.ssh/id_rsa && \\\n    git clone git@github.com:a/b.git\n',
            "FROM alpine\nRUN --mount=type=ssh git clone git@github.com:a/b.git\n",
            id="ssh-agent plumbing dropped",
        ),
        pytest.param(
            "FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN mkdir -p ~/.ssh && ssh-keyscan h >> ~/.ssh/known_hosts && git clone git@h:a/b\n",
            "FROM alpine\nRUN --mount=type=ssh mkdir -p ~/.ssh && ssh-keyscan h >> ~/.ssh/known_hosts && git clone git@h:a/b\n",
            id="RUN makes the directory itself",
        ),
        pytest.param(
            "FROM node:20\nCOPY id_rsa /home/node/.ssh/id_rsa\nUSER node\nRUN git clone git@h:a/b\n",
            "FROM node:20\nUSER node\nRUN --mount=type=ssh,uid=1000,gid=1000 git clone git@h:a/b\n",
            id="non-root user",
        ),
        pytest.param(
            "FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN <<EOF\ngit clone git@h:a/b\nEOF\n",
            "FROM alpine\nRUN --mount=type=ssh <<EOF\ngit clone git@h:a/b\nEOF\n",
            id="heredoc",
        ),
        pytest.param(
            "FROM alpine\r\nCOPY id_rsa /root/.ssh/\r\nRUN chmod 600 /root/.ssh/id_rsa \\\r\n && git clone git@h:a/b\r\n",
            "FROM alpine\r\nRUN --mount=type=ssh git clone git@h:a/b\r\n",
            id="CRLF",
        ),
        pytest.param(
            "# escape=`\nFROM alpine\nCOPY id_rsa /root/.ssh/\nRUN chmod 600 /root/.ssh/id_rsa `\n && git clone git@h:a/b\n",
            "# escape=`\nFROM alpine\nRUN --mount=type=ssh git clone git@h:a/b\n",
            id="backtick escape",
        ),
        pytest.param(
            "FROM alpine\nCOPY keys/ci /root/.ssh/ci_key\nRUN chmod 400 /root/.ssh/ci_key && scp h:/a /a\n",
            "FROM alpine\nRUN --mount=type=ssh scp h:/a /a\n",
            id="any file put in ~/.ssh",
        ),
    ],
)
def test_ssh_key_becomes_ssh_mount(before: str, after: str) -> None:
    assert fixed(before, DF005) == after


def test_ssh_build_flag() -> None:
    source = "FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN git clone git@h:a/b\n"
    assert fix(source, DF005, unsafe=True).build_flags == ["--ssh default"]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN ssh-agent sh -c 'ssh-add /root/.ssh/id_rsa; git clone git@h:a/b'\n", "with `ssh-agent`"),
        ("FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN ssh -i /root/.ssh/id_rsa h true\n", "with `ssh`"),
        ("FROM alpine AS b\nCOPY id_rsa /root/.ssh/\nRUN git clone git@h:a/b\nFROM b\nRUN git pull\n", "stage 1"),
        ("FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN echo hi\n", "no RUN after it runs git"),
        ("FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN <<EOF\nssh-add /root/.ssh/id_rsa\ngit clone git@h:a/b\nEOF\n", "heredoc"),
        ("FROM alpine\nCOPY id_rsa known_hosts /root/.ssh/\nRUN git clone git@h:a/b\n", "copied with other files"),
        ("FROM alpine\nCOPY id_rsa /root/.ssh/\nUSER git\nRUN git clone git@h:a/b\n", "uid is unknown"),
        ("FROM alpine\nCOPY --chown=1000 id_rsa /root/.ssh/\nRUN ssh-keyscan h >> /root/.ssh/known_hosts\nRUN git clone git@h:a/b\n", "--chown"),
        ("FROM alpine\nCOPY .ssh /root/.ssh\nRUN git clone git@h:a/b\n", "copies an .ssh directory"),
        ("FROM alpine\nCOPY id_rsa /root/.ssh/\nRUN cd /root/.ssh && chmod 600 id_rsa && git clone git@h:a/b\n", "with `chmod`"),
    ],
)  # fmt: skip
def test_ssh_no_fix_says_why(source: str, reason: str) -> None:
    (message,) = messages(source, DF005)
    assert "no automatic fix: " in message
    assert reason in message
    assert fix(source, DF005, unsafe=True).text == source
