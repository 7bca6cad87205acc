"""All mapped classes, imported here so metadata is complete for Alembic and the app."""

from app.models.aliases import BrandAlias, MakeAlias, ModelAlias, NotSameJudgement, PartAlias
from app.models.audit import AuditLog
from app.models.base import Base
from app.models.brands import Brand
from app.models.categories import Category
from app.models.duplicates import DuplicateCandidate
from app.models.email import EmailOutbox
from app.models.fitments import Fitment, FitmentEvidence
from app.models.imports import ImportBatch, ImportChange, ImportSourceMapping
from app.models.merges import Merge
from app.models.metrics import MetricCounter
from app.models.parts import Part
from app.models.retailers import Offer, OfferClick, OfferImpression, ProviderState, Retailer
from app.models.search import SearchTerm
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
    "ImportChange",
    "ImportSourceMapping",
    "Make",
    "MakeAlias",
    "Merge",
    "MetricCounter",
    "ModelAlias",
    "NotSameJudgement",
    "Offer",
    "OfferClick",
    "OfferImpression",
    "Part",
    "PartAlias",
    "ProviderState",
    "Retailer",
    "Role",
    "SearchTerm",
    "User",
    "Vehicle",
    "roles_users",
]
