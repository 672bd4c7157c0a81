"""The run page's HTTP server: 127.0.0.1 only, read-only apart from the prediction form.

    /                                the runs list
    /runs/<run_id>                   a run's page
    /runs/<run_id>/files/<name>      one of the run's artifacts (report.html, next-spec.yaml, analysis.json, ...)
    GET  /api/runs                   the runs list as JSON
    GET  /api/runs/<run_id>          a run as JSON (states, history, jobs, spend, alerts, artifacts, ...)
    GET  /api/runs/<run_id>/jobs/<training_job>/log   the last lines of a training job's log
    POST /api/runs/<run_id>/predict  CSV rows to the run's endpoint; 403 when the source does not allow it

Every page is rendered by Jinja2 with autoescape, and its script builds the DOM with ``textContent`` only; a
Content-Security-Policy with a per-response nonce allows no other script. Requests whose Host is not this
server's (DNS rebinding) are refused, and the prediction POST must be JSON (a cross-site form cannot send it).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2

from tunepilot_ui.api import RunNotFound, RunPageApi
from tunepilot_ui.graph import DefinitionError
from tunepilot_ui.source import InvokeNotAllowed, RunSource, SourceError

HOST = "127.0.0.1"
POLL_MS = 2000
MAX_PREDICT_BYTES = 1024 * 1024
_RUN_ID = r"[A-Za-z0-9._-]{1,200}"
_ROUTES = {
    "index": re.compile(r"/\Z"),
    "run": re.compile(rf"/runs/(?P<run_id>{_RUN_ID})\Z"),
    "file": re.compile(rf"/runs/(?P<run_id>{_RUN_ID})/files/(?P<name>[A-Za-z0-9._-]{{1,100}})\Z"),
    "api_runs": re.compile(r"/api/runs\Z"),
    "api_run": re.compile(rf"/api/runs/(?P<run_id>{_RUN_ID})\Z"),
    "api_log": re.compile(rf"/api/runs/(?P<run_id>{_RUN_ID})/jobs/(?P<job>[A-Za-z0-9-]{{1,63}})/log\Z"),
    "api_predict": re.compile(rf"/api/runs/(?P<run_id>{_RUN_ID})/predict\Z"),
}
_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".csv": "text/csv; charset=utf-8",
                  ".yaml": "text/plain; charset=utf-8"}
# report.html is the analysis' own self-contained page: it may run its inline scripts, in a sandbox of its own.
_REPORT_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
               "img-src data:")

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("tunepilot_ui", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
)


class RunPageServer:
    """Serves one RunSource on 127.0.0.1 in a background thread: ``start()``, ``url``, ``close()``."""

    def __init__(self, source: RunSource, port: int = 0) -> None:
        self.api = RunPageApi(source)
        self.source = source
        handler = type("Handler", (_Handler,), {"page": self})
        self.httpd = ThreadingHTTPServer((HOST, port), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> RunPageServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="tunepilot-run-page", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> RunPageServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    page: RunPageServer
    server_version = "tunepilot-run-page"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # the terminal shows the run, not the requests
        return

    # -- routing ---------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        if not self._host_ok():
            self._error(HTTPStatus.FORBIDDEN, "this server answers only to 127.0.0.1 and localhost")
            return
        path = unquote(urlsplit(self.path).path)
        for name, pattern in _ROUTES.items():
            match = pattern.match(path)
            if not match:
                continue
            wanted = "POST" if name == "api_predict" else "GET"
            if method != wanted:
                self._error(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed here")
                return
            try:
                getattr(self, f"_{name}")(**match.groupdict())
            except RunNotFound as error:
                self._error(HTTPStatus.NOT_FOUND, f"no run {error}")
            except SourceError as error:
                self._error(HTTPStatus.BAD_GATEWAY, str(error))
            except (BrokenPipeError, ConnectionResetError):
                pass
            except DefinitionError as error:
                self._error(HTTPStatus.BAD_GATEWAY, f"the deployed state machine definition: {error}")
            except Exception as error:  # the edge of the server: one failed look must not kill the page
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(error).__name__}: {error}")
            return
        self._error(HTTPStatus.NOT_FOUND, "no such page")

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        return host in {f"{HOST}:{self.page.port}", f"localhost:{self.page.port}"}

    # -- pages -----------------------------------------------------------------------------------------
    def _index(self) -> None:
        self._html("index.html", runs=self.page.api.runs())

    def _run(self, run_id: str) -> None:
        self._html("run.html", run_id=run_id, poll_ms=POLL_MS)

    def _file(self, run_id: str, name: str) -> None:
        body = self.page.api.artifact(run_id, name)
        if body is None:
            self._error(HTTPStatus.NOT_FOUND, f"run {run_id} has no {name}")
            return
        suffix = name[name.rfind("."):]
        headers = {"Content-Security-Policy": _REPORT_CSP} if name == "report.html" else {
            "Content-Security-Policy": "default-src 'none'; sandbox"}
        self._send(HTTPStatus.OK, body, _CONTENT_TYPES.get(suffix, "text/plain; charset=utf-8"), headers)

    def _api_runs(self) -> None:
        self._json(HTTPStatus.OK, {"source": self.page.source.label, "runs": self.page.api.runs()})

    def _api_run(self, run_id: str) -> None:
        self._json(HTTPStatus.OK, self.page.api.run(run_id))

    def _api_log(self, run_id: str, job: str) -> None:
        self._json(HTTPStatus.OK, self.page.api.job_log(run_id, job))

    def _api_predict(self, run_id: str) -> None:
        if not self.page.source.invoke_allowed:
            self._error(HTTPStatus.FORBIDDEN, "the prediction form is off for a deployed stack; "
                                              "start `tunepilot ui` with --allow-invoke")
            return
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send {\"csv\": \"...\"} as application/json")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_PREDICT_BYTES:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE if length else HTTPStatus.BAD_REQUEST,
                        f"the body must be 1 byte to {MAX_PREDICT_BYTES} bytes")
            return
        try:
            request = json.loads(self.rfile.read(length))
            csv_rows = request["csv"]
            if not isinstance(csv_rows, str) or not csv_rows.strip():
                raise ValueError("csv must be non-empty text")
        except (ValueError, KeyError, TypeError) as error:
            self._error(HTTPStatus.BAD_REQUEST, f"send {{\"csv\": \"one row per line\"}}: {error}")
            return
        try:
            self._json(HTTPStatus.OK, self.page.api.predict(run_id, csv_rows))
        except InvokeNotAllowed as error:
            self._error(HTTPStatus.FORBIDDEN, str(error))

    # -- responses -------------------------------------------------------------------------------------
    def _html(self, template: str, **context: Any) -> None:
        nonce = secrets.token_urlsafe(16)
        body = _templates.get_template(template).render(nonce=nonce, source=self.page.source.label, **context)
        csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; connect-src 'self'; "
               "img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'none'")
        self._send(HTTPStatus.OK, body.encode(), "text/html; charset=utf-8", {"Content-Security-Policy": csp})

    def _json(self, status: HTTPStatus, payload: Any) -> None:
        self._send(status, json.dumps(payload, default=str).encode(), "application/json")

    def _error(self, status: HTTPStatus, message: str) -> None:
        if urlsplit(self.path).path.startswith("/api/"):
            self._json(status, {"error": message, "status": int(status)})
        else:
            body = _templates.get_template("error.html").render(status=int(status), message=message)
            self._send(status, body.encode(), "text/html; charset=utf-8",
                       {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def serve(source: RunSource, port: int = 0) -> RunPageServer:
    """Start the run page for ``source`` on 127.0.0.1 (``port`` 0: a free one)."""
    return RunPageServer(source, port).start()
