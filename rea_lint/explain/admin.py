"""Read an invocation's last failure and journal through the admin API's SQL endpoint.

`POST <admin>/query` with `{"query": ...}` and `accept: application/json` answers `{"rows": [...]}`.
`sys_invocation` carries `last_failure` (the whole `[570 Journal mismatch] ...` text),
`last_failure_error_code` (`RT0016` for a mismatch), `target`, `target_service_name/key`,
`target_handler_name` and `last_failure_related_command_index/name/type` (protocol v4+; older
journals fill `last_failure_related_entry_*`). The failure is kept only while the invocation
is retried (`backing-off`/`running`): a `paused` invocation no longer has it.
`sys_journal` lists every entry with `index`, `entry_type` (`Command: Run`,
`Notification: Run`, ...), `name` and the protocol fields as `entry_json`.

Only the standard library: rea's base install has no HTTP client.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from rea_lint.explain.message import (
    Mismatch,
    MessageError,
    NoOperation,
    canonical_kind,
    mismatch_at,
    parse_message,
    set_target,
)
from rea_lint.model import shorten

__all__ = ["AdminError", "RecordedEntry", "fetch_invocation"]

_ID = re.compile(r"^inv_[0-9A-Za-z]+$")


class AdminError(RuntimeError):
    """The admin API could not answer (unreachable, refused the query, unknown invocation)."""


class NotAMismatch(AdminError):
    """The invocation failed with something else than a journal mismatch: its failure text and
    target, for whoever can explain that failure (`explain.undecodable`)."""

    def __init__(self, message: str, failure: str, target: str | None) -> None:
        super().__init__(message)
        self.failure = failure
        self.target = target


@dataclass(frozen=True)
class RecordedEntry:
    """One command of the recorded journal, numbered as the protocol numbers commands."""

    command_index: int
    kind: str | None
    name: str
    fields: dict[str, Any] = field(default_factory=dict)


def check_url(admin_url: str) -> None:
    """An http(s) URL with a host, or `AdminError` saying how to write it. urllib would take
    `file:` and `ftp:` URLs too (and read a local file), call `localhost:9070` an unknown
    scheme, and raise ValueError for `http://[::1`."""
    example = "write it as http://HOST:PORT (the admin API listens on port 9070 by default)"
    if "://" not in admin_url:
        raise AdminError(f"--admin-url {admin_url!r} has no scheme: write http://{admin_url.lstrip(':/')}")
    try:
        parts = urllib.parse.urlsplit(admin_url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError as err:
        raise AdminError(f"--admin-url {admin_url!r} is not a URL ({err}): {example}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise AdminError(f"--admin-url {admin_url!r}: the admin API is served over http or https, not {parts.scheme}: {example}")
    if not parts.hostname:
        raise AdminError(f"--admin-url {admin_url!r} names no host: {example}")


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect with the same POST (urllib turns a 301-303 into a GET, which drops the
    query, and refuses a 307/308), only to an http(s) URL, and keep each URL it leads to: an
    error after a redirect names the URL that failed, not the one the user gave."""

    def __init__(self, admin_url: str) -> None:
        super().__init__()
        self.admin_url = admin_url
        self.hops: list[str] = []

    # Python 3.10's urllib knows no 308 (3.11 added it): followed as 3.11 follows it, not
    # reported as a redirect to no http URL
    http_error_308 = urllib.request.HTTPRedirectHandler.http_error_302

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request:
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise AdminError(f"the admin API at {self.admin_url} redirected the query ({code}) to {newurl}, which is "
                             "no http or https URL: pass --admin-url with the admin API's own address")
        self.hops.append(newurl)
        return urllib.request.Request(newurl, data=req.data, headers=dict(req.headers), method="POST")

    def unfollowed(self, err: urllib.error.HTTPError) -> AdminError:
        """A redirect urllib would not follow: round a loop, or to a scheme it refuses (`file:`)."""
        hops = self.hops
        if len(hops) != len(set(hops)) or len(hops) >= self.max_redirections:
            return AdminError(f"the admin API at {self.admin_url} redirects the query without end ({len(hops)} redirects, "
                              f"the last to {hops[-1]}): pass --admin-url with the admin API's own address")
        where = f"the admin API at {self.admin_url}" if not hops else self.source()
        location = err.headers.get("location") or err.headers.get("uri") if err.headers else None
        if not location:
            return AdminError(f"{where} answered the query with {err.code} ({err.reason}) and no URL to go to: is it a "
                              "restate-server admin URL?")
        return AdminError(f"{where} redirected the query ({err.code}) to {location}, which is no http or https URL: "
                          "pass --admin-url with the admin API's own address")

    def through(self) -> str:
        return f" through {', '.join(self.hops[:-1])}" if len(self.hops) > 1 else ""

    def source(self) -> str:
        """The URL that answered (or failed), and the redirect that led there, in words."""
        if not self.hops:
            return f"{self.admin_url}/query"
        return f"{self.hops[-1]} (redirected from {self.admin_url}/query{self.through()})"


