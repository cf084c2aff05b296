"""Command line: ``finapi-emulator`` and ``python -m finapi.emulator``."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from ._core import (
    CONTROL_PREFIX,
    DEMO_BANK_LOGIN,
    DEMO_BANK_PIN,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Emulator,
)
from ._spec import SpecError
from ._wire import ACCESS, WEBFORM

__all__ = ["coverage_table", "main"]


def coverage_table(emu: Emulator) -> str:
    """Return the Markdown table of implemented operations, one row per operation.

    Args:
        emu: The emulator whose specs and handlers are listed.

    Returns:
        The table, with a summary line per API above it.
    """
    lines: list[str] = []
    table = emu.implemented
    for family, title in ((ACCESS, "Access"), (WEBFORM, "Web Form 2.0")):
        rows = table[family]
        done = sum(1 for r in rows if r[3])
        lines.append(f"- {title}: {done} of {len(rows)} operations implemented")
    lines += [
        "",
        "| API | operationId | method | path | implemented |",
        "| --- | --- | --- | --- | --- |",
    ]
    for family, title in ((ACCESS, "Access"), (WEBFORM, "Web Form 2.0")):
        prefix = "" if family == ACCESS else "/webform"
        for op_id, method, path, implemented in sorted(
            table[family], key=lambda r: (r[2], r[1])
        ):
            mark = "yes" if implemented else "no (501)"
            lines.append(
                f"| {title} | `{op_id}` | {method} | `{prefix}{path}` | {mark} |"
            )

    return "\n".join(lines) + "\n"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like the ``finapi`` command's."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the problem and exit with status 2.

        Args:
            message: What argparse found wrong.
        """
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser(prog: str = "finapi-emulator") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="A local emulator of finAPI Access and Web Form 2.0.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port, 0 for a free one (default 8080)"
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=3599,
        help="access token seconds (default 3599)",
    )
    parser.add_argument(
        "--refresh-token-lifetime",
        type=float,
        default=86400 * 30,
        help="refresh token seconds",
    )
    parser.add_argument(
        "--webform-lifetime",
        type=float,
        default=600,
        help="seconds until a web form expires",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for generated data (default 0)"
    )
    parser.add_argument(
        "--client-id", default=DEMO_CLIENT_ID, help="accepted client id"
    )
    parser.add_argument(
        "--client-secret", default=DEMO_CLIENT_SECRET, help="accepted client secret"
    )
    parser.add_argument(
        "--access-spec", help="Access spec file to serve instead of the packaged one"
    )
    parser.add_argument(
        "--webform-spec", help="Web Form spec file to serve instead of the packaged one"
    )
    parser.add_argument(
        "--public-url",
        help="public origin for web form URLs (default: the bound address)",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        help="share of requests answered 500/502/503",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every answer"
    )
    parser.add_argument(
        "--drop-rate", type=float, default=0.0, help="share of connections dropped"
    )
    parser.add_argument(
        "--fault-prefix",
        default="/",
        help="path prefix the faults apply to (default /)",
    )
    parser.add_argument(
        "--no-control-api",
        action="store_true",
        help=f"do not serve the control API under {CONTROL_PREFIX}/ (404 there)",
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="print the table of implemented operations and exit",
    )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "finapi-emulator") -> int:
    """Run the emulator until interrupted, or print its coverage table.

    Args:
        argv: Arguments; ``sys.argv[1:]`` by default.
        prog: The command's name in help and error lines.

    Returns:
        The exit status.
    """
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    try:
        emu = Emulator(
            token_lifetime=args.token_lifetime,
            refresh_token_lifetime=args.refresh_token_lifetime,
            webform_lifetime=args.webform_lifetime,
            clients={args.client_id: args.client_secret},
            seed=args.seed,
            access_spec=args.access_spec,
            webform_spec=args.webform_spec,
            control_api=not args.no_control_api,
        )
        if args.error_rate or args.latency or args.drop_rate:
            emu.faults.set(
                args.fault_prefix,
                error_rate=args.error_rate,
                latency=args.latency,
                drop_rate=args.drop_rate,
            )
    except (ValueError, SpecError) as exc:
        parser.error(str(exc))
    if args.coverage:
        sys.stdout.write(coverage_table(emu))
        return 0

    try:
        with emu.serve(args.host, args.port) as url:
            if args.public_url:
                emu.base_url = args.public_url
            out = sys.stdout
            out.write(f"finAPI emulator listening on {url}\n")
            out.write(
                f"  Access:        {emu.access_url}  (token endpoint {emu.access_url}/oauth/token)\n"
            )
            out.write(f"  Web Form 2.0:  {emu.webform_url}\n")
            if emu.control_api:
                out.write(
                    f"  Control API:   {url}{CONTROL_PREFIX}/ (stats, faults, tokens, reset)\n"
                )
            out.write(f"  client_id:     {args.client_id}\n")
            if args.client_secret == DEMO_CLIENT_SECRET:
                out.write(f"  client_secret: {DEMO_CLIENT_SECRET}\n")
            else:
                out.write("  client_secret: (as given on the command line)\n")
            out.write(
                f"  demo bank login / PIN on the web form page: {DEMO_BANK_LOGIN} / {DEMO_BANK_PIN}\n"
            )
            out.write("Press Ctrl+C to stop.\n")
            out.flush()
            threading.Event().wait()
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        sys.stderr.write(f"finapi-emulator: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
