"""Extension singletons, bound to the app in create_app via init_app."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.models.base import Base

# join_transaction_mode only matters when the session is bound to a Connection that is
# already in a transaction (the test harness): then the app's commits release savepoints.
db = SQLAlchemy(model_class=Base, session_options={"join_transaction_mode": "create_savepoint"})
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
