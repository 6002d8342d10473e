"""Flask extensions, created unbound and initialised in the application factory."""
from datetime import datetime

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry

# Stable constraint names so Alembic migrations are reproducible on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Timestamps are aware UTC: timestamptz on PostgreSQL whatever the server's time zone.
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: DateTime(timezone=True)})


db = SQLAlchemy(model_class=Base)


def built_here(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: leave out of `flask db check` what the models build on one
    database only (info={"dialect": ...}, with the matching ddl_if)."""
    only = getattr(obj, "info", {}).get("dialect") or getattr(compare_to, "info", {}).get(
        "dialect")
    return only is None or only == db.engine.dialect.name

migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
