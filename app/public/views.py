"""Public pages: parse the URL, call a service, render. No queries live here.

Caching, degraded mode and counters wrap these views (app.public.caching); SEO files
(robots.txt, sitemaps) and the affiliate redirect live in app.public.seo and app.public.go.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from app.extensions import db
from app.public import bp, caching, counters, seo
from app.services import bikes, catalog, search
from app.services.clicks import is_bot
from app.services.queue import BIKE_VIEW_COUNTER

MAX_PARAM_LENGTH = 120
YEAR_PATTERN = re.compile(r"[0-9]{4}")
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "\u20ac", "GBP": "\u00a3"}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_SEARCH_PAGE = 50
SEARCH_CACHE_CONTROL = "public, max-age=60"


@dataclass(frozen=True, slots=True)
class Link:
    """A suggestion on a 404 page."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class HelpSection:
    """A titled list of links the 404 page shows (errors/404.html reads g.not_found_help)."""

    heading: str
    links: tuple[Link, ...]


def _session() -> Session:
    return db.session()


def _arg(name: str) -> str:
    """A query parameter as plain text: control characters dropped, length capped."""
    return CONTROL.sub("", request.args.get(name, "", type=str)).strip()[:MAX_PARAM_LENGTH]


def canonical(endpoint: str, **values: Any) -> str:
    """Absolute URL on the configured public host, whatever Host header the request carried."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.url_value_preprocessor
def _clean_path_values(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Path segments reach the services as plain text: no NULs or controls, bounded length."""
    for name, value in (values or {}).items():
        if isinstance(value, str):
            values[name] = CONTROL.sub("", value)[:200]  # type: ignore[index]


def _not_found(description: str, *sections: HelpSection) -> NoReturn:
    """404 with a plain-words reason and suggestions (empty sections are dropped)."""
    g.not_found_help = tuple(section for section in sections if section.links)
    abort(404, description=description)


def _make_links(makes: list[catalog.MakeRef]) -> tuple[Link, ...]:
    return tuple(Link(m.name, url_for("public.make", make_slug=m.slug)) for m in makes)


def _model_links(models: list[catalog.ModelRef]) -> tuple[Link, ...]:
    return tuple(
        Link(m.label, url_for("public.model", make_slug=m.make.slug, model_slug=m.slug))
        for m in models
    )


def _unknown_make(session: Session, make_slug: str) -> NoReturn:
    _not_found(
        f"We don't know a motorcycle make called '{make_slug}'.",
        HelpSection("Did you mean", _make_links(catalog.similar_makes(session, make_slug))),
        HelpSection("All makes", _make_links(catalog.makes_with_models(session))),
    )


def _unknown_model(session: Session, make_slug: str, model_slug: str) -> NoReturn:
    make = catalog.find_make(session, make_slug)
    if make is None:
        _unknown_make(session, make_slug)
    _not_found(
        f"We don't know a {make.name} model called '{model_slug}'.",
        HelpSection(
            "Did you mean",
            _model_links(catalog.similar_models(session, make.slug, model_slug)),
        ),
        HelpSection(
            f"Every {make.name} model",
            (Link(f"All {make.name} models", url_for("public.make", make_slug=make.slug)),),
        ),
    )


# ---------------------------------------------------------------- pages


@bp.get("/")
def home() -> ResponseReturnValue:
    """The bike picker and every make as a link."""
    makes = catalog.makes_with_models(_session())
    return render_template(
        "public/home.html",
        makes=makes,
        canonical=canonical("public.home"),
        json_ld=[seo.website_ld()],
    )


@bp.get("/pick")
def pick() -> ResponseReturnValue:
    """The picker form's target: redirect to the most specific page the parameters name.

    Every target is built with url_for from slugs read back from the database, so no
    parameter can steer the redirect off this site.
    """
    session = _session()
    make_text, model_text, year_text = (_arg(name) for name in ("make", "model", "year"))
    if not make_text:
        return redirect(url_for("public.home"))
    picked_make = catalog.resolve_make(session, make_text)
    if picked_make is None:
        _unknown_make(session, make_text)
    picked_model = (
        catalog.resolve_model(session, picked_make.slug, model_text) if model_text else None
    )
    if picked_model is None:
        return redirect(url_for("public.make", make_slug=picked_make.slug))
    slugs: dict[str, Any] = {"make_slug": picked_make.slug, "model_slug": picked_model.slug}
    year = int(year_text) if YEAR_PATTERN.fullmatch(year_text) else None
    if year is not None and year in catalog.model_years(session, picked_model.id):
        return redirect(url_for("public.bike", **slugs, year=year))
    return redirect(url_for("public.model", **slugs))


