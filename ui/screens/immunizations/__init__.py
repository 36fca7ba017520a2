"""Immunization compliance on the nurse desk (issue 12): ImmunizationsTab is the tab the nurse page
adds; StudentImmunizationStatus shows one student's status, forecast and what to tell the family."""
