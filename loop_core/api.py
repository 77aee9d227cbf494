"""The original system's HTTP contract as plain Starlette routes.

``/trigger_report`` starts a report job, ``/get_report`` polls it and downloads the CSV,
``/healthz`` says whether the database answers and how fresh the polls are. The routes are
mounted next to the dashboard by ``serve.py`` (``st.App(..., routes=routes(...))``) so they run
in the process that already holds the DuckDB file; nothing here imports streamlit.

Engine errors become JSON ``{"error": "..."}`` answers at this edge: a bad parameter is 400,
an unknown report 404, a database held by another process (or not open yet) 503. A
Complete report's CSV is served from its file, or its gzip twin to a client that accepts
gzip (``loop_core.report_files``), never read from the database nor compressed per
request; an expired one answers 410 Gone (docs/API.md says why).

Once any token is configured, every route wants one as ``Authorization: Bearer <token>``
(401 without it); ``/trigger_report`` wants a token with the role ``trigger`` (403 for a
``read`` one). A token in the query string is refused (400) whatever it is: URLs end up in
proxy logs and browser history. Each triggered report is written to the audit log with the
token's name.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from functools import wraps
from typing import Any, BinaryIO

import duckdb
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from loop_core import audit, db, incidents, jobs
from loop_core import status as status_module
from loop_core.access import AccessConfig, ApiToken, TokenRole
from loop_core.config import ReportsConfig
from loop_core.errors import (
    InvalidParameterError,
    LoopCoreError,
    NotAllowedError,
    ReportUnavailableError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnknownReportError,
)
from loop_core.models import ReportState, ReportStatus
from loop_core.polls import latest_poll
from loop_core.status import StoreState
from loop_core.timeutil import iso_z, parse_query_instant

ConnectionFactory = Callable[[], duckdb.DuckDBPyConnection]
"""Returns the process's root connection, e.g. ``loop_core.db.connect``."""

Endpoint = Callable[[Request], Awaitable[Response]]

# Status answers must never be served from a cache: "Running" turns into "Complete".
_NO_STORE = {"Cache-Control": "no-store"}
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")
QUERY_TOKEN_REFUSED = (
    "a token in the URL (?token=) is refused: URLs end up in proxy logs and browser "
    "history; send it as the header 'Authorization: Bearer <token>' instead")
# A report file up to this size is read in the same worker-thread call that finds it and
# answered in one message (a 14,000-store report is 0.75 MB, its gzip twin 0.25 MB); a
# larger one is streamed in pieces this big, so a download's buffer stays bounded.
_CHUNK_BYTES = 4 << 20
# /get_report?extended=...: absent or empty is the standard CSV.
_EXTENDED_FLAGS = {"": False, "0": False, "false": False, "1": True, "true": True}


def routes(
    con_factory: ConnectionFactory, *, tokens: Sequence[ApiToken] = (),
    reports: ReportsConfig | None = None, default_target_pct: float = jobs.DEFAULT_TARGET_PCT,
) -> list[Route]:
    """The API routes, ready for ``st.App(script, routes=...)`` or ``Starlette(routes=...)``.

    ``con_factory`` is called (off the event loop) on every request and must return the
    process's root connection. With ``tokens`` (``Settings.access.tokens``) every route
    demands one of them as ``Authorization: Bearer <token>`` and answers 401 without it;
    ``/trigger_report`` demands the role trigger (403 otherwise). With none the API is open.
    ``reports`` says which completed reports keep their CSV (``Settings.reports``; the
    defaults without it); ``default_target_pct`` is ``[targets] default_uptime_pct``, for
    the reports' extended twins.
    """
    api = _Api(con_factory, AccessConfig(tokens=tuple(tokens)), reports or ReportsConfig(),
               default_target_pct)
    read, trigger = TokenRole.READ, TokenRole.TRIGGER
    return [
        Route(
            "/trigger_report",
            api.guarded(api.trigger_report, trigger),
            methods=["GET", "POST"],
            name="trigger_report",
        ),
        Route(
            "/get_report",
            api.guarded(api.get_report, read),
            methods=["GET", "POST"],
            name="get_report",
        ),
        Route("/healthz", api.guarded(api.healthz, read), methods=["GET"], name="healthz"),
        Route("/incidents", api.guarded(api.incidents, read), methods=["GET"], name="incidents"),
        Route("/status", api.guarded(api.status, read), methods=["GET"], name="status"),
    ]


