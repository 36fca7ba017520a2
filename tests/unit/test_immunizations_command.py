"""`school-office-admin immunizations evaluate`: CDSi test-case CSV in, results CSV out, --check figures."""

import csv

import pytest

from app.cli import main
from app.domain.cdsi.testcases import OUTPUT_COLUMNS

HEADER = ["CDC_Test_ID", "DOB", "gender"] + [f"{c}_{n}" for n in range(1, 8)
                                            for c in ("Date_Administered", "Vaccine_Name", "CVX", "MVX")] \
    + ["Vaccine_Group", "Assessment_Date"]


def write_cases(path, rows, extra=()):
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER + list(extra))
        w.writeheader()
        for row in rows:
            w.writerow(row)


def case(case_id, dob, group, assessed, *doses, **expected):
    row = {"CDC_Test_ID": case_id, "DOB": dob, "gender": "M", "Vaccine_Group": group, "Assessment_Date": assessed}
    for n, (when, cvx) in enumerate(doses, 1):
        row[f"Date_Administered_{n}"], row[f"CVX_{n}"] = when, cvx
    row.update(expected)
    return row


def test_evaluate_writes_one_row_per_case_in_the_test_case_words(tmp_path):
    cases = tmp_path / "in.csv"
    write_cases(cases, [
        case("T-1", "2024-01-31", "DTAP", "2024-02-10"),
        case("T-2", "2023-03-10", "POL", "2023-06-01", ("2023-05-10", "10"), ("2023-05-25", "10")),
        case("T-3", "2017-09-01", "HIB", "2023-09-02", ("2023-09-01", "48")),
    ])
    out = tmp_path / "out.csv"
    assert main(["immunizations", "evaluate", "--cases", str(cases), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == OUTPUT_COLUMNS
    assert [r["CDC_Test_ID"] for r in rows] == ["T-1", "T-2", "T-3"]
    assert (rows[0]["Series_Status"], rows[0]["Earliest_Date"], rows[0]["Recommended_Date"],
            rows[0]["Past_Due_Date"]) == ("Not complete", "2024-03-13", "2024-03-31", "2024-05-28")
    assert (rows[1]["Evaluation_Status_1"], rows[1]["Evaluation_Status_2"], rows[1]["Evaluation_Reason_2"]) == \
        ("Valid", "Not Valid", "Interval: too short")
    assert (rows[2]["Series_Status"], rows[2]["Evaluation_Status_1"], rows[2]["Evaluation_Reason_1"],
            rows[2]["Earliest_Date"]) == ("Aged out", "Extraneous", "Age: Too Old", "")


def test_check_reports_the_share_that_matches_and_fails_below_the_goal(tmp_path, capsys):
    cases = tmp_path / "in.csv"
    extra = ["Series_Status", "Evaluation_Status_1", "Earliest_Date", "Recommended_Date", "Past_Due_Date"]
    write_cases(cases, [
        case("T-1", "2024-01-31", "DTAP", "2024-02-10", Series_Status="Not complete", Earliest_Date="2024-03-13",
             Recommended_Date="2024-03-31", Past_Due_Date="2024-05-28"),
        case("T-2", "2017-09-01", "HIB", "2023-09-02", ("2023-09-01", "48"), Series_Status="Aged out",
             Evaluation_Status_1="Valid"),  # deliberately wrong expectation
    ], extra)
    assert main(["immunizations", "evaluate", "--cases", str(cases), "--check", "--show-mismatches"]) == 1
    out = capsys.readouterr().out
    assert "dose evaluation statuses: 0/1 (0.0%)" in out
    assert "forecast dates (earliest, recommended, past due): 2/2 (100.0%)" in out
    assert "T-2 dose 1: expected Valid" in out
    assert "NOT met" in out


@pytest.mark.parametrize("content, words", [
    ("CDC_Test_ID,DOB\nX,2020-01-01\n", "has no gender, Vaccine_Group, Assessment_Date column"),
    (",".join(HEADER) + "\nX,2020-13-01,F" + "," * 29 + "DTAP,2021-01-01\n", "Case X: DOB '2020-13-01' is not a date"),
    (",".join(HEADER) + "\nX,2020-01-01,F" + "," * 29 + "NOPE,2021-01-01\n", "vaccine group 'NOPE'"),
])
def test_bad_cases_file_is_refused_in_one_sentence(tmp_path, capsys, content, words):
    cases = tmp_path / "in.csv"
    cases.write_text(content)
    assert main(["immunizations", "evaluate", "--cases", str(cases), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.reference
def test_cdc_sample_meets_the_goal(shared_dir, capsys):
    """The CDC's 200-case sample: >= 95% of dose statuses and >= 90% of forecasts must match."""
    from app.domain.cdsi.testcases import compare, read_cases, result_row

    with (shared_dir / "health" / "cdsi" / "testcases-sample.csv").open(newline="") as f:
        cases = read_cases(f)
    score = compare(cases, [result_row(c) for c in cases])
    assert score.cases == 200 and score.doses > 400
    assert score.dose_rate >= 0.95, score.mismatches
    assert score.forecast_rate >= 0.90, score.mismatches
