"""A local stand-in for Discord's REST API: records every request, answers like Discord, and refuses (400, with
Discord's error JSON) any payload over Discord's documented limits, so a test fails where Discord would."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 900000000000000001
APP_ID = 900000000000000002
GUILD_ID = 900000000000000010
CHANNEL_ID = 900000000000000020
OWNER_ID = 900000000000000030
GOOD_TOKEN = "MTAwMDAw.test-token.not-a-secret"

_ids = itertools.count(910000000000000000)


def snowflake() -> str:
    return str(next(_ids))


def iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


BOT_USER = {"id": str(BOT_ID), "username": "adoptbot", "discriminator": "0", "avatar": None, "bot": True,
            "global_name": None}


@dataclass
class Req:
    method: str
    path: str
    json: Any
    status: int
    files: list[str] = field(default_factory=list)
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    response: Any = None

    @property
    def message(self) -> dict[str, Any]:
        """The message Discord stored for this send (what a later click on its buttons carries)."""
        r = self.response or {}
        return r.get("resource", {}).get("message") or r


def message_errors(p: dict[str, Any]) -> list[str]:
    """Discord's message limits: content, embeds (each and in total), components."""
    errs = []
    content = p.get("content")
    if content is not None and len(content) > 2000:
        errs.append(f"content: {len(content)} > 2000")
    embeds = p.get("embeds") or []
    if len(embeds) > 10:
        errs.append("embeds: more than 10")
    total = 0
    for i, e in enumerate(embeds):
        for key, lim in (("title", 256), ("description", 4096)):
            v = e.get(key) or ""
            total += len(v)
            if len(v) > lim:
                errs.append(f"embeds.{i}.{key}: {len(v)} > {lim}")
        ft = (e.get("footer") or {}).get("text") or ""
        total += len(ft)
        if len(ft) > 2048:
            errs.append(f"embeds.{i}.footer.text: {len(ft)} > 2048")
        an = (e.get("author") or {}).get("name") or ""
        total += len(an)
        if len(an) > 256:
            errs.append(f"embeds.{i}.author.name > 256")
        fields = e.get("fields") or []
        if len(fields) > 25:
            errs.append(f"embeds.{i}.fields: {len(fields)} > 25")
        for j, f in enumerate(fields):
            total += len(f.get("name", "")) + len(f.get("value", ""))
            if len(f.get("name", "")) > 256 or len(f.get("value", "")) > 1024:
                errs.append(f"embeds.{i}.fields.{j}: too long")
        if e.get("url") and not re.match(r"^https?://", e["url"]):
            errs.append(f"embeds.{i}.url: not a URL")
    if total > 6000:
        errs.append(f"embeds: {total} characters in all > 6000")
    rows = p.get("components") or []
    if len(rows) > 5:
        errs.append("components: more than 5 rows")
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if len(items) > 5:
            errs.append(f"components.{r}: more than 5 items")
        for c in items:
            if len(c.get("custom_id") or "") > 100:
                errs.append(f"components.{r}: custom_id > 100")
            if len(c.get("label") or "") > 80:
                errs.append(f"components.{r}: label > 80")
            if len(c.get("placeholder") or "") > 150:
                errs.append(f"components.{r}: placeholder > 150")
            opts = c.get("options")
            if opts is not None:
                if not 1 <= len(opts) <= 25:
                    errs.append(f"components.{r}: {len(opts)} select options (1-25)")
                for o in opts:
                    if not 1 <= len(o.get("label", "")) <= 100 or not 1 <= len(o.get("value", "")) <= 100:
                        errs.append(f"components.{r}: select option label/value not 1-100")
    return errs


def command_errors(cmds: list[dict[str, Any]]) -> list[str]:
    errs = []
    if len(cmds) > 100:
        errs.append("more than 100 commands")

    def check(c: dict[str, Any], where: str) -> None:
        if not re.fullmatch(r"[-_\w]{1,32}", c.get("name", "")) or c["name"] != c["name"].lower():
            errs.append(f"{where}.name invalid: {c.get('name')!r}")
        if not 1 <= len(c.get("description", "")) <= 100:
            errs.append(f"{where}.description not 1-100 characters")
        opts = c.get("options") or []
        if len(opts) > 25:
            errs.append(f"{where}.options > 25")
        for o in opts:
            check(o, f"{where}.{o.get('name')}")

    for c in cmds:
        check(c, c.get("name", "?"))
    return errs


def callback_errors(p: dict[str, Any]) -> list[str]:
    t = p.get("type")
    data = p.get("data") or {}
    if t == 8:
        choices = data.get("choices") or []
        errs = [f"choices: {len(choices)} > 25"] if len(choices) > 25 else []
        for c in choices:
            if not 1 <= len(c["name"]) <= 100:
                errs.append(f"choice name {len(c['name'])} characters (1-100)")
            if isinstance(c["value"], str) and len(c["value"]) > 100:
                errs.append("choice value > 100")
        return errs
    if t in (4, 7):
        return message_errors(data)
    return []


