from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dockerfix.diagnostics import Safety
from dockerfix.expansion import ExpansionError, process_word, process_words
from dockerfix.rules.base import Invalid, Replacements, Rule
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Instruction, Token
from dockerfix.syntax.buildkit import SEPARATOR_RUN

# BK:frontend/dockerfile/dockerfile2llb/convert_expose.go (parsePort, splitParts,
# splitProtoPort, parsePortRange); BUILDKIT.md §6 #21-#22.
PROTOCOLS = frozenset({"tcp", "udp", "sctp"})


@dataclass(frozen=True)
class Port:
    """One EXPOSE port as BuildKit splits it: `[ip:][host:]container[/proto]`."""

    raw: str  # after variable expansion, as BuildKit's messages quote it
    ip: str
    host: str
    container: str  # without the protocol
    proto: str  # as written, "" when absent
    token: Token | None  # the ARGS token holding the word, when it is literal and unsplit
    offset: int  # where the word starts in that token

    def replaced(self, new_word: str) -> Token:
        """The token with this port's word replaced."""
        assert self.token is not None
        text = self.token.text
        return Token("ARGS", text[: self.offset] + new_word + text[self.offset + len(self.raw) :])


def split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def port_range_ok(ports: str) -> bool:
    """parsePortRange succeeds: `N` or `N-M` with 0 <= N <= M <= 65535."""
    start, dash, end = ports.partition("-")
    numbers = [start] if not dash or start == end else [start, end]
    if not all(_port_number(n) is not None for n in numbers):
        return False
    return len(numbers) == 1 or int(numbers[0]) <= int(numbers[1])


def _port_number(text: str) -> int | None:
    # strconv.ParseInt(s, 10, 0): an optional sign, then decimal digits.
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    value = int(text)
    return value if 0 <= value <= 65535 else None


def exposed_ports(instruction: Instruction, stage: StageInfo) -> Iterator[Port]:
    """The ports BuildKit lints, in order, up to the first it rejects (which stops it too).

    Words with variables are expanded with the stage's ENV and ARG; a word whose variables
    the file does not define is skipped.
    """
    words, _ = instruction.buildkit_arguments
    located = dict(_locate(instruction))
    env = None
    for index, word in enumerate(words):
        if "$" in word and env is None:
            env = stage.env_at(instruction)
        try:
            expanded = process_words(word, env or {}, instruction.escape)
        except ExpansionError:
            return
        literal = expanded == [word]
        if "$" in word and not literal and _has_unknown(word, env or {}, instruction.escape):
            continue
        for raw in expanded:
            ip, host, container = split_parts(raw)
            port, _, proto = container.partition("/")
            if not port or proto.lower() not in PROTOCOLS | {""}:
                return
            token, offset = located.get(index, (None, 0)) if literal else (None, 0)
            yield Port(raw, ip, host, port, proto, token, offset)


def _has_unknown(word: str, env: dict[str, str], escape: str) -> bool:
    try:
        return bool(process_word(word, env, escape).unmatched)
    except ExpansionError:
        return True


def _locate(instruction: Instruction) -> Iterator[tuple[int, tuple[Token, int]]]:
    """For each argument word that lies within one ARGS token: (index, (token, offset))."""
    if instruction.arguments is None:
        return
    tokens = []
    at = 0
    for child in instruction.arguments.children:
        if isinstance(child, Token) and child.type == "ARGS":
            tokens.append((at, child))
            at += len(child.text)
    rest = instruction.arguments.value
    index = 0
    position = 0
    for separator in [*SEPARATOR_RUN.finditer(rest), None]:
        end = separator.start() if separator else len(rest)
        if end > position:
            for start, token in tokens:
                if start <= position and end <= start + len(token.text):
                    yield index, (token, position - start)
                    break
            index += 1
        position = separator.end() if separator else end


class ExposeProtoCasing(Rule):
    """
    ## What it does
    Reports an `EXPOSE` port whose protocol is not lower case, such as `80/TCP` (BuildKit's
    `ExposeProtoCasing` check), and lower-cases it.

    ## Why is this bad?
    Protocols are written in lower case everywhere else (`docker run -p 80:80/udp`, the image
    configuration, Compose files). BuildKit accepts any casing and lower-cases the protocol
    when recording the port, so the mixed-case spelling only adds inconsistency.

    ## Example
    ```dockerfile
    FROM alpine
    EXPOSE 80/TcP 53/UDP
    ```

    Use instead:
    ```dockerfile
    FROM alpine
    EXPOSE 80/tcp 53/udp
    ```

    ## Fix safety
    Safe: BuildKit records the port with a lower-case protocol either way, so the image does
    not change. Ports written through variables are reported but not rewritten.

    ## References
    - https://docs.docker.com/reference/build-checks/expose-proto-casing/
    - https://docs.docker.com/reference/dockerfile/#expose
    """

    code = "BK021"
    name = "ExposeProtoCasing"
    buildkit_check = "ExposeProtoCasing"
    fix_safety = Safety.SAFE

    VALID = (
        "FROM alpine\nEXPOSE 80 443/tcp 53/udp 9/sctp\n",
        "FROM alpine\nEXPOSE 80/TCPX\n",
        "FROM alpine\nONBUILD EXPOSE 80/TCP\n",
    )
    INVALID = (
        Invalid("FROM alpine\nEXPOSE 80/TcP 8080/TCP 8080/udp\n", "FROM alpine\nEXPOSE 80/tcp 8080/tcp 8080/udp\n"),
        Invalid("FROM alpine\r\nexpose 53/UDP \\\r\n  9/SCTP\r\n", "FROM alpine\r\nexpose 53/udp \\\r\n  9/sctp\r\n"),
        Invalid("FROM alpine\nENV PROTO=TCP\nEXPOSE 80/${PROTO}\n"),
        Invalid("FROM alpine\nEXPOSE 127.0.0.1:80:80/TCP\n", "FROM alpine\nEXPOSE 127.0.0.1:80:80/tcp\n"),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if stage is None or instruction.name != "EXPOSE":
            return
        for port in exposed_ports(instruction, stage):
            if port.proto == port.proto.lower():
                continue
            fix: Replacements | None = None
            if port.token is not None:
                new_word = port.raw[: len(port.raw) - len(port.proto)] + port.proto.lower()
                fix = {port.token: port.replaced(new_word)}
            self.report(
                instruction,
                f"Defined protocol '{port.raw}' in EXPOSE instruction should be lowercase",
                fix=fix,
                title=f"Lower-case the protocol of {port.raw}",
            )
