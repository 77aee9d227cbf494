"""One configuration module: every setting from the environment (which wins) or
secrets.toml, with defaults, and an error that names the key for a value it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from loop_core import config
from loop_core.access import AccessConfig, ApiToken, Role, TokenRole
from loop_core.errors import ConfigError
from loop_core.models import Feed


def test_with_nothing_set_every_setting_has_its_default(tmp_path: Path) -> None:
    settings = config.load({}, secrets={})

    assert settings.db_path == config.DEFAULT_DB_PATH
    assert settings.memory_limit == config.DEFAULT_MEMORY_LIMIT
    assert settings.sample is True
    assert settings.access == AccessConfig()  # no sign-in, no token: the API is open
    assert not settings.sync.configured and settings.sync.interval_minutes == 60


def test_the_environment_wins_over_the_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(
        '[database]\npath = "data/from-secrets.duckdb"\nmemory_limit = "2GB"\n'
        '[api]\ntoken = "from-secrets"\n[sample]\nenabled = false\n'
        '[folder]\npath = "inbox"\n',
        encoding="utf-8",
    )
    from_file = config.load({}, secrets_path=secrets)
    # Relative paths in .streamlit/secrets.toml are the app folder's (the parent of .streamlit).
    assert from_file.db_path == tmp_path / "data" / "from-secrets.duckdb"
    assert from_file.sync.folder == tmp_path / "inbox" and from_file.sync.source == "folder"
    assert (from_file.memory_limit, secrets_of(from_file), from_file.sample) == (
        "2GB", ["from-secrets"], False)

    environ = {"LOOP_DB": "/srv/loop.duckdb", "LOOP_MEMORY_LIMIT": "512MB",
               "LOOP_API_TOKEN": " from-env ", "LOOP_NO_SAMPLE": "0"}
    from_env = config.load(environ, secrets_path=secrets)
    assert from_env.db_path == Path("/srv/loop.duckdb")
    assert (from_env.memory_limit, secrets_of(from_env), from_env.sample) == (
        "512MB", ["from-env"], True)


def test_loop_secrets_names_the_secrets_file_and_a_missing_one_is_an_error(
    tmp_path: Path,
) -> None:
    named = tmp_path / "elsewhere.toml"
    named.write_text('[drive]\nstore_status_file_id = "abc"\n', encoding="utf-8")
    settings = config.load({"LOOP_SECRETS": str(named)})
    assert settings.secrets_path == named
    assert settings.sync.drive is not None
    assert settings.sync.drive.file_ids == {Feed.STORE_STATUS: "abc"}

    with pytest.raises(ConfigError, match="LOOP_SECRETS: no secrets file"):
        config.load({"LOOP_SECRETS": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("environ", "secrets", "key"),
    [
        ({"LOOP_MEMORY_LIMIT": "lots"}, {}, "LOOP_MEMORY_LIMIT"),
        ({}, {"database": {"memory_limit": "12 parsecs"}}, "[database] memory_limit"),
        ({"LOOP_NO_SAMPLE": "yes"}, {}, "LOOP_NO_SAMPLE"),
        ({}, {"sample": {"enabled": "no"}}, "[sample] enabled"),
        ({"LOOP_SYNC_INTERVAL_MINUTES": "soon"}, {}, "LOOP_SYNC_INTERVAL_MINUTES"),
        ({}, {"sync": {"interval_minutes": 0}}, "[sync] interval_minutes"),
        ({"LOOP_SYNC_SOURCE": "ftp"}, {}, "LOOP_SYNC_SOURCE"),
        ({}, {"sync": {"source": "ftp"}}, "[sync] source"),
        ({"LOOP_DRIVE_CREDENTIALS_JSON": "not json"}, {}, "LOOP_DRIVE_CREDENTIALS_JSON"),
        ({}, {"database": "not a table"}, "[database]"),
        ({"LOOP_API_TOKENS": "ci:admin:abc"}, {}, "LOOP_API_TOKENS entry 1"),
        ({"LOOP_API_TOKENS": "ci:read:"}, {}, "LOOP_API_TOKENS entry 1"),
        ({"LOOP_API_TOKENS": "justasecret"}, {}, "LOOP_API_TOKENS entry 1"),
        ({}, {"api": {"tokens": {"ci": "abc"}}}, "[api.tokens.ci]"),
        ({}, {"api": {"tokens": {"ci": {"token": "abc", "role": "write"}}}}, "[api.tokens.ci]"),
        ({}, {"access": {"admins": 3}}, "[access] admins"),
        ({}, {"auth": {"cookie_secret": "x"}, "access": {"admins": ["a@b.c"]}},
         "[auth] redirect_uri"),
        ({}, {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                       "cookie_secret": "x" * 32}}, "[access] admins"),
        ({}, {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                       "cookie_secret": "short"}, "access": {"admins": ["a@b.c"]}},
         "[auth] cookie_secret"),
        ({}, {"auth": {"redirect_uri": "http://localhost:8501/", "cookie_secret": "x" * 32},
              "access": {"admins": ["a@b.c"]}}, "[auth] redirect_uri"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_with_the_key_in_the_message(
    environ: dict[str, str], secrets: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load(environ, secrets=secrets)
    assert key in str(raised.value)


def test_a_broken_secrets_file_is_refused_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "secrets.toml"
    broken.write_text("[database\npath = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        config.load({}, secrets_path=broken)


def test_every_key_is_documented_in_the_settings_table() -> None:
    table = (Path(__file__).resolve().parents[1] / "docs" / "CONFIG.md").read_text("utf-8")
    for key in config.KEYS:
        assert f"`{key.env}`" in table, key.env
        if key.secret is not None:
            section, name = key.secret.split(".")
            assert f"`[{section}] {name}`" in table, key.secret


def test_report_retention_defaults_to_200_reports_or_30_days_and_reads_both_places() -> None:
    assert config.load({}, secrets={}).reports == config.ReportsConfig(200, 30.0)
    from_file = config.load({}, secrets={"reports": {"keep_count": 50, "keep_days": 7}})
    assert from_file.reports == config.ReportsConfig(50, 7.0)
    from_env = config.load(
        {"LOOP_REPORTS_KEEP_COUNT": "5", "LOOP_REPORTS_KEEP_DAYS": "0.5"},
        secrets={"reports": {"keep_count": 50, "keep_days": 7}})
    assert from_env.reports == config.ReportsConfig(5, 0.5)
    # No age limit at all, if someone wants only the count.
    assert config.load({"LOOP_REPORTS_KEEP_DAYS": "inf"}, secrets={}).reports.keep_days == float(
        "inf")


@pytest.mark.parametrize(
    ("environ", "secrets", "message"),
    [
        ({"LOOP_REPORTS_KEEP_COUNT": "0"}, {}, "LOOP_REPORTS_KEEP_COUNT must be at least 1"),
        ({"LOOP_REPORTS_KEEP_COUNT": "lots"}, {}, "LOOP_REPORTS_KEEP_COUNT must be a whole"),
        ({}, {"reports": {"keep_count": 2.5}}, r"\[reports\] keep_count must be a whole"),
        ({}, {"reports": {"keep_count": True}}, r"\[reports\] keep_count must be a whole"),
        ({"LOOP_REPORTS_KEEP_DAYS": "0"}, {}, "LOOP_REPORTS_KEEP_DAYS must be a number of days"),
        ({"LOOP_REPORTS_KEEP_DAYS": "nan"}, {}, "LOOP_REPORTS_KEEP_DAYS must be a number"),
        ({}, {"reports": {"keep_days": "a month"}}, r"\[reports\] keep_days must be a number"),
        ({}, {"reports": {"keep_days": False}}, r"\[reports\] keep_days must be a number"),
    ],
)
def test_a_report_retention_that_cannot_be_used_names_its_key(
    environ: dict[str, str], secrets: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        config.load(environ, secrets=secrets)


def secrets_of(settings: config.Settings) -> list[str]:
    return [token.secret for token in settings.access.tokens]


def test_the_single_token_of_earlier_versions_is_a_trigger_token_named_default() -> None:
    settings = config.load({"LOOP_API_TOKEN": "legacy-secret"}, secrets={})
    assert settings.access.tokens == (ApiToken("default", TokenRole.TRIGGER, "legacy-secret"),)


def test_named_tokens_come_from_the_secrets_or_the_environment_with_their_roles() -> None:
    from_file = config.load({}, secrets={"api": {"token": "old", "tokens": {
        "grafana": {"token": "g-secret", "role": "read"},
        "scheduler": {"token": "s-secret", "role": "trigger"}}}})
    assert [(t.name, t.role, t.secret) for t in from_file.access.tokens] == [
        ("default", TokenRole.TRIGGER, "old"), ("grafana", TokenRole.READ, "g-secret"),
        ("scheduler", TokenRole.TRIGGER, "s-secret")]
    # The variable replaces the file's named tokens as a whole.
    from_env = config.load({"LOOP_API_TOKENS": "ci:trigger:c-secret, wall:read:w:secret"},
                           secrets={"api": {"tokens": {"grafana": {"token": "g", "role": "read"}}}})
    assert [(t.name, t.role, t.secret) for t in from_env.access.tokens] == [
        ("ci", TokenRole.TRIGGER, "c-secret"), ("wall", TokenRole.READ, "w:secret")]


def test_two_tokens_with_one_name_or_one_secret_are_refused_without_quoting_the_secret() -> None:
    with pytest.raises(ConfigError, match="names must differ"):
        config.load({"LOOP_API_TOKENS": "default:read:b"}, secrets={"api": {"token": "a"}})
    with pytest.raises(ConfigError, match="same secret") as raised:
        config.load({"LOOP_API_TOKENS": "a:read:shared-secret b:trigger:shared-secret"})
    assert "shared-secret" not in str(raised.value)


def test_no_token_appears_in_the_settings_repr() -> None:
    settings = config.load({"LOOP_API_TOKENS": "ci:trigger:do-not-print-me"}, secrets={})
    assert "do-not-print-me" not in repr(settings)
    assert "ci" in repr(settings.access.tokens)


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c" * 32,
        "client_id": "id", "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def test_sign_in_is_on_with_an_auth_section_and_roles_come_from_emails_and_domains() -> None:
    settings = config.load({}, secrets={"auth": AUTH, "access": {
        "admins": ["Ops.Lead@Chain.example"], "viewers": ["chain.example", "@partner.example"]}})
    access = settings.access
    assert access.sign_in and access.providers == ()
    assert access.role_for("ops.lead@chain.example") is Role.ADMIN
    assert access.role_for("OPS.LEAD@chain.example") is Role.ADMIN
    assert access.role_for("analyst@chain.example") is Role.VIEWER
    assert access.role_for("someone@partner.example") is Role.VIEWER
    # A domain matches the whole part after the @, never a suffix of it.
    assert access.role_for("mallory@evilchain.example") is None
    assert access.role_for("mallory@chain.example.evil") is None
    assert access.role_for("") is None and access.role_for(None) is None


def test_the_role_lists_from_the_environment_win_and_providers_are_the_named_sections() -> None:
    auth = {**AUTH, "google": {"client_id": "g"}, "okta": {"client_id": "o"}}
    settings = config.load({"LOOP_ADMINS": "boss@x.example", "LOOP_VIEWERS": "y.example"},
                           secrets={"auth": auth, "access": {"admins": ["other@x.example"]}})
    assert settings.access.admins == ("boss@x.example",)
    assert settings.access.viewers == ("@y.example",)
    assert settings.access.providers == ("google", "okta")
    assert config.load({}, secrets={}).access.sign_in is False


def test_the_default_uptime_target_is_99_and_must_be_a_percentage_above_0_up_to_100() -> None:
    assert config.load({}, secrets={}).targets == config.TargetsConfig(99.0)
    assert config.load({}, secrets={"targets": {"default_uptime_pct": 99.5}}).targets == \
        config.TargetsConfig(99.5)
    assert config.load({"LOOP_TARGETS_DEFAULT_UPTIME_PCT": "100"},
                       secrets={"targets": {"default_uptime_pct": 90}}).targets == \
        config.TargetsConfig(100.0)
    for bad in ("0", "100.5", "-1", "lots", "nan"):
        with pytest.raises(ConfigError, match="LOOP_TARGETS_DEFAULT_UPTIME_PCT must be a "
                                              r"percentage in \(0, 100\]"):
            config.load({"LOOP_TARGETS_DEFAULT_UPTIME_PCT": bad}, secrets={})
    with pytest.raises(ConfigError, match=r"\[targets\] default_uptime_pct"):
        config.load({}, secrets={"targets": {"default_uptime_pct": True}})


def test_the_digest_defaults_to_monday_9_in_chicago_and_reads_both_places() -> None:
    from datetime import time

    assert config.load({}, secrets={}).digest == config.DigestConfig(
        True, 0, time(9, 0), "America/Chicago")
    from_file = config.load({}, secrets={"digest": {
        "weekday": "Friday", "time": "17:30", "timezone": "Asia/Tokyo", "enabled": False}})
    assert from_file.digest == config.DigestConfig(False, 4, time(17, 30), "Asia/Tokyo")
    from_env = config.load({"LOOP_DIGEST_WEEKDAY": "sunday", "LOOP_DIGEST_TIME": "7:05",
                            "LOOP_DIGEST_TIMEZONE": "UTC", "LOOP_DIGEST_ENABLED": "1"},
                           secrets={"digest": {"enabled": False}})
    assert from_env.digest == config.DigestConfig(True, 6, time(7, 5), "UTC")


@pytest.mark.parametrize(("environ", "message"), [
    ({"LOOP_DIGEST_WEEKDAY": "mon"}, "LOOP_DIGEST_WEEKDAY must be a weekday name"),
    ({"LOOP_DIGEST_TIME": "24:00"}, "LOOP_DIGEST_TIME must be a time of day as HH:MM"),
    ({"LOOP_DIGEST_TIME": "9am"}, "LOOP_DIGEST_TIME must be a time of day as HH:MM"),
    ({"LOOP_DIGEST_TIMEZONE": "Mars/Olympus_Mons"}, "LOOP_DIGEST_TIMEZONE must be an IANA"),
    ({"LOOP_DIGEST_ENABLED": "yes"}, "LOOP_DIGEST_ENABLED must be 1"),
])
def test_a_digest_setting_that_cannot_be_used_names_its_key(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        config.load(environ, secrets={})
