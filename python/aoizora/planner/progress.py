"""Progress for long planning work: one live display on a terminal (a row per stage with counts,
elapsed time and an estimate of the time left), a few plain lines otherwise, nothing when off.

Plain lines (stderr not a terminal: a pipe, a log file, CI) say when a stage starts, then at most
one line every ``PLAIN_INTERVAL_S`` seconds with the count, elapsed time and time left, and one
line when it ends: a 78-candidate stage is three or four lines, not 78.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

PLAIN_INTERVAL_S = 15.0


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _TimeLeft(inner):  # noqa: N802 - a rich column class built on first use (rich is lazy)
    """rich's time-left column, blank for stages whose items differ too much to extrapolate."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class TimeLeft(ProgressColumn):
        def render(self, task):
            return inner.render(task) if task.fields.get("eta", True) else Text("-:--:--")

    return TimeLeft()


class _Stage:
    """Counts of one stage across every time it is entered (compiles come in batches)."""

    def __init__(self, name: str, eta: bool = True) -> None:
        self.name = name
        self.show_eta = eta
        self.total = 0
        self.done = 0
        self.busy_seconds = 0.0  # time inside the stage, all entries together
        self.entered_at = 0.0
        self.last_line = 0.0

    def eta(self, now: float) -> float | None:
        elapsed = self.busy_seconds + (now - self.entered_at)
        if not self.total or not self.done or self.done >= self.total:
            return None
        return elapsed / self.done * (self.total - self.done)


class Progress:
    """Stages with counts: ``with p.stage("lower+Q1", total=78) as tick: tick("cfg=2,...")``.

    ``plain`` forces plain lines (True) or the live display (False); None decides by whether
    stderr is a terminal."""

    def __init__(self, enabled: bool = True, plain: bool | None = None) -> None:
        self.enabled = enabled
        self.stage_seconds: dict[str, float] = {}
        self._stages: dict[str, _Stage] = {}
        self._tasks: dict[str, int] = {}
        self._rich = None
        live = enabled and (not plain if plain is not None else sys.stderr.isatty())
        if live:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("[bold]{task.fields[stage]:<10}"),
                BarColumn(bar_width=30),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                _TimeLeft(TimeRemainingColumn()),
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

    def _print(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def log(self, message: str) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.console.print(message, markup=False, highlight=False)
        else:
            self._print(message)

    def _plain_line(self, st: _Stage, now: float, note: str = "") -> str:
        elapsed = st.busy_seconds + (now - st.entered_at)
        of = f"/{st.total}" if st.total else ""
        text = f"{st.name}: {st.done}{of} in {_duration(elapsed)}"
        eta = st.eta(now) if st.show_eta else None
        if eta is not None:
            text += f", about {_duration(eta)} left"
        return text + (f" (last: {note})" if note else "")

    @contextmanager
    def stage(self, name: str, total: int | None = None, eta: bool = True):
        """``eta=False``: no time-left estimate (items of very different cost, e.g. baselines
        whose first one waits for every baseline compile)."""
        start = time.perf_counter()
        st = self._stages.setdefault(name, _Stage(name, eta))
        st.total += total or 0
        st.entered_at = start
        if self._rich is not None:
            if name not in self._tasks:
                self._tasks[name] = self._rich.add_task(
                    "", total=st.total or None, stage=name, eta=eta
                )
            else:  # entered again (another batch of compiles): the same row grows
                task = next(t for t in self._rich.tasks if t.id == self._tasks[name])
                task.finished_time = None
                self._rich.update(self._tasks[name], total=st.total or None)
        elif self.enabled:
            self._print(f"{name}: {st.total - st.done} to go" if total else f"{name} ...")
            st.last_line = start

        def tick(note: str = "", advance: int = 1) -> None:
            st.done += advance
            if self._rich is not None:
                self._rich.update(self._tasks[name], advance=advance, description=note)
                return
            now = time.perf_counter()
            if self.enabled and total and now - st.last_line >= PLAIN_INTERVAL_S:
                st.last_line = now
                self._print(self._plain_line(st, now, note))

        try:
            yield tick
        finally:
            now = time.perf_counter()
            if self._rich is None and self.enabled:
                if total:
                    self._print(self._plain_line(st, now) + " - done" * (st.done >= st.total))
                else:
                    self._print(f"{name}: done in {_duration(now - start)}")
            st.busy_seconds += now - start
            self.stage_seconds[name] = self.stage_seconds.get(name, 0.0) + (now - start)
