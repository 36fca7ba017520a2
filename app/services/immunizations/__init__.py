"""Immunization compliance services (issue 12): records -> CDSi evaluation -> school requirements ->
stored statuses, reports, letters. The engine itself is app/domain/cdsi (no database, no Qt)."""
