"""The Transportation desk (issue 13)."""
