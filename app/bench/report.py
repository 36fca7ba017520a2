"""Benchmark output: human-readable lines, then one JSON object on the last line.

Every bench reports its own figures next to a baseline measured on the same server in the same
run, and `ratio` = measured / baseline with `better` saying which direction is good.
"""

from __future__ import annotations

import json
import statistics


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(samples_s: list[float]) -> dict:
    ms = [x * 1000 for x in samples_s]
    return {"p50_ms": round(percentile(ms, 50), 3), "p95_ms": round(percentile(ms, 95), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "samples": len(ms)}


def emit(result: dict, as_json: bool) -> None:
    if not as_json:
        for k, v in result.items():
            print(f"{k:>22}: {v}")
    print(json.dumps(result, default=str))
