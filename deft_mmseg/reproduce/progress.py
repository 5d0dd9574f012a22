"""Progress of a running training or test, read from the tool's log lines, a line at a time.

mmengine's ``LoggerHook`` prints ``Iter(train) [  50/48000]  ... eta: ...`` every ``interval``
iterations (``Iter(test) [n/N]`` per test domain); the reporter turns them into one short line per
``interval_s`` seconds: the row, the stage, iterations done, the rate and the time left.
"""
import re
import time
from typing import Callable, Optional

ITER_LINE = re.compile(r'Iter\((train|val|test)\)\s*\[\s*(\d+)/(\d+)\]')


def format_duration(seconds: float) -> str:
    """``1:02:03`` (``2 days, 1:02:03`` past a day), as mmengine prints its eta."""
    seconds = int(round(max(0.0, seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    text = f'{hours}:{rest // 60:02d}:{rest % 60:02d}'
    return f'{days} day{"s" if days > 1 else ""}, {text}' if days else text


class StageProgress:
    """Feed it the output lines of one stage; it prints a progress line at most every
    ``interval_s`` seconds (and the first one at once).

    Args:
        prefix: what the lines start with (``[deft/table1] row 2/3 deft: train``).
        printer: called with each line (``print`` by default).
        interval_s: seconds between two lines.
        clock: the time source (tests pass a fake one).
    """

    def __init__(self,
                 prefix: str,
                 printer: Callable[[str], None] = print,
                 interval_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic):
        self.prefix = prefix
        self.printer = printer
        self.interval_s = interval_s
        self.clock = clock
        self.start = clock()
        self.last_print: Optional[float] = None
        self.first: Optional[tuple] = None  # (time, iteration) of the first iteration line
        self.done = 0
        self.total = 0
        self.domain = 0  # test: the domain being tested (the count restarts per domain)
        self.printed_lines = 0

    def rate(self) -> Optional[float]:
        """Iterations per second since the first iteration line (start-up excluded)."""
        if self.first is None:
            return None
        t0, i0 = self.first
        elapsed = self.clock() - t0
        return (self.done - i0) / elapsed if elapsed > 0 and self.done > i0 else None

    def eta(self) -> Optional[float]:
        rate = self.rate()
        return (self.total - self.done) / rate if rate else None

    def feed(self, line: str) -> None:
        match = ITER_LINE.search(line)
        if not match:
            return
        mode, done, total = match.group(1), int(match.group(2)), int(match.group(3))
        if mode == 'val':
            return  # validation during training: the training's count is what matters
        if mode == 'test' and (done < self.done or self.domain == 0):
            self.domain += 1
            self.first = None
        self.done, self.total = done, total
        if self.first is None:
            self.first = (self.clock(), done)
        now = self.clock()
        if self.last_print is None or now - self.last_print >= self.interval_s:
            self.last_print = now
            self.printer(self.line())
            self.printed_lines += 1

    def line(self) -> str:
        where = f' domain {self.domain}' if self.domain else ''
        text = f'{self.prefix}{where} {self.done}/{self.total} it'
        if self.total:
            text += f' ({100.0 * self.done / self.total:.1f}%)'
        rate = self.rate()
        if rate:
            text += f', {rate:.2f} it/s, {format_duration(self.eta())} left'
        return text

    def elapsed(self) -> float:
        return self.clock() - self.start
