"""Every setting of the product, read in one place: the environment first, then secrets.toml.

:func:`load` is the only function that reads ``LOOP_*`` variables or the secrets file. It
returns one frozen :class:`Settings`; the server reads it once at start-up and hands the
parts on (the database path to ``db.connect``, the sync settings to the scheduler, the
token to the API), and the CLI reads it once per command. A value that cannot be used
raises :class:`~loop_core.errors.ConfigError`, whose message names the key to fix.

The table of all keys is in ``docs/CONFIG.md``; keep it in step with :data:`KEYS`.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time as dt_time
from pathlib import Path
from typing import Any

from loop_core.access import DEFAULT_TOKEN_NAME, AccessConfig, ApiToken, TokenRole, normalise_entry
from loop_core.errors import ConfigError
from loop_core.models import Feed

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRETS = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "loop.duckdb"
DEFAULT_MEMORY_LIMIT = "1500MB"
DEFAULT_INTERVAL_MINUTES = 60.0
DEFAULT_POLLS_DAYS = 90
MIN_COOKIE_SECRET = 32  # characters of [auth] cookie_secret

# Where each feed's Drive file id lives: the secrets.toml [drive] key and the variable.
FILE_ID_KEYS: dict[Feed, tuple[str, str]] = {
    Feed.STORE_STATUS: ("store_status_file_id", "LOOP_DRIVE_STORE_STATUS_ID"),
    Feed.BUSINESS_HOURS: ("business_hours_file_id", "LOOP_DRIVE_BUSINESS_HOURS_ID"),
    Feed.TIMEZONES: ("timezones_file_id", "LOOP_DRIVE_TIMEZONES_ID"),
    Feed.SPECIAL_HOURS: ("special_hours_file_id", "LOOP_DRIVE_SPECIAL_HOURS_ID"),
    Feed.STORES: ("stores_file_id", "LOOP_DRIVE_STORES_ID"),
}


@dataclass(frozen=True)
class Key:
    """One setting: its variable, its place in secrets.toml, its default and meaning."""

    env: str
    secret: str | None  # "section.key", or None when only the environment has it
    default: str
    meaning: str


KEYS: tuple[Key, ...] = (
    Key("LOOP_SECRETS", None, ".streamlit/secrets.toml", "the secrets file to read"),
    Key("LOOP_DB", "database.path", "data/loop.duckdb", "the DuckDB file"),
    Key("LOOP_MEMORY_LIMIT", "database.memory_limit", DEFAULT_MEMORY_LIMIT,
        "DuckDB's memory cap per process, e.g. 1500MB or 2GB"),
    Key("LOOP_NO_SAMPLE", "sample.enabled", "sample on",
        "LOOP_NO_SAMPLE=1 (or enabled = false) starts an empty database without the sample"),
    Key("LOOP_DEMO_FEED", "sample.demo_feed", "on",
        "LOOP_DEMO_FEED=0 (or demo_feed = false) stops the sample advancing hour by hour"),
    Key("LOOP_API_TOKEN", "api.token", "none",
        "an API token named default with the role trigger (sent as a Bearer header)"),
    Key("LOOP_API_TOKENS", "api.tokens", "none (API open while no token is set)",
        "named API tokens, each with the role read or trigger (see below)"),
    Key("LOOP_ADMINS", "access.admins", "none",
        "with sign-in: emails or @domains with the admin role (space- or comma-separated)"),
    Key("LOOP_VIEWERS", "access.viewers", "none",
        "with sign-in: emails or @domains with the viewer role (space- or comma-separated)"),
    Key("LOOP_SYNC_SOURCE", "sync.source", "drive if a file id is set, else folder",
        "where the hourly sync reads: drive or folder"),
    Key("LOOP_SYNC_INTERVAL_MINUTES", "sync.interval_minutes", "60", "minutes between syncs"),
    Key("LOOP_SYNC_FOLDER", "folder.path", "none", "a folder holding the feed CSVs"),
    Key("LOOP_DRIVE_CREDENTIALS_FILE", "drive.credentials_file", "none",
        "the service-account JSON key file"),
    Key("LOOP_DRIVE_CREDENTIALS_JSON", "drive.credentials_info", "none",
        "the service-account key itself (JSON text; a table in secrets.toml)"),
    *(Key(env, f"drive.{key}", "none", f"the Drive file id of the {feed} feed")
      for feed, (key, env) in FILE_ID_KEYS.items()),
    Key("LOOP_ALERT_URLS", "alerts.urls", "none (no alerts sent)",
        "apprise URLs of the alert channels (Slack, email, webhooks), space- or comma-separated"),
    Key("LOOP_ALERT_THRESHOLD_MINUTES", "alerts.threshold_minutes", "45",
        "an incident is announced once its downtime reaches this"),
    Key("LOOP_ALERT_REMINDER_HOURS", "alerts.reminder_hours", "4",
        "a reminder every this many hours of further downtime while it lasts"),
    Key("LOOP_ALERT_STALE_HOURS", "alerts.stale_hours", "2",
        "a 'data stale' alert when no new poll arrived for this long"),
    Key("LOOP_REPORTS_KEEP_COUNT", "reports.keep_count", "200",
        "completed reports whose CSV is kept: the newest this many (older ones expire)"),
    Key("LOOP_REPORTS_KEEP_DAYS", "reports.keep_days", "30",
        "a completed report's CSV expires this many days after it finished"),
    Key("LOOP_RETENTION_POLLS_DAYS", "retention.polls_days", str(DEFAULT_POLLS_DAYS),
        "polls older than this many days (before the latest poll) move to the Parquet "
        "archive, a whole month at a time; 0 keeps every poll in the database"),
    Key("LOOP_TARGETS_DEFAULT_UPTIME_PCT", "targets.default_uptime_pct", "99",
        "the uptime target (%, in (0, 100]) of a store the stores feed gives none"),
    Key("LOOP_DIGEST_ENABLED", "digest.enabled", "on",
        "LOOP_DIGEST_ENABLED=0 (or enabled = false) stops the weekly digest"),
    Key("LOOP_DIGEST_WEEKDAY", "digest.weekday", "monday",
        "the day the weekly digest is sent (monday ... sunday)"),
    Key("LOOP_DIGEST_TIME", "digest.time", "09:00", "the time of day (HH:MM) it is sent"),
    Key("LOOP_DIGEST_TIMEZONE", "digest.timezone", "America/Chicago",
        "the IANA zone of that day and time"),
)

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DriveConfig:
    """The ``[drive]`` settings: the feeds' file ids and where the credentials are."""

    file_ids: Mapping[Feed, str]
    credentials_file: Path | None = None
    # The service-account JSON itself; kept out of repr so it never reaches a log.
    credentials_info: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SyncConfig:
    """Where the hourly sync reads from, and how often."""

    source: str | None  # "drive" | "folder" | None (nothing configured)
    drive: DriveConfig | None
    folder: Path | None
    interval_minutes: float = DEFAULT_INTERVAL_MINUTES

    @property
    def interval_s(self) -> float:
        """The scheduler's interval in seconds."""
        return self.interval_minutes * 60.0

    @property
    def configured(self) -> bool:
        """True when there is something to sync from."""
        return self.source is not None


