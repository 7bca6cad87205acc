"""Fake retailer APIs on loopback (RevZilla, Rocky Mountain ATV/MC) that can go down."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes_http import Reply, json_reply, serve


@dataclass
class FakeRetailer:
    """A retailer API: `products` by SKU; `mode` = ok | error (500) | slow (timeouts)."""

    url: str = ""
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    mode: str = "ok"
    delay: float = 2.0
    calls: int = 0
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> Reply:
        with self._lock:
            self.calls += 1
            self.headers_seen.append(headers)
            mode = self.mode
        if mode == "error":
            return 500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"
        if mode == "slow":
            time.sleep(self.delay)
        if path == "/v1/products":  # RevZilla
            skus = ",".join(query.get("sku", [])).split(",")
            return json_reply(
                200, {"products": [self.products[s] for s in skus if s in self.products]}
            )
        if path == "/api/v1/items":  # Rocky Mountain ATV/MC
            skus = ",".join(query.get("item_numbers", [])).split(",")
            return json_reply(
                200, {"items": [self.products[s] for s in skus if s in self.products]}
            )
        return json_reply(404, {"error": "not found"})


@contextmanager
def fake_retailer() -> Iterator[FakeRetailer]:
    fake = FakeRetailer()
    with serve(fake.handle) as url:
        fake.url = url
        yield fake
