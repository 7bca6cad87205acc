"""Where an import's time goes: seconds per phase, logged and kept on the batch report."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class PhaseClock:
    """Accumulates wall-clock seconds per named phase, in the order phases first ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - started
            self.seconds[name] = round(self.seconds.get(name, 0.0) + took, 3)
            log.info("import phase %s took %.2f s", name, took)
