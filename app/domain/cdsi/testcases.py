"""The CDC's CDSi test-case layout: read cases, write results, compare with the expected results.

IN: CDC_Test_ID, DOB, gender, Date_Administered_n, Vaccine_Name_n, CVX_n, MVX_n (n = 1..7),
Vaccine_Group, Assessment_Date; expected-result columns may be present (then `compare` scores them).
OUT: one row per case, OUTPUT_COLUMNS, ISO dates, empty where none, the test cases' words.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, TextIO

from app.domain.cdsi import model as m
from app.domain.cdsi.data import SupportingData, cvx_code, supporting_data
from app.domain.cdsi.forecast import evaluate_group, groups_of_cvx

MAX_DOSES = 7
REQUIRED_COLUMNS = ("CDC_Test_ID", "DOB", "gender", "Vaccine_Group", "Assessment_Date")
OUTPUT_COLUMNS = (["CDC_Test_ID", "Series_Status"]
                  + [f"Evaluation_Status_{n}" for n in range(1, MAX_DOSES + 1)]
                  + [f"Evaluation_Reason_{n}" for n in range(1, MAX_DOSES + 1)]
                  + ["Earliest_Date", "Recommended_Date", "Past_Due_Date"])

# The test cases' vaccine-group codes -> the supporting data's vaccine-group names.
GROUP_CODES = {
    "DTAP": "DTaP/Tdap/Td", "TDAP": "DTaP/Tdap/Td", "TD": "DTaP/Tdap/Td", "HIB": "Hib", "POL": "Polio",
    "IPV": "Polio", "HEPB": "HepB", "HEPA": "HepA", "HPV": "HPV", "MMR": "MMR", "VAR": "Varicella",
    "PCV": "Pneumococcal", "PNEUMO": "Pneumococcal", "FLU": "Influenza", "ROTA": "Rotavirus",
    "MCV": "Meningococcal", "MENACWY": "Meningococcal", "MENB": "Meningococcal B", "ZOSTER": "Zoster",
    "TYPHOID": "Typhoid", "CHOLERA": "Cholera", "JE": "Japanese Encephalitis", "YF": "Yellow Fever",
    "RABIES": "Rabies",
}


class CaseError(ValueError):
    """A test case that cannot be read; the message names the case and the field."""


@dataclass(frozen=True)
class Case:
    case_id: str
    patient: m.Patient
    vaccine_group: str
    assessment: date
    expected: dict[str, str] = field(default_factory=dict)


def _date(text: str, case_id: str, column: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CaseError(f"Case {case_id}: {column} {text!r} is not a date like 2020-08-13.") from None


def group_name(code: str, data: SupportingData) -> str:
    code = (code or "").strip()
    if code in data.vaccine_groups:
        return code
    return GROUP_CODES.get(code.upper().replace(" ", ""), code)


def read_cases(stream: TextIO, data: SupportingData | None = None) -> list[Case]:
    data = data or supporting_data()
    reader = csv.DictReader(stream)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CaseError(f"The cases file has no {', '.join(missing)} column; it needs the CDSi test-case layout.")
    cases = []
    for row in reader:
        case_id = (row.get("CDC_Test_ID") or "").strip()
        if not case_id:
            continue
        doses = []
        for n in range(1, MAX_DOSES + 1):
            when = (row.get(f"Date_Administered_{n}") or "").strip()
            if not when:
                continue
            doses.append(m.AdministeredDose(n, _date(when, case_id, f"Date_Administered_{n}"),
                                            cvx_code(row.get(f"CVX_{n}")), (row.get(f"MVX_{n}") or "").strip()))
        group = group_name(row.get("Vaccine_Group", ""), data)
        if group not in data.vaccine_groups:
            raise CaseError(f"Case {case_id}: vaccine group {row.get('Vaccine_Group')!r} is not one the CDC data knows.")
        gender = m.GENDERS.get((row.get("gender") or "").strip().upper()[:1], "Unknown")
        patient = m.Patient(_date(row["DOB"], case_id, "DOB"), gender, tuple(doses))
        cases.append(Case(case_id, patient, group, _date(row["Assessment_Date"], case_id, "Assessment_Date"),
                          {k: (v or "").strip() for k, v in row.items() if k}))
    return cases


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def result_row(case: Case, data: SupportingData | None = None) -> dict[str, str]:
    result = evaluate_group(case.vaccine_group, case.patient, case.assessment, data)
    row = {"CDC_Test_ID": case.case_id, "Series_Status": result.status}
    verdicts = dict(result.dose_status)
    for dose in case.patient.doses:  # a dose of another vaccine group is judged in its own group
        for group in groups_of_cvx(dose.cvx, data):
            if dose.position not in verdicts:
                other = evaluate_group(group, case.patient, case.assessment, data)
                verdicts.update({k: v for k, v in other.dose_status.items() if k not in verdicts})
    for n in range(1, MAX_DOSES + 1):
        status, reason = verdicts.get(n, ("", ""))
        row[f"Evaluation_Status_{n}"] = status
        row[f"Evaluation_Reason_{n}"] = reason
    row["Earliest_Date"] = _iso(result.forecast.earliest)
    row["Recommended_Date"] = _iso(result.forecast.recommended)
    row["Past_Due_Date"] = _iso(result.forecast.past_due)
    return row


def write_results(rows: Iterable[dict[str, str]], stream: TextIO) -> None:
    writer = csv.DictWriter(stream, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


@dataclass
class Score:
    doses: int = 0
    doses_matched: int = 0
    cases: int = 0
    forecasts_matched: int = 0
    status_matched: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def dose_rate(self) -> float:
        return self.doses_matched / self.doses if self.doses else 1.0

    @property
    def forecast_rate(self) -> float:
        return self.forecasts_matched / self.cases if self.cases else 1.0

    def summary(self) -> str:
        return (f"dose evaluation statuses: {self.doses_matched}/{self.doses} ({self.dose_rate:.1%}); "
                f"forecast dates (earliest, recommended, past due): {self.forecasts_matched}/{self.cases} "
                f"({self.forecast_rate:.1%}); series status: {self.status_matched}/{self.cases}")


def _norm_date(text: str) -> str:
    text = (text or "").strip()
    return "" if text.lower() in ("", "n/a", "none") else text


def compare(cases: Iterable[Case], rows: Iterable[dict[str, str]]) -> Score:
    """Score our rows against the cases' expected columns (statuses per dose; all three dates per case)."""
    score = Score()
    for case, row in zip(cases, rows):
        exp = case.expected
        if "Series_Status" not in exp:
            continue
        score.cases += 1
        for n in range(1, MAX_DOSES + 1):
            want = exp.get(f"Evaluation_Status_{n}", "")
            if not want:
                continue
            score.doses += 1
            if row[f"Evaluation_Status_{n}"].lower() == want.lower():
                score.doses_matched += 1
            else:
                score.mismatches.append(f"{case.case_id} dose {n}: expected {want} {exp.get(f'Evaluation_Reason_{n}', '')!r},"
                                        f" got {row[f'Evaluation_Status_{n}']} {row[f'Evaluation_Reason_{n}']!r}")
        dates = ("Earliest_Date", "Recommended_Date", "Past_Due_Date")
        if all(_norm_date(exp.get(c, "")) == row[c] for c in dates):
            score.forecasts_matched += 1
        else:
            score.mismatches.append(f"{case.case_id} forecast: expected " + " / ".join(_norm_date(exp.get(c, "")) for c in dates)
                                    + ", got " + " / ".join(row[c] for c in dates))
        if exp["Series_Status"].lower() == row["Series_Status"].lower():
            score.status_matched += 1
        else:
            score.mismatches.append(f"{case.case_id} status: expected {exp['Series_Status']}, got {row['Series_Status']}")
    return score