class DiscordStandIn:
    def __init__(self) -> None:
        self.requests: list[Req] = []
        self.files: dict[str, bytes] = {}  # attachment name -> bytes, served at /attachments/<name>
        self.threads: list[dict[str, Any]] = []
        self.fail_next: dict[str, int] = {}  # path regex -> status to return once
        self.no_threads: set[int] = set()  # channels where the bot lacks Create Public Threads
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.changed = asyncio.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    def attachment_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/attachments/{name}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/attachments/{name}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)  # its access log would carry the tokens in URLs
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="application/octet-stream")

    def message(self, p: dict[str, Any], channel_id: str | int = CHANNEL_ID, mid: str | None = None) -> dict:
        return {
            "id": mid or snowflake(), "channel_id": str(channel_id), "author": BOT_USER,
            "content": p.get("content") or "", "embeds": p.get("embeds") or [],
            "components": p.get("components") or [], "attachments": [], "mentions": [], "mention_roles": [],
            "mention_everyone": False, "pinned": False, "tts": False, "timestamp": iso(), "edited_timestamp": None,
            "type": 0, "flags": p.get("flags") or 0, "application_id": str(APP_ID),
        }

    def find(self, method: str, pattern: str) -> list[Req]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    async def wait_for(self, method: str, pattern: str, count: int = 1, timeout: float = 10.0) -> list[Req]:
        """Wait until `count` matching requests were recorded (the bot handles events in tasks)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = self.find(method, pattern)
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                seen = "\n".join(f"{r.method} {r.path} {r.status}" for r in self.requests)
                raise AssertionError(f"no {count}x {method} {pattern} within {timeout}s; requests:\n{seen}")
            await asyncio.sleep(0.02)

    async def _body(self, request: web.Request) -> tuple[Any, list[str], dict[str, bytes]]:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            payload: Any = None
            files: list[str] = []
            blobs: dict[str, bytes] = {}
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    files.append(part.filename or part.name or "")
                    blobs[part.filename or part.name or ""] = await part.read()
            return payload, files, blobs
        raw = await request.read()
        return (json.loads(raw) if raw else None), [], {}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method
        body, files, blobs = await self._body(request)
        auth = request.headers.get("Authorization", "")
        req = Req(method, path, body, 200, files, blobs, dict(request.query))
        self.requests.append(req)
        try:
            status, out = self._route(method, path, body, auth, req)
        except Exception as e:  # a bug in the stand-in must show, not hang the test
            status, out = 500, {"message": f"stand-in error: {e!r}", "code": 0}
        req.status = status
        req.response = out
        self.changed.set()
        if status == 204:
            return web.Response(status=204)
        # discord.py parses a body as JSON only for exactly "application/json" (no charset), as Discord sends it
        return web.Response(body=json.dumps(out).encode(), status=status, headers={"Content-Type": "application/json"})

    def _invalid(self, req: Req, errs: list[str]) -> tuple[int, dict]:
        req.errors = errs
        return 400, {"code": 50035, "message": "Invalid Form Body",
                     "errors": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": e} for e in errs]}}

    def _route(self, method: str, path: str, body: Any, auth: str, req: Req) -> tuple[int, Any]:
        for pattern, status in list(self.fail_next.items()):
            if re.search(pattern, path):
                del self.fail_next[pattern]
                return status, {"message": "injected failure", "code": 0}
        if path.startswith(("/users/", "/oauth2/", "/applications/", "/channels/")) and auth != f"Bot {GOOD_TOKEN}":
            return 401, {"message": "401: Unauthorized", "code": 0}
        if method == "GET" and path == "/users/@me":
            return 200, BOT_USER
        if method == "GET" and path == "/oauth2/applications/@me":
            return 200, {"id": str(APP_ID), "name": "adoptbot", "icon": None, "description": "",
                         "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False, "owner": BOT_USER,
                         "summary": "", "verify_key": "0" * 64, "team": None, "flags": 0}
        if method == "GET" and path == "/gateway/bot":
            return 200, {"url": "ws://127.0.0.1:1", "shards": 1,
                         "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0,
                                                 "max_concurrency": 1}}
        m = re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path)
        if m and method == "PUT":
            errs = command_errors(body or [])
            if errs:
                return self._invalid(req, errs)
            return 200, [{**c, "id": snowflake(), "application_id": str(APP_ID), "version": "1"} for c in body]
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m and method == "POST":
            errs = callback_errors(body or {})
            if errs:
                return self._invalid(req, errs)
            t = body["type"]
            data = body.get("data") or {}
            resp: dict[str, Any] = {"interaction": {"id": m.group(1), "type": 2,
                                                    "response_message_loading": t == 5,
                                                    "response_message_ephemeral": bool(data.get("flags", 0) & 64)},
                                    "resource": {"type": t}}
            if t in (4, 7):
                msg = self.message(data)
                resp["interaction"]["response_message_id"] = msg["id"]
                resp["resource"]["message"] = msg
            return 200, resp
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(/messages/(@original|\d+))?", path)
        if m:
            if method == "DELETE":
                return 204, None
            if method == "GET":
                return 200, self.message({}, mid=snowflake())
            errs = message_errors(body or {})
            if errs:
                return self._invalid(req, errs)
            return 200, self.message(body or {})
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and method == "POST":
            errs = message_errors(body or {})
            if errs:
                return self._invalid(req, errs)
            return 200, self.message(body or {}, channel_id=m.group(1))
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path)
        if m and method == "POST" and int(m.group(1)) in self.no_threads:
            return 403, {"message": "Missing Permissions", "code": 50013}
        if m and method == "POST":
            name = (body or {}).get("name", "")
            if not 1 <= len(name) <= 100:
                return self._invalid(req, [f"thread name {len(name)} characters (1-100)"])
            thread = {"id": snowflake(), "type": 11, "guild_id": str(GUILD_ID), "parent_id": m.group(1),
                      "owner_id": str(BOT_ID), "name": name, "member_count": 1, "message_count": 0,
                      "rate_limit_per_user": 0, "flags": 0,
                      "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                          "archive_timestamp": iso(), "locked": False}}
            self.threads.append(thread)
            return 200, thread
        return 404, {"message": f"stand-in has no route {method} {path}", "code": 0}
