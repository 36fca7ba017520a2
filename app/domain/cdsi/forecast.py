"""Chapters 7-9 of the CDSi logic specification: forecast each patient series, select the best
series of each antigen, and combine the antigens of a vaccine group (DTaP/Tdap/Td, MMR).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Sequence

from app.domain.cdsi import model as m
from app.domain.cdsi.data import Antigen, Series, SupportingData, supporting_data
from app.domain.cdsi.dates import EARLIEST, LATEST, add_duration, date_or, minus_one_day
from app.domain.cdsi.evaluate import (SeriesRun, antigen_doses, applicable_age, applicable_intervals, can_skip,
                                      evaluate_series, _interval_reference)


def _latest(dates: Sequence[date | None]) -> date | None:
    present = [d for d in dates if d is not None]
    return max(present) if present else None


def _earliest(dates: Sequence[date | None]) -> date | None:
    present = [d for d in dates if d is not None]
    return min(present) if present else None


def forecast_series(data: SupportingData, antigen: Antigen, patient: m.Patient, run: SeriesRun,
                    assessment: date) -> tuple[str, m.Forecast]:
    """Status of the patient series on `assessment` and, when not complete, the next dose's dates."""
    dob = patient.birth_date
    if antigen.immunity_codes & patient.observations or (
            antigen.immunity_birth_date is not None and dob < antigen.immunity_birth_date):
        return m.IMMUNE, m.Forecast()
    if any(not c.cvx and c.code in patient.observations for c in antigen.contraindications):
        return m.CONTRAINDICATED, m.Forecast()
    series = run.series
    while True:
        if run.complete:
            return m.COMPLETE, m.Forecast()
        target = series.doses[run.current]
        status, forecast = _target_forecast(data, patient, run, target, assessment)
        # 'not required for those 4 years or older at the earliest forecasted date for next dose'
        ref = max(assessment, forecast.earliest or assessment)
        if not can_skip(target.skips, "forecast", ref, patient, run, run.evaluations):
            return status, forecast
        run.target_state[run.current] = "skipped"
        run.current += 1


def _target_forecast(data: SupportingData, patient: m.Patient, run: SeriesRun, target, assessment: date):
    dob = patient.birth_date
    age = applicable_age(target.ages, assessment)
    max_age = date_or(dob, age.max, None) if age else None
    if max_age is not None and assessment >= max_age:
        return m.AGED_OUT, m.Forecast()
    min_int, rec_int, late_int = [], [], []
    for rule in applicable_intervals(target.intervals, assessment):
        ref = _interval_reference(rule, run, patient, assessment + timedelta(days=1), None)
        if ref is None:
            continue
        min_int.append(date_or(ref, rule.min, None))
        rec_int.append(date_or(ref, rule.earliest_rec, None))
        late_int.append(date_or(ref, rule.latest_rec, None))
    inadvertent = [e.dose.date_administered for e in run.evaluations if e.reason == m.INADVERTENT]
    earliest = _latest([date_or(dob, age.min, None) if age else None, _latest(min_int),
                        _conflict_end(data, patient, target), target.season_start, _latest(inadvertent)]) or dob
    if age is not None and age.earliest_rec:
        recommended = date_or(dob, age.earliest_rec, None)
    else:
        recommended = _latest(rec_int) or earliest
    if age is not None and age.latest_rec:
        past_due = minus_one_day(date_or(dob, age.latest_rec, None))
    else:
        past_due = minus_one_day(_latest(late_int))
    latest = minus_one_day(max_age)
    if latest is not None and earliest > latest:
        return m.AGED_OUT, m.Forecast(earliest=earliest)
    return m.NOT_COMPLETE, m.Forecast(
        earliest=earliest,
        recommended=max(recommended, earliest),
        past_due=max(past_due, earliest) if past_due else None,
        latest=latest, dose_number=target.number,
        vaccine_types=tuple(v.cvx for v in target.preferable if v.forecast_vaccine_type))


def _conflict_end(data: SupportingData, patient: m.Patient, target) -> date | None:
    """A live vaccine can't be forecast before the live-virus conflict with an earlier live dose ends."""
    conflicts = {c for v in target.preferable for c in data.conflicts_for(v.cvx)}
    ends = [add_duration(dose.date_administered, conflict.end)
            for conflict in conflicts for dose in patient.doses if dose.cvx in conflict.previous]
    return _latest(ends)


# ----------------------------------------------------------------- chapter 8: the best patient series

def _relevant(series: Series, patient: m.Patient, assessment: date) -> bool:
    if series.genders and (patient.gender or "Unknown") not in series.genders:
        return False
    if series.series_type == "Risk":
        dob = patient.birth_date
        return any(ind.code in patient.observations
                   and date_or(dob, ind.begin_age, EARLIEST) <= assessment < date_or(dob, ind.end_age, LATEST)
                   for ind in series.indications)
    return True


