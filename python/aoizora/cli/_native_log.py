"""Keep libtpu's start-up noise off the terminal.

libtpu, absl and XLA write their warnings straight to file descriptor 2 from C++ (for example
"Failed to find host bounds for accelerator type", "TPU_WORKER_HOSTNAMES", "=== Source Location
Trace: ==="), harmless on a host that only compiles ahead of time. Commands that load libtpu run
with descriptor 2 pointed at a log file, while Python's ``sys.stderr`` (progress, warnings, errors)
keeps writing to the terminal. The compile workers' output goes to the same log directory
(``AOIZORA_LOG_DIR``), and errors name the file.

The log directory is ``--out DIR/logs`` for commands with an output directory, else
``logs/`` in the compile cache directory (``--cache-dir`` or ``~/.cache/aoizora``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOG_DIR_ENV = "AOIZORA_LOG_DIR"


def log_dir(args: argparse.Namespace) -> Path:
    out = getattr(args, "out", None)
    if out:
        return Path(out) / "logs"
    cache = getattr(args, "cache_dir", None)
    if cache:
        return Path(cache) / "logs"
    from aoizora.compiler.cache import default_cache_dir

    return default_cache_dir() / "logs"


def _python_stderr_is_fd2() -> bool:
    try:
        return sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # pytest's capture, a closed stream, ...
        return False


@contextlib.contextmanager
def native_stderr_to(path: Path) -> Iterator[Path | None]:
    """Point descriptor 2 at ``path`` (truncated) for the block; Python's ``sys.stderr`` stays on
    the original destination. Yields the path, or None when the log cannot be opened (then
    nothing is redirected)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:
        yield None
        return
    python_on_fd2 = _python_stderr_is_fd2()
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    saved = os.dup(2)
    old_stderr = sys.stderr
    try:
        if python_on_fd2:
            sys.stderr = open(  # noqa: SIM115 - closed in the finally below
                os.dup(saved),
                "w",
                buffering=1,
                encoding=getattr(old_stderr, "encoding", None) or "utf-8",
                errors=getattr(old_stderr, "errors", None) or "backslashreplace",
            )
        os.dup2(log_fd, 2)
        yield path
    finally:
        os.close(log_fd)
        if python_on_fd2:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
                sys.stderr.close()
            sys.stderr = old_stderr
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def for_command(args: argparse.Namespace) -> Iterator[Path | None]:
    """The redirection for commands that load libtpu (``native_log`` set by their parser);
    sets ``AOIZORA_LOG_DIR`` for the compile workers."""
    if not getattr(args, "native_log", False):
        yield None
        return
    directory = log_dir(args)
    previous = os.environ.get(LOG_DIR_ENV)
    os.environ[LOG_DIR_ENV] = str(directory)
    try:
        with native_stderr_to(directory / f"{args.command}.log") as path:
            yield path
    finally:
        if previous is None:
            os.environ.pop(LOG_DIR_ENV, None)
        else:
            os.environ[LOG_DIR_ENV] = previous
