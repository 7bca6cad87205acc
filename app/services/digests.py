"""The curator digest (daily or weekly): what changed since the last one, as HTML + text.

Queue sizes, imports since the last digest with their counts, new duplicate candidates,
open conflicts and the three product metrics with their change. Each curator chooses
daily / weekly / off; every digest carries a signed one-click unsubscribe link (and the
List-Unsubscribe headers mail clients show as a button). Nothing to say → no email.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models.duplicates import DuplicateCandidate
from app.models.email import EmailOutbox
from app.models.fitments import Fitment
from app.models.imports import ImportBatch
from app.models.metrics import MetricCounter
from app.models.retailers import OfferClick, OfferImpression
from app.models.users import Role, User
from app.services import outbox
from app.services.metrics import SEARCH_HITS as SEARCHES_WITH_RESULTS
from app.services.metrics import SEARCHES  # the public site writes these counters

PERIODS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
# A digest is due when the last one is older than this share of its period (jobs run a
# little early or late; a retried job must not send the same digest twice).
DUE_AFTER = 0.8
RECIPIENT_ROLES = ("curator", "admin")
UNSUBSCRIBE_SALT = "digest-unsubscribe"
# Search counters (app.services.metrics.count names) behind the search success rate.

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates" / "email"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class MetricChange:
    """A rate now and over the previous period of the same length (None: no data)."""

    label: str
    current: float | None
    previous: float | None

    @property
    def change_points(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round((self.current - self.previous) * 100, 1)

    def shown(self) -> str:
        return "–" if self.current is None else f"{self.current * 100:.1f} %"

    def change_shown(self) -> str:
        points = self.change_points
        if points is None:
            return "new" if self.current is not None else "no data"
        return "no change" if points == 0 else f"{points:+.1f} pts"


@dataclass(frozen=True)
class ImportLine:
    """One import batch since the last digest."""

    id: int
    source: str
    filename: str
    status: str
    counts: dict[str, Any]


@dataclass(frozen=True)
class DigestContent:
    """Everything one digest says, before rendering."""

    frequency: str
    since: dt.datetime
    until: dt.datetime
    queue: dict[str, int]
    imports: list[ImportLine]
    new_duplicates: dict[str, int]
    open_conflicts: int
    new_conflicts: int
    decided: int
    metrics: list[MetricChange] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        """Something happened since the last digest (else the email is skipped)."""
        return bool(
            self.imports or sum(self.new_duplicates.values()) or self.new_conflicts or self.decided
        )


@dataclass(frozen=True)
class RenderedEmail:
    """Subject, bodies and headers ready for the outbox."""

    subject: str
    html: str
    text: str
    headers: dict[str, str]


def build_digest(
    session: Session, *, frequency: str, since: dt.datetime, until: dt.datetime
) -> DigestContent:
    """Collect the digest's figures for the window [since, until)."""
    by_status = dict(
        session.execute(
            select(Fitment.status, func.count())
            .where(Fitment.status.in_(("unverified", "needs_review")))
            .group_by(Fitment.status)
        ).all()
    )
    open_dups = session.scalar(
        select(func.count())
        .select_from(DuplicateCandidate)
        .where(DuplicateCandidate.status == "open")
    )
    imports = [
        ImportLine(b.id, b.source, b.filename, b.status, dict(b.counts or {}))
        for b in session.scalars(
            select(ImportBatch)
            .where(ImportBatch.created_at >= since, ImportBatch.created_at < until)
            .order_by(ImportBatch.id)
            .limit(20)
        )
    ]
    new_dups = dict(
        session.execute(
            select(DuplicateCandidate.entity, func.count())
            .where(
                DuplicateCandidate.status == "open",
                DuplicateCandidate.created_at >= since,
                DuplicateCandidate.created_at < until,
            )
            .group_by(DuplicateCandidate.entity)
        ).all()
    )
    new_conflicts = session.scalar(
        select(func.count())
        .select_from(Fitment)
        .where(
            Fitment.status == "needs_review",
            Fitment.updated_at >= since,
            Fitment.updated_at < until,
        )
    )
    decided = session.scalar(
        select(func.count())
        .select_from(Fitment)
        .where(
            Fitment.status.in_(("verified", "rejected")),
            Fitment.updated_at >= since,
            Fitment.updated_at < until,
        )
    )
    return DigestContent(
        frequency=frequency,
        since=since,
        until=until,
        queue={
            "unverified": int(by_status.get("unverified", 0)),
            "needs_review": int(by_status.get("needs_review", 0)),
            "duplicates": int(open_dups or 0),
        },
        imports=imports,
        new_duplicates={str(k): int(v) for k, v in new_dups.items()},
        open_conflicts=int(by_status.get("needs_review", 0)),
        new_conflicts=int(new_conflicts or 0),
        decided=int(decided or 0),
        metrics=product_metrics(session, since=since, until=until),
    )


def product_metrics(
    session: Session, *, since: dt.datetime, until: dt.datetime
) -> list[MetricChange]:
    """Click-through, verification and search success rates, now vs the period before."""
    before = since - (until - since)
    return [
        MetricChange(
            "Affiliate click-through rate",
            _click_through(session, since, until),
            _click_through(session, before, since),
        ),
        MetricChange(
            "Fitment verification rate",
            _verification_rate(session, until),
            _verification_rate(session, since),
        ),
        MetricChange(
            "Search success rate",
            _search_success(session, since, until),
            _search_success(session, before, since),
        ),
    ]


