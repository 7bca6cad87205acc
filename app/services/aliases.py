"""Resolving names through keys and learned aliases: what imports call to find a make, model,
brand or part, and what merges and confirmed mappings call to teach them a new spelling.

Self-contained on purpose (only models and `names`), so the import pipeline can reuse it:
a name resolves first by its own normalized key, then through the alias tables.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    BikeModel,
    Brand,
    BrandAlias,
    Make,
    MakeAlias,
    ModelAlias,
    Part,
    PartAlias,
)
from app.services.names import clean_display, mpn_key, name_key

ALIAS_MAX = 140


def resolve_make(session: Session, name: str) -> Make | None:
    """The make a spelling names: by key ("harley davidson" → Harley-Davidson), then alias."""
    key = name_key(name)
    if not key:
        return None
    make = session.scalar(select(Make).where(Make.name_key == key))
    if make is not None:
        return make
    return session.scalar(select(Make).join(MakeAlias).where(MakeAlias.alias_key == key))


def resolve_model(session: Session, make_id: int, name: str) -> BikeModel | None:
    """The model of `make_id` a spelling names ("CBR 600 RR" → CBR600RR), then its aliases."""
    key = name_key(name)
    if not key:
        return None
    model = session.scalar(
        select(BikeModel).where(BikeModel.make_id == make_id, BikeModel.name_key == key)
    )
    if model is not None:
        return model
    return session.scalar(
        select(BikeModel)
        .join(ModelAlias, ModelAlias.model_id == BikeModel.id)
        .where(ModelAlias.make_id == make_id, ModelAlias.alias_key == key)
    )


def resolve_brand(session: Session, name: str) -> Brand | None:
    """The brand a spelling names ("E.B.C." → EBC), then its aliases."""
    key = name_key(name)
    if not key:
        return None
    brand = session.scalar(select(Brand).where(Brand.name_key == key))
    if brand is not None:
        return brand
    return session.scalar(select(Brand).join(BrandAlias).where(BrandAlias.alias_key == key))


def resolve_part(session: Session, brand_id: int, mpn: str) -> Part | None:
    """The part `brand_id` sells as `mpn` ("cm 4401" → CM-4401), then merged-away MPNs."""
    key = mpn_key(mpn)
    if not key:
        return None
    part = session.scalar(select(Part).where(Part.brand_id == brand_id, Part.mpn_key == key))
    if part is not None:
        return part
    return session.scalar(
        select(Part)
        .join(PartAlias, PartAlias.part_id == Part.id)
        .where(PartAlias.brand_id == brand_id, PartAlias.mpn_key == key)
    )


def learn_make_alias(
    session: Session, make_id: int, alias: str, *, source: str = "curator"
) -> MakeAlias | None:
    """Remember that `alias` names the make; None when the key already resolves somewhere.

    A key that already names another make (or another make's alias) is left alone: the
    curator must merge or judge those, not silently re-route an existing spelling.
    """
    key = name_key(alias)
    if not key or resolve_make(session, alias) is not None:
        return None
    row = MakeAlias(
        make_id=make_id, alias=clean_display(alias)[:ALIAS_MAX], alias_key=key, source=source
    )
    session.add(row)
    session.flush()
    return row


def learn_model_alias(
    session: Session, model_id: int, alias: str, *, source: str = "curator"
) -> ModelAlias | None:
    """Remember that `alias` names the model within its make; None when already resolvable."""
    model = session.get(BikeModel, model_id)
    key = name_key(alias)
    if model is None or not key or resolve_model(session, model.make_id, alias) is not None:
        return None
    row = ModelAlias(
        model_id=model.id,
        make_id=model.make_id,
        alias=clean_display(alias)[:180],
        alias_key=key,
        source=source,
    )
    session.add(row)
    session.flush()
    return row


def learn_brand_alias(
    session: Session, brand_id: int, alias: str, *, source: str = "curator"
) -> BrandAlias | None:
    """Remember that `alias` names the brand; None when already resolvable."""
    key = name_key(alias)
    if not key or resolve_brand(session, alias) is not None:
        return None
    row = BrandAlias(
        brand_id=brand_id, alias=clean_display(alias)[:ALIAS_MAX], alias_key=key, source=source
    )
    session.add(row)
    session.flush()
    return row


def learn_part_alias(
    session: Session, part_id: int, brand_id: int, mpn: str, *, source: str = "curator"
) -> PartAlias | None:
    """Remember that `brand_id` + `mpn` names the part; None when already resolvable."""
    key = mpn_key(mpn)
    if not key or resolve_part(session, brand_id, mpn) is not None:
        return None
    row = PartAlias(
        part_id=part_id, brand_id=brand_id, mpn=clean_display(mpn)[:80], mpn_key=key, source=source
    )
    session.add(row)
    session.flush()
    return row
