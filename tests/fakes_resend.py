"""A fake Resend API on loopback (RESEND_API_URL points at it): records every request,
honours Idempotency-Key like Resend does, and can fail, stall or hang on demand."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes_http import Reply, json_reply, serve


@dataclass
class ResendRequest:
    """One request as the fake received it."""

    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class FakeResend:
    """State of the fake: requests received, emails accepted, scripted failures."""

    url: str = ""
    requests: list[ResendRequest] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    # Scripted behaviour for the next requests, consumed in order: ("status", code, type),
    # ("slow", seconds) = accept, then answer late; ("hang",) = accept, answer when released.
    script: list[tuple[Any, ...]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    received: threading.Event = field(default_factory=threading.Event)
    _by_key: dict[str, Reply] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(
        self, method: str, path: str, query: Any, headers: dict[str, str], body: bytes
    ) -> Reply | None:
        if method != "POST" or path != "/emails":
            return json_reply(404, {"statusCode": 404, "name": "not_found", "message": path})
        payload = json.loads(body or b"{}")
        with self._lock:
            self.requests.append(ResendRequest(headers=headers, body=payload))
            self.received.set()
            step = self.script.pop(0) if self.script else ("ok",)
            key = headers.get("idempotency-key")
            if step[0] == "status":  # ("status", code, error_type[, headers])
                code, error_type = step[1], step[2]
                return json_reply(
                    code,
                    {"statusCode": code, "name": error_type, "message": f"scripted {code}"},
                    step[3] if len(step) > 3 else None,
                )
            if headers.get("authorization") != "Bearer re_test_key":
                return json_reply(
                    401, {"statusCode": 401, "name": "missing_api_key", "message": "no key"}
                )
            if key and key in self._by_key:  # Resend replays the first answer: no second email
                return self._by_key[key]
            reply = json_reply(200, {"id": str(uuid.uuid4())})
            self.delivered.append({**payload, "idempotency_key": key})
            if key:
                self._by_key[key] = reply
        if step[0] == "slow":
            time.sleep(step[1])
        elif step[0] == "hang":
            self.released.wait(30)
        return reply


@contextmanager
def fake_resend() -> Iterator[FakeResend]:
    fake = FakeResend()
    with serve(fake.handle) as url:
        fake.url = url
        yield fake
        fake.released.set()
