"""All mapped classes, imported here so metadata is complete for Alembic and the app."""

from app.models.aliases import BrandAlias, MakeAlias, ModelAlias, NotSameJudgement
from app.models.audit import AuditLog
from app.models.base import Base
from app.models.brands import Brand
from app.models.categories import Category
from app.models.duplicates import DuplicateCandidate
from app.models.email import EmailOutbox
from app.models.fitments import Fitment, FitmentEvidence
from app.models.imports import ImportBatch
from app.models.metrics import MetricCounter
from app.models.parts import Part
from app.models.retailers import Offer, OfferClick, OfferImpression, Retailer
from app.models.users import Role, User, roles_users
from app.models.vehicles import BikeModel, Make, Vehicle

__all__ = [
    "AuditLog",
    "Base",
    "BikeModel",
    "Brand",
    "BrandAlias",
    "Category",
    "DuplicateCandidate",
    "EmailOutbox",
    "Fitment",
    "FitmentEvidence",
    "ImportBatch",
    "Make",
    "MakeAlias",
    "MetricCounter",
    "ModelAlias",
    "NotSameJudgement",
    "Offer",
    "OfferClick",
    "OfferImpression",
    "Part",
    "Retailer",
    "Role",
    "User",
    "Vehicle",
    "roles_users",
]
