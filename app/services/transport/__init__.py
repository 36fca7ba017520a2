"""Bus assignments (issue 13): routes, runs and stops; riders; lists and printouts."""
