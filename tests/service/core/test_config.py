import pytest
from pydantic import ValidationError

from handoff.core.config import Settings

STRONG = {
    "secret_key": "k" * 40,
    "rasa_channel_token": "r" * 24,
    "handoff_api_token": "h" * 24,
    "twilio_auth_token": "t" * 32,
    "public_url": "https://support.example.ac.uk",
    "encryption_keys": "A" * 43 + "=",
    "institution_id": "our-college",  # the own_profile fixture
}


def test_development_mode_starts_with_defaults():
    settings = Settings(_env_file=None)
    assert not settings.production
    assert settings.async_database_url.startswith("sqlite+aiosqlite:///")


def test_production_refuses_to_start_without_its_secrets():
    with pytest.raises(ValidationError) as error:
        Settings(environment="production", _env_file=None)
    message = str(error.value)
    for name in ("SECRET_KEY", "RASA_CHANNEL_TOKEN", "HANDOFF_API_TOKEN", "TWILIO_AUTH_TOKEN", "PUBLIC_URL",
                 "ENCRYPTION_KEYS", "INSTITUTION_ID"):
        assert name in message


@pytest.mark.parametrize("field", sorted(set(STRONG) - {"institution_id"}))
def test_production_refuses_each_placeholder(field, own_profile):
    values = dict(STRONG, **{field: "" if field == "encryption_keys" else "changeme"})
    with pytest.raises(ValidationError):
        Settings(environment="production", _env_file=None, **values)


def test_production_starts_with_real_secrets(own_profile):
    assert Settings(environment="production", _env_file=None, **STRONG).production


def test_production_refuses_a_shipped_profile_modelled_on_another_institutions_policy(monkeypatch):
    monkeypatch.delenv("INSTITUTIONS_DIR", raising=False)  # the shipped profiles: fictional contacts and names
    with pytest.raises(ValidationError, match="modelled on Results Consortium Ltd"):
        Settings(environment="production", _env_file=None, **dict(STRONG, institution_id="harbourside-college"))


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.internal:5432/handoff")
    monkeypatch.setenv("RASA_URL", "http://rasa.internal:5005/")
    settings = Settings(_env_file=None)
    assert settings.async_database_url == "postgresql+asyncpg://u@db.internal:5432/handoff"
    assert settings.rasa_url == "http://rasa.internal:5005"


def test_production_refuses_the_local_twilio_stand_in(own_profile):
    with pytest.raises(ValidationError, match="TWILIO_API_BASE"):
        Settings(environment="production", _env_file=None, twilio_api_base="http://127.0.0.1:8025", **STRONG)


def test_a_malformed_encryption_key_is_refused_with_a_hint():
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key"):
        Settings(encryption_keys="A" * 43 + "=,not-a-key", _env_file=None)


def test_production_refuses_the_fictional_example_profile():
    values = dict(STRONG, institution_id="example")
    with pytest.raises(ValidationError, match="INSTITUTION_ID is 'example', a fictional profile"):
        Settings(environment="production", _env_file=None, **values)
    assert Settings(_env_file=None, institution_id="example").institution_id == "example"  # development: fine


def test_the_action_server_refuses_the_example_profile_in_production_and_starts_with_a_real_one(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if k not in ("INSTITUTION_ID", "INSTITUTIONS_DIR")}
    run = [sys.executable, "-c", "import actions"]
    refused = subprocess.run(run, cwd=root, env=dict(env, ENVIRONMENT="production"), capture_output=True, text=True)
    assert refused.returncode != 0 and "a fictional profile" in refused.stderr
    shipped = subprocess.run(run, cwd=root, capture_output=True, text=True, env=dict(
        env, ENVIRONMENT="production", INSTITUTION_ID="harbourside-college",
        INSTITUTIONS_DIR=str(root / "data" / "institutions")))
    assert shipped.returncode != 0 and "modelled on Results Consortium Ltd" in shipped.stderr
    own = tmp_path / "institutions"
    own.mkdir()
    profile = yaml.safe_load((root / "data" / "institutions" / "harbourside-college.yml").read_text(encoding="utf-8"))
    del profile["modelled_on"]
    profile["id"] = "our-college"
    (own / "our-college.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    started = subprocess.run(run, cwd=root, capture_output=True, text=True, env=dict(
        env, ENVIRONMENT="production", INSTITUTION_ID="our-college", INSTITUTIONS_DIR=str(own)))
    assert started.returncode == 0, started.stderr
    assert subprocess.run(run, cwd=root, env=dict(env, ENVIRONMENT="development")).returncode == 0
