"""The one MetaData every table belongs to, with a naming convention so that constraint names
are stable across machines (Alembic compares them)."""

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# The schemas named by the design document, plus `sync` for the DynamoDB outbox.
SCHEMAS = (
    "edfi",
    "oneroster",
    "two_hour_learning",
    "health",
    "transportation",
    "specialed",
    "cafeteria",
    "library",
    "activities",
    "compliance",
    "sync",
)
