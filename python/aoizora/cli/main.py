"""Entry point of the ``aoizora`` command.

Exit codes (docs/conventions): 0 success, 1 failure while running, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import aoizora


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.run(args) or 0)
    except (UsageError, ValueError) as e:
        print(f"aoizora {args.command}: error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:  # a failure while running (compile failed, does not fit, ...)
        print(f"aoizora {args.command}: failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