class _Candidate:
    def __init__(self, run: SeriesRun, status: str, forecast: m.Forecast):
        self.run, self.status, self.forecast = run, status, forecast
        self.series = run.series

    @property
    def valid(self) -> int:
        return self.run.valid_count

    def finish_date(self) -> date:
        """When the series could be complete: the earliest date, plus the minimum interval of each dose left."""
        if self.forecast.earliest is None:
            return LATEST
        finish = self.forecast.earliest
        for target in self.series.doses[self.run.current + 1:]:
            gaps = [r.min for r in target.intervals if r.from_previous and r.min]
            if gaps:
                finish = add_duration(finish, gaps[0])
        return finish

    def last_max_age(self, dob: date) -> date:
        last = self.series.doses[-1]
        age = last.ages[0] if last.ages else None
        return date_or(dob, age.max, LATEST) if age else LATEST


def _scorable(c: _Candidate, group: list[_Candidate], dob: date) -> bool:
    if c.series.series_type == "Risk":
        return all(c.series.priority <= o.series.priority for o in group)
    if c.valid > 0:
        # started before the maximum age to start; an unfinished series also not before its minimum age
        # to start (with the 4-day grace the specification gives ages)
        first_valid = min(e.dose.date_administered for e in c.run.evaluations if e.status == m.VALID)
        if first_valid >= date_or(dob, c.series.max_age_to_start, LATEST):
            return False
        start = date_or(dob, c.series.min_age_to_start, None)
        return c.status == m.COMPLETE or start is None or start - timedelta(days=4) <= first_valid
    return all(o.valid == 0 for o in group) and not any(o.series.default for o in group)


def _tie_score(value, values, best, plus: int, minus: int) -> int:
    if value != best:
        return minus
    return plus if values.count(best) == 1 else 0


def _score_in_process(cands: list[_Candidate], dob: date) -> list[int]:
    valids = [c.valid for c in cands]
    remaining = [len(c.series.doses) - c.run.current for c in cands]
    finishes = [c.finish_date() for c in cands]
    completable = [f < c.last_max_age(dob) for f, c in zip(finishes, cands)]
    done_finishes = [f for f, ok in zip(finishes, completable) if ok]
    scores = []
    for i, c in enumerate(cands):
        all_valid = bool(c.run.evaluations) and all(e.status == m.VALID for e in c.run.evaluations)
        score = 2 if (c.series.product_path and all_valid) else -2
        score += 3 if completable[i] else -3
        score += _tie_score(valids[i], valids, max(valids), 2, -2)
        score += _tie_score(remaining[i], remaining, min(remaining), 2, -2)
        if completable[i]:
            score += _tie_score(finishes[i], done_finishes, min(done_finishes), 1, -1)
        else:
            score -= 1
        scores.append(score)
    return scores


def _score_no_valid(cands: list[_Candidate], dob: date, assessment: date) -> list[int]:
    starts = [date_or(dob, c.series.min_age_to_start, EARLIEST) for c in cands]
    scores = []
    for i, c in enumerate(cands):
        score = _tie_score(starts[i], starts, min(starts), 1, -1)
        score += 1 if c.finish_date() < c.last_max_age(dob) else -1
        score += -1 if c.series.product_path else 1
        scores.append(score)
    return scores


def _score_complete(cands: list[_Candidate]) -> list[int]:
    """Complete series: a product series with all doses valid, the most valid doses, completed earliest."""
    valids = [c.valid for c in cands]
    done = [max((e.dose.date_administered for e in c.run.evaluations if e.status == m.VALID), default=LATEST)
            for c in cands]
    scores = []
    for i, c in enumerate(cands):
        all_valid = all(e.status == m.VALID for e in c.run.evaluations)
        score = 1 if (c.series.product_path and all_valid) else -1
        score += _tie_score(valids[i], valids, max(valids), 1, -1)
        score += _tie_score(done[i], done, min(done), 1, -1)
        scores.append(score)
    return scores


def _prioritized(group: list[_Candidate], dob: date, assessment: date) -> _Candidate:
    default = next((c for c in group if c.series.default), group[0])
    scorable = [c for c in group if _scorable(c, group, dob)]
    if not scorable:
        return default
    if len(scorable) == 1:
        return scorable[0]
    complete = [c for c in scorable if c.status in (m.COMPLETE, m.IMMUNE)]
    in_process = [c for c in scorable if c.valid > 0 and c not in complete]
    if len(complete) == 1:
        return complete[0]
    if not complete and len(in_process) == 1:
        return in_process[0]
    if not complete and not in_process:
        if any(c.series.default for c in scorable):
            return default
        scored = scorable
        scores = _score_no_valid(scored, dob, assessment)
    elif complete:
        scored = complete
        scores = _score_complete(complete)
    else:
        scored = in_process
        scores = _score_in_process(in_process, dob)
    best = max(zip(scores, [-c.series.preference for c in scored], range(len(scored))))
    return scored[best[2]]


