"""Public routes: parse the URL, call app.services.catalog, render. No queries live here."""

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
from app.public import bp
from app.services import catalog

MAX_PARAM_LENGTH = 120
YEAR_PATTERN = re.compile(r"[0-9]{4}")
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "\u20ac", "GBP": "\u00a3"}


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


def _canonical(endpoint: str, **values: Any) -> str:
    """Absolute URL on the configured public host, whatever Host header the request carried."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


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
    return render_template("public/home.html", makes=makes, canonical=_canonical("public.home"))


@bp.get("/pick")
def pick() -> ResponseReturnValue:
    """The picker form's target: redirect to the most specific page the parameters name.

    Every target is built with url_for from slugs read back from the database, so no
    parameter can steer the redirect off this site.
    """
    session = _session()
    make_text, model_text, year_text = (
        request.args.get(name, "", type=str).strip()[:MAX_PARAM_LENGTH]
        for name in ("make", "model", "year")
    )
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
    return render_template(
        "public/make.html",
        make=found,
        models=catalog.models_of_make(session, found.slug),
        canonical=_canonical("public.make", make_slug=found.slug),
    )


@bp.get("/bikes/<make_slug>/<model_slug>")
def model(make_slug: str, model_slug: str) -> ResponseReturnValue:
    """A model's years, as links to the bike pages."""
    session = _session()
    found = catalog.find_model(session, make_slug, model_slug)
    if found is None:
        _unknown_model(session, make_slug, model_slug)
    return render_template(
        "public/model.html",
        model=found,
        years=catalog.model_years(session, found.id),
        canonical=_canonical("public.model", make_slug=found.make.slug, model_slug=found.slug),
    )


@bp.get("/bikes/<make_slug>/<model_slug>/<int:year>")
def bike(make_slug: str, model_slug: str, year: int) -> ResponseReturnValue:
    """The verified parts of one model-year, by category."""
    session = _session()
    page = catalog.bike_page(session, make_slug, model_slug, year)
    if page is None:
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
    return render_template(
        "public/bike.html",
        page=page,
        canonical=_canonical(
            "public.bike", make_slug=page.model.make.slug, model_slug=page.model.slug, year=year
        ),
    )


@bp.get("/parts/<brand_slug>/<mpn_slug>")
def part(brand_slug: str, mpn_slug: str) -> ResponseReturnValue:
    """A part: what it is, the bikes it is verified to fit, and retailer prices."""
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
    return render_template(
        "public/part.html",
        page=page,
        canonical=_canonical(
            "public.part", brand_slug=page.part.brand_slug, mpn_slug=page.part.mpn_slug
        ),
    )


# ---------------------------------------------------------------- template filters


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