def _query(admin_url: str, sql: str, timeout: float) -> tuple[list[dict[str, Any]], str]:
    """The rows the admin API answers ``sql`` with, and where they came from (`_Redirects.source`)."""
    request = urllib.request.Request(
        admin_url.rstrip("/") + "/query",
        data=json.dumps({"query": sql}).encode(),
        headers={"content-type": "application/json", "accept": "application/json"},
        method="POST",
    )
    redirects = _Redirects(admin_url)
    try:
        with urllib.request.build_opener(redirects).open(request, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        if 300 <= err.code < 400:
            raise redirects.unfollowed(err) from None
        detail = err.read().decode("utf-8", "replace").strip().splitlines()[:1]
        if "non valid invocation id" in " ".join(detail):
            raise AdminError("the server cannot decode that invocation id (not one it issued); copy it whole, "
                             "e.g. from `restate invocations list` or the UI") from None
        if redirects.hops:
            raise AdminError(f"{redirects.source()} refused the query ({err.code}): {' '.join(detail)}") from None
        raise AdminError(f"the admin API at {admin_url} refused the query ({err.code}): {' '.join(detail)}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        if redirects.hops:
            raise AdminError(f"cannot reach {redirects.hops[-1]} ({reason}), where {admin_url}/query redirected the query"
                             f"{redirects.through()}: fix the redirect, or pass --admin-url with the admin API's own "
                             "address") from None
        raise AdminError(f"cannot reach the admin API at {admin_url} ({reason}); is it the admin port (9070 by default)?") from None
    except ValueError:
        raise AdminError(f"{redirects.source()} did not answer JSON: is it a restate-server admin URL?") from None
    source = redirects.source()
    if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
        raise AdminError(f"{source} answered without rows: is it a restate-server admin URL?")
    for row in body["rows"]:
        if not isinstance(row, dict):
            raise AdminError(f"{source} answered a row that is no JSON object ({_short(row)}): "
                             "is it a restate-server admin URL?")
    return body["rows"], source


class _Row:
    """One row of an answer, read column by column as the type rea uses it: a value of another
    type is the admin API's mistake (or not the admin API), named with the URL and the column,
    never a traceback further on."""

    def __init__(self, row: dict[str, Any], source: str, table: str) -> None:
        self.row, self.source, self.table = row, source, table

    def _wrong(self, column: str, expected: str) -> AdminError:
        return AdminError(f"{self.source} answered {self.table}.{column} = {_short(self.row[column])}, "
                          f"expected {expected}: is it a restate-server admin URL?")

    def text(self, column: str) -> str | None:
        value = self.row.get(column)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(column, "text or null")

    def index(self, column: str) -> int | None:
        value = self.row.get(column)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():  # (a 64-bit number sent as text)
            return int(value)
        raise self._wrong(column, "a journal index (a whole number from 0) or null")

    def target(self, column: str) -> str | None:
        value = self.text(column)
        parts = (value or "").split("/")
        if value is None or (len(parts) >= 2 and parts[0] and parts[-1]):
            return value
        raise self._wrong(column, "Service/handler or Object/key/handler")


def _short(value: object) -> str:
    return shorten(json.dumps(value))


def fetch_invocation(admin_url: str, invocation_id: str, timeout: float = 10.0) -> tuple[Mismatch, list[RecordedEntry]]:
    """The invocation's mismatch (from `last_failure`) and its recorded commands."""
    check_url(admin_url)
    if not _ID.match(invocation_id):
        raise AdminError(f"{invocation_id!r} is not an invocation id (they look like inv_1aBc...)")
    rows, source = _query(admin_url, f"SELECT * FROM sys_invocation WHERE id = '{invocation_id}'", timeout)
    if not rows:
        raise AdminError(f"no invocation {invocation_id} on {admin_url} (unknown id, or its retention expired)")
    row = _Row(rows[0], source, "sys_invocation")
    failure = row.text("last_failure") or ""
    status = row.text("status")
    if not failure:
        if status == "paused":
            raise AdminError(
                f"{invocation_id} is paused and the server keeps no failure for paused invocations; "
                "resume it (`restate invocations resume`) and run rea explain while it is retried, "
                "or paste the 570 text from the server log"
            )
        raise AdminError(f"{invocation_id} has no failure recorded (status: {status}); nothing to explain")
    related = row.index("last_failure_related_command_index")
    if related is None:
        related = row.index("last_failure_related_entry_index")
    name = row.text("last_failure_related_command_name") or row.text("last_failure_related_entry_name")
    try:
        mismatch = parse_message(failure)
    except NoOperation:  # a 570 whose text names no index (cut short): the columns place it
        if related is None:
            raise AdminError(f"{invocation_id} failed with a journal mismatch, but neither its last_failure text nor "
                             "its last_failure_related_command_index says at which journal index; paste the 570 "
                             "text from the server log (it names the index)") from None
        kind = row.text("last_failure_related_command_type") or row.text("last_failure_related_entry_type")
        mismatch = mismatch_at(failure, related, kind, name)
    except MessageError:
        code = row.text("last_failure_error_code")
        raise NotAMismatch(f"{invocation_id} failed with something else than a journal mismatch"
                           f"{f' ({code})' if code else ''}: {failure.splitlines()[0][:200]}", failure, row.target("target")) from None
    mismatch.invocation_id = invocation_id
    target = row.target("target")
    if target:
        set_target(mismatch, target)
    if mismatch.command_index is None:
        mismatch.command_index = related
    if name and mismatch.attempted_name is None:
        mismatch.attempted_name = name
    journal, source = _query(
        admin_url,
        f"SELECT index, entry_type, name, invoked_target, promise_name, entry_json FROM sys_journal "
        f"WHERE id = '{invocation_id}' ORDER BY index",
        timeout,
    )
    return mismatch, commands(journal, source)


def commands(rows: list[dict[str, Any]], source: str = "the admin API") -> list[RecordedEntry]:
    """`sys_journal` rows -> the commands alone, numbered 0 (input), 1, 2 ... as the SDK counts
    (``source``: where they came from, for an error about one)."""
    out: list[RecordedEntry] = []
    checked = [_Row(row, source, "sys_journal") for row in rows]
    for row in sorted(checked, key=lambda r: r.index("index") or 0):
        entry_type = row.text("entry_type") or ""
        if not entry_type.startswith("Command"):
            continue
        fields: dict[str, Any] = {}
        try:
            decoded = json.loads(row.text("entry_json") or "{}")
            inner: object = next(iter(decoded.get("Command", {}).values()), {})
            if isinstance(inner, dict):
                fields = {k: v for k, v in inner.items() if k not in ("headers", "payload", "value", "parameter")}
        except (ValueError, StopIteration, AttributeError):
            pass
        for column, name in (("invoked_target", "invoked_target"), ("promise_name", "key")):
            value = row.text(column)
            if value:
                fields[name] = value
        out.append(RecordedEntry(len(out), canonical_kind(entry_type), row.text("name") or "", fields))
    return out
