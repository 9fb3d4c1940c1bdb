"""Tokens, password hashing and one-time codes for two-step sign-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe secret."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """A hash of a high-entropy token, for storing and looking it up."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises for a wrong password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def constant_time_equals(given: str, expected: str) -> bool:
    """Compare secrets without leaking their length of common prefix through timing."""
    return hmac.compare_digest(given.encode(), expected.encode())


# Two-step sign-in: time-based one-time passwords (RFC 6238 with HMAC-SHA-1, 30 s steps, 6 digits) -------

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps either side of now that are still accepted (a phone clock a little off)


def new_totp_secret() -> str:
    """A random 160-bit key in base32, as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = TOTP_DIGITS, digest: str = "sha1") -> str:
    """The RFC 4226 one-time password for this counter (dynamic truncation)."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp_step(at: float) -> int:
    """The 30-second step a Unix time falls in."""
    return int(at // TOTP_STEP_SECONDS)


def totp(secret: str, at: float) -> str:
    """The code an authenticator app shows at this Unix time."""
    return hotp(_key(secret), totp_step(at))


def verify_totp(secret: str, code: str, *, at: float, last_step: int | None) -> int | None:
    """The step the code belongs to (now, or one step either side), or None.

    A step at or before ``last_step`` (the last accepted one) is refused, so a code cannot be used twice.
    """
    code = code.replace(" ", "").replace("-", "")
    # ASCII digits only: str.isdigit() also accepts other scripts' digits, which compare_digest cannot take.
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    key = _key(secret)
    now = totp_step(at)
    for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step if last_step is None or step > last_step else None
    return None


def grouped(secret: str) -> str:
    """The key in groups of four, easier to type: 'ABCD EFGH ...'."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def totp_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// address a QR code or an authenticator app takes."""
    label = quote(f"{issuer}:{account}", safe="")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer, safe='')}&algorithm=SHA1&digits=6&period=30"
