"""The run page in a real browser (headless Chromium through selenium) over a real run in the local cloud.

One run of script mode (examples/scripts/train.py, 3 jobs) uploaded under a hostile key,
``specs/x-<img src=x onerror=alert(1)>.yaml``, with a categorical hyperparameter whose values are HTML; train.py
logs its hyperparameters, so the training log has an HTML line too. The page is opened from the runs list while
the run goes and must update itself; at the end the graph, the jobs table and the curve are checked against what
the local cloud's own APIs say, and every hostile string must show as text.

Chromium comes from Debian (`apt-get install chromium chromium-driver`, which `.ci/run` does when chromedriver
is missing). Without it this test fails: it never skips.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.controller_helpers import spec_bytes
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HOSTILE_KEY = "specs/x-<img src=x onerror=alert(1)>.yaml"
HOSTILE_VALUES = ["<img src=x onerror=alert(2)>", "<b>bold</b>"]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.fail("headless Chromium is needed: apt-get install -y chromium chromium-driver (.ci/run does this)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1360,2200", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def page(local_cloud):
    from tunepilot_ui.server import RunPageServer
    from tunepilot_ui.source import LocalCloudSource

    with RunPageServer(LocalCloudSource(local_cloud)) as server:
        yield server


def _dom(browser, script):
    return browser.execute_script(script)


def test_run_page_follows_a_real_run_in_the_browser(local_cloud, page, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    body = spec_bytes("script-small", {
        "name": "e2e-run-page",
        "hyperparameters": {"ranges": {"note": {"type": "categorical", "values": HOSTILE_VALUES}}},
        "limits": {"max_jobs": 3, "max_parallel_jobs": 1}})
    outcome: dict = {}
    runner = threading.Thread(target=lambda: outcome.update(summary=local_cloud.run_spec(body, HOSTILE_KEY,
                                                                                          timeout=300)))
    runner.start()
    try:
        # The runs list shows the execution (its own 3 s refresh), the hostile key as text.
        browser.get(page.url)

        def row_link():
            browser.refresh()
            for row in browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr"):
                cells = row.find_elements(By.TAG_NAME, "td")
                if len(cells) > 2 and cells[2].text == HOSTILE_KEY:
                    return row.find_element(By.TAG_NAME, "a")
            return None

        wait_for("the run in the runs list", row_link, 120, 1.0).click()
        wait_for("the run page's first update", lambda: _dom(browser, "return document.body.dataset.updates") != "0",
                 30)
        # Live: while it runs, the page redraws itself without a reload and shows a state in progress.
        seen_running = set()

        def finished():
            status = _dom(browser, "return document.body.dataset.status")
            if status == "RUNNING":
                seen_running.update(_dom(browser, "return Array.from(document.querySelectorAll('#graph g.state"
                                                  "[data-status=in_progress]')).map(g => g.dataset.state)"))
            return status if status in ("SUCCEEDED", "FAILED") else None

        wait_for("the page to show the run finished", finished, 300, 0.5)
        runner.join(timeout=60)
    finally:
        runner.join(timeout=300)
    summary = outcome["summary"]
    assert summary.status == "SUCCEEDED", summary.error
    assert _dom(browser, "return document.body.dataset.status") == "SUCCEEDED"
    assert seen_running, "the page never showed a state in progress while the run went"
    assert int(_dom(browser, "return document.body.dataset.updates")) > 2  # redrawn without a reload

    # The graph: every state of the deployed definition (read here, directly), with its final status.
    sfn = local_cloud.client("stepfunctions")
    deployed = json.loads(sfn.describe_state_machine(stateMachineArn=local_cloud.state_machine_arn)["definition"])
    drawn = _dom(browser, "return Object.fromEntries(Array.from(document.querySelectorAll('#graph g.state'))"
                          ".map(g => [g.dataset.state, g.dataset.status]))")
    assert set(drawn) == set(deployed["States"])
    visited = set(summary.states_visited)
    expected = {name: "succeeded" if name in visited else "not_reached" for name in deployed["States"]}
    assert drawn == expected
    # admission (WaitForSlot) and the analysis (AnalyzeResults) are steps of every run, drawn as done
    assert drawn["WaitForSlot"] == drawn["AnalyzeResults"] == "succeeded"
    arrows = _dom(browser, "return document.querySelectorAll('#graph path.edge').length")
    assert arrows >= sum(bool(s.get("Next")) + len(s.get("Catch", [])) for s in deployed["States"].values())
    taken = _dom(browser, "return document.querySelectorAll('#graph path.edge.taken').length")
    assert taken == len(summary.states_visited) - 1

    # The jobs table reaches the run's job count; the curve has one point per completed job.
    jobs = local_cloud.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=summary.tuning_job_name)["TrainingJobSummaries"]
    completed = [j for j in jobs if j["TrainingJobStatus"] == "Completed"
                 and "FinalHyperParameterTuningJobObjectiveMetric" in j]
    assert len(jobs) == summary.training_jobs == 3
    assert len(browser.find_elements(By.CSS_SELECTOR, "#jobs tbody tr")) == summary.training_jobs
    assert len(browser.find_elements(By.CSS_SELECTOR, "#curve circle.point")) == len(completed) > 0

    # Clicking a state shows its input and output.
    browser.find_element(By.CSS_SELECTOR, "#graph g.state[data-state=PickBest]").click()
    assert browser.find_element(By.ID, "state-name").text == "PickBest"
    assert summary.tuning_job_name in browser.find_element(By.ID, "state-output").text

    # Escaping: the key, the hyperparameter values and the log line are text; nothing ran, no image was made.
    assert browser.find_element(By.ID, "spec-key").text == HOSTILE_KEY
    table = browser.find_element(By.ID, "jobs").text
    assert any(value in table for value in HOSTILE_VALUES) and "note=" in table  # AMT keeps categoricals quoted
    browser.find_element(By.CSS_SELECTOR, "#jobs tbody tr").click()
    log = wait_for("the job's log", lambda: (t := browser.find_element(By.ID, "job-log").text) != "loading…" and t,
                   30)
    assert "hyperparameters:" in log and any(value in log for value in HOSTILE_VALUES)
    assert _dom(browser, "return document.querySelectorAll('img, b, script:not([nonce])').length") == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - an alert() that ran would be open now
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

    ARTIFACTS.mkdir(exist_ok=True)
    browser.find_element(By.ID, "job-log-box")  # the screenshot shows the finished run as a user sees it
    browser.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    assert browser.save_screenshot(str(ARTIFACTS / "run-page.png"))

    # The runs list: the hostile key as text there too, the run finished.
    browser.get(page.url)
    assert HOSTILE_KEY in browser.find_element(By.ID, "runs").text
    assert _dom(browser, "return document.querySelectorAll('img').length") == 0
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_tunepilot_ui_serves_a_deployed_stack_read_only(local_cloud, page):
    """`tunepilot ui --stack` as a user runs it, pointed at the local cloud as at AWS (AWS_ENDPOINT_URL)."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from tunepilot_ui.api import RunPageApi

    local = {r["run_id"]: r for r in RunPageApi(page.source).runs()}
    assert local, "no run in the local cloud yet"
    env = {**os.environ, "AWS_ENDPOINT_URL": local_cloud.endpoint_url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "PYTHONUNBUFFERED": "1"}
    command = [str(Path(sys.executable).with_name("tunepilot")), "ui", "--stack", local_cloud.stack_name]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = wait_for("the run page's URL", lambda: (out := process.stdout.readline()).startswith("run page")
                        and out, 60, 0.0)
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/runs", timeout=30) as reply:
            remote = {r["run_id"]: r for r in json.loads(reply.read())["runs"]}
        assert set(remote) == set(local)
        run_id = next(iter(local))
        with urllib.request.urlopen(f"{url}api/runs/{run_id}", timeout=60) as reply:
            stack_view = json.loads(reply.read())
        assert stack_view["states"] == RunPageApi(page.source).run(run_id)["states"]
        assert stack_view["alerts"] == [] and "cannot be read back" in stack_view["alerts_note"]
        request = urllib.request.Request(f"{url}api/runs/{run_id}/predict", data=b'{"csv": "1,2"}',
                                         headers={"Content-Type": "application/json"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize("with_analysis", [True, False], ids=["analysis-written", "no-analysis"])
def test_analysis_artifacts_show_when_present_and_the_page_degrades_without(browser, with_analysis):
    """The analysis (another state's output) in a real browser, from the in-memory source of the unit tests:
    report.html in its sandboxed frame, the verdict, importance and next spec; without them, a note."""
    from selenium.webdriver.common.by import By

    from tests.unit.ui.fakes import HOSTILE_VALUE, fake_source
    from tunepilot_ui.server import RunPageServer

    source = fake_source()
    run_id = "rec-ok-86ad09853a0c"
    if not with_analysis:
        for name in ("analysis.json", "report.html", "next-spec.yaml"):
            del source.objects[f"runs/{run_id}/{name}"]
    with RunPageServer(source) as server:
        browser.get(f"{server.url}runs/{run_id}")
        wait_for("the page", lambda: _dom(browser, "return document.body.dataset.status") == "SUCCEEDED", 30)
        visible = _dom(browser, "return ['analysis', 'report-box', 'next-spec-box', 'analysis-none']"
                                ".map(id => !document.getElementById(id).hidden)")
        assert visible == ([True, True, True, False] if with_analysis else [False, False, False, True])
        if with_analysis:
            assert "converged" in browser.find_element(By.ID, "verdict").text
            assert browser.find_element(By.ID, "recommendations").text == f"Try {HOSTILE_VALUE}"
            assert "<b>why</b>" in browser.find_element(By.ID, "next-spec").text
            browser.switch_to.frame(browser.find_element(By.ID, "report"))
            assert wait_for("the report in its frame",
                            lambda: browser.find_element(By.TAG_NAME, "body").text == "report", 10)
            browser.switch_to.default_content()
        assert _dom(browser, "return document.querySelectorAll('img').length") == 0
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_prediction_form_invokes_the_local_endpoint(local_cloud, page, browser):
    """A run that deploys: the page shows the endpoint, and CSV rows typed into the form get real predictions."""
    from selenium.webdriver.common.by import By

    summary = local_cloud.run_spec(spec_bytes("xgb-small", {"deploy": {"enabled": True,
                                                                       "endpoint_name": "e2e-run-page"}}),
                                   "specs/e2e-run-page-deploy.yaml", timeout=300)
    assert summary.succeeded and summary.deployed, summary.error
    rows = summary.sample_prediction["rows"]
    csv = local_cloud.client("s3").get_object(Bucket="tunepilot-e2e-data",
                                              Key="breast-cancer/validation/validation.csv")["Body"].read().decode()
    features = "\n".join(line.split(",", 1)[1] for line in csv.splitlines()[:rows])
    browser.get(f"{page.url}runs/{summary.run_id}")
    wait_for("the finished run", lambda: _dom(browser, "return document.body.dataset.status") == "SUCCEEDED", 60)
    assert not browser.find_element(By.ID, "endpoint-box").get_attribute("hidden")
    assert browser.find_element(By.ID, "endpoint-name").text == "e2e-run-page"
    states = {s.get_attribute("data-state"): s.get_attribute("data-status")
              for s in browser.find_elements(By.CSS_SELECTOR, "#graph g.state")}
    assert states["Deploy"] == states["WaitForEndpoint"] == "succeeded"
    browser.find_element(By.ID, "predict-csv").send_keys(features)
    browser.find_element(By.CSS_SELECTOR, "#predict-form button").click()
    shown = wait_for("the predictions", lambda: (t := browser.find_element(By.ID, "predict-result").text)
                     not in ("", "…") and t, 30)
    assert shown.split() == summary.sample_prediction["predictions"].split()
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_caught_failure_in_the_browser(browser):
    """The invalid-spec history recorded from the local cloud, under the hostile key: a caught state, the Catch
    arrow taken, the Fail state failed, the error shown as text; no training job, no curve, no console error."""
    from selenium.webdriver.common.by import By

    from tests.unit.ui.fakes import HOSTILE_KEY as KEY
    from tests.unit.ui.fakes import fake_source
    from tunepilot_ui.api import RunPageApi
    from tunepilot_ui.server import RunPageServer

    source = fake_source()
    run_id = next(r["run_id"] for r in RunPageApi(source).runs() if r["spec_key"] == KEY)
    with RunPageServer(source) as server:
        browser.get(f"{server.url}runs/{run_id}")
        wait_for("the page", lambda: _dom(browser, "return document.body.dataset.status") == "FAILED", 30)
        drawn = _dom(browser, "return Object.fromEntries(Array.from(document.querySelectorAll('#graph g.state'))"
                              ".map(g => [g.dataset.state, g.dataset.status]))")
        assert {k: v for k, v in drawn.items() if v != "not_reached"} == {
            "ValidateSpec": "caught", "NotifyFailure": "succeeded", "Failed": "failed"}
        taken = _dom(browser, "return Array.from(document.querySelectorAll('#graph path.edge.taken'))"
                              ".map(p => [p.dataset.source, p.dataset.target, p.dataset.kind])")
        assert sorted(taken) == [["NotifyFailure", "Failed", "next"], ["ValidateSpec", "NotifyFailure", "catch"]]
        assert browser.find_element(By.ID, "spec-key").text == KEY
        assert "SpecInvalid" in browser.find_element(By.ID, "error").text
        browser.find_element(By.CSS_SELECTOR, "#graph g.state[data-state=ValidateSpec]").click()
        assert "SpecInvalid" in browser.find_element(By.ID, "state-error").text
        assert browser.find_elements(By.CSS_SELECTOR, "#jobs tbody tr") == []
        assert browser.find_elements(By.CSS_SELECTOR, "#curve circle.point") == []
        assert _dom(browser, "return document.querySelectorAll('img').length") == 0
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
