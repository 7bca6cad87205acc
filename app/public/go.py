"""/go/<offer>: the affiliate click-through. Logged, then redirected to an allow-listed host.

Never an open redirect: the target is the offer's stored URL, and only when its host is one
of its retailer's `allowed_hosts` (app.services.clicks.allowed_url). Nothing from the
request can change the destination. Refusals render a page that explains and links back.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from app import readonly
from app.extensions import db
from app.public import bp
from app.services import clicks
from app.services.listings import MAX_ID

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def _referring_page() -> str:
    """The path of the page the click came from, when it is one of ours (for the metric)."""
    referrer = request.referrer or ""
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return ""
    return parts.path[: clicks.PAGE_MAX] if parts.netloc == request.host else ""


@bp.get("/go/<int:offer_id>")
def go(offer_id: int) -> ResponseReturnValue:
    """Record the click (not for bots, not while read-only) and redirect to the retailer."""
    session = db.session()
    target = clicks.click_target(session, offer_id) if 0 < offer_id <= MAX_ID else None
    if target is None or not target.is_active:
        abort(404, description="That retailer link no longer exists. Prices may have changed.")
    part_url = url_for("public.part", brand_slug=target.brand_slug, mpn_slug=target.mpn_slug)
    if target.url is None:
        log.warning("refused click-through for offer %s: host not allowed", offer_id)
        body = render_template(
            "public/go_refused.html", retailer=target.retailer_name, part_url=part_url
        )
        return body, 400, NO_STORE
    if not clicks.is_bot(request.user_agent.string) and not readonly.is_read_only():
        try:
            clicks.record_click(session, target.offer_id, page=_referring_page() or part_url)
            session.commit()
        except SQLAlchemyError as error:  # the rider still gets to the shop
            session.rollback()
            if readonly.is_unreachable_error(error):
                readonly.mark_database_unreachable()
            log.warning("click not recorded for offer %s: %s", offer_id, type(error).__name__)
    response = redirect(target.url, code=302)
    response.headers.update(NO_STORE)
    return response
