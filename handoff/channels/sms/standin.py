"""A small local stand-in for Twilio's Messages REST API, for the SMS simulator and the tests.

It accepts what the twilio library sends (``POST /2010-04-01/Accounts/<sid>/Messages.json`` with basic
auth), answers like Twilio, keeps the messages in memory, and can post a signed "delivered" status
callback back to the service, as Twilio would.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twilio.request_validator import RequestValidator


@dataclass
class SentSms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None


@dataclass
class TwilioStandIn:
    """Run with ``start()``; read ``sent``; stop with ``stop()``."""

    account_sid: str
    auth_token: str
    host: str = "127.0.0.1"
    port: int = 0
    send_status_callbacks: bool = True
    unavailable_for: int = 0  # the next this many sends are answered 503, as Twilio does when it is overloaded
    on_sent: Callable[[SentSms], None] | None = None
    sent: list[SentSms] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> TwilioStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: bodies and numbers stay out of logs
                pass

            def do_POST(self) -> None:
                expected = f"/2010-04-01/Accounts/{standin.account_sid}/Messages.json"
                credentials = base64.b64encode(f"{standin.account_sid}:{standin.auth_token}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {credentials}":
                    return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if self.path != expected:
                    return self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                length = int(self.headers.get("Content-Length", "0"))
                with standin._lock:
                    unavailable = standin.unavailable_for > 0
                    standin.unavailable_for -= unavailable
                if unavailable:
                    self.rfile.read(length)
                    return self._json(503, {"code": 20503, "message": "Service unavailable", "status": 503})
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                body = form.get("Body", "")
                if len(body) > 1600:
                    return self._json(400, {"code": 21617, "message": "body too long", "status": 400})
                sms = SentSms("SM" + secrets.token_hex(16), form.get("To", ""), form.get("From", ""), body,
                              form.get("StatusCallback"))
                with standin._lock:
                    standin.sent.append(sms)
                self._json(201, {
                    "sid": sms.sid, "account_sid": standin.account_sid, "to": sms.to, "from": sms.from_,
                    "body": sms.body, "status": "queued", "num_segments": "1", "direction": "outbound-api",
                    "api_version": "2010-04-01", "uri": f"{expected[:-5]}/{sms.sid}.json",
                })
                if standin.on_sent:
                    standin.on_sent(sms)
                if sms.status_callback and standin.send_status_callbacks:
                    threading.Thread(target=standin._callback, args=(sms,), daemon=True).start()

            def do_DELETE(self) -> None:
                """Deleting a message removes it (and its body), as Twilio's API does: 204, or 404 if unknown."""
                credentials = base64.b64encode(f"{standin.account_sid}:{standin.auth_token}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {credentials}":
                    return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                prefix = f"/2010-04-01/Accounts/{standin.account_sid}/Messages/"
                sid = self.path.removeprefix(prefix).removesuffix(".json")
                with standin._lock:
                    kept = [sms for sms in standin.sent if sms.sid != sid]
                    found = self.path.startswith(prefix) and len(kept) < len(standin.sent)
                    standin.sent[:] = kept
                if not found:
                    return self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _callback(self, sms: SentSms) -> None:
        assert sms.status_callback
        params = {"MessageSid": sms.sid, "MessageStatus": "delivered", "AccountSid": self.account_sid,
                  "To": sms.to, "From": sms.from_}
        signature = RequestValidator(self.auth_token).compute_signature(sms.status_callback, params)
        request = urllib.request.Request(  # noqa: S310 - loopback URL given by the service under test
            sms.status_callback, data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature}, method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
        except OSError:
            pass

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
