"""A local Sentry ingest: accepts envelopes (gzip/brotli) and keeps their items to inspect."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes_http import Reply, json_reply, serve


@dataclass
class FakeSentry:
    """Envelopes received; `events` are the error events, `transactions` the traces."""

    dsn: str = ""
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(
        self, method: str, path: str, query: Any, headers: dict[str, str], body: bytes
    ) -> Reply:
        encoding = headers.get("content-encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        with self._lock:
            self.envelopes.append(
                {"path": path, "headers": headers, "raw": body, "items": parse_envelope(body)}
            )
        return json_reply(200, {"id": "0" * 32})

    def items(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                payload
                for envelope in self.envelopes
                for header, payload in envelope["items"]
                if header.get("type") == kind
            ]

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.items("event")

    @property
    def transactions(self) -> list[dict[str, Any]]:
        return self.items("transaction")

    def raw(self) -> bytes:
        with self._lock:
            return b"\n".join(envelope["raw"] for envelope in self.envelopes)


def parse_envelope(body: bytes) -> list[tuple[dict[str, Any], Any]]:
    """Sentry's envelope format: a header line, then (item header, payload) pairs."""
    items: list[tuple[dict[str, Any], Any]] = []
    _, _, rest = body.partition(b"\n")
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        length = header.get("length")
        if length is not None:
            payload, rest = rest[:length], rest[length + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        try:
            items.append((header, json.loads(payload)))
        except ValueError:
            items.append((header, payload))
    return items


@contextmanager
def fake_sentry() -> Iterator[FakeSentry]:
    fake = FakeSentry()
    with serve(fake.handle) as url:
        fake.dsn = url.replace("http://", "http://publickey@") + "/1"
        yield fake
