"""Email senders: Resend through its SDK against a fake Resend on loopback; the console."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app.adapters.email import (
    ConsoleSender,
    EmailError,
    OutgoingEmail,
    ResendSender,
    from_config,
)
from tests.fakes_resend import FakeResend, fake_resend

KEY = "re_test_key"


@pytest.fixture
def resend_api() -> Iterator[FakeResend]:
    with fake_resend() as fake:
        yield fake


def _email(key: str = "7f1c3c9e-0000-4000-8000-000000000001") -> OutgoingEmail:
    return OutgoingEmail(
        to="curator@example.com",
        sender="MotoPartPicker <noreply@example.com>",
        subject="Your digest",
        html="<p>Hello</p>",
        text="Hello",
        idempotency_key=key,
        headers={"List-Unsubscribe": "<https://example.com/u/1>"},
    )


def _sender(fake: FakeResend, timeout: float = 5) -> ResendSender:
    return ResendSender(api_key=KEY, api_url=fake.url, timeout=timeout)


def test_resend_receives_the_email_with_its_idempotency_key_and_headers(
    resend_api: FakeResend,
) -> None:
    result = _sender(resend_api).send(_email())

    assert result.message_id
    (request,) = resend_api.requests
    assert request.idempotency_key == "7f1c3c9e-0000-4000-8000-000000000001"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["to"] == ["curator@example.com"]
    assert request.body["from"] == "MotoPartPicker <noreply@example.com>"
    assert request.body["text"] == "Hello" and request.body["html"] == "<p>Hello</p>"
    assert request.body["headers"] == {"List-Unsubscribe": "<https://example.com/u/1>"}


def test_the_same_key_twice_is_one_email(resend_api: FakeResend) -> None:
    first = _sender(resend_api).send(_email())
    second = _sender(resend_api).send(_email())

    assert first == second
    assert len(resend_api.requests) == 2 and len(resend_api.delivered) == 1


@pytest.mark.parametrize(
    ("code", "error_type", "retryable"),
    [
        (500, "application_error", True),
        (503, "service_unavailable", True),
        (429, "rate_limit_exceeded", True),
        (409, "concurrent_idempotent_requests", True),
        (409, "invalid_idempotent_request", False),
        (422, "validation_error", False),
        (400, "validation_error", False),
        (403, "invalid_api_key", True),
    ],
)
def test_errors_are_retryable_or_permanent(
    resend_api: FakeResend, code: int, error_type: str, retryable: bool
) -> None:
    resend_api.script.append(("status", code, error_type))

    with pytest.raises(EmailError) as caught:
        _sender(resend_api).send(_email())

    assert caught.value.retryable is retryable
    assert str(code) in caught.value.reason
    assert resend_api.delivered == []


def test_a_timeout_is_retryable(resend_api: FakeResend) -> None:
    resend_api.script.append(("slow", 1.5))

    with pytest.raises(EmailError) as caught:
        _sender(resend_api, timeout=0.3).send(_email())

    assert caught.value.retryable
    assert "network error" in caught.value.reason


def test_an_unreachable_api_is_retryable() -> None:
    from tests.fakes import free_port

    sender = ResendSender(api_key=KEY, api_url=f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(EmailError) as caught:
        sender.send(_email())
    assert caught.value.retryable


def test_without_a_key_emails_go_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    sender = from_config({"RESEND_API_KEY": ""})
    assert isinstance(sender, ConsoleSender)

    with caplog.at_level(logging.INFO, logger="app.adapters.email"):
        result = sender.send(_email())

    assert result.message_id.startswith("console-")
    assert "Your digest" in caplog.text and "Hello" in caplog.text


def test_with_a_key_resend_is_used() -> None:
    sender = from_config(
        {"RESEND_API_KEY": KEY, "RESEND_API_URL": "http://127.0.0.1:1", "OUTBOX_SEND_TIMEOUT": 3}
    )
    assert isinstance(sender, ResendSender) and sender.timeout == 3


def test_a_429_carries_resends_retry_after(resend_api: FakeResend) -> None:
    resend_api.script.append(("status", 429, "rate_limit_exceeded", {"Retry-After": "120"}))
    with pytest.raises(EmailError) as caught:
        _sender(resend_api).send(_email())
    assert caught.value.retryable and caught.value.retry_after == 120
