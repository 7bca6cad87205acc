"""Daily metric counters (searches, searches with results, page views, verifications…)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class MetricCounter(Base):
    """One named counter for one day, optionally split by a dimension (a vehicle id, a query)."""

    __tablename__ = "metric_counters"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    dimension: Mapped[str] = mapped_column(
        String(200), primary_key=True, default="", server_default=""
    )
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)
