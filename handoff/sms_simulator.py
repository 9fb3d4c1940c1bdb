"""Play a phone against the running service, without a Twilio account: ``make sms``.

Each line you type is sent to the service's SMS webhook, signed the way Twilio signs it. Replies in the
webhook's TwiML are printed at once; messages the service sends later through Twilio's REST API (an
officer's reply, an answer that took too long) arrive at a local stand-in for that API and are printed too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
from twilio.request_validator import RequestValidator

from handoff.channels.sms.standin import TwilioStandIn
from handoff.core.config import DEV_TWILIO_BASE, DEV_TWILIO_SID, DEV_TWILIO_TOKEN


def _show(sender: str, text: str) -> None:
    print(f"\n  [{sender}] {text}\n> ", end="", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff.sms_simulator", description=__doc__)
    parser.add_argument("--service", default="http://127.0.0.1:8000", help="where the handoff service listens")
    parser.add_argument("--public-url", default=os.environ.get("PUBLIC_URL"), help="the service's PUBLIC_URL")
    parser.add_argument("--phone", default="+447700900123", help="the number this pretend phone texts from")
    parser.add_argument("--token", default=DEV_TWILIO_TOKEN, help="TWILIO_AUTH_TOKEN of the service")
    args = parser.parse_args(argv)

    port = int(DEV_TWILIO_BASE.rsplit(":", 1)[1])
    standin = TwilioStandIn(account_sid=DEV_TWILIO_SID, auth_token=args.token, port=port,
                            on_sent=lambda sms: _show("later, by REST", sms.body) if sms.to == args.phone else None)
    try:
        standin.start()
    except OSError:
        print(f"Port {port} is busy: is another simulator running?", file=sys.stderr)
        return 1
    url = (args.public_url or args.service).rstrip("/") + "/sms/inbound"
    validator = RequestValidator(args.token)
    print(f"SMS simulator: texting {args.service} from {args.phone}. Type a message, Ctrl-D to stop.")
    try:
        with httpx.Client(timeout=20) as client:
            for line in _lines():
                params = {
                    "MessageSid": "SM" + secrets.token_hex(16), "AccountSid": DEV_TWILIO_SID, "From": args.phone,
                    "To": "+447700900000", "Body": line, "NumMedia": "0",
                }
                try:
                    response = client.post(
                        args.service.rstrip("/") + "/sms/inbound", data=params,
                        headers={"X-Twilio-Signature": validator.compute_signature(url, params)},
                    )
                except httpx.HTTPError as exc:
                    print(f"  The service did not answer ({type(exc).__name__}). Is `make run` running?")
                    continue
                if response.status_code != 200:
                    print(f"  The service refused the message: HTTP {response.status_code}")
                    continue
                for message in ET.fromstring(response.text).iter("Message"):  # noqa: S314 - our own service's TwiML
                    _show("reply", message.text or "")
    finally:
        standin.stop()
    return 0


def _lines() -> Iterator[str]:
    while True:
        try:
            line = input("> ")
        except EOFError:
            print()
            return
        if line.strip():
            yield line


if __name__ == "__main__":
    sys.exit(main())