@dataclass(frozen=True)
class AlertConfig:
    """Where alerts go and when (SPEC "Alerts")."""

    urls: tuple[str, ...] = field(default=(), repr=False)  # apprise URLs hold secrets
    threshold_minutes: float = 45.0
    reminder_hours: float = 4.0
    stale_hours: float = 2.0

    @property
    def configured(self) -> bool:
        """True when there is at least one channel."""
        return bool(self.urls)


@dataclass(frozen=True)
class ReportsConfig:
    """How long completed reports keep their CSV: a report expires as soon as it is not
    among the newest ``keep_count`` completed ones, or finished ``keep_days`` ago."""

    keep_count: int = 200
    keep_days: float = 30.0


@dataclass(frozen=True)
class TargetsConfig:
    """The ``[targets]`` settings: the uptime target of a store without its own."""

    default_uptime_pct: float = 99.0


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class DigestConfig:
    """The ``[digest]`` settings: when the weekly digest goes to the alert channels."""

    enabled: bool = True
    weekday: int = 0  # 0 = Monday ... 6 = Sunday
    time: dt_time = dt_time(9, 0)
    timezone: str = "America/Chicago"


@dataclass(frozen=True)
class Settings:
    """Every setting, validated. Build it with :func:`load`."""

    db_path: Path
    memory_limit: str
    sample: bool  # load the sample into an empty database on first start
    sync: SyncConfig
    secrets_path: Path
    alerts: AlertConfig = AlertConfig()
    demo_feed: bool = True  # the sample advances hour by hour while nothing real is loaded
    reports: ReportsConfig = ReportsConfig()
    polls_days: int = DEFAULT_POLLS_DAYS  # retention in the database; 0 = keep every poll
    access: AccessConfig = field(default_factory=AccessConfig)  # sign-in, roles, API tokens
    targets: TargetsConfig = TargetsConfig()
    digest: DigestConfig = DigestConfig()


