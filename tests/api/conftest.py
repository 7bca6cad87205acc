"""API tests share the public site's catalog builders and per-test state reset."""

from __future__ import annotations

from tests.public.conftest import (  # noqa: F401  # fixtures, re-exported for tests/api
    build,
    count_queries,
    fresh_public_state,
    garage,
)