def _ratio(part: int | None, whole: int | None) -> float | None:
    return (part or 0) / whole if whole else None


def _click_through(session: Session, start: dt.datetime, end: dt.datetime) -> float | None:
    clicks = session.scalar(
        select(func.count())
        .select_from(OfferClick)
        .where(OfferClick.created_at >= start, OfferClick.created_at < end)
    )
    shown = session.scalar(
        select(func.coalesce(func.sum(OfferImpression.count), 0)).where(
            OfferImpression.day >= start.date(), OfferImpression.day < end.date()
        )
    )
    return _ratio(clicks, shown)


def _verification_rate(session: Session, at: dt.datetime) -> float | None:
    """Share of the fitments that existed at `at` which were verified by then."""
    total, verified = session.execute(
        select(
            func.count(),
            func.count().filter(Fitment.verified_at < at),
        ).where(Fitment.created_at < at, Fitment.status != "rejected")
    ).one()
    return _ratio(verified, total)


def _search_success(session: Session, start: dt.datetime, end: dt.datetime) -> float | None:
    totals = dict(
        session.execute(
            select(MetricCounter.name, func.sum(MetricCounter.value))
            .where(
                MetricCounter.name.in_((SEARCHES, SEARCHES_WITH_RESULTS)),
                MetricCounter.day >= start.date(),
                MetricCounter.day < end.date(),
            )
            .group_by(MetricCounter.name)
        ).all()
    )
    return _ratio(totals.get(SEARCHES_WITH_RESULTS), totals.get(SEARCHES))


def render_digest(
    content: DigestContent, *, unsubscribe_url: str, preferences_url: str, admin_url: str
) -> RenderedEmail:
    """HTML (inline CSS, table layout: what mail clients render) and plain text."""
    todo = content.queue["unverified"] + content.queue["needs_review"]
    title = "Daily" if content.frequency == "daily" else "Weekly"
    subject = (
        f"MotoPartPicker {title.lower()} digest: {todo} to review, "
        f"{content.open_conflicts} conflicts, {len(content.imports)} imports"
    )
    context = {
        "c": content,
        "title": title,
        "todo": todo,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "admin_url": admin_url.rstrip("/") + "/",
    }
    return RenderedEmail(
        subject=subject,
        html=_TEMPLATES.get_template("digest.html").render(**context),
        text=_TEMPLATES.get_template("digest.txt").render(**context),
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def unsubscribe_token(secret_key: str, user_id: int) -> str:
    """A signed, non-expiring token naming the user (one-click links must keep working)."""
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps({"u": user_id})


def read_unsubscribe_token(secret_key: str, token: str) -> int | None:
    """The user id in a token, or None when it was not signed by us."""
    try:
        data = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None


def set_frequency(session: Session, user: User, frequency: str) -> None:
    """Change a user's digest preference (daily / weekly / off)."""
    if frequency not in (*PERIODS, "off"):
        raise ValueError(f"unknown digest frequency {frequency!r}")
    user.digest_frequency = frequency
    session.flush()


def due_recipients(session: Session, *, frequency: str, now: dt.datetime) -> list[User]:
    """Active curators/admins on this frequency whose last digest is old enough."""
    cutoff = now - PERIODS[frequency] * DUE_AFTER
    return list(
        session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.digest_frequency == frequency,
                User.roles.any(Role.name.in_(RECIPIENT_ROLES)),
                or_(User.digest_last_sent_at.is_(None), User.digest_last_sent_at < cutoff),
            )
            .order_by(User.id)
        )
    )


def queue_digests(
    session: Session,
    *,
    frequency: str,
    now: dt.datetime,
    link_for_user: Callable[[int], str],
    preferences_url: str,
    admin_url: str,
) -> dict[str, int]:
    """Put each due recipient's digest in the outbox (flushed; the job commits).

    The user's `digest_last_sent_at` moves in the same transaction as the outbox row, so a
    job that runs twice (a retry after a crash) finds nobody due the second time. A user
    with nothing to report keeps their old "since": the next digest covers the gap.
    """
    summary = {"queued": 0, "skipped": 0}
    for user in due_recipients(session, frequency=frequency, now=now):
        since = user.digest_last_sent_at or now - PERIODS[frequency]
        content = build_digest(session, frequency=frequency, since=since, until=now)
        if not content.has_news:
            summary["skipped"] += 1
            continue
        email = render_digest(
            content,
            unsubscribe_url=link_for_user(user.id),
            preferences_url=preferences_url,
            admin_url=admin_url,
        )
        outbox.enqueue(
            session,
            kind=f"digest_{frequency}",
            to=user.email,
            subject=email.subject,
            html=email.html,
            text=email.text,
            headers=email.headers,
        )
        user.digest_last_sent_at = now
        summary["queued"] += 1
    session.flush()
    return summary


def last_digest(session: Session, email: str) -> EmailOutbox | None:
    """The most recent digest queued for an address (tests, admin)."""
    return session.scalar(
        select(EmailOutbox)
        .where(EmailOutbox.to_address == email, EmailOutbox.kind.like("digest_%"))
        .order_by(EmailOutbox.id.desc())
        .limit(1)
    )
