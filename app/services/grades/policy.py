"""A school's grading scales and GPA policy, read from the grades schema (district defaults when a
school has none of its own)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, text

from app.domain.grading import (STANDARD_LETTER_SCALE, STANDARDS_SCALE, WORK_HABITS_SCALE, Band, GpaPolicy,
                                GradingScale)


def load_scale(conn: Connection, scale_id: int) -> GradingScale:
    head = conn.execute(text("SELECT name, kind, max_points FROM grades.grading_scale WHERE scale_id = :s"),
                        {"s": scale_id}).one()
    bands = tuple(Band(r.symbol, r.min_score, r.max_score, r.points, r.passing, r.description or "")
                  for r in conn.execute(text(
                      "SELECT symbol, min_score, max_score, points, passing, description FROM grades.grading_scale_band "
                      "WHERE scale_id = :s ORDER BY sort_order"), {"s": scale_id}))
    return GradingScale(head.name, head.kind, bands, Decimal(head.max_points))


def school_policy(conn: Connection, school_id: int) -> GpaPolicy:
    row = conn.execute(text("SELECT scale_id, weighting, min_points_for_bonus, ranks FROM grades.gpa_policy "
                            "WHERE schoolid = :s"), {"s": school_id}).first()
    if row is None:
        return GpaPolicy()
    weights = {r[0]: Decimal(r[1]) for r in conn.execute(text(
        "SELECT d.codevalue, w.weight FROM grades.gpa_level_weight w JOIN edfi.descriptor d "
        "ON d.descriptorid = w.courselevelcharacteristicdescriptorid WHERE w.schoolid = :s"), {"s": school_id})}
    return GpaPolicy(load_scale(conn, row.scale_id), row.weighting, weights, Decimal(row.min_points_for_bonus),
                     row.ranks)


def school_scales(conn: Connection, school_id: int) -> tuple[GradingScale, GradingScale | None, GradingScale | None]:
    """(letter scale, standards scale or None, work-habits scale or None) of a school."""
    row = conn.execute(text("SELECT scale_id, standards_scale_id, work_habits_scale_id FROM grades.gpa_policy "
                            "WHERE schoolid = :s"), {"s": school_id}).first()
    if row is None:
        return STANDARD_LETTER_SCALE, None, None
    return (load_scale(conn, row.scale_id),
            load_scale(conn, row.standards_scale_id) if row.standards_scale_id else None,
            load_scale(conn, row.work_habits_scale_id) if row.work_habits_scale_id else None)


def comment_codes(conn: Connection, school_id: int) -> dict[str, str]:
    return dict(conn.execute(text("SELECT code, comment_text FROM grades.comment_code WHERE schoolid = :s "
                                  "ORDER BY code"), {"s": school_id}).all())


def save_scale(conn: Connection, school_id: int | None, scale: GradingScale) -> int:
    """Write a scale (used by the demo district and by an administrator's set-up)."""
    sid = conn.execute(text("INSERT INTO grades.grading_scale (schoolid, name, kind, max_points) "
                            "VALUES (:school, :name, :kind, :mx) RETURNING scale_id"),
                       {"school": school_id, "name": scale.name, "kind": scale.kind, "mx": scale.max_points}).scalar()
    conn.execute(text("INSERT INTO grades.grading_scale_band (scale_id, symbol, sort_order, min_score, max_score, "
                      "points, passing, description) VALUES (:s, :sym, :o, :lo, :hi, :p, :pass, :d)"),
                 [{"s": sid, "sym": b.symbol, "o": i, "lo": b.min_score, "hi": b.max_score, "p": b.points,
                   "pass": b.passing, "d": b.description or None} for i, b in enumerate(scale.bands)])
    return sid


DEFAULT_SCALES = (STANDARD_LETTER_SCALE, STANDARDS_SCALE, WORK_HABITS_SCALE)
