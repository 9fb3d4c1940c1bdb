"""Two-step sign-in codes (RFC 6238, TOTP with HMAC-SHA-1): known answers, the time window, no reuse."""

import base64

import pytest
from pyotp import TOTP

from handoff.core.security import grouped, new_totp_secret, totp, totp_uri, verify_totp

# RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890", codes have 8 digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_SHA1 = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
            (2000000000, "69279037"), (20000000000, "65353130")]


@pytest.mark.parametrize(("at", "expected"), RFC_SHA1)
def test_codes_match_the_rfc_6238_known_answers(at, expected):
    assert TOTP(RFC_SECRET, digits=8).at(at) == expected  # the library, as the RFC prints them
    assert totp(RFC_SECRET, at) == expected[-6:]  # six digits are the same number modulo a million
    step = at // 30
    assert verify_totp(RFC_SECRET, expected[-6:], at=at, last_step=None) == step
    assert verify_totp(RFC_SECRET, expected[-6:], at=at, last_step=step) is None


def test_a_code_is_accepted_one_step_either_side_but_not_two():
    secret = new_totp_secret()
    now = 1_800_000_015.0
    for offset, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        assert (verify_totp(secret, totp(secret, now + offset), at=now, last_step=None) is not None) == accepted


def test_a_code_cannot_be_used_twice_nor_an_older_one_after_it():
    secret = new_totp_secret()
    now = 1_800_000_015.0
    step = verify_totp(secret, totp(secret, now), at=now, last_step=None)
    assert step == int(now // 30)
    assert verify_totp(secret, totp(secret, now), at=now, last_step=step) is None
    assert verify_totp(secret, totp(secret, now - 30), at=now, last_step=step) is None
    assert verify_totp(secret, totp(secret, now + 30), at=now, last_step=step) == step + 1


def test_wrong_shapes_and_wrong_codes_are_refused_spaces_are_forgiven():
    secret = new_totp_secret()
    code = totp(secret, 1_800_000_000)
    assert verify_totp(secret, f"{code[:3]} {code[3:]}", at=1_800_000_000, last_step=None) is not None
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for given in (wrong, "", "12345", "1234567", "abcdef"):
        assert verify_totp(secret, given, at=1_800_000_000, last_step=None) is None


def test_keys_are_random_160_bit_base32_shown_in_fours_with_an_otpauth_address():
    first, second = new_totp_secret(), new_totp_secret()
    assert first != second and len(base64.b32decode(first)) == 20
    assert grouped("ABCDEFGHIJKL") == "ABCD EFGH IJKL"
    uri = totp_uri(first, account="sam@example.ac.uk", issuer="Welfare console")
    assert uri.startswith("otpauth://totp/Welfare%20console%3Asam%40example.ac.uk?secret=" + first)
    assert "issuer=Welfare%20console" in uri and "period=30" in uri and "digits=6" in uri


def test_digits_of_other_scripts_are_refused_even_where_they_fold_to_ascii():
    secret = new_totp_secret()
    code = totp(secret, 1_800_000_000)
    full_width = "".join(chr(0xFF10 + int(d)) for d in code)  # NFKC makes these the ASCII digits
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in code)
    for given in (full_width, arabic_indic):
        assert verify_totp(secret, given, at=1_800_000_000, last_step=None) is None


def test_a_key_in_its_grouped_or_lower_case_form_gives_the_same_codes():
    secret = new_totp_secret()
    assert totp(grouped(secret), 1_800_000_000) == totp(secret.lower(), 1_800_000_000) == totp(secret, 1_800_000_000)
