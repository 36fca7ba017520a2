"""Chapter 6 of the CDSi logic specification: judge each dose of an antigen against a patient series.

For each dose, in date order, against the current target dose: conditional skip (the target dose
may be skipped), inadvertent vaccine, age (absolute minimum age with the 4-day grace period up to
the minimum age; maximum age makes the dose extraneous), preferable interval (or, failing it, the
allowable interval), live-virus conflict, preferable or allowable vaccine. A valid dose satisfies
the target dose and the next one becomes current; once every target dose is satisfied the
remaining doses are extraneous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable, Sequence

from app.domain.cdsi import model as m
from app.domain.cdsi.data import (AgeRule, ConditionalSkip, IntervalRule, Series, SeriesDose, SkipCondition,
                                  SupportingData)
from app.domain.cdsi.dates import EARLIEST, LATEST, add_duration, date_or


def applicable_age(ages: Sequence[AgeRule], when: date) -> AgeRule | None:
    """The age rule in effect on `when` (rules have effective/cessation dates)."""
    for rule in ages:
        if rule.effective <= when < rule.cessation:
            return rule
    return ages[0] if ages else None


def applicable_intervals(rules: Iterable[IntervalRule], when: date) -> list[IntervalRule]:
    """One rule per reference point (previous dose / target dose N / vaccine types / observation),
    the one in effect on `when`: different reference points all apply, dated versions are alternatives."""
    chosen: dict[tuple, IntervalRule] = {}
    for rule in rules:
        key = (rule.from_previous, rule.from_target_dose, rule.from_most_recent, rule.from_observation)
        if rule.effective <= when < rule.cessation:
            chosen[key] = rule
        else:
            chosen.setdefault(key, None)  # type: ignore[arg-type]
    return [rule for rule in chosen.values() if rule is not None]


def antigen_doses(data: SupportingData, patient: m.Patient, antigen: str) -> list[m.AdministeredDose]:
    """The patient's doses that count for `antigen` (CVX map, with its association ages), in date order."""
    doses = []
    for dose in sorted(patient.doses, key=lambda d: (d.date_administered, d.position)):
        for assoc in data.cvx_antigens.get(dose.cvx, ()):
            if assoc.antigen != antigen:
                continue
            begin = date_or(patient.birth_date, assoc.begin_age, EARLIEST)
            end = date_or(patient.birth_date, assoc.end_age, LATEST)
            if begin <= dose.date_administered < end:
                doses.append(dose)
                break
    return doses


@dataclass
class SeriesRun:
    """The evaluation of one patient series, kept for the forecast and the series selection."""
    series: Series
    doses: list[m.AdministeredDose]
    evaluations: list[m.DoseEvaluation] = field(default_factory=list)
    target_state: list[str] = field(default_factory=list)     # per target dose: '', satisfied, skipped
    satisfied_on: dict[int, date] = field(default_factory=dict)
    current: int = 0                                           # index of the current target dose

    @property
    def complete(self) -> bool:
        return self.current >= len(self.series.doses)

    @property
    def valid_count(self) -> int:
        return sum(1 for e in self.evaluations if e.status == m.VALID)

    def previous_reference(self, before_index: int | None = None) -> date | None:
        """The immediate previous dose: valid or not valid, not an inadvertent administration."""
        evaluations = self.evaluations if before_index is None else self.evaluations[:before_index]
        for ev in reversed(evaluations):
            if ev.status in (m.VALID, m.NOT_VALID) and ev.reason != m.INADVERTENT:
                return ev.dose.date_administered
        return None

    def status_of(self, dose: m.AdministeredDose) -> str | None:
        for ev in self.evaluations:
            if ev.dose == dose:
                return ev.status
        return None


# ----------------------------------------------------------------- conditional skip (6.2 and 7.1)

def _condition_met(cond: SkipCondition, ref: date, patient: m.Patient, run: SeriesRun,
                   prior: Sequence[m.DoseEvaluation], completed_groups: Callable[[str], bool]) -> bool:
    dob = patient.birth_date
    kind = cond.condition_type
    if kind == "age":
        return date_or(dob, cond.begin_age, EARLIEST) <= ref < date_or(dob, cond.end_age, LATEST)
    if kind == "interval":
        if not prior:
            return False
        return ref >= add_duration(prior[-1].dose.date_administered, cond.interval)
    if kind.startswith("vaccine count"):
        by_date = kind.endswith("date")
        begin = date_or(dob, cond.begin_age, EARLIEST)
        end = date_or(dob, cond.end_age, LATEST)
        count = 0
        for ev in prior:
            when = ev.dose.date_administered
            if cond.vaccine_types and ev.dose.cvx not in cond.vaccine_types:
                continue
            if by_date and not (cond.start_date <= when < cond.end_date):
                continue
            if not by_date and not (begin <= when < end):
                continue
            if cond.dose_type == "valid" and ev.status != m.VALID:
                continue
            count += 1
        if cond.dose_count_logic == "greater than":
            return count > cond.dose_count
        if cond.dose_count_logic == "less than":
            return count < cond.dose_count
        return count == cond.dose_count
    if kind == "completed series":
        return any(completed_groups(group) for group in cond.series_groups)
    return False


