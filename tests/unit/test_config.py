"""Bad configuration gets one clear sentence naming what is wrong and what to do."""

import re

import pytest

from app.config import load_settings
from app.errors import UserError


def test_defaults_run_everything_embedded(tmp_path):
    s = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)})
    assert s.embedded_postgres and s.embedded_dynamodb and s.data_dir == tmp_path


def test_database_url_is_normalised_to_psycopg(tmp_path):
    s = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path),
                       "DATABASE_URL": "postgresql://clerk@db.school.example:5432/office"})
    assert s.database_url == "postgresql+psycopg://clerk@db.school.example:5432/office"
    assert not s.embedded_postgres


def test_aws_credentials_mean_real_dynamodb(tmp_path):
    s = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path),
                       "AWS_ACCESS_KEY_ID": "AKIA...", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-west-2"})
    assert s.use_aws_dynamodb and not s.embedded_dynamodb and s.aws_region == "us-west-2"


def test_settings_can_live_in_the_config_file(tmp_path):
    (tmp_path / "config.ini").write_text("[database]\nurl = postgresql://clerk@db/office\n"
                                         "[dynamodb]\nendpoint = http://ddb.local:8000\n")
    s = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)})
    assert s.database_url.endswith("@db/office") and s.dynamodb_endpoint == "http://ddb.local:8000"


@pytest.mark.parametrize("env,expected", [
    ({"DATABASE_URL": "mysql://root@localhost/x"}, "needs PostgreSQL"),
    ({"DATABASE_URL": "not a url"}, "is not a database URL"),
    ({"SCHOOL_OFFICE_DYNAMODB_PORT": "eighty"}, "is not a port number"),
])
def test_bad_values_are_named(tmp_path, env, expected):
    with pytest.raises(UserError) as err:
        load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path), **env})
    assert expected in err.value.message
    assert "\n" not in err.value.message


def test_a_password_in_the_config_file_is_refused(tmp_path):
    (tmp_path / "config.ini").write_text("[database]\nurl = postgresql://clerk:secret@db/office\n")
    with pytest.raises(UserError, match="contains a database password"):
        load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)})


def test_a_data_dir_that_cannot_be_written(tmp_path):
    with pytest.raises(UserError, match="is not writable.*SCHOOL_OFFICE_DATA_DIR"):
        load_settings({"SCHOOL_OFFICE_DATA_DIR": "/proc/school-office", "HOME": str(tmp_path)})


def test_attendance_thresholds_come_from_the_config_file(tmp_path):
    (tmp_path / "config.ini").write_text("[attendance]\nabsent_minutes = 200\nhalf_day_minutes = 90\n")
    s = load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path)})
    assert (s.absent_minutes, s.half_day_minutes) == (200, 90)
    assert load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path), "SCHOOL_OFFICE_ABSENT_MINUTES": "300"}) \
        .absent_minutes == 300


@pytest.mark.parametrize("ini,expected", [
    ("absent_minutes = lots", "SCHOOL_OFFICE_ABSENT_MINUTES 'lots' is not a number of minutes"),
    ("absent_minutes = 100\nhalf_day_minutes = 150", "The half-day threshold (150 minutes) is above the absence"),
])
def test_bad_attendance_thresholds_are_named(tmp_path, ini, expected):
    (tmp_path / "config.ini").write_text("[attendance]\n" + ini + "\n")
    with pytest.raises(UserError, match=re.escape(expected)):
        load_settings({"SCHOOL_OFFICE_DATA_DIR": str(tmp_path)})
