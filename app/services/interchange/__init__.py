"""OneRoster 1.2 CSV and Ed-Fi 5.2 interchange: import (validate everything first, then load in
one transaction) and export. Runs as the schema owner (school-office-admin): the import writes
tables no staff role may write, suspends the per-row audit triggers for its transaction and
records itself in the FERPA audit trail as one entry."""
