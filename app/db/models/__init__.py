"""All tables of the School Office database. Importing this package fills `app.db.base.metadata`."""

from app.db.models import (  # noqa: F401
    cafeteria,
    compliance,
    edfi_descriptors,
    edfi_org,
    edfi_people,
    edfi_records,
    edfi_teaching,
    grades,
    health,
    immunization_compliance,
    journal,
    library,
    oneroster,
    operations,
    transport,
    sync,
    two_hour_learning,
)
from app.db.base import metadata

__all__ = ["metadata"]
