"""Indexes for look-ups by student and by teacher

The Ed-Fi keys lead with dates, codes or course codes, so "this student's marks today", "this
student's sections", "this student's contacts" and "this teacher's sections" scanned whole
tables on a 100,000-student district (a 35-student roster save took 226 ms).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_studentsectionattendanceevent_student_date", "studentsectionattendanceevent", ["studentusi", "eventdate"]),
    ("ix_studentsectionassociation_studentusi", "studentsectionassociation", ["studentusi"]),
    ("ix_staffsectionassociation_staffusi", "staffsectionassociation", ["staffusi"]),
    ("ix_studentcontactassociation_studentusi", "studentcontactassociation", ["studentusi"]),
    ("ix_staff_loginid", "staff", ["loginid"]),
)


def upgrade() -> None:
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols, unique=False, schema="edfi")


def downgrade() -> None:
    for name, table, _cols in INDEXES:
        op.drop_index(name, table_name=table, schema="edfi")
