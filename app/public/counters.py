"""Buffered counters for the public site: searches, search hits, offer impressions.

Counting each page view with its own upsert would make every search and part page a write
(and hot rows a lock queue under load). Increments collect in this process and are flushed in
one transaction at most every METRICS_FLUSH_SECONDS (0 = after every request, as in tests),
and when the process exits. While the app is read-only or the database is down they wait in
memory (bounded: past MAX_PENDING keys new ones are dropped, and a log line says so).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from app import readonly
from app.extensions import db
from app.services import clicks, metrics

log = logging.getLogger(__name__)

EXTENSION_KEY = "motopartpicker.counters"
MAX_PENDING = 50_000

MetricKey = tuple[dt.date, str, str]
ImpressionKey = tuple[int, dt.date]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class CounterBuffer:
    """Thread-safe pending increments for one process."""

    def __init__(self) -> None:
        self.metrics: defaultdict[MetricKey, int] = defaultdict(int)
        self.impressions: defaultdict[ImpressionKey, int] = defaultdict(int)
        self.last_flush = time.monotonic()
        self.dropped = 0
        self._lock = threading.Lock()

    def _room(self) -> bool:
        if len(self.metrics) + len(self.impressions) < MAX_PENDING:
            return True
        self.dropped += 1
        return False

    def add_metric(self, name: str, dimension: str = "", by: int = 1) -> None:
        key = (_today(), name, dimension)
        with self._lock:
            if key in self.metrics or self._room():
                self.metrics[key] += by

    def add_impressions(self, offer_ids: Iterable[int]) -> None:
        day = _today()
        with self._lock:
            for offer_id in offer_ids:
                key = (int(offer_id), day)
                if key in self.impressions or self._room():
                    self.impressions[key] += 1

    def is_due(self, interval: float) -> bool:
        return bool(self.metrics or self.impressions) and (
            time.monotonic() - self.last_flush >= interval
        )

    def take(self) -> tuple[dict[MetricKey, int], dict[ImpressionKey, int]]:
        with self._lock:
            taken = dict(self.metrics), dict(self.impressions)
            self.metrics.clear()
            self.impressions.clear()
            self.last_flush = time.monotonic()
            return taken

    def give_back(self, pending: dict[MetricKey, int], shown: dict[ImpressionKey, int]) -> None:
        with self._lock:
            for key, by in pending.items():
                self.metrics[key] += by
            for impression, count in shown.items():
                self.impressions[impression] += count


def buffer(app: Flask | None = None) -> CounterBuffer:
    """This app's buffer."""
    return (app or current_app).extensions[EXTENSION_KEY]


def count(name: str, dimension: str = "", by: int = 1) -> None:
    """Count a metric (flushed later into metric_counters)."""
    buffer().add_metric(name, dimension, by)


def count_impressions(offer_ids: Iterable[int]) -> None:
    """Count one showing of each offer (flushed later into offer_impressions)."""
    buffer().add_impressions(offer_ids)


def flush(force: bool = False) -> bool:
    """Write pending increments in one transaction when due; True when something was written.

    Owns its commit: it runs after the response was built, so nothing else of the request
    is pending in the session. On failure the increments go back into the buffer.
    """
    pending = buffer()
    interval = float(current_app.config.get("METRICS_FLUSH_SECONDS", 10))
    if not pending.is_due(0 if force else interval) or readonly.is_read_only():
        return False
    taken_metrics, taken_impressions = pending.take()
    session = db.session()
    try:
        metrics.count_many(
            session, [(day, name, dim, by) for (day, name, dim), by in taken_metrics.items()]
        )
        clicks.record_impressions(session, taken_impressions)
        session.commit()
    except SQLAlchemyError as error:
        session.rollback()
        pending.give_back(taken_metrics, taken_impressions)
        if readonly.is_unreachable_error(error):
            readonly.mark_database_unreachable()
        log.warning("could not flush counters: %s", type(error).__name__)
        return False
    return True


def init_app(app: Flask) -> None:
    """Create the buffer; outside tests, flush what is left when the process exits."""
    app.extensions[EXTENSION_KEY] = CounterBuffer()
    if not app.testing:

        def _flush_at_exit() -> None:
            try:
                with app.app_context():
                    flush(force=True)
            except Exception:  # best effort while the interpreter shuts down
                log.warning("counters lost at exit", exc_info=True)

        atexit.register(_flush_at_exit)
