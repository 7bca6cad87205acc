"""Account emails: digest unsubscribe and preferences pages, and Flask-Security's emails
(password reset, change notices) routed through the outbox instead of an SMTP server."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    after_this_request,
    current_app,
    has_request_context,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_security import MailUtil, auth_required, current_user
from werkzeug.wrappers import Response

from app.extensions import csrf, db, limiter
from app.models.users import User
from app.services import digests

bp = Blueprint("account_emails", __name__, url_prefix="/account/emails")

CHOICES = (("daily", "Daily"), ("weekly", "Weekly (Mondays)"), ("off", "Never"))


class OutboxMailUtil(MailUtil):
    """Flask-Security's mail hook: every auth email becomes an outbox row (+ a send job).

    Flask-Security sends during the request without committing (a reset request writes
    nothing else), so the row is committed once the response is ready, as Flask-Security
    does for its own writes. Outside a request the caller commits.
    """

    def send_mail(  # noqa: PLR0917 - Flask-Security's MailUtil signature
        self,
        template: str,
        subject: str,
        recipient: str | tuple[str, str],
        sender: str | tuple[str, str],
        body: str | None,
        html: str | None,
        **kwargs: Any,
    ) -> None:
        from app.tasks.outbox import queue_email

        address = recipient if isinstance(recipient, str) else recipient[1]
        queue_email(
            db.session(),
            kind=template.rsplit("/", 1)[-1],  # "security/email/reset_instructions"
            to=str(address),
            subject=str(subject),
            html=html or "",
            text=body or "",
        )
        if has_request_context():
            after_this_request(_commit_if_ok)


def _commit_if_ok(response: Response) -> Response:
    if response.status_code < 400:
        db.session.commit()
    return response


def _user_for(token: str) -> User:
    user_id = digests.read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        abort(404, description="This unsubscribe link is not valid.")
    return user


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> ResponseReturnValue:
    """Ask before unsubscribing: mail scanners open links, and a GET must change nothing."""
    user = _user_for(token)
    return render_template(
        "account/emails_unsubscribe.html",
        token=token,
        email=user.email,
        frequency=user.digest_frequency,
        done=user.digest_frequency == "off",
    )


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str) -> ResponseReturnValue:
    """One-click unsubscribe (RFC 8058): mail clients POST here without a session or CSRF
    token; the signed token in the URL is the proof."""
    user = _user_for(token)
    digests.set_frequency(db.session(), user, "off")
    db.session.commit()
    return render_template(
        "account/emails_unsubscribe.html", token=token, email=user.email, done=True
    )


@bp.route("/preferences", methods=["GET", "POST"])
@auth_required("session")
def preferences() -> ResponseReturnValue:
    """The logged-in user's digest frequency."""
    user = current_user
    saved = False
    if request.method == "POST":
        choice = request.form.get("digest_frequency", "")
        if choice not in dict(CHOICES):
            abort(400, description="Choose daily, weekly or never.")
        digests.set_frequency(db.session(), user, choice)
        db.session.commit()
        saved = True
    return render_template(
        "account/emails_preferences.html",
        email=user.email,
        current=user.digest_frequency,
        choices=CHOICES,
        saved=saved,
    )


def init_app(app: Flask) -> None:
    """Register the pages and throttle password-reset requests like logins."""
    app.register_blueprint(bp)
    forgot = app.view_functions.get("security.forgot_password")
    if forgot is not None:
        app.view_functions["security.forgot_password"] = limiter.limit(  # type: ignore[assignment]
            lambda: current_app.config["LOGIN_RATE_LIMIT"],
            methods=["POST"],
            error_message="Too many reset requests. Wait a minute and try again.",
        )(forgot)