def best_series(data: SupportingData, antigen: Antigen, patient: m.Patient, assessment: date) -> _Candidate | None:
    doses = [d for d in antigen_doses(data, patient, antigen.name) if d.date_administered <= assessment]
    groups: dict[str, list[_Candidate]] = {}
    for series in antigen.series:
        if not _relevant(series, patient, assessment):
            continue
        run = evaluate_series(data, patient, series, doses)
        status, forecast = forecast_series(data, antigen, patient, run, assessment)
        groups.setdefault(series.group, []).append(_Candidate(run, status, forecast))
    if not groups:
        return None
    chosen = [_prioritized(group, patient.birth_date, assessment) for group in groups.values()]
    complete = [c for c in chosen if c.status in (m.COMPLETE, m.IMMUNE)]
    if complete:
        return complete[0]
    standard = [c for c in chosen if c.series.series_type == "Standard"]
    risk = [c for c in chosen if c.series.series_type == "Risk"]
    return (risk or standard or chosen)[0]


# ----------------------------------------------------------------- chapter 9: vaccine groups

_STATUS_ORDER = (m.CONTRAINDICATED, m.AGED_OUT, m.NOT_RECOMMENDED, m.NOT_COMPLETE)


def _group_status(statuses: list[str]) -> str:
    for status in _STATUS_ORDER:
        if status in statuses:
            return status
    if statuses and all(s == m.IMMUNE for s in statuses):
        return m.IMMUNE
    return m.COMPLETE


def _dose_status(candidates: list[_Candidate]) -> dict[int, tuple[str, str]]:
    """Per dose position: valid when every antigen of the group judged it valid, else the first other verdict."""
    verdicts: dict[int, list[tuple[str, str]]] = {}
    for c in candidates:
        for ev in c.run.evaluations:
            verdicts.setdefault(ev.dose.position, []).append((ev.status, ev.reason))
    out = {}
    for position, items in verdicts.items():
        bad = [v for v in items if v[0] == m.NOT_VALID] or [v for v in items if v[0] != m.VALID]
        out[position] = bad[0] if bad else (m.VALID, "")
    return out


def evaluate_group(group: str, patient: m.Patient, assessment: date,
                   data: SupportingData | None = None) -> m.VaccineGroupResult:
    """Evaluate the patient's history for one vaccine group (e.g. 'MMR', 'DTaP/Tdap/Td') on `assessment`."""
    data = data or supporting_data()
    candidates = []
    for antigen_name in data.vaccine_groups.get(group, ()):
        antigen = data.antigens.get(antigen_name)
        if antigen is None:
            continue
        best = best_series(data, antigen, patient, assessment)
        if best is not None:
            candidates.append(best)
    if not candidates:
        return m.VaccineGroupResult(group, m.NOT_RECOMMENDED, {}, m.Forecast(), ())
    status = _group_status([c.status for c in candidates])
    forecast = m.Forecast()
    if status == m.NOT_COMPLETE:
        forecast = _group_forecast(data, group, patient,
                                   [c for c in candidates if c.status == m.NOT_COMPLETE])
    series = tuple(m.SeriesResult(c.series.antigen, c.series.name, c.status, tuple(c.run.evaluations), c.forecast,
                                  c.run.current, len(c.series.doses)) for c in candidates)
    return m.VaccineGroupResult(group, status, _dose_status(candidates), forecast, series)


def _group_forecast(data: SupportingData, group: str, patient: m.Patient, open_: list[_Candidate]) -> m.Forecast:
    forecasts = [c.forecast for c in open_]
    if len(forecasts) == 1:
        return forecasts[0]
    priority = False
    for c in open_:
        target = c.series.doses[c.run.current] if not c.run.complete else None
        rules = list(target.intervals) if target else []
        if rules and all(r.priority_override for r in rules):
            priority = True
    if priority:
        group_antigens = set(data.vaccine_groups.get(group, ()))
        given = [d.date_administered for d in patient.doses
                 if any(a.antigen in group_antigens for a in data.cvx_antigens.get(d.cvx, ()))]
        earliest = _latest([_earliest([f.earliest for f in forecasts]), _latest(given)])
    else:
        earliest = _latest([f.earliest for f in forecasts])
    rec = _earliest([f.recommended for f in forecasts])
    past = _earliest([f.past_due for f in forecasts])
    return m.Forecast(
        earliest=earliest,
        recommended=max(rec, earliest) if rec and earliest else rec,
        past_due=max(past, earliest) if past and earliest else past,
        latest=_earliest([f.latest for f in forecasts]),
        dose_number=(min if data.administer_full_group.get(group) else max)(
            [f.dose_number for f in forecasts if f.dose_number] or [0]) or None,
        vaccine_types=tuple(sorted({v for f in forecasts for v in f.vaccine_types})))


def evaluate_patient(patient: m.Patient, assessment: date, groups: Sequence[str] | None = None,
                     data: SupportingData | None = None) -> dict[str, m.VaccineGroupResult]:
    """Every requested vaccine group (default: all groups the patient has doses of, plus childhood ones)."""
    data = data or supporting_data()
    names = list(groups) if groups is not None else list(data.vaccine_groups)
    return {name: evaluate_group(name, patient, assessment, data) for name in names}


def groups_of_cvx(cvx: str, data: SupportingData | None = None) -> list[str]:
    """The vaccine groups a CVX code counts for (MMRV: MMR and Varicella)."""
    data = data or supporting_data()
    antigens = {a.antigen for a in data.cvx_antigens.get(cvx, ())}
    return [group for group, members in data.vaccine_groups.items() if antigens & set(members)]
