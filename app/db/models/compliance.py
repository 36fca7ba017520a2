"""Compliance: FERPA tracking, the audit trail, retention policies, consents and access controls.

audit_logs is partitioned by month (see app/db/partitions.py); PostgreSQL requires the partition
key in the primary key, so its key is (id, timestamp) rather than id alone.
"""

from sqlalchemy import Index

from app.db.dsl import CK, FK, IX, UQ, C, table  # noqa: F401

ferpa_compliance_log = table(
    "compliance", "ferpa_compliance_log", "FERPA Compliance Tracking: Privacy law compliance",
    C("id", "BIGSERIAL", comment="Unique log ID"),
    C("entity_type", "VARCHAR(50)", nn=True, comment="Table being tracked"),
    C("entity_id", "VARCHAR(255)", nn=True, comment="Record being tracked"),
    C("data_classification", "VARCHAR(20)", nn=True, comment="Public, directory, private"),
    C("compliance_rule", "VARCHAR(100)", nn=True, comment="Which FERPA rule"),
    C("compliance_status", "VARCHAR(20)", nn=True, comment="Compliant, violation"),
    C("violation_details", "JSONB", comment="What went wrong"),
    C("remediation_action", "TEXT", comment="How to fix"),
    C("review_date", "TIMESTAMP", comment="When reviewed"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    C("updated_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("id",),
)

audit_logs = table(
    "compliance", "audit_logs", "Comprehensive Audit Logs: Track all changes",
    C("id", "BIGSERIAL", comment="Unique audit ID"),
    C("user_id", "VARCHAR(255)", nn=True, comment="Who made change"),
    C("application_user", "VARCHAR(255)", comment="Staff member signed in to the app (StaffUniqueId), if any"),
    C("workstation", "VARCHAR(255)", comment="Workstation the change or view came from"),
    C("session_id", "VARCHAR(255)", comment="Session identifier"),
    C("table_name", "VARCHAR(100)", nn=True, comment="Table changed"),
    C("record_id", "TEXT", comment="Record changed"),
    C("operation", "VARCHAR(20)", nn=True, comment="INSERT, UPDATE, DELETE"),
    C("old_values", "JSONB", comment="Values before change"),
    C("new_values", "JSONB", comment="Values after change"),
    C("ip_address", "INET", comment="User's IP"),
    C("user_agent", "TEXT", comment="Browser/app info"),
    C("timestamp", "TIMESTAMP", nn=True, default="CURRENT_TIMESTAMP", comment="When changed"),
    C("legitimate_educational_interest", "BOOLEAN", default="FALSE", comment="FERPA justification"),
    C("justification", "TEXT", comment="Why accessed"),
    C("data_categories", "TEXT[]", comment="Types of data accessed"),
    C("retention_date", "DATE", comment="When to purge log"),
    pk=("id", "timestamp"),
    postgresql_partition_by="RANGE (timestamp)",
)

data_retention_policies = table(
    "compliance", "data_retention_policies", "Data Retention Policies: Automatic data lifecycle",
    C("id", "SERIAL", comment="Unique policy ID"),
    C("data_category", "VARCHAR(100)", nn=True, comment="Type of data"),
    C("table_name", "VARCHAR(100)", nn=True, comment="Table affected"),
    C("retention_period_years", "INTEGER", nn=True, comment="How long to keep"),
    C("retention_criteria", "JSONB", comment="Special conditions"),
    C("legal_basis", "TEXT", nn=True, comment="Why this period"),
    C("disposal_method", "VARCHAR(50)", nn=True, comment="Delete, archive, anonymize"),
    C("review_frequency_months", "INTEGER", default="12", comment="Review schedule"),
    C("last_review_date", "DATE", comment="Last reviewed"),
    C("next_review_date", "DATE", comment="Next review due"),
    C("active", "BOOLEAN", default="TRUE", comment="Policy active?"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    C("updated_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("id",),
)

privacy_consents = table(
    "compliance", "privacy_consents", "Privacy Consent Management: Track permissions",
    C("id", "BIGSERIAL", comment="Unique consent ID"),
    C("student_id", "VARCHAR(255)", nn=True, comment="Student"),
    C("parent_guardian_id", "VARCHAR(255)", comment="Parent if minor"),
    C("consent_type", "VARCHAR(50)", nn=True, comment="Directory, photos, research"),
    C("consent_status", "VARCHAR(20)", nn=True, comment="Granted, denied, withdrawn"),
    C("consent_date", "TIMESTAMP", nn=True, comment="When consented"),
    C("expiration_date", "TIMESTAMP", comment="When expires"),
    C("withdrawal_date", "TIMESTAMP", comment="When withdrawn"),
    C("consent_method", "VARCHAR(50)", comment="Online, paper, verbal"),
    C("ip_address", "INET", comment="IP if online"),
    C("consent_details", "JSONB", comment="Additional details"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    C("updated_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("id",),
)

data_access_controls = table(
    "compliance", "data_access_controls", "Data Access Controls: Who can see what",
    C("id", "SERIAL", comment="Unique control ID"),
    C("role_name", "VARCHAR(100)", nn=True, comment="User role"),
    C("resource_type", "VARCHAR(100)", nn=True, comment="Type of data"),
    C("resource_identifier", "VARCHAR(255)", nn=True, comment="Specific resource"),
    C("permission_type", "VARCHAR(20)", nn=True, comment="Read, write, delete"),
    C("conditions", "JSONB", comment="When allowed"),
    C("educational_interest_required", "BOOLEAN", default="TRUE", comment="FERPA requirement"),
    C("approval_required", "BOOLEAN", default="FALSE", comment="Needs approval?"),
    C("approver_role", "VARCHAR(100)", comment="Who approves"),
    C("active", "BOOLEAN", default="TRUE", comment="Control active?"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    C("updated_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("id",),
)


# Design document section 14: security reviews. The design's idx_audit_recent had the predicate
# `timestamp > CURRENT_TIMESTAMP - INTERVAL '30 days'`, which PostgreSQL refuses (index predicates
# must be immutable); a plain index on timestamp serves "recent activity" queries instead.
Index("idx_audit_recent", audit_logs.c.timestamp)
Index("idx_audit_user_ops", audit_logs.c.user_id, audit_logs.c.operation, audit_logs.c.timestamp)


# Migration 0007: what row-level security reads, and the sign-ins School Office made.
student_scope = table(
    "compliance", "student_scope",
    "Schools each student has been enrolled at; kept from StudentSchoolAssociation by trigger, read by row-level "
    "security",
    C("studentusi", "INTEGER", nn=True),
    C("schoolid", "BIGINT", nn=True),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    pk=("studentusi", "schoolid"),
)
Index("ix_student_scope_school_student", student_scope.c.schoolid, student_scope.c.studentusi)

teacher_scope = table(
    "compliance", "teacher_scope",
    "Students of the sections each staff member teaches; kept by trigger, read by row-level security",
    C("staffusi", "INTEGER", nn=True),
    C("studentusi", "INTEGER", nn=True),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    pk=("staffusi", "studentusi"),
)
Index("ix_teacher_scope_studentusi", teacher_scope.c.studentusi)

# Migration 0073: each login's schools and the days they count on, read by compliance.my_school_ids()
login_school_days = table(
    "compliance", "login_school_days",
    "The schools each staff login serves and the days they count on, kept by compliance.keep_login_school_days "
    "(migration 0073); read by compliance.my_school_ids() only",
    C("login", "TEXT", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("from_day", "DATE"),
    C("to_day", "DATE"),
)
Index("ix_login_school_days_login", login_school_days.c.login)

student_keys = table(
    "compliance", "student_keys",
    "OneRoster sourcedId of each student; lets row-level security tell student rows of the OneRoster tables apart",
    C("sourced_id", "TEXT", nn=True),
    C("studentusi", "INTEGER", nn=True),
    FK(("studentusi",), "edfi.student", ("studentusi",), ondelete="CASCADE"),
    UQ("studentusi"),
    pk=("sourced_id",),
)

# Migration 0078: the Ed-Fi unique ids OneRoster users gave up, written by the import only
person_past_ids = table(
    "compliance", "person_past_ids",
    "Ed-Fi unique ids OneRoster users have given up (their records stay under them): no one else may be given one",
    C("unique_id", "TEXT", nn=True),
    C("user_sourced_id", "VARCHAR(255)", nn=True),
    C("given_up", "TIMESTAMP", nn=True),
    pk=("unique_id",),
)

staff_logins = table(
    "compliance", "staff_logins", "PostgreSQL logins created by School Office for staff members",
    C("login", "TEXT", nn=True),
    C("staff_usi", "INTEGER"),
    C("created_at", "TIMESTAMPTZ", nn=True, default="now()"),
    C("created_by", "TEXT", nn=True, default="SESSION_USER"),
    FK(("staff_usi",), "edfi.staff", ("staffusi",)),
    pk=("login",),
)
