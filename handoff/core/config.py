"""Settings read from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from institutions import production_profile_problem

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "dev", "development", "insecure"}
DEV_SECRET = "development-only-secret-key-not-for-production-use"  # noqa: S105
EMBED_SITE = re.compile(r"https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?")
# The SMS simulator (`make sms`) plays Twilio locally with these; production refuses to start without real ones.
DEV_TWILIO_SID = "AC00000000000000000000000000000000"
DEV_TWILIO_TOKEN = "development-simulator-auth-token"  # noqa: S105
DEV_TWILIO_BASE = "http://127.0.0.1:8025"


class Settings(BaseSettings):
    """Every setting has a documented environment variable of the same name, upper case."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///var/handoff.db"
    database_echo: bool = False
    # PostgreSQL connections each worker keeps open (plus up to 10 for bursts); mind max_connections.
    database_pool_size: int = Field(default=20, ge=1, le=200)
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_channel_token: str = ""
    rasa_timeout: float = Field(default=8.0, gt=0, le=60)
    secret_key: str = DEV_SECRET
    handoff_api_token: str = ""
    public_url: str = "http://127.0.0.1:8000"
    institution_id: str = "example"
    redis_url: str = ""
    # Prefix of every Redis key and channel the service uses, so several deployments can share one Redis.
    redis_prefix: str = "handoff:"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    # Where the twilio library sends REST calls; empty means Twilio itself. Development points it at
    # the local stand-in that `make sms` runs.
    twilio_api_base: str = ""
    sms_reply_timeout: float = Field(default=4.0, gt=0, le=12)
    # Fernet keys (urlsafe base64, 32 bytes), comma separated, newest first. Old keys keep old rows readable.
    encryption_keys: str = ""
    handoff_wait_limit: float = Field(default=600.0, gt=0)  # seconds in the queue before the student is told
    # Seconds an officer stays on duty after their last console closes (a reload, a dropped connection).
    officer_grace_seconds: float = Field(default=45.0, ge=0, le=600)
    rate_limit_messages: int = Field(default=20, ge=1)
    rate_limit_seconds: float = Field(default=60.0, gt=0)
    # Limits per client, in the `limits` library's notation ("20/minute;200/hour"). A campus or a phone network
    # may put many students behind one address: keep the per-address budget generous.
    new_conversations_per_address: str = "20/minute;200/hour"
    new_conversations_per_number: str = "5/hour;20/day"  # SMS: a new conversation after the last was closed
    # Anonymous 401/403 answers written to the audit log per address; beyond that they are counted, not written.
    refusal_audits_per_address: str = "20/minute"
    max_sockets_per_address: int = Field(default=20, ge=1)  # open chat sockets from one address, per worker
    max_sockets_per_worker: int = Field(default=2000, ge=1)  # open chat sockets, per worker
    hello_timeout: float = Field(default=10.0, gt=0, le=120)  # seconds a new chat socket has to say hello
    # Tries at coming back with a case reference before it pauses (limits notation): per client (web address or
    # SMS number) and per reference tried. Every try counts, so tries sent at once cannot slip past together.
    resume_limit_per_client: str = "5/15 minutes;20/day"
    resume_limit_per_reference: str = "5/day;15/month"
    allowed_origins: list[str] = Field(default_factory=list)
    # Sites allowed to frame the chat widget (/embed), as origins: https://www.example.ac.uk. JSON or comma separated.
    embed_sites: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The longest message the assistant is asked to read. A longer one is still kept whole and safety-checked
    # (up to channels.intake.MAX_STORED_CHARS); the service answers it itself and offers a person.
    max_message_chars: int = Field(default=2000, ge=100, le=10000)
    # Hours between retention purges inside the service (one worker at a time); 0 turns the schedule off.
    retention_purge_hours: float = Field(default=24.0, ge=0)
    # Where Rasa keeps conversation trackers when it persists them, so erasure can delete them: redis://... for
    # a Redis tracker store, or sqlite:///... / postgresql://... for a SQL one. Empty: Rasa's in-memory store.
    rasa_tracker_store_url: str = ""
    # The Redis tracker store's key_prefix (RASA_REDIS_PREFIX in bot/endpoints.production.yml); empty for none.
    rasa_tracker_key_prefix: str = ""

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        for number, key in enumerate((k.strip() for k in value.split(",") if k.strip()), start=1):
            try:
                if len(base64.urlsafe_b64decode(key.encode())) != 32:
                    raise ValueError
            except ValueError:
                raise ValueError(
                    f"ENCRYPTION_KEYS: key {number} is not a Fernet key (32 bytes, urlsafe base64); make one with: "
                    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
                ) from None
        return value

    @field_validator("new_conversations_per_address", "new_conversations_per_number", "refusal_audits_per_address")
    @classmethod
    def _limits(cls, value: str, info: ValidationInfo) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{(info.field_name or '').upper()}: {value[:80]!r} is not a limit such as "
                             "'20/minute;200/hour'") from None
        return value

    @field_validator("rasa_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("embed_sites", mode="before")
    @classmethod
    def _embed_sites(cls, value: object, info: ValidationInfo) -> list[str]:
        """Origins only (scheme, host, optional port; a leading ``*.`` for subdomains), https in production."""
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.replace(",", " ").split()
        if not isinstance(value, list | tuple):
            raise ValueError("EMBED_SITES must be a list of origins")
        sites = []
        for item in value:
            site = str(item).strip().rstrip("/").lower()
            if not EMBED_SITE.fullmatch(site):
                raise ValueError(f"EMBED_SITES: {site[:80]!r} is not an origin such as https://www.example.ac.uk")
            if info.data.get("environment") == "production" and not site.startswith("https://"):
                raise ValueError(f"EMBED_SITES: {site!r} must use https in production")
            sites.append(site)
        return sites

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
        if not self.encryption_keys:
            problems.append("ENCRYPTION_KEYS must hold at least one Fernet key")
        if self.twilio_api_base:
            problems.append("TWILIO_API_BASE is for development and tests only")
        if not self.public_url.startswith("https://"):
            problems.append("PUBLIC_URL must be the https:// address the public reaches")
        profile_problem = production_profile_problem({"ENVIRONMENT": "production",
                                                      "INSTITUTION_ID": self.institution_id})
        if profile_problem:
            problems.append(profile_problem)
        if problems:
            raise ValueError("production mode refuses to start: " + "; ".join(problems))
        return self

    @property
    def twilio_token(self) -> str:
        """The auth token that signs webhooks; development has a fixed one for the simulator."""
        return self.twilio_auth_token or ("" if self.production else DEV_TWILIO_TOKEN)

    @property
    def twilio_sid(self) -> str:
        return self.twilio_account_sid or ("" if self.production else DEV_TWILIO_SID)

    @property
    def twilio_base(self) -> str:
        if self.twilio_api_base or self.production or self.twilio_account_sid:
            return self.twilio_api_base.rstrip("/")
        return DEV_TWILIO_BASE

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
