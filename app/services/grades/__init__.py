"""Grades, report cards and transcripts (issue 14): grade entry, posting windows, end of term,
report card and transcript data, issued documents and the FERPA release log."""
