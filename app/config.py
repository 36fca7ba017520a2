"""Typed settings, read once from the environment and the data directory's config file.

Precedence: environment variables, then `<data dir>/config.ini`, then defaults. A database
password is never read from or written to a file: it comes from the environment (PGPASSWORD or
the URL in DATABASE_URL) or from the OS keyring. Only `school-office-admin` uses it (the schema
owner's); the desktop app takes the server's address from DATABASE_URL and signs each person in
with their own login.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

from app.errors import UserError

CONFIG_FILE = "config.ini"
KEYRING_SERVICE = "school-office"
DEFAULT_DYNAMODB_PORT = 8766


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None  # None: run the embedded PostgreSQL
    dynamodb_endpoint: str | None  # None: AWS (if credentials) or the embedded DynamoDB Local
    aws_region: str
    use_aws_dynamodb: bool
    dynamodb_port: int
    dynamodb_port_explicit: bool
    absent_minutes: int = 240  # a day with this many class minutes missed is an absence
    half_day_minutes: int = 120  # ... and with this many, a partial day

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def embedded_dynamodb(self) -> bool:
        return self.dynamodb_endpoint is None and not self.use_aws_dynamodb


def default_data_dir() -> Path:
    return platformdirs.user_data_path("school-office", appauthor=False)


def _aws_credentials_present(env: dict[str, str]) -> bool:
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return True
    if env.get("AWS_PROFILE") or env.get("AWS_WEB_IDENTITY_TOKEN_FILE") or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return True
    return Path(env.get("AWS_SHARED_CREDENTIALS_FILE", Path.home() / ".aws" / "credentials")).exists()


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("SCHOOL_OFFICE_DATA_DIR") or default_data_dir()).expanduser()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            f"The data directory {data_dir} is not writable ({exc.strerror}); "
            "set SCHOOL_OFFICE_DATA_DIR to a folder you can write to."
        ) from exc

    file_cfg = configparser.ConfigParser()
    cfg_path = data_dir / CONFIG_FILE
    if cfg_path.exists():
        try:
            file_cfg.read(cfg_path, encoding="utf-8")
        except configparser.Error as exc:
            raise UserError(f"The config file {cfg_path} cannot be read ({exc.message}); fix or remove it.") from exc

    def pick(env_key: str, section: str, key: str) -> str | None:
        if env.get(env_key):
            return env[env_key]
        if file_cfg.has_option(section, key):
            return file_cfg.get(section, key).strip() or None
        return None

    database_url = pick("DATABASE_URL", "database", "url")
    if database_url:
        try:
            url = make_url(database_url)
        except Exception as exc:  # sqlalchemy raises ArgumentError with a technical message
            raise UserError(
                f"DATABASE_URL {database_url!r} is not a database URL; "
                "write it as postgresql+psycopg://user@host:5432/dbname."
            ) from exc
        if not url.drivername.startswith("postgresql"):
            raise UserError(
                f"DATABASE_URL points at {url.drivername}, but School Office needs PostgreSQL; "
                "write it as postgresql+psycopg://user@host:5432/dbname."
            )
        if url.password and not env.get("DATABASE_URL"):
            raise UserError(
                f"{cfg_path} contains a database password; remove it and store the password in the "
                "OS keyring (school-office-admin set-password) or the PGPASSWORD environment variable."
            )
        database_url = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    port_raw = pick("SCHOOL_OFFICE_DYNAMODB_PORT", "dynamodb", "port")
    try:
        port = int(port_raw) if port_raw else DEFAULT_DYNAMODB_PORT
        if not 1 <= port <= 65535:
            raise ValueError
    except ValueError as exc:
        raise UserError(
            f"SCHOOL_OFFICE_DYNAMODB_PORT {port_raw!r} is not a port number; use a whole number from 1024 to 65535."
        ) from exc

    thresholds = []
    for env_key, key, default in (("SCHOOL_OFFICE_ABSENT_MINUTES", "absent_minutes", 240),
                                  ("SCHOOL_OFFICE_HALF_DAY_MINUTES", "half_day_minutes", 120)):
        raw = pick(env_key, "attendance", key)
        try:
            value = int(raw) if raw else default
            if not 1 <= value <= 1440:
                raise ValueError
        except ValueError as exc:
            raise UserError(f"{env_key} {raw!r} is not a number of minutes; use a whole number from 1 to 1440.") \
                from exc
        thresholds.append(value)
    if thresholds[1] > thresholds[0]:
        raise UserError(f"The half-day threshold ({thresholds[1]} minutes) is above the absence threshold "
                        f"({thresholds[0]} minutes); make it smaller.")

    endpoint = pick("DYNAMODB_ENDPOINT", "dynamodb", "endpoint")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        dynamodb_endpoint=endpoint,
        aws_region=pick("AWS_REGION", "dynamodb", "region") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        use_aws_dynamodb=endpoint is None and _aws_credentials_present(env),
        dynamodb_port=port,
        dynamodb_port_explicit=port_raw is not None,
        absent_minutes=thresholds[0],
        half_day_minutes=thresholds[1],
    )


def database_password(url: str) -> str | None:
    """The password for a DATABASE_URL without one: PGPASSWORD, else the OS keyring."""
    u = make_url(url)
    if u.password:
        return u.password
    if os.environ.get("PGPASSWORD"):
        return os.environ["PGPASSWORD"]
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, f"{u.username}@{u.host}")
    except Exception:  # no keyring backend on this machine: the server may not need a password
        return None
