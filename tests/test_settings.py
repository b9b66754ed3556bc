"""Deployment settings: defaults, clear errors, and the README documents every one."""

from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT, SETTINGS, SettingsError, load_settings


def test_defaults_serve_the_embedded_city_on_loopback():
    settings = load_settings({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8050
    assert settings.city_name == "Millbrook"
    assert settings.data_dir == (Path.cwd() / "data").resolve()
    assert settings.database_url == f"sqlite:///{settings.data_dir / 'app.db'}"
    assert settings.sources_file == PROJECT_ROOT / "config" / "sources.yaml"


def test_alerts_go_out_only_once_mail_and_webhooks_are_set_up():
    settings = load_settings({})
    assert (settings.smtp_host, settings.webhook_secret, settings.public_url) == ("", "", "")
    assert (settings.smtp_port, settings.smtp_starttls) == (587, True)
    chosen = load_settings({"DASHBOARD_SMTP_PASSWORD": "hunter2-mail",
                            "DASHBOARD_WEBHOOK_SECRET": "hunter2-hook",
                            "DASHBOARD_PUBLIC_URL": "https://dash.example.gov/"})
    assert chosen.public_url == "https://dash.example.gov"
    assert "hunter2" not in repr(chosen)


@pytest.mark.parametrize(
    ("env", "value", "words"),
    [
        ("PORT", "http", "not a whole number"),
        ("PORT", "70000", "not between 1 and 65535"),
        ("DASHBOARD_SNAPSHOT_RETENTION", "0", "must be 1 or more"),
        ("DASHBOARD_LOG_LEVEL", "LOUD", "must be DEBUG, INFO, WARNING or ERROR"),
        ("DASHBOARD_DUCKDB_MEMORY_LIMIT", "lots", "must be an amount such as 128MB"),
        ("DASHBOARD_SMTP_PORT", "smtp", "not a whole number"),
        ("DASHBOARD_SMTP_STARTTLS", "maybe", "must be true or false"),
        ("DASHBOARD_PUBLIC_URL", "dashboard.example.gov", "must be an address such as https://"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(env, value, words):
    with pytest.raises(SettingsError) as error:
        load_settings({env: value})
    assert env in str(error.value)
    assert repr(value) in str(error.value)
    assert words in str(error.value)


def test_every_setting_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []


def test_the_data_model_doc_is_generated_from_the_current_domains():
    from etl.domains.__main__ import markdown

    doc = (PROJECT_ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == markdown(), "run: python -m etl.domains > docs/data-model.md"