@bp.get("/bikes/")
def makes() -> ResponseReturnValue:
    """The make list lives on the home page."""
    return redirect(url_for("public.home", _anchor="makes"), code=301)


@bp.get("/bikes/<make_slug>")
def make(make_slug: str) -> ResponseReturnValue:
    """A make's models, each with the years we know."""
    session = _session()
    found = catalog.find_make(session, make_slug)
    if found is None:
        _unknown_make(session, make_slug)
    trail: list[tuple[str, str | None]] = [(found.name, None)]
    return render_template(
        "public/make.html",
        make=found,
        models=catalog.models_of_make(session, found.slug),
        canonical=canonical("public.make", make_slug=found.slug),
        trail=trail,
        json_ld=[seo.breadcrumbs_ld(trail, canonical("public.make", make_slug=found.slug))],
    )


@bp.get("/bikes/<make_slug>/<model_slug>")
def model(make_slug: str, model_slug: str) -> ResponseReturnValue:
    """A model's years, as links to the bike pages."""
    session = _session()
    found = catalog.find_model(session, make_slug, model_slug)
    if found is None:
        _unknown_model(session, make_slug, model_slug)
    url = canonical("public.model", make_slug=found.make.slug, model_slug=found.slug)
    trail = [
        (found.make.name, url_for("public.make", make_slug=found.make.slug)),
        (found.name, None),
    ]
    return render_template(
        "public/model.html",
        model=found,
        years=catalog.model_years(session, found.id),
        canonical=url,
        trail=trail,
        json_ld=[seo.breadcrumbs_ld(trail, url)],
    )


def _unknown_bike(session: Session, make_slug: str, model_slug: str, year: int) -> NoReturn:
    found = catalog.find_model(session, make_slug, model_slug)
    if found is None:
        _unknown_model(session, make_slug, model_slug)
    years = catalog.model_years(session, found.id)
    _not_found(
        f"We have no {year} {found.label} on record.",
        HelpSection(
            f"Years we know for the {found.label}",
            tuple(
                Link(
                    f"{y} {found.label}",
                    url_for(
                        "public.bike", make_slug=found.make.slug, model_slug=found.slug, year=y
                    ),
                )
                for y in years
            ),
        ),
        HelpSection(
            "Other models",
            (
                Link(
                    f"All {found.make.name} models",
                    url_for("public.make", make_slug=found.make.slug),
                ),
            ),
        ),
    )


@bp.get("/bikes/<make_slug>/<model_slug>/<int:year>")
def bike(make_slug: str, model_slug: str, year: int) -> ResponseReturnValue:
    """The verified parts of one model-year: by category, filterable, sortable, paged."""
    session = _session()
    filters = bikes.BikeFilters.parse(request.args)
    page = bikes.bike_page(session, make_slug, model_slug, year, filters)
    if page is None:
        _unknown_bike(session, make_slug, model_slug, year)
    if not _worth_saving(page, filters):
        caching.dont_save()
    # Riders' favourite bikes go first in the curators' verification queue.
    caching.count_as_viewing(*((BIKE_VIEW_COUNTER, str(v.id)) for v in page.vehicles))
    model_ = page.model
    slugs = {"make_slug": model_.make.slug, "model_slug": model_.slug, "year": year}
    paged = {"page": page.page} if page.page > 1 else {}
    url = canonical("public.bike", **slugs, **paged)
    trail = [
        (model_.make.name, url_for("public.make", make_slug=model_.make.slug)),
        (model_.name, url_for("public.model", make_slug=model_.make.slug, model_slug=model_.slug)),
        (str(year), None),
    ]

    def bike_url(**changes: Any) -> str:
        """This bike page with other filters, sort or page (defaults left out of the URL)."""
        values: dict[str, Any] = {**slugs, **page.filters.args(**changes)}
        return url_for("public.bike", **values)

    return render_template(
        "public/bike.html",
        page=page,
        slugs=slugs,
        bike_url=bike_url,
        sorts=bikes.SORTS,
        canonical=url,
        noindex=page.filters.is_narrowed,
        trail=trail,
        json_ld=[seo.breadcrumbs_ld(trail, url)],
    )


