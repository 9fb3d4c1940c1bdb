"""Sign and send SMS webhooks the way Twilio does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator

PHONE = "+447700900123"


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's algorithm written out independently: URL + sorted key/value pairs, HMAC-SHA1, base64."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def inbound_params(body: str, sid: str | None = None, phone: str = PHONE) -> dict[str, str]:
    return {
        "MessageSid": sid or "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32, "From": phone,
        "To": "+447700900000", "Body": body, "NumMedia": "0",
    }


def post_sms(client, settings, body: str, *, sid: str | None = None, phone: str = PHONE, path: str = "/sms/inbound"):
    params = inbound_params(body, sid, phone)
    signature = RequestValidator(settings.twilio_token).compute_signature(settings.public_url + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def twiml_messages(response) -> list[str]:
    assert response.headers["content-type"].startswith("application/xml")
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
