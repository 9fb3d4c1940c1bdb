"""Tokens, password hashing and one-time codes for two-step sign-in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

import pyotp
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


# Two-step sign-in: time-based one-time passwords (RFC 6238 with HMAC-SHA-1, 30 s steps, 6 digits), by pyotp ---

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # steps either side of now that are still accepted (a phone clock a little off)


def new_totp_secret() -> str:
    """A random 160-bit key in base32 (32 characters, no padding), as authenticator apps expect it."""
    return pyotp.random_base32()


def _generator(secret: str) -> pyotp.TOTP:
    """The code generator for a key; spaces (as in the grouped form) and lower case are forgiven."""
    return pyotp.TOTP(secret.replace(" ", "").upper(), digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)


def totp(secret: str, at: float) -> str:
    """The code an authenticator app shows at this Unix time."""
    return _generator(secret).at(at)


def verify_totp(secret: str, code: str, *, at: float, last_step: int | None) -> int | None:
    """The step the code belongs to (now, or one step either side), or None.

    A step at or before ``last_step`` (the last accepted one) is refused, so a code cannot be used twice.
    """
    code = code.replace(" ", "").replace("-", "")
    # ASCII digits only: str.isdigit() also accepts other scripts' digits, and pyotp's comparison would fold
    # some of them (full-width ones) into ASCII ones and accept them.
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    try:
        step = _generator(secret).verify_and_get_timecode(code, for_time=at, valid_window=TOTP_WINDOW)
    except pyotp.OTPVerificationError:
        return None
    return step if last_step is None or step > last_step else None


def grouped(secret: str) -> str:
    """The key in groups of four, easier to type: 'ABCD EFGH ...'."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def totp_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// address a QR code or an authenticator app takes.

    Built here rather than by ``pyotp.TOTP.provisioning_uri``, which leaves the colon in the label unescaped and
    drops the parameters at their defaults: this keeps the QR code the same as before, every setting spelt out.
    """
    label = quote(f"{issuer}:{account}", safe="")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer, safe='')}&algorithm=SHA1&digits=6&period=30"
