"""A webhook receiver run in a container beside the compose topology (stdlib only: it runs in the project's image).

POST anything: it is kept (headers and body). GET /received: every request kept, as JSON.
"""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED: list[dict[str, object]] = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    """Keeps POSTs, lists them on GET."""

    def do_POST(self) -> None:
        """Keep the request; answer 204."""
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with LOCK:
            RECEIVED.append({"path": self.path, "headers": dict(self.headers.items()),
                             "body": base64.b64encode(body).decode()})  # fmt: skip
        self.send_response(204)
        self.end_headers()

    def do_GET(self) -> None:
        """Every request kept so far."""
        with LOCK:
            data = json.dumps(RECEIVED).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
