"""Email delivery: Resend through its SDK, or the console (the embedded default).

Only this module imports `resend`. A sender turns one outgoing email into one API call and
classifies failures as retryable (network, timeouts, 429, 5xx) or permanent (validation),
so the outbox knows whether to back off and try again or to give up with the reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

# Resend answers these for a request that can never succeed as sent: retrying is pointless.
PERMANENT_STATUS = frozenset({400, 404, 405, 413, 422})
# A 409 about a request still running under the same key is worth retrying; any other 409
# (the same key reused with a different body) is not.
RETRYABLE_409_TYPES = frozenset({"concurrent_idempotent_requests"})


@dataclass(frozen=True)
class OutgoingEmail:
    """One message as the provider needs it; `idempotency_key` makes a retry a no-op."""

    to: str
    sender: str
    subject: str
    html: str
    text: str
    idempotency_key: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    """What the provider said: its message id."""

    message_id: str


class EmailError(Exception):
    """A failed send; `retryable` tells the outbox to back off or to give up."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class Sender(Protocol):
    """What the outbox needs from an email provider."""

    name: str

    def send(self, email: OutgoingEmail) -> SendResult: ...


class ConsoleSender:
    """The embedded default: the email is logged (and stays in the outbox table)."""

    name = "console"

    def send(self, email: OutgoingEmail) -> SendResult:
        log.info(
            "email (console, not sent) to=%s subject=%r\n%s",
            email.to,
            email.subject,
            email.text,
        )
        return SendResult(message_id=f"console-{email.idempotency_key}")


class ResendSender:
    """Resend's HTTP API through the `resend` SDK (which honours RESEND_API_URL)."""

    name = "resend"
    # The SDK keeps its key, URL and HTTP client in module globals.
    _lock = threading.Lock()

    def __init__(self, *, api_key: str, api_url: str, timeout: float) -> None:
        self.api_key = api_key
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def send(self, email: OutgoingEmail) -> SendResult:
        import resend

        params: dict[str, Any] = {
            "from": email.sender,
            "to": [email.to],
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
        }
        if email.headers:
            params["headers"] = dict(email.headers)
        with self._lock:
            resend.api_key = self.api_key
            resend.api_url = self.api_url
            resend.default_http_client = resend.RequestsClient(timeout=self.timeout)  # type: ignore[arg-type]
            try:
                response = resend.Emails.send(
                    params,  # type: ignore[arg-type]
                    options={"idempotency_key": email.idempotency_key},
                )
            except resend.exceptions.ResendError as exc:
                raise classify(exc) from exc
            except (ValueError, TypeError) as exc:  # the SDK's own checks on the params
                raise EmailError(f"invalid email: {exc}", retryable=False) from exc
        message_id = str(response.get("id") or "")
        if not message_id:
            raise EmailError("Resend answered without a message id", retryable=True)
        return SendResult(message_id=message_id)


def classify(exc: Any) -> EmailError:
    """Turn a Resend SDK error into retryable (network, 429, 5xx) or permanent (4xx)."""
    error_type = str(getattr(exc, "error_type", "") or "")
    message = str(getattr(exc, "message", "") or exc)
    try:
        status = int(getattr(exc, "code", 0) or 0)
    except ValueError:
        status = 0
    reason = f"{status or 'error'} {error_type}: {message}".strip()[:1000]
    if error_type == "HttpClientError":  # the SDK's wrapper for connection errors/timeouts
        return EmailError(f"network error: {message}"[:1000], retryable=True)
    if status == 429:
        return EmailError(reason, retryable=True, retry_after=_retry_after(exc))
    if status == 409:
        return EmailError(reason, retryable=error_type in RETRYABLE_409_TYPES)
    if status in PERMANENT_STATUS:
        return EmailError(reason, retryable=False)
    # 5xx, 401/403 (a key being rotated), anything unexpected: back off and try again.
    return EmailError(reason, retryable=True)


def _retry_after(exc: Any) -> float | None:
    headers = {str(k).lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
    try:
        return float(headers["retry-after"])
    except (KeyError, ValueError):
        return None


def from_config(config: Mapping[str, Any]) -> Sender:
    """Resend when RESEND_API_KEY is set, otherwise the console (embedded default)."""
    api_key = str(config.get("RESEND_API_KEY") or "")
    if not api_key:
        return ConsoleSender()
    return ResendSender(
        api_key=api_key,
        api_url=str(config.get("RESEND_API_URL") or "https://api.resend.com"),
        timeout=float(config.get("OUTBOX_SEND_TIMEOUT", 10)),
    )