def health(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What ``/healthz`` reports: the schema version and the latest poll (ISO 8601 UTC or None)."""
    version = db.schema_version(con)
    latest = latest_poll(con)
    return {
        "status": "ok",
        "database": "ok",
        "schema_version": version,
        "latest_poll": iso_z(latest) if isinstance(latest, datetime) else None,
    }


class _Api:
    def __init__(
        self, con_factory: ConnectionFactory, access: AccessConfig, reports: ReportsConfig,
        default_target_pct: float = jobs.DEFAULT_TARGET_PCT,
    ) -> None:
        self._con_factory = con_factory
        self._access = access
        self._reports = reports
        self._default_target_pct = default_target_pct

    def guarded(self, endpoint: Endpoint, needs: TokenRole) -> Endpoint:
        @wraps(endpoint)
        async def guarded_endpoint(request: Request) -> Response:
            if "token" in request.query_params:
                return _error(400, QUERY_TOKEN_REFUSED)
            try:
                request.state.actor = self._actor(request, needs)
                return await endpoint(request)
            except UnauthorizedError as e:
                return _error(401, str(e), headers={"WWW-Authenticate": "Bearer"})
            except NotAllowedError as e:
                return _error(403, str(e))
            except InvalidParameterError as e:
                return _error(400, str(e))
            except UnknownReportError as e:
                return _error(404, str(e))
            except ServiceUnavailableError as e:
                return _error(503, str(e))
            except ReportUnavailableError as e:  # a Complete report made without its twin
                return _error(410, str(e))
            except LoopCoreError as e:
                return _error(500, str(e))
            except duckdb.Error as e:
                return _error(500, f"database error: {e}")

        return guarded_endpoint

    def _actor(self, request: Request, needs: TokenRole) -> str:
        """Who calls (for the audit log); raises UnauthorizedError (401) without a known
        token and NotAllowedError (403) for a read token where trigger is needed."""
        if not self._access.tokens:
            return audit.API
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        token = self._access.token_for(credentials.strip()) if scheme.lower() == "bearer" \
            else None
        if token is None:
            raise UnauthorizedError(
                "missing or wrong API token; send 'Authorization: Bearer <token>'")
        if needs is TokenRole.TRIGGER and token.role is not TokenRole.TRIGGER:
            raise NotAllowedError(
                f"the token {token.name!r} has the role {token.role}: only a trigger token "
                "may start a report")
        return audit.token_actor(token.name)

    async def _con(self) -> duckdb.DuckDBPyConnection:
        return await run_in_threadpool(self._con_factory)

    async def trigger_report(self, request: Request) -> Response:
        params = await _parameters(request)
        text = (params.get("as_of") or "").strip()
        # Checked before touching the database, so a typo never costs a connection.
        as_of = parse_query_instant(text) if text else None
        con = await self._con()
        report_id = await run_in_threadpool(
            lambda: jobs.trigger_report(con, as_of, keep=self._reports,
                                        default_target_pct=self._default_target_pct))
        await run_in_threadpool(lambda: audit.record(
            con, request.state.actor, audit.Action.REPORT_TRIGGERED, subject=report_id,
            details={"as_of": text or None}))
        return JSONResponse({"report_id": report_id}, headers=_NO_STORE)

    async def get_report(self, request: Request) -> Response:
        params = await _parameters(request)
        report_id = (params.get("report_id") or "").strip()
        if not report_id:
            raise InvalidParameterError("report_id is required, e.g. /get_report?report_id=<id>")
        flag = (params.get("extended") or "").strip().lower()
        if flag not in _EXTENDED_FLAGS:
            raise InvalidParameterError(f"extended must be 1 or 0, not {flag!r}")
        extended = _EXTENDED_FLAGS[flag]
        # Most clients (browsers, httpx, requests) accept gzip: they get the report's
        # compressed twin as it is, and nothing is compressed per request. The extended
        # twin has no compressed copy: it is asked for rarely.
        compressed = not extended and _accepts_gzip(request.headers.get("accept-encoding", ""))
        # One trip to a worker thread for the connection, the status and the file: under
        # load, every extra trip adds to the slowest answers (p99).
        status, opened, body = await run_in_threadpool(
            lambda: _open_report(self._con_factory(), report_id, compressed, extended))
        return _report_response(status, opened, body, extended=extended)

    async def status(self, request: Request) -> Response:
        params = request.query_params
        at = parse_query_instant(params["as_of"]) if params.get("as_of") else None
        wanted = params.get("status")
        if wanted is not None and wanted not in {s.value for s in StoreState}:
            raise InvalidParameterError(
                f"status must be one of online, offline, closed, unknown, not {wanted!r}")
        con = await self._con()
        rows = await run_in_threadpool(status_module.status, con, at)
        body = [
            {"store_id": s.store_id, "status": s.status.value,
             "since": None if s.since is None else iso_z(s.since),
             "latest_poll": iso_z(s.latest_poll), "latest_poll_active": s.latest_poll_active,
             "latest_observation": None if s.latest_observation is None
             else iso_z(s.latest_observation),
             "latest_observation_active": s.latest_observation_active,
             "open_now": s.open_now,
             "closes_at": None if s.closes_at is None else iso_z(s.closes_at),
             "opens_at": None if s.opens_at is None else iso_z(s.opens_at)}
            for s in rows if wanted is None or s.status.value == wanted
        ]
        return JSONResponse({"stores": body}, headers=_NO_STORE)

    async def incidents(self, request: Request) -> Response:
        params = request.query_params
        # Checked before touching the database, like trigger_report's as_of.
        since = parse_query_instant(params["since"]) if params.get("since") else None
        until = parse_query_instant(params["until"]) if params.get("until") else None
        store = params.get("store_id") or None
        con = await self._con()
        found = await run_in_threadpool(incidents.incidents, con, since, until, store)
        if params.get("format") == "csv":
            return Response(incidents.incidents_csv(found), media_type="text/csv",
                            headers=_NO_STORE)
        body = [
            {"store_id": i.store_id, "started_at": iso_z(i.started_at),
             "ended_at": None if i.ended_at is None else iso_z(i.ended_at),
             "downtime_minutes": i.downtime_minutes,
             "inactive_observations": i.inactive_observations}
            for i in found
        ]
        return JSONResponse({"incidents": body}, headers=_NO_STORE)

    async def healthz(self, request: Request) -> Response:
        try:
            con = await self._con()
            body = await run_in_threadpool(health, con)
        except (LoopCoreError, duckdb.Error) as e:
            body = {"status": "error", "database": str(e), "latest_poll": None}
            return JSONResponse(body, status_code=503, headers=_NO_STORE)
        return JSONResponse(body, headers=_NO_STORE)


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header admits gzip: its own entry, else ``*``, with
    a quality above 0 (RFC 9110 12.5.3)."""
    qualities: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[coding] = quality
    return qualities.get("gzip", qualities.get("x-gzip", qualities.get("*", 0.0))) > 0


def _open_report(
    con: duckdb.DuckDBPyConnection, report_id: str, compressed: bool, extended: bool = False
) -> tuple[ReportStatus, jobs.OpenCsv | None, bytes | None]:
    """The job's status, its open CSV file when Complete, and the file's bytes when it is
    small enough to read at once (then it is closed already)."""
    status, opened = jobs.open_report(con, report_id, compressed=compressed, extended=extended)
    if opened is None or opened.size > _CHUNK_BYTES:
        return status, opened, None
    with opened.file as fh:
        return status, opened, fh.read()


def _report_response(
    status: ReportStatus, opened: jobs.OpenCsv | None, body: bytes | None, *,
    extended: bool = False,
) -> Response:
    if opened is not None:
        kind = "report_extended" if extended else "report"
        filename = f"{kind}_{_UNSAFE_FILENAME_CHARS.sub('_', status.report_id)}.csv"
        headers = {**_NO_STORE, "Content-Disposition": f"attachment; filename={filename}",
                   "Vary": "Accept-Encoding"}
        if opened.compressed:
            # Set here, so that the server's own gzip middleware passes the body through.
            headers["Content-Encoding"] = "gzip"
        if body is not None:
            return Response(body, media_type="text/csv", headers=headers)
        headers["Content-Length"] = str(opened.size)
        return StreamingResponse(_chunks(opened.file, opened.size), media_type="text/csv",
                                 headers=headers)
    if status.status is ReportState.FAILED:
        failed = {"status": status.status.value, "error": status.error or "unknown error"}
        return JSONResponse(failed, headers=_NO_STORE)
    if status.status is ReportState.EXPIRED:
        # 410 Gone: the report existed and its CSV will not come back (docs/API.md).
        gone = {"status": status.status.value, "error": status.error or jobs.EXPIRED,
                "expired_at": None if status.expired_at is None else iso_z(status.expired_at)}
        return JSONResponse(gone, status_code=410, headers=_NO_STORE)
    return JSONResponse({"status": status.status.value}, headers=_NO_STORE)


async def _chunks(csv_file: BinaryIO, size: int) -> AsyncIterator[bytes]:
    # Reads off the event loop; the file was opened before the answer started, so a report
    # that expires meanwhile still goes out whole (its bytes never change once written).
    # Closed when the body ends or is dropped.
    with csv_file:
        remaining = size
        while remaining > 0:
            chunk = await run_in_threadpool(csv_file.read, min(_CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


async def _parameters(request: Request) -> Mapping[str, str]:
    """Query parameters, overlaid for POST by a form or JSON object body."""
    params: dict[str, str] = dict(request.query_params)
    if request.method != "POST":
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        params.update(await _json_parameters(request))
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


async def _json_parameters(request: Request) -> dict[str, str]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise InvalidParameterError(f"the body is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise InvalidParameterError('the JSON body must be an object, e.g. {"report_id": "..."}')
    # Numbers are accepted as text; nulls, lists and objects count as absent.
    return {
        str(key): str(value)
        for key, value in body.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def _error(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse(
        {"error": message}, status_code=status_code, headers={**_NO_STORE, **(headers or {})}
    )

