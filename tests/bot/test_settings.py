"""Start-up refuses missing or malformed settings with a message that names the variable."""

from pathlib import Path

import pytest

from bot.policy import PolicyError, load_policy
from bot.settings import SettingsError, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s"}


def _load(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(_env_file=None)


@pytest.mark.parametrize(
    ("mode", "variable"),
    [
        ("socket", "SLACK_BOT_TOKEN"),
        ("socket", "SLACK_APP_TOKEN"),
        ("http", "SLACK_BOT_TOKEN"),
        ("http", "SLACK_SIGNING_SECRET"),
    ],
)
def test_each_required_setting_is_named_when_missing(monkeypatch, mode, variable):
    settings = _load(monkeypatch, {k: v for k, v in GOOD.items() if k != variable})
    with pytest.raises(SettingsError, match=f"{mode} mode needs {variable} \\(not set\\)"):
        settings.require(mode)


def test_mode_only_needs_its_own_settings(monkeypatch):
    assert _load(monkeypatch, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require("socket")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-1", "SLACK_APP_TOKEN: must be an app-level token starting with xapp-"),
        ("OPSBOT_PORT", "70000", "OPSBOT_PORT: Input should be less than or equal to 65535"),
        ("OPSBOT_PORT", "http", "OPSBOT_PORT: Input should be a valid integer"),
        ("OPSBOT_DATABASE_URL", "mysql://x", "OPSBOT_DATABASE_URL: must be a sqlite:// or postgresql:// URL"),
        ("OPSBOT_CONFIG", "/no/such/policy.yml", "OPSBOT_CONFIG: no policy file at /no/such/policy.yml"),
        ("SLACK_API_URL", "slack.com", "SLACK_API_URL: must be an http(s) URL"),
        ("OPSBOT_LOG_FORMAT", "xml", "OPSBOT_LOG_FORMAT: Input should be 'json' or 'console'"),
    ],
)
def test_malformed_setting_is_named(monkeypatch, variable, value, message):
    with pytest.raises(SettingsError) as raised:
        _load(monkeypatch, {**GOOD, variable: value})
    assert message in str(raised.value)


def test_secrets_never_appear_in_messages_or_repr(monkeypatch):
    settings = _load(monkeypatch, {**GOOD, "SLACK_BOT_TOKEN": "xoxb-very-secret"})
    assert "very-secret" not in repr(settings)
    with pytest.raises(SettingsError) as raised:
        _load(monkeypatch, {**GOOD, "SLACK_BOT_TOKEN": "xoxp-very-secret"})
    assert "very-secret" not in str(raised.value)


def test_dotenv_file_is_read(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nOPSBOT_PORT=4000\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.bot_token == "xoxb-from-file" and settings.port == 4000


def test_api_url_gets_its_trailing_slash(monkeypatch):
    assert _load(monkeypatch, {**GOOD, "SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url.endswith("/api/")


def test_policy_errors_name_the_field(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text("admins:\n  users: [not-a-user]\nprojects: {}\nunknown_key: 1\n")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert "admins.users.0" in str(raised.value) and "unknown_key" in str(raised.value)


def test_policy_yaml_syntax_error(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text("admins: [\n")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(path)


def test_the_example_policy_in_the_repository_is_valid():
    policy = load_policy(Path(__file__).resolve().parents[2] / "policy.example.yml")
    assert policy.admins.users == ("U0123ADMIN",) and "a1b2c3d4e5f6g7" in policy.projects