def load(
    environ: Mapping[str, str] | None = None,
    *,
    secrets_path: str | os.PathLike[str] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> Settings:
    """Read every setting from ``environ`` (default ``os.environ``), which wins, and the
    secrets file (``secrets_path``, else ``$LOOP_SECRETS``, else ``.streamlit/secrets.toml``;
    a missing default file is fine, a missing named one is not). ``secrets`` replaces the
    file with an already parsed mapping (tests). Relative paths in a secrets file are taken
    from the folder the app runs in: the parent of ``.streamlit/``, else the file's folder.
    """
    env = os.environ if environ is None else environ
    named = secrets_path if secrets_path is not None else _text(env.get("LOOP_SECRETS"))
    path = Path(named).expanduser() if named else DEFAULT_SECRETS
    if secrets is None:
        secrets = _read_secrets(path, required=named is not None)
    folder = path.resolve().parent
    base_dir = folder.parent if folder.name == ".streamlit" else folder

    database = _section(secrets, "database")
    db_path = (_env_path(env, "LOOP_DB") or _secret_path(database.get("path"), base_dir)
               or DEFAULT_DB_PATH)
    memory = _text(env.get("LOOP_MEMORY_LIMIT")) or _text(database.get("memory_limit")) \
        or DEFAULT_MEMORY_LIMIT
    if not _MEMORY.match(memory):
        key = "LOOP_MEMORY_LIMIT" if env.get("LOOP_MEMORY_LIMIT") else "[database] memory_limit"
        raise ConfigError(f"{key} must be a size such as 1500MB or 2GB, not {memory!r}")
    return Settings(
        db_path=db_path,
        memory_limit=memory.replace(" ", ""),
        # LOOP_NO_SAMPLE=1 turns the sample off: the variable says the opposite of the key.
        sample=_flag(env, "LOOP_NO_SAMPLE", _section(secrets, "sample"), "sample", "enabled",
                     env_on="0"),
        sync=load_sync_config(secrets, env, base_dir=base_dir),
        secrets_path=path,
        alerts=load_alert_config(_section(secrets, "alerts"), env),
        demo_feed=_flag(env, "LOOP_DEMO_FEED", _section(secrets, "sample"), "sample",
                        "demo_feed"),
        reports=load_reports_config(_section(secrets, "reports"), env),
        polls_days=_polls_days(env, _section(secrets, "retention")),
        access=load_access_config(secrets, env),
        targets=load_targets_config(_section(secrets, "targets"), env),
        digest=load_digest_config(_section(secrets, "digest"), env),
    )


def _polls_days(env: Mapping[str, str], section: Mapping[str, Any]) -> int:
    """``[retention] polls_days`` (LOOP_RETENTION_POLLS_DAYS wins): a whole number >= 0."""
    from_env = _text(env.get("LOOP_RETENTION_POLLS_DAYS"))
    key = "LOOP_RETENTION_POLLS_DAYS" if from_env else "[retention] polls_days"
    value: object = from_env if from_env is not None else section.get("polls_days",
                                                                       DEFAULT_POLLS_DAYS)
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise ConfigError(f"{key} must be a whole number of days (0 keeps every poll), "
                          f"not {value!r}")
    return int(text)


def load_access_config(secrets: Mapping[str, Any], env: Mapping[str, str]) -> AccessConfig:
    """Sign-in (``[auth]``, Streamlit's own section), the role lists (``[access]``, LOOP_ADMINS
    and LOOP_VIEWERS win) and the API tokens (LOOP_API_TOKEN(S) win over ``[api]``)."""
    auth = _section(secrets, "auth")
    section = _section(secrets, "access")
    lists = {}
    for name in ("admins", "viewers"):
        variable = f"LOOP_{name.upper()}"
        raw = _text(env.get(variable))
        given: object = raw if raw is not None else section.get(name, ())
        key = variable if raw is not None else f"[access] {name}"
        lists[name] = tuple(normalise_entry(e) for e in _words(given, key, "emails or @domains"))
    if auth:
        for needed in ("redirect_uri", "cookie_secret"):
            if not _text(auth.get(needed)):
                raise ConfigError(f"[auth] {needed} is required to sign in (secrets.toml.example)")
        if not str(auth["redirect_uri"]).rstrip("/").endswith("/oauth2callback"):
            raise ConfigError("[auth] redirect_uri must be the dashboard's address followed by "
                              "/oauth2callback, e.g. http://localhost:8501/oauth2callback")
        if len(str(auth["cookie_secret"])) < MIN_COOKIE_SECRET:
            # It signs the sign-in cookie: a short one could be guessed, and with it any email.
            raise ConfigError(f"[auth] cookie_secret must be at least {MIN_COOKIE_SECRET} "
                              "random characters")
        if not (lists["admins"] or lists["viewers"]):
            raise ConfigError("[access] admins (or viewers) must list who may sign in: "
                              "with [auth] set and both lists empty, nobody could")
    providers = tuple(sorted(k for k, v in auth.items()
                             if isinstance(v, Mapping) and k != "client_kwargs"))
    return AccessConfig(sign_in=bool(auth), providers=providers, tokens=_api_tokens(secrets, env),
                        **lists)


def _api_tokens(secrets: Mapping[str, Any], env: Mapping[str, str]) -> tuple[ApiToken, ...]:
    api = _section(secrets, "api")
    tokens: list[ApiToken] = []
    default = _text(env.get("LOOP_API_TOKEN")) or _text(api.get("token"))
    if default:  # the single token of earlier versions: it could always trigger
        tokens.append(ApiToken(DEFAULT_TOKEN_NAME, TokenRole.TRIGGER, default))
    raw = _text(env.get("LOOP_API_TOKENS"))
    if raw is not None:  # name:role:token entries
        entries = _words(raw, "LOOP_API_TOKENS", "name:role:token entries")
        for number, entry in enumerate(entries, start=1):
            name, _, rest = entry.partition(":")
            role, _, secret = rest.partition(":")
            # The entry is not quoted in a message: a mistyped one may be all secret.
            tokens.append(_token(name, role, secret, f"LOOP_API_TOKENS entry {number}"))
    else:
        for name, spec in _section(api, "tokens").items():
            key = f"[api.tokens.{name}]"
            if not isinstance(spec, Mapping):
                raise ConfigError(f'{key} must be a table: token = "...", role = "read"')
            tokens.append(_token(name, str(spec.get("role", "")), str(spec.get("token", "")), key))
    names = [t.name for t in tokens]
    if len(set(names)) != len(names):
        raise ConfigError(f"API token names must differ: {sorted(names)}")
    if len({t.secret for t in tokens}) != len(tokens):
        raise ConfigError("two API tokens have the same secret: give each caller its own")
    return tuple(tokens)


def _token(name: str, role: str, secret: str, key: str) -> ApiToken:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
        raise ConfigError(f"{key}: a token's name is letters, digits, '_', '.' or '-' "
                          "(write name:role:token)")
    if role not in {r.value for r in TokenRole}:
        raise ConfigError(f"{key}: a token's role must be read or trigger")
    if not secret.strip():
        raise ConfigError(f"{key}: the token itself is missing")
    return ApiToken(name, TokenRole(role), secret.strip())


def _words(given: object, key: str, what: str) -> tuple[str, ...]:
    """A list setting: a TOML list of strings, or one string split at spaces and commas."""
    if isinstance(given, str):
        return tuple(w for w in given.replace(",", " ").split() if w)
    if isinstance(given, list | tuple) and all(isinstance(w, str) for w in given):
        return tuple(w.strip() for w in given if w.strip())
    raise ConfigError(f"{key} must be a list of {what} or one string")


def _flag(
    env: Mapping[str, str], variable: str, section: Mapping[str, Any], section_name: str,
    name: str, *, env_on: str = "1",
) -> bool:
    """An on/off setting (default on): the variable (0 or 1; ``env_on`` is the value that
    means on), else ``[section_name] name`` (true or false)."""
    raw = _text(env.get(variable))
    if raw is not None:
        if raw not in ("0", "1"):
            off = "0" if env_on == "1" else "1"
            raise ConfigError(f"{variable} must be {env_on} (on) or {off} (off), not {raw!r}")
        return raw == env_on
    value = section.get(name, True)
    if not isinstance(value, bool):
        raise ConfigError(f"[{section_name}] {name} must be true or false, not {value!r}")
    return value


def load_alert_config(section: Mapping[str, Any], env: Mapping[str, str]) -> AlertConfig:
    """The ``[alerts]`` settings (LOOP_ALERT_* win)."""
    raw = env.get("LOOP_ALERT_URLS")
    given: object = raw if raw else section.get("urls", ())
    urls = _words(given, "[alerts] urls", "apprise URLs")
    numbers = {}
    for name, default in (("threshold_minutes", 45.0), ("reminder_hours", 4.0),
                          ("stale_hours", 2.0)):
        variable = f"LOOP_ALERT_{name.upper()}"
        value = env.get(variable) or section.get(name, default)
        key = variable if env.get(variable) else f"[alerts] {name}"
        try:
            numbers[name] = float(value)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{key} must be a number, not {value!r}") from e
        if not numbers[name] > 0:
            raise ConfigError(f"{key} must be more than 0")
    return AlertConfig(urls, **numbers)


def load_reports_config(section: Mapping[str, Any], env: Mapping[str, str]) -> ReportsConfig:
    """The ``[reports]`` settings (LOOP_REPORTS_* win): a whole count of at least 1 (the
    report that just finished always keeps its CSV) and a number of days above 0."""
    defaults = ReportsConfig()
    count_key, count = _setting(env, section, "reports", "keep_count", defaults.keep_count)
    days_key, days = _setting(env, section, "reports", "keep_days", defaults.keep_days)
    try:
        keep_count = int(str(count).strip())  # "200" or 200; not 2.5, "lots" or true
    except ValueError as e:
        raise ConfigError(f"{count_key} must be a whole number of reports, not {count!r}") from e
    if keep_count < 1:
        raise ConfigError(f"{count_key} must be at least 1, not {keep_count}")
    try:
        keep_days = float(days) if isinstance(days, int | float | str) \
            and not isinstance(days, bool) else float("nan")
    except ValueError as e:
        raise ConfigError(f"{days_key} must be a number of days, not {days!r}") from e
    if not keep_days > 0:  # also refuses NaN
        raise ConfigError(f"{days_key} must be a number of days above 0, not {days!r}")
    return ReportsConfig(keep_count=keep_count, keep_days=keep_days)


def _setting(
    env: Mapping[str, str], section: Mapping[str, Any], section_name: str, name: str,
    default: object,
) -> tuple[str, object]:
    """(the key to name in an error, the raw value) of ``LOOP_<SECTION>_<NAME>``, else
    ``[section_name] name``, else ``default``."""
    variable = f"LOOP_{section_name.upper()}_{name.upper()}"
    raw = _text(env.get(variable))
    if raw is not None:
        return variable, raw
    return f"[{section_name}] {name}", section.get(name, default)


def load_targets_config(section: Mapping[str, Any], env: Mapping[str, str]) -> TargetsConfig:
    """The ``[targets]`` settings (LOOP_TARGETS_* win): a percentage in (0, 100]."""
    key, value = _setting(env, section, "targets", "default_uptime_pct",
                          TargetsConfig().default_uptime_pct)
    try:
        pct = float(value) if isinstance(value, int | float | str) \
            and not isinstance(value, bool) else float("nan")
    except ValueError as e:
        raise ConfigError(f"{key} must be a percentage in (0, 100], not {value!r}") from e
    if not 0 < pct <= 100:  # also refuses NaN
        raise ConfigError(f"{key} must be a percentage in (0, 100], not {value!r}")
    return TargetsConfig(pct)


def load_digest_config(section: Mapping[str, Any], env: Mapping[str, str]) -> DigestConfig:
    """The ``[digest]`` settings (LOOP_DIGEST_* win): on or off, a weekday name, HH:MM and
    an IANA zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    defaults = DigestConfig()
    enabled = _flag(env, "LOOP_DIGEST_ENABLED", section, "digest", "enabled")
    day_key, day = _setting(env, section, "digest", "weekday", WEEKDAYS[defaults.weekday])
    name = str(day).strip().lower()
    if name not in WEEKDAYS:
        raise ConfigError(f"{day_key} must be a weekday name (monday ... sunday), not {day!r}")
    time_key, when = _setting(env, section, "digest", "time", "09:00")
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(when))
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ConfigError(f"{time_key} must be a time of day as HH:MM, not {when!r}")
    zone_key, zone = _setting(env, section, "digest", "timezone", defaults.timezone)
    try:
        ZoneInfo(str(zone).strip())
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"{zone_key} must be an IANA zone name such as America/Chicago, "
                          f"not {zone!r}") from e
    return DigestConfig(enabled=enabled, weekday=WEEKDAYS.index(name),
                        time=dt_time(int(match.group(1)), int(match.group(2))),
                        timezone=str(zone).strip())


def load_sync_config(
    secrets: Mapping[str, Any] | None,
    environ: Mapping[str, str],
    *,
    base_dir: Path | None = None,
) -> SyncConfig:
    """The sync part of :func:`load`: ``[drive]``, ``[folder]`` and ``[sync]`` (see KEYS).

    By default the source is Drive when a file id is set, else the folder. Relative paths
    from the secrets are taken from ``base_dir`` (else the working directory); paths from
    the environment as given.
    """
    secrets = secrets or {}
    drive_section = _section(secrets, "drive")
    folder_section = _section(secrets, "folder")
    sync_section = _section(secrets, "sync")

    file_ids: dict[Feed, str] = {}
    for feed, (key, env) in FILE_ID_KEYS.items():
        value = _text(environ.get(env)) or _text(drive_section.get(key))
        if value:
            file_ids[feed] = value

    credentials_file = _env_path(environ, "LOOP_DRIVE_CREDENTIALS_FILE") or _secret_path(
        drive_section.get("credentials_file"), base_dir
    )
    credentials_info: dict[str, Any] | None = None
    env_json = _text(environ.get("LOOP_DRIVE_CREDENTIALS_JSON"))
    if env_json:
        try:
            credentials_info = dict(json.loads(env_json))
        except (ValueError, TypeError) as e:
            raise ConfigError(
                "LOOP_DRIVE_CREDENTIALS_JSON is not a JSON object (the service-account key)"
            ) from e
    elif "credentials_info" in drive_section and not credentials_file:
        info = drive_section["credentials_info"]
        if not isinstance(info, Mapping):
            raise ConfigError(
                "[drive] credentials_info must be a table (the service-account JSON's fields)"
            )
        credentials_info = _plain(info)

    drive = None
    if file_ids or credentials_file or credentials_info:
        drive = DriveConfig(
            file_ids=file_ids,
            credentials_file=credentials_file,
            credentials_info=credentials_info,
        )

    folder = _env_path(environ, "LOOP_SYNC_FOLDER") or _secret_path(
        folder_section.get("path"), base_dir
    )

    from_env = environ.get("LOOP_SYNC_INTERVAL_MINUTES")
    key = "LOOP_SYNC_INTERVAL_MINUTES" if from_env else "[sync] interval_minutes"
    interval_raw = from_env or sync_section.get("interval_minutes", DEFAULT_INTERVAL_MINUTES)
    try:
        interval = float(interval_raw)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{key} must be a number of minutes, not {interval_raw!r}") from e
    if not interval > 0:
        raise ConfigError(f"{key} must be more than 0")

    source = _text(environ.get("LOOP_SYNC_SOURCE")) or _text(sync_section.get("source"))
    if source is not None:
        source = source.lower()
        if source not in ("drive", "folder"):
            key = "LOOP_SYNC_SOURCE" if environ.get("LOOP_SYNC_SOURCE") else "[sync] source"
            raise ConfigError(f"{key} must be 'drive' or 'folder', not {source!r}")
    elif drive is not None and file_ids:
        source = "drive"
    elif folder is not None:
        source = "folder"
    return SyncConfig(source=source, drive=drive, folder=folder, interval_minutes=interval)


def _read_secrets(path: Path, *, required: bool) -> dict[str, Any]:
    if not required and not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as e:
        raise ConfigError(f"LOOP_SECRETS: no secrets file at {path}") from e
    except OSError as e:
        raise ConfigError(f"cannot read the secrets file {path}: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from e


def _section(secrets: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = secrets.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] in the secrets must be a table")
    return value


def _env_path(environ: Mapping[str, str], name: str) -> Path | None:
    text = _text(environ.get(name))
    return Path(text).expanduser() if text else None


def _secret_path(value: object, base_dir: Path | None) -> Path | None:
    text = _text(value)
    if text is None:
        return None
    path = Path(text).expanduser()
    return base_dir / path if base_dir is not None and not path.is_absolute() else path


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    # A parsed TOML table may be a read-only mapping type; google-auth wants a dict.
    return {k: _plain(v) if isinstance(v, Mapping) else v for k, v in value.items()}
