"""The run page's server over HTTP on 127.0.0.1 (no browser): routes, escaping, the one state-changing call.

Integration, not unit: a real server on loopback (unit tests run with sockets blocked)."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path

import pytest

from tests.unit.ui.fakes import HOSTILE_KEY
from tunepilot_ui.server import RunPageServer

RUN = "rec-ok-86ad09853a0c"
TEMPLATES = Path(__file__).resolve().parents[3] / "tunepilot_ui" / "templates"


@pytest.fixture
def server(source):
    with RunPageServer(source, port=0) as running:
        yield running


def request(server, method, path, body=None, headers=None, host=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Host": host or f"127.0.0.1:{server.port}",
                                                            **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_listens_on_loopback_only(server):
    assert server.httpd.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}/"


@pytest.mark.parametrize(("path", "status", "content_type"), [
    ("/", 200, "text/html; charset=utf-8"),
    (f"/runs/{RUN}", 200, "text/html; charset=utf-8"),
    ("/api/runs", 200, "application/json"),
    (f"/api/runs/{RUN}", 200, "application/json"),
    (f"/api/runs/{RUN}/jobs/tp-rec-ok-86ad0985-001/log", 200, "application/json"),
    (f"/runs/{RUN}/files/report.html", 200, "text/html; charset=utf-8"),
    (f"/runs/{RUN}/files/next-spec.yaml", 200, "text/plain; charset=utf-8"),
    ("/api/runs/no-such-run-000000000000", 404, "application/json"),
    (f"/runs/{RUN}/files/..%2Fresult.json", 404, "text/html; charset=utf-8"),
    (f"/runs/{RUN}/files/trials.csv", 404, "text/html; charset=utf-8"),
    ("/runs/<script>", 404, "text/html; charset=utf-8"),
    ("/nope", 404, "text/html; charset=utf-8"),
], ids=["index", "run-page", "api-runs", "api-run", "api-job-log", "report", "next-spec", "unknown-run",
        "traversal", "absent-artifact", "bad-run-id", "unknown-path"])
def test_routes(server, path, status, content_type):
    got, headers, _ = request(server, "GET", path)
    assert (got, headers["Content-Type"]) == (status, content_type)
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_api_run_has_the_contract_names(server):
    _, _, body = request(server, "GET", f"/api/runs/{RUN}")
    page = json.loads(body)
    assert {"states", "history", "jobs", "spend_usd", "budget_usd", "stop_reason", "alerts", "artifacts"} <= set(page)
    assert all(set(s) == {"name", "status"} for s in page["states"])
    _, _, body = request(server, "GET", "/api/runs")
    assert all("run_id" in run for run in json.loads(body)["runs"])


@pytest.mark.parametrize("host", ["evil.example:80", "127.0.0.1:1", "localhost"], ids=["other", "port", "no-port"])
def test_a_foreign_host_header_is_refused(server, host):
    status, _, _ = request(server, "GET", "/api/runs", host=host)
    assert status == 403


def test_the_index_escapes_a_hostile_spec_key(server):
    _, headers, body = request(server, "GET", "/")
    page = body.decode()
    assert HOSTILE_KEY not in page and "<img" not in page
    assert "specs/x-&lt;img src=x onerror=alert(1)&gt;.yaml" in page
    nonce = re.search(r"script-src 'nonce-([^']+)'", headers["Content-Security-Policy"]).group(1)
    assert page.count(f'<script nonce="{nonce}">') == page.count("<script")  # no other script may run


def test_report_html_runs_in_a_sandbox(server):
    _, headers, _ = request(server, "GET", f"/runs/{RUN}/files/report.html")
    assert headers["Content-Security-Policy"].startswith("sandbox allow-scripts")


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_page_scripts_build_the_dom_from_text_only(template):
    source = (TEMPLATES / template).read_text()
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "|safe", "autoescape false")
    for sink in sinks:
        assert sink not in source, f"{template} uses {sink}"


def test_predict_invokes_the_local_endpoint(server, source):
    status, _, body = request(server, "POST", f"/api/runs/{RUN}/predict", json.dumps({"csv": "1,2\n3,4"}),
                              {"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["predictions"] == "0.25\n0.75"
    assert source.invoked == [("xgb-ep", "1,2\n3,4")]


@pytest.mark.parametrize(("body", "headers", "status"), [
    ("csv=1,2", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ("{}", {"Content-Type": "application/json"}, 400),
    ('{"csv": "  "}', {"Content-Type": "application/json"}, 400),
    ("not json", {"Content-Type": "application/json"}, 400),
], ids=["a-cross-site-form", "no-csv", "empty-csv", "not-json"])
def test_predict_refuses_bad_requests(server, source, body, headers, status):
    got, _, reply = request(server, "POST", f"/api/runs/{RUN}/predict", body, headers)
    assert got == status and json.loads(reply)["error"]
    assert source.invoked == []


def test_predict_is_403_when_the_source_does_not_allow_it(server, source):
    source._invoke_allowed = False
    status, _, body = request(server, "POST", f"/api/runs/{RUN}/predict", json.dumps({"csv": "1,2"}),
                              {"Content-Type": "application/json"})
    assert status == 403 and "--allow-invoke" in json.loads(body)["error"]
    assert source.invoked == []


@pytest.mark.parametrize(("method", "path"), [("POST", f"/api/runs/{RUN}"), ("GET", f"/api/runs/{RUN}/predict")],
                         ids=["post-read-only", "get-predict"])
def test_nothing_else_accepts_a_write(server, method, path):
    status, _, _ = request(server, method, path, "{}" if method == "POST" else None,
                           {"Content-Type": "application/json"})
    assert status == 405


@pytest.mark.parametrize(("broken", "status"), [
    ("definition", 502), ("history", 500),
], ids=["unreadable-definition", "unexpected-error"])
def test_a_failing_look_is_an_error_reply_not_a_dead_server(server, source, monkeypatch, broken, status):
    if broken == "definition":
        monkeypatch.setattr(source, "definition", lambda: "not json")
    else:
        monkeypatch.setattr(source, "history", lambda arn: 1 / 0)
    got, _, body = request(server, "GET", f"/api/runs/{RUN}")
    assert got == status and json.loads(body)["error"]
    monkeypatch.undo()
    assert request(server, "GET", "/api/runs")[0] == 200  # still serving
