from __future__ import annotations

from dockerfix.diagnostics import Safety
from dockerfix.rules.base import Invalid, Replacements, Rule
from dockerfix.rules.expose_proto_casing import exposed_ports, port_range_ok
from dockerfix.semantics import StageInfo
from dockerfix.syntax import Instruction


class ExposeInvalidFormat(Rule):
    """
    ## What it does
    Reports an `EXPOSE` port written with an IP address or a host port, such as
    `127.0.0.1:8080:80` or `8080:80` (BuildKit's `ExposeInvalidFormat` check), and keeps only
    the container port.

    ## Why is this bad?
    `EXPOSE` documents which ports the container listens on; it cannot publish them. BuildKit
    ignores the IP address and the host port and records only the container port, so the
    mapping in the Dockerfile does nothing, and BuildKit announces that the form will become
    an error. Publish ports when running the container (`docker run -p 8080:80`).

    ## Example
    ```dockerfile
    FROM nginx
    EXPOSE 127.0.0.1:8080:80 5000:5000/udp
    ```

    Use instead:
    ```dockerfile
    FROM nginx
    EXPOSE 80 5000/udp
    ```

    ## Fix safety
    Safe: only `container[/proto]` ends up in the image's exposed ports, so the image does not
    change (an invalid IP address or a host range that does not fit the container range made
    the build fail, and no longer does). Ports written through variables, and ports whose
    container part is itself invalid, are reported but not rewritten.

    ## References
    - https://docs.docker.com/reference/build-checks/expose-invalid-format/
    - https://docs.docker.com/reference/dockerfile/#expose
    """

    code = "BK022"
    name = "ExposeInvalidFormat"
    buildkit_check = "ExposeInvalidFormat"
    fix_safety = Safety.SAFE

    VALID = (
        "FROM alpine\nEXPOSE 80 443/tcp 8000-8010 53/udp\n",
        "FROM alpine\nEXPOSE 80:80/bogus\n",
    )
    INVALID = (
        Invalid("FROM alpine\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000\n", "FROM alpine\nEXPOSE 80 8080 5000 8000\n"),
        Invalid("FROM alpine\nEXPOSE 8080:80/udp\n", "FROM alpine\nEXPOSE 80/udp\n"),
        Invalid("FROM alpine\r\nexpose 0.0.0.0:8000-8010:8000-8010/TCP \\\r\n  9000\r\n", "FROM alpine\r\nexpose 8000-8010/TCP \\\r\n  9000\r\n"),
        Invalid("FROM alpine\nARG HOST=8080\nEXPOSE $HOST:80\n"),
        Invalid("FROM alpine\nEXPOSE 80:abc\n"),
    )  # fmt: skip

    def visit_instruction(self, instruction: Instruction, stage: StageInfo | None) -> None:
        if stage is None or instruction.name != "EXPOSE":
            return
        for port in exposed_ports(instruction, stage):
            if not port.ip and not port.host:
                continue
            fix: Replacements | None = None
            if port.token is not None and port_range_ok(port.container):
                fix = {port.token: port.replaced(port.raw[port.raw.rfind(":") + 1 :])}
            self.report(
                instruction,
                "EXPOSE instruction should not define an IP address or host-port mapping,"
                f" found '{port.raw}'",
                fix=fix,
                title=f"Keep only the container port of {port.raw}",
            )
