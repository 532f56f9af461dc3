"""Progress of long steps: a bar on a terminal, periodic lines in a log otherwise."""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger(__name__)


class Progress:
    """Report contigs and Mbp done and the rate.

    On a terminal it draws a tqdm bar; when stderr is a file (a Snakemake rule's log) it
    writes one line every ``interval`` seconds, so logs stay readable.
    """

    def __init__(self, label: str, interval: float = 30.0, enabled: bool | None = None):
        self.label = label
        self.interval = interval
        self.contigs = 0
        self.bases = 0
        self._start = time.monotonic()
        self._last = self._start
        tty = sys.stderr.isatty() if enabled is None else enabled
        self._bar = None
        if tty:
            from tqdm import tqdm

            self._bar = tqdm(desc=label, unit="bp", unit_scale=True, file=sys.stderr)

    def update(self, contigs: int, bases: int) -> None:
        self.contigs += contigs
        self.bases += bases
        if self._bar is not None:
            self._bar.update(bases)
            self._bar.set_postfix(contigs=self.contigs, refresh=False)
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            log.info("%s: %s", self.label, self.summary())

    def summary(self) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        mbp = self.bases / 1e6
        return (
            f"{self.contigs:,} contigs, {mbp:,.1f} Mbp in {elapsed:,.1f} s "
            f"({mbp / elapsed:,.1f} Mbp/s)"
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        log.info("%s done: %s", self.label, self.summary())
