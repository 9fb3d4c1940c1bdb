import pytest
from pydantic import ValidationError

from handoff.core.config import Settings

STRONG = {
    "secret_key": "k" * 40,
    "rasa_channel_token": "r" * 24,
    "handoff_api_token": "h" * 24,
    "twilio_auth_token": "t" * 32,
    "public_url": "https://support.example.ac.uk",
}


def test_development_mode_starts_with_defaults():
    settings = Settings(_env_file=None)
    assert not settings.production
    assert settings.async_database_url.startswith("sqlite+aiosqlite:///")


def test_production_refuses_to_start_without_its_secrets():
    with pytest.raises(ValidationError) as error:
        Settings(environment="production", _env_file=None)
    message = str(error.value)
    for name in ("SECRET_KEY", "RASA_CHANNEL_TOKEN", "HANDOFF_API_TOKEN", "TWILIO_AUTH_TOKEN", "PUBLIC_URL"):
        assert name in message


@pytest.mark.parametrize("field", sorted(STRONG))
def test_production_refuses_each_placeholder(field):
    values = dict(STRONG, **{field: "changeme"})
    with pytest.raises(ValidationError):
        Settings(environment="production", _env_file=None, **values)


def test_production_starts_with_real_secrets():
    assert Settings(environment="production", _env_file=None, **STRONG).production


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.internal:5432/handoff")
    monkeypatch.setenv("RASA_URL", "http://rasa.internal:5005/")
    settings = Settings(_env_file=None)
    assert settings.async_database_url == "postgresql+asyncpg://u@db.internal:5432/handoff"
    assert settings.rasa_url == "http://rasa.internal:5005"