def _worth_saving(page: bikes.BikePage, asked: bikes.BikeFilters) -> bool:
    """Save only views a link on the page can lead to: real facet values, existing pages.

    Anything else (made-up brands, page 9999) still renders, but must not be able to fill
    the page cache with variants nobody links to.
    """
    categories = {slug for fit in page.fits for slug in fit.category_slugs} | {
        facet.value for facet in page.categories
    }
    return (
        asked.page == page.page
        and (not asked.brand or asked.brand in {facet.value for facet in page.brands})
        and (not asked.category or asked.category in categories)
        and (not asked.position or asked.position in {facet.value for facet in page.positions})
    )


@bp.get("/parts/<brand_slug>/<mpn_slug>")
def part(brand_slug: str, mpn_slug: str) -> ResponseReturnValue:
    """A part: what it is, the bikes it is verified to fit, evidence and retailer prices."""
    session = _session()
    page = catalog.part_page(session, brand_slug, mpn_slug)
    if page is None:
        _not_found(
            f"We have no part '{mpn_slug}' from a brand called '{brand_slug}'.",
            HelpSection(
                "Parts with that number",
                tuple(
                    Link(
                        f"{p.brand_name} {p.mpn}: {p.title}",
                        url_for("public.part", brand_slug=p.brand_slug, mpn_slug=p.mpn_slug),
                    )
                    for p in catalog.parts_with_mpn(session, mpn_slug)
                ),
            ),
        )
    g.offer_ids = [offer.id for offer in page.offers]  # impressions, counted after the response
    now = dt.datetime.now(dt.UTC)
    max_age = dt.timedelta(hours=float(current_app.config.get("OFFER_STALE_HOURS", 48)))
    url = canonical("public.part", brand_slug=page.part.brand_slug, mpn_slug=page.part.mpn_slug)
    trail: list[tuple[str, str | None]] = [(f"{page.part.brand_name} {page.part.mpn}", None)]
    return render_template(
        "public/part.html",
        page=page,
        offers=[(offer, offer.is_stale(now, max_age)) for offer in page.offers],
        now=now,
        stale_hours=int(max_age.total_seconds() // 3600),
        canonical=url,
        trail=trail,
        og_type="product",
        og_image=page.image_url,
        json_ld=[seo.product_ld(page, url), seo.breadcrumbs_ld(trail, url)],
    )


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    """Search results, or the search form and tips when there is no query; every search is
    counted (searches, searches with results, and the words that found nothing)."""
    text = _arg("q")
    page_text = _arg("page")
    page_number = int(page_text) if page_text.isdecimal() and len(page_text) <= 3 else 1
    page_number = min(max(page_number, 1), MAX_SEARCH_PAGE)
    session = _session()
    result = search.search(session, text, page=page_number)
    if result.query and result.page == 1 and not is_bot(request.user_agent.string):
        counters.count("search")
        if result.hit_count:
            counters.count("search_hit")
        else:
            counters.count("search_miss", result.query.lower())
    return render_template(
        "public/search.html",
        result=result,
        search_query=result.query,
        makes=catalog.makes_with_models(session) if result.query and not result.hit_count else [],
        canonical=canonical("public.search_page", q=result.query) if result.query else None,
        noindex=True,
    ), {"Cache-Control": SEARCH_CACHE_CONTROL}


# ---------------------------------------------------------------- template helpers


@bp.app_template_filter("money")
def money(price: Decimal | None, currency: str = "USD") -> str:
    """ "$54.99", "€12.00", "54.99 SEK"; "" when there is no price."""
    if price is None:
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{price:,.2f}" if symbol else f"{price:,.2f} {currency}"


@bp.app_template_filter("day")
def day(moment: dt.datetime | dt.date) -> str:
    """ "25 Nov 2026": unambiguous on both sides of the Atlantic."""
    return f"{moment.day} {moment:%b %Y}"


@bp.app_template_filter("moment")
def moment(value: dt.datetime) -> str:
    """ "25 Nov 2026, 09:30 UTC"."""
    value = value.astimezone(dt.UTC)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


@bp.app_template_filter("age")
def age(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "3 hours", "2 days": how old a price is, in the largest whole unit."""
    seconds = max(0, int(((now or dt.datetime.now(dt.UTC)) - value).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "less than a minute"
