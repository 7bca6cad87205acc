"""Retailer feeds: offers matched to parts by brand + MPN (then GTIN), never guessed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Offer, Part
from app.services import imports
from tests.public import conftest as public_fixtures
from tests.services import imports_support
from tests.services.imports_support import Importer, count, csv_text

# Shared fixtures (module attributes, so pytest finds them here).
importer = imports_support.importer
storage = imports_support.storage
build = public_fixtures.build


HEADER = (
    "SKU,Product Name,Brand Name,Manufacturer Id,UPC,Retail Price,Sale Price,Buy Link,"
    "Image URL,In Stock"
)


@pytest.fixture
def shop(build: Any) -> Any:
    ebc = build.brand("EBC Brakes")
    pads = build.part(ebc, "FA-390HH", "Sintered pads")
    filter_ = build.part(build.brand("HiFlo"), "HF204", "Oil filter", gtin="012345678905")
    from app.models import Retailer

    revzilla = Retailer(
        name="RevZilla",
        slug="revzilla",
        homepage="https://www.revzilla.com",
        allowed_hosts=["www.revzilla.com"],
    )
    build.session.add(revzilla)
    build.session.flush()
    return {"pads": pads, "filter": filter_, "retailer": revzilla}


FEED = csv_text(
    HEADER,
    "RZ-1,EBC pads,EBC Brakes,fa 390hh,,$54.99,$49.99,https://www.revzilla.com/p/1,https://img.example/1.jpg,Yes",
    "RZ-2,Oil filter,Hi-Flo Filtro,HF-999,012345678905,12.50,,https://www.revzilla.com/p/2,,0",
    "RZ-3,Unknown thing,Nobody,ZZ-1,,10,,https://www.revzilla.com/p/3,,yes",
    "RZ-4,Pads again,EBC Brakes,FA390HH,,1,,https://evil.example/p/4,,yes",
    "RZ-1,Duplicate,EBC Brakes,FA390HH,,1,,https://www.revzilla.com/p/9,,yes",
)


def test_feed_creates_offers_and_reports_what_it_cannot_match(
    importer: Importer, db_session: Session, shop: Any
) -> None:
    batch = importer.commit(FEED, source="RevZilla")

    assert batch.format == "retailer_feed"
    offers = {o.sku: o for o in db_session.scalars(select(Offer))}
    assert set(offers) == {"RZ-1", "RZ-2"}
    assert (offers["RZ-1"].part_id, offers["RZ-1"].price, offers["RZ-1"].in_stock) == (
        shop["pads"].id,
        Decimal("49.99"),
        True,
    )
    assert offers["RZ-2"].part_id == shop["filter"].id  # matched by GTIN
    issues = {(i["line"], i["severity"]): i["reason"] for i in batch.report["result"]["issues"]}
    assert "no part in the catalog matches brand 'Nobody' and MPN ZZ1" in issues[(4, "error")]
    assert "host evil.example is not one of RevZilla's allowed hosts" in issues[(5, "error")]
    assert "SKU RZ-1 appears again (first on line 2)" in issues[(6, "warning")]
    assert batch.counts["unmatched"] == 1
    db_session.refresh(shop["pads"])
    assert shop["pads"].image_url == "https://img.example/1.jpg"  # a part without one gets it


def test_feed_reimport_and_undo(importer: Importer, db_session: Session, shop: Any) -> None:
    first = importer.commit(FEED, source="RevZilla")
    same = importer.commit(FEED, source="RevZilla", filename="again.csv")
    assert same.counts["changes"] == 0  # identical file: not even the "as of" time moves

    cheaper = importer.commit(
        csv_text(
            HEADER,
            "RZ-1,EBC pads,EBC Brakes,FA390HH,,$54.99,$44.00,https://www.revzilla.com/p/1,,Yes",
        ),
        source="RevZilla",
        filename="cheaper.csv",
    )
    assert cheaper.counts["updated"] == 1
    offer = db_session.scalars(select(Offer).where(Offer.sku == "RZ-1")).one()
    assert offer.price == Decimal("44.00")

    importer.undo(cheaper)
    db_session.refresh(offer)
    assert offer.price == Decimal("49.99")
    importer.undo(first)
    assert count(db_session, Offer) == 0
    assert count(db_session, Part) == 2  # feeds never create or remove parts


def test_feed_for_an_unknown_retailer_is_refused(importer: Importer) -> None:
    with pytest.raises(imports.ImportProblem, match="No retailer called 'Nobody Shop'"):
        importer.preview(FEED, source="Nobody Shop")
