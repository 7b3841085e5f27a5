"""A local HTTP server for the fetch tests (127.0.0.1 only): good pages, slow, dripping, huge, redirecting,
non-HTML and missing ones. It counts the requests it saw, so a test can prove a refused address got none."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HTML = Path(__file__).parent / "data" / "html"
WXR = (Path(__file__).parent / "data" / "corpus" / "export.xml").read_bytes()


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *a: object) -> None:  # keep test output clean
        return

    def _send(self, code: int, body: bytes, ctype: str = "text/html; charset=utf-8", length: int | None = None,
              extra: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.seen.append((self.path, self.headers.get("Host")))
        p = self.path
        if p.startswith("/post/"):
            self._send(200, (HTML / p.rsplit("/", 1)[1]).read_bytes())
        elif p == "/changed/wordpress_classic.html":
            self._send(200, (HTML / "wordpress_classic.html").read_bytes().replace(b"sourdough", b"rye bread"))
        elif p == "/export.xml":
            self._send(200, WXR, "application/rss+xml")
        elif p == "/plain.html":
            self._send(200, b"<html><body><p>Only a post about banks on Twitter.</p></body></html>")
        elif p == "/pdf":
            self._send(200, b"%PDF-1.4 ...", "application/pdf")
        elif p == "/json":
            self._send(200, b'{"a": 1}', "application/json")
        elif p == "/missing":
            self._send(404, b"<h1>Not Found</h1>")
        elif p == "/broken":
            self._send(503, b"<h1>Service Unavailable</h1>")
        elif p == "/slow":
            time.sleep(3)
            self._send(200, b"<html><body><p>late</p></body></html>")
        elif p == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(40):
                    self.wfile.write(b"<p>x</p>")
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif p == "/huge-declared":
            self._send(200, b"", length=500_000_000)
        elif p == "/huge-streamed":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(400):  # 400 x 8 KB = 3.2 MB, no Content-Length
                    self.wfile.write(b"<p>" + b"y" * 8185 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif p.startswith("/r/"):
            n = int(p.rsplit("/", 1)[1])
            loc = "/post/wordpress_classic.html" if n == 0 else f"/r/{n - 1}"
            self._send(302, b"", extra={"Location": loc})
        else:
            self._send(404, b"no")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str | None]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
