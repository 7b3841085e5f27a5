"""Downloading one blog page (or WordPress export) for the corpus, safely: the server that runs adoptbot may sit
inside a network, so every hop's address is resolved and checked before anything is sent, and the connection goes
to the very address that was checked (no second DNS answer can swap it for an internal one).

Limits: http(s) only, a few redirects, a deadline for the whole download (a server that drips one byte a second
does not hold a worker forever), a size cap, and only `text/html` or a WordPress export (WXR) are kept.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from index.errors import UserError

if TYPE_CHECKING:
    import httpx

    from index.settings import FetchSettings

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
XML_TYPES = ("application/rss+xml", "application/xml", "text/xml", "application/atom+xml")
REDIRECTS = (301, 302, 303, 307, 308)
Resolver = Callable[[str, int], list[str]]


class FetchError(UserError):
    """A URL that gave no page, with one line saying why. `kind` lets the bot pick its own wording."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Fetched:
    url: str  # the address the page came from, after redirects
    data: bytes
    kind: str  # "html" or "wxr"
    content_type: str


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (all are checked: a name with one public and one private address is
    refused, or the connection could land on either)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise FetchError("unreachable", f"no such host: {host} ({e})") from None
    return sorted({info[4][0] for info in infos})


def _refused(addr: str) -> bool:
    """Loopback, private, link-local, shared, reserved, multicast: anything that is not a public unicast address."""
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allow_private: bool, resolver: Resolver = resolve) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for a URL that may be fetched, else FetchError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError("bad_url", f"not a valid address: {url}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("bad_url", f"not an http(s) address: {url}")
    if parts.username or parts.password:
        raise FetchError("bad_url", f"addresses with a user name or password are not fetched: {parts.hostname}")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addrs = resolver(host, port)
    if not addrs:
        raise FetchError("unreachable", f"no such host: {host}")
    if not allow_private:
        bad = [a for a in addrs if _refused(a)]
        if bad:
            raise FetchError("private", f"refused: {host} is on a private, loopback or link-local address ({bad[0]});"
                                        " set ADOPTBOT_FETCH_ALLOW_PRIVATE=true to allow it")
    return parts.scheme, host, port, addrs[0]


def _pinned(url: str, addr: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, plus the Host header and TLS name to keep."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip_host = f"[{addr}]" if ":" in addr else addr
    netloc = ip_host + (f":{parts.port}" if parts.port else "")
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = host + (f":{parts.port}" if parts.port else "")
    ext = {"sni_hostname": host} if parts.scheme == "https" else {}
    return target, {"Host": host_header}, ext


def _kind(content_type: str, head: bytes) -> str | None:
    ct = content_type.split(";", 1)[0].strip().lower()
    text = head[:4000].decode("utf-8", "replace")
    if ct in HTML_TYPES:
        return "html"
    if ct in XML_TYPES or (not ct and text.lstrip().startswith("<?xml")):
        return "wxr" if "<rss" in text and "wordpress.org/export" in text else None
    if not ct and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        return "html"
    return None


def fetch(url: str, settings: FetchSettings | None = None, *, resolver: Resolver = resolve,
          transport: httpx.BaseTransport | None = None) -> Fetched:
    """Downloads one page, checking every hop; FetchError (one line) for anything that is not a page to keep."""
    import httpx

    from index.settings import FetchSettings

    s = settings or FetchSettings()
    cap = int(s.max_mb * 1_000_000)
    deadline = time.monotonic() + s.timeout_s
    timeout = httpx.Timeout(s.timeout_s)
    headers = {"User-Agent": s.user_agent, "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9"}
    current = url.strip()
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport, trust_env=False) as client:
        for hop in range(s.max_redirects + 1):
            _, _, _, addr = check_url(current, s.allow_private, resolver)
            target, host_header, ext = _pinned(current, addr)
            try:
                req = client.build_request("GET", target, headers={**headers, **host_header}, extensions=ext)
                resp = client.send(req, stream=True)
            except httpx.TimeoutException:
                raise FetchError("timeout", f"no answer within {s.timeout_s:g} s: {current}") from None
            except httpx.HTTPError as e:
                raise FetchError("unreachable", f"cannot reach {urlsplit(current).hostname}: {e}") from None
            try:
                if resp.status_code in REDIRECTS and resp.headers.get("location"):
                    if hop == s.max_redirects:
                        raise FetchError("redirects", f"more than {s.max_redirects} redirects: {url}")
                    current = urljoin(current, resp.headers["location"])
                    continue
                if resp.status_code in (404, 410):
                    raise FetchError("not_found", f"not found (HTTP {resp.status_code}): {current}")
                if resp.status_code >= 400:
                    raise FetchError("http", f"the server answered HTTP {resp.status_code}: {current}")
                ctype = resp.headers.get("content-type", "")
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise FetchError("too_large", f"too large ({int(declared) / 1e6:.1f} MB; the limit is "
                                                  f"{s.max_mb:g} MB, ADOPTBOT_FETCH_MAX_MB): {current}")
                ct = ctype.split(";", 1)[0].strip().lower()
                if ct and ct not in HTML_TYPES + XML_TYPES:
                    raise FetchError("not_html", f"not an HTML page or a WordPress export ({ct}): {current}")
                data = _read(resp, cap, deadline, s, current)
            except httpx.TimeoutException:
                raise FetchError("timeout", f"no complete answer within {s.timeout_s:g} s: {current}") from None
            except httpx.HTTPError as e:
                raise FetchError("unreachable", f"the download from {urlsplit(current).hostname} broke off: {e}") \
                    from None
            finally:
                resp.close()
            kind = _kind(ctype, data)
            if kind is None:
                what = ctype.split(";", 1)[0].strip() or "no content type"
                raise FetchError("not_html", f"not an HTML page or a WordPress export ({what}): {current}")
            log.debug("fetched %s (%d bytes, %s)", current, len(data), kind)
            return Fetched(current, data, kind, ctype)
    raise FetchError("redirects", f"more than {s.max_redirects} redirects: {url}")  # pragma: no cover


def _read(resp: httpx.Response, cap: int, deadline: float, s: FetchSettings, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_bytes():  # as they arrive: the deadline is checked on every piece
        size += len(chunk)
        if size > cap:
            raise FetchError("too_large", f"too large (more than {s.max_mb:g} MB, ADOPTBOT_FETCH_MAX_MB): {url}")
        if time.monotonic() > deadline:
            raise FetchError("timeout", f"no complete answer within {s.timeout_s:g} s: {url}")
        chunks.append(chunk)
    return b"".join(chunks)
