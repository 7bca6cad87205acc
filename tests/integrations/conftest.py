"""Helpers for the integration tests: Sentry pointed at the local ingest, then switched off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.fakes_sentry import FakeSentry, fake_sentry


@pytest.fixture
def sentry(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSentry]:
    """Sentry initialised for `app` (as create_app does) against a local ingest server."""
    with fake_sentry() as ingest:
        monkeypatch.setitem(app.config, "SENTRY_DSN", ingest.dsn)
        from app import telemetry

        telemetry.init_app(app)
        try:
            yield ingest
        finally:
            stop_sentry()


def stop_sentry() -> None:
    """Flush and close the process-wide Sentry client so later tests report nothing."""
    import sentry_sdk

    client: Any = sentry_sdk.get_client()
    client.flush(timeout=5)
    client.close()
    sentry_sdk.get_global_scope().set_client(None)
