"""Progress for long planning work: a rich display on a terminal, nothing (or log lines) else."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager


class Progress:
    """Stages with counts: ``with p.stage("lowering", total=78) as tick: tick("cfg=2,...")``."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.stage_seconds: dict[str, float] = {}
        self._rich = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self._rich = RichProgress(
                TextColumn("[bold]{task.fields[stage]:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
            )

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()

    def log(self, message: str) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.console.print(message)
        else:
            print(message, file=sys.stderr, flush=True)

    @contextmanager
    def stage(self, name: str, total: int | None = None):
        start = time.perf_counter()
        task = None
        if self._rich is not None:
            task = self._rich.add_task("", total=total, stage=name)
        done = [0]

        def tick(note: str = "", advance: int = 1) -> None:
            done[0] += advance
            if task is not None:
                self._rich.update(task, advance=advance, description=note)
            elif self.enabled and note:
                of = f"/{total}" if total else ""
                print(f"[{name} {done[0]}{of}] {note}", file=sys.stderr, flush=True)

        try:
            yield tick
        finally:
            self.stage_seconds[name] = self.stage_seconds.get(name, 0.0) + (
                time.perf_counter() - start
            )
