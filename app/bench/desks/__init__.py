"""Desk benches: each module defines BENCHES = {name: app.bench.registry.Bench(...)}."""
