"""The nurse office (issue 11): visits, the medication administration record, controlled-substance
counts, self-carry authorizations, emergency action plans, screenings and referrals, immunization
records. No Qt here; one service function per action, one transaction per action."""
