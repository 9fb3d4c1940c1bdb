"""Field encryption (Fernet, authenticated) and keyed hashes for looking up encrypted values."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from handoff.core.config import Settings


class DecryptionFailed(Exception):
    """A value could not be decrypted with any configured key (tampered, or the key is gone)."""


class Vault:
    """Encrypts with the newest key, decrypts with any; hashes with a key derived from SECRET_KEY."""

    def __init__(self, keys: list[bytes], hash_key: bytes) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._newest = Fernet(keys[0])
        self._hash_key = hash_key

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        keys = [k.strip().encode() for k in settings.encryption_keys.split(",") if k.strip()]
        if not keys:  # development only: production refuses to start without ENCRYPTION_KEYS
            keys = [base64.urlsafe_b64encode(_derive(settings.secret_key, b"field-encryption"))]
        return cls(keys, _derive(settings.secret_key, b"lookup-hash"))

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext as text; the same plaintext twice gives different ciphertexts."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionFailed("cannot decrypt with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt with the newest key; raises DecryptionFailed for a value no configured key can read."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionFailed("cannot decrypt with the configured keys") from exc

    def is_current(self, token: str) -> bool:
        """True when the newest key already reads ``token`` (so rotating it again is not needed)."""
        try:
            self._newest.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def lookup_hash(self, value: str) -> str:
        """A keyed hash for finding a row by an encrypted value without decrypting every row."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()


def _derive(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


_active: Vault | None = None


def configure(vault: Vault) -> None:
    """Set the vault that encrypted columns use (done once at start-up)."""
    global _active
    _active = vault


def active_vault() -> Vault:
    if _active is None:
        raise RuntimeError("field encryption is not configured: the app sets it at start-up")
    return _active


class EncryptedText(TypeDecorator[str]):
    """A text column stored Fernet-encrypted: the database never sees the plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else active_vault().encrypt(value)

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else active_vault().decrypt(value)


class EncryptedJSON(EncryptedText):
    """A JSON value stored Fernet-encrypted as text (a message's quick-reply payload and risk labels)."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: object) -> str | None:
        return None if value is None else active_vault().encrypt(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: object) -> Any:
        return None if value is None else json.loads(active_vault().decrypt(value))
