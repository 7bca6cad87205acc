"""The search vocabulary: words of part titles that typo correction chooses from."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SearchTerm(Base):
    """One lower-case word seen in a part title ("sintered").

    Written only by the `parts` triggers of migration 0008 (set-based, per statement), never
    by the app; app/services/search.py reads it through its trigram index.
    """

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(60), primary_key=True)

    __table_args__ = (
        Index(
            "ix_search_terms_term_trgm",
            "term",
            postgresql_using="gin",
            postgresql_ops={"term": "gin_trgm_ops"},
        ),
    )
