"""Receivers that tests start on loopback to take what the product sends out."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Webhook:
    """A loopback HTTP receiver; ``up`` decides whether it accepts (200) or fails (500)."""

    def __init__(self) -> None:
        self.received: list[dict[str, object]] = []
        self.up = True
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                payload = json.loads(self.rfile.read(length))
                if hook.up:
                    hook.received.append(payload)
                self.send_response(200 if hook.up else 500)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"

    def titles(self) -> list[str]:
        return [str(p["title"]) for p in self.received]

    def close(self) -> None:
        self.server.shutdown()


class Mailbox:
    """What a loopback SMTP server (aiosmtpd) received: each message's raw text."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(envelope.content.decode())  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, str]]:
    """A real SMTP server on loopback and the apprise mailto:// URL that reaches it."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, (f"mailto://127.0.0.1:{port}?from=monitor@example.com&to=ops@example.com"
                    "&mode=insecure")
    finally:
        controller.stop()