def can_skip(skips: Sequence[ConditionalSkip], context: str, ref: date, patient: m.Patient, run: SeriesRun,
             prior: Sequence[m.DoseEvaluation], completed_groups: Callable[[str], bool] = lambda g: False) -> bool:
    """Can the target dose be skipped? `context` is 'evaluation' (ref = date administered) or
    'forecast' (ref = assessment date)."""
    for skip in skips:
        if skip.context not in (context, "both"):
            continue
        sets = [s for s in skip.sets if s.effective <= ref < s.cessation]
        if not sets:
            continue
        results = []
        for s in sets:
            met = [_condition_met(c, ref, patient, run, prior, completed_groups) for c in s.conditions]
            results.append(any(met) if s.condition_logic == "or" else bool(met) and all(met))
        if (all(results) if skip.set_logic == "and" else any(results)):
            return True
    return False


# ----------------------------------------------------------------- the checks of one dose (6.3 - 6.9)

def _interval_reference(rule: IntervalRule, run: SeriesRun, patient: m.Patient, when: date,
                        before_index: int | None) -> date | None:
    if rule.from_previous:
        return run.previous_reference(before_index)
    if rule.from_target_dose:
        return run.satisfied_on.get(rule.from_target_dose)
    if rule.from_most_recent:
        dates = [d.date_administered for d in patient.doses
                 if d.cvx in rule.from_most_recent and d.date_administered < when]
        return max(dates) if dates else None
    return None  # observations carry no dates in our records


def _interval_ok(rules: Sequence[IntervalRule], when: date, run: SeriesRun, patient: m.Patient) -> bool:
    for rule in applicable_intervals(rules, when):
        ref = _interval_reference(rule, run, patient, when, None)
        if ref is not None and when < date_or(ref, rule.abs_min, EARLIEST):
            return False
    return True


def live_virus_conflict(data: SupportingData, patient: m.Patient, dose: m.AdministeredDose,
                        status_of: Callable[[m.AdministeredDose], str | None]) -> bool:
    """Was `dose` (a live vaccine) given too soon after another live vaccine?"""
    for conflict in data.conflicts_for(dose.cvx):
        for previous in patient.doses:
            if previous is dose or previous.cvx not in conflict.previous:
                continue
            if previous.date_administered >= dose.date_administered:
                continue
            begin = add_duration(previous.date_administered, conflict.begin)
            valid = status_of(previous) in (None, m.VALID)
            # a valid earlier live dose gets the 4-day grace (minimum conflict end), an invalid one does not
            end = add_duration(previous.date_administered, conflict.min_end if valid else conflict.end)
            if begin <= dose.date_administered < end:
                return True
    return False


def _vaccine_ok(target: SeriesDose, dose: m.AdministeredDose, dob: date) -> bool:
    when = dose.date_administered
    for rule in target.preferable:
        if rule.cvx != dose.cvx:
            continue
        if rule.mvx and dose.mvx and rule.mvx.upper() != dose.mvx.upper():
            continue
        if date_or(dob, rule.begin_age, EARLIEST) <= when < date_or(dob, rule.end_age, LATEST):
            return True
    for rule in target.allowable:
        if rule.cvx == dose.cvx and date_or(dob, rule.begin_age, EARLIEST) <= when < date_or(dob, rule.end_age, LATEST):
            return True
    return False


def judge_dose(data: SupportingData, patient: m.Patient, run: SeriesRun, target: SeriesDose,
               dose: m.AdministeredDose) -> tuple[str, str]:
    """(status, reason) of `dose` against `target`, the checks in the specification's order."""
    when = dose.date_administered
    dob = patient.birth_date
    if dose.cvx in target.inadvertent:
        return m.NOT_VALID, m.INADVERTENT
    age = applicable_age(target.ages, when)
    if age is not None:
        if when < date_or(dob, age.abs_min, EARLIEST):
            return m.NOT_VALID, m.TOO_YOUNG
        if when >= date_or(dob, age.max, LATEST):
            return m.EXTRANEOUS, m.TOO_OLD
    if not _interval_ok(target.intervals, when, run, patient):
        if not (target.allowable_intervals and _interval_ok(target.allowable_intervals, when, run, patient)):
            return m.NOT_VALID, m.TOO_SOON
    if live_virus_conflict(data, patient, dose, run.status_of):
        return m.NOT_VALID, m.LIVE_VIRUS
    if not _vaccine_ok(target, dose, dob):
        return m.NOT_VALID, m.NOT_ALLOWABLE
    return m.VALID, ""


def evaluate_series(data: SupportingData, patient: m.Patient, series: Series,
                    doses: Sequence[m.AdministeredDose]) -> SeriesRun:
    """Judge every dose of the antigen against `series` (chapter 6)."""
    run = SeriesRun(series, list(doses), target_state=[""] * len(series.doses))
    for dose in doses:
        when = dose.date_administered
        while not run.complete and can_skip(series.doses[run.current].skips, "evaluation", when, patient, run,
                                            run.evaluations):
            run.target_state[run.current] = "skipped"
            run.current += 1
        if run.complete:
            run.evaluations.append(m.DoseEvaluation(dose, m.EXTRANEOUS, m.SERIES_COMPLETE))
            continue
        target = series.doses[run.current]
        status, reason = judge_dose(data, patient, run, target, dose)
        if status == m.VALID:
            run.evaluations.append(m.DoseEvaluation(dose, status, reason, target.number))
            run.satisfied_on[target.number] = when
            run.target_state[run.current] = "satisfied"
            if not target.recurring:
                run.current += 1
        else:
            run.evaluations.append(m.DoseEvaluation(dose, status, reason))
    return run
