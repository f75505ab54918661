"""Entry point of the ``aoizora`` command.

Exit codes (docs/conventions): 0 success, 1 failure while running, 2 bad input or usage. No
traceback reaches the user: bad input and failures are one line naming the value or file; an
unexpected exception is reported as an internal error in one line (``AOIZORA_TRACEBACK=1`` shows
the traceback). A closed output pipe (``aoizora ... --json | head -1``) ends quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import aoizora


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line naming the option (exit code 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} -h')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="aoizora",
        description=(
            "Compiler-mediated topology planner: picks the sharding and the physical device "
            "order for a diffusion-transformer step on a TPU slice. Every latency it prints is a "
            "model prediction (no TPU is measured)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"aoizora {aoizora.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    import aoizora.cli as cli_pkg

    for info in sorted(pkgutil.iter_modules(cli_pkg.__path__), key=lambda i: i.name):
        if info.name in ("main",) or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"aoizora.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    _bound_int_options(parser)
    return parser


def _bound_int_options(parser: argparse.ArgumentParser) -> None:
    """Every ``type=int`` option of every command takes int64 at most (what the core takes): a
    larger value is a usage error naming the option, not a binding TypeError later."""
    from aoizora.cli._common import int_arg

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _bound_int_options(sub)
        elif action.type is int:
            action.type = int_arg(
                action.option_strings[-1] if action.option_strings else action.dest
            )


def main(argv: list[str] | None = None) -> int:
    try:
        rc = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return rc
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # SystemExit(2) with one line on a usage error
    if not getattr(args, "run", None):
        parser.print_help()
        return 0 if args.command is None else 2
    from aoizora.cli._native_log import for_command

    try:
        with for_command(args):  # libtpu's own start-up messages go to a log, not the terminal
            return int(args.run(args) or 0)
    except BrokenPipeError:
        raise
    except (UsageError, ValueError) as e:
        print(f"aoizora {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as e:  # a failure while running (compile failed, disk, ...)
        print(f"aoizora {args.command}: failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"aoizora {args.command}: interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # a bug: one line for the user, the traceback on request
        if os.environ.get("AOIZORA_TRACEBACK"):
            raise
        print(
            f"aoizora {args.command}: internal error: {type(e).__name__}: {e} "
            "(AOIZORA_TRACEBACK=1 shows the traceback; please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
