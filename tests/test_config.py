"""One configuration module: every setting from the environment (which wins) or
secrets.toml, with defaults, and an error that names the key for a value it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from loop_core import config
from loop_core.errors import ConfigError
from loop_core.models import Feed


def test_with_nothing_set_every_setting_has_its_default(tmp_path: Path) -> None:
    settings = config.load({}, secrets={})

    assert settings.db_path == config.DEFAULT_DB_PATH
    assert settings.memory_limit == config.DEFAULT_MEMORY_LIMIT
    assert settings.sample is True
    assert settings.api_token is None
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
    assert (from_file.memory_limit, from_file.api_token, from_file.sample) == (
        "2GB", "from-secrets", False)

    environ = {"LOOP_DB": "/srv/loop.duckdb", "LOOP_MEMORY_LIMIT": "512MB",
               "LOOP_API_TOKEN": " from-env ", "LOOP_NO_SAMPLE": "0"}
    from_env = config.load(environ, secrets_path=secrets)
    assert from_env.db_path == Path("/srv/loop.duckdb")
    assert (from_env.memory_limit, from_env.api_token, from_env.sample) == (
        "512MB", "from-env", True)


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
