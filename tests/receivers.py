"""Receivers that tests start on loopback to take what the product sends out."""

from __future__ import annotations

import http.server
import json
import threading


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
