"""Settings read from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "dev", "development", "insecure"}
DEV_SECRET = "development-only-secret-key-not-for-production-use"  # noqa: S105


class Settings(BaseSettings):
    """Every setting has a documented environment variable of the same name, upper case."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///var/handoff.db"
    database_echo: bool = False
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_channel_token: str = ""
    rasa_timeout: float = Field(default=8.0, gt=0, le=60)
    secret_key: str = DEV_SECRET
    handoff_api_token: str = ""
    public_url: str = "http://127.0.0.1:8000"
    institution_id: str = "example"
    redis_url: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    allowed_origins: list[str] = Field(default_factory=list)
    max_message_chars: int = Field(default=2000, ge=100, le=10000)

    @field_validator("rasa_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if not self.production:
            return self
        problems = []
        if self.secret_key == DEV_SECRET or self.secret_key.lower() in PLACEHOLDERS or len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        for name in ("rasa_channel_token", "handoff_api_token", "twilio_auth_token"):
            value = getattr(self, name)
            if value.lower() in PLACEHOLDERS or len(value) < 16:
                problems.append(f"{name.upper()} must be set to a random value of at least 16 characters")
        if not self.public_url.startswith("https://"):
            problems.append("PUBLIC_URL must be the https:// address the public reaches")
        if problems:
            raise ValueError("production mode refuses to start: " + "; ".join(problems))
        return self

    @property
    def async_database_url(self) -> str:
        """The database URL with an async driver, whichever form the operator wrote."""
        url = self.database_url
        for prefix, driver in (
            ("sqlite:///", "sqlite+aiosqlite:///"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql+psycopg://", "postgresql+asyncpg://"),
            ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ):
            if url.startswith(prefix):
                return driver + url[len(prefix):]
        return url

    def ensure_sqlite_folder(self) -> None:
        """Create the folder of a SQLite database file so a fresh checkout just works."""
        url = self.async_database_url
        if url.startswith("sqlite+aiosqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite+aiosqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
