"""The HTML report in a real browser: headless Chromium driven over the DevTools protocol.

Pins what only a browser can tell: the page loads with no console error and no network
request, the charts are drawn with a real size, and markup in term text is shown as text and
never run. Skipped only when Chromium is missing outside CI; under CI (``CI=true``) a missing
browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HOSTILE_SCRIPT = "<script>window.__pwned = 'script'</script>"
HOSTILE_IMG = "<img src=x onerror=\"window.__pwned = 'img'\">"


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class Page:
    """One tab, spoken to over the DevTools websocket; records console errors and requests."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=20, suppress_origin=True)
        self.next_id = 0
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.loaded = False
        for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.call(method)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def _event(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            self.errors.append("exception: " + params["exceptionDetails"].get("text", ""))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Page.loadEventFired":
            self.loaded = True

    def open(self, url: str, settle: float = 0.5) -> None:
        self.loaded = False
        self.errors.clear()
        self.requests.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 20
        while not self.loaded:
            assert time.monotonic() < deadline, f"{url} did not finish loading"
            self._event(json.loads(self.ws.recv()))
        # Late errors (a deferred image, a timer) would arrive just after the load event.
        self.ws.settimeout(settle)
        try:
            while True:
                self._event(json.loads(self.ws.recv()))
        except Exception:  # the websocket timing out: nothing more came
            pass
        finally:
            self.ws.settimeout(20)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Page]:
    path = find_browser()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed; CI needs it for the HTML report test (.ci/run installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium); the HTML report's browser test needs it")
    profile = tempfile.mkdtemp(prefix="tracker-chromium-")
    proc = subprocess.Popen(
        [path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--disable-default-apps", "--disable-extensions", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, "Chromium exited at start-up"
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        page = Page(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"))
        yield page
        page.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def open_report(browser: Page, path: Path) -> dict[str, Any]:
    browser.open(path.resolve().as_uri())
    assert browser.errors == []
    assert [u for u in browser.requests if u != path.resolve().as_uri()] == []
    return browser.evaluate("JSON.parse(document.getElementById('report-data').textContent)")


CHART_FACTS = """
(() => Object.fromEntries(['chart-timeline', 'chart-convergence', 'chart-distance'].map(id => {
  const svg = document.querySelector('#' + id + ' svg');
  if (!svg) return [id, null];
  const box = svg.getBoundingClientRect();
  const series = [...svg.querySelectorAll('polyline')].map(p => p.getAttribute('points'));
  return [id, {width: box.width, height: box.height, circles: svg.querySelectorAll('circle').length,
               series: series.filter(s => s && s.trim().includes(' ')).length}];
})))()
"""


def test_seeded_report_loads_clean_with_its_charts_drawn(seeded, browser, tmp_path):
    seeded.ok("report", "-o", str(tmp_path / "report.html"))
    data = open_report(browser, tmp_path / "report.html")
    assert data["schema"] == "tracker.report/v3"
    assert [d["id"] for d in data["timeline"]] == [
        "us-initial", "kyiv-amendments", "us-revised", "draft-2025-02-22", "draft-2025-02-24", "fund-framework",
    ]
    charts = browser.evaluate(CHART_FACTS)
    assert charts["chart-timeline"]["circles"] == 6
    assert charts["chart-convergence"]["circles"] == 5  # one per draft date from the first both sides state a term
    assert charts["chart-convergence"]["series"] == 1
    assert charts["chart-distance"]["circles"] >= 6
    for facts in charts.values():
        assert facts["width"] > 300 and facts["height"] > 100
    labels = browser.evaluate("[...document.querySelectorAll('#chart-convergence svg text')].map(t => t.textContent)")
    assert {"0%", "50%", "94%"} <= set(labels)
    assert browser.evaluate("document.querySelectorAll('script').length") == 1  # the JSON data block only


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def hostile_files(folder: Path) -> list[Path]:
    q = json.dumps  # JSON strings are valid YAML scalars: the markup arrives byte for byte
    return [
        _write(folder / "neg.yaml", f"""kind: negotiation
id: hostile
title: {q('Deal ' + HOSTILE_SCRIPT)}
parties:
  - {{code: A, name: {q('Alpha ' + HOSTILE_IMG)}}}
  - {{code: B, name: Beta}}
sources:
  - {{id: leak, outlet: {q('Outlet ' + HOSTILE_SCRIPT)}, url: "javascript:window.__pwned='link'"}}
"""),
        _write(folder / "d1.yaml", f"""kind: draft
negotiation: hostile
id: first
title: {q('First ' + HOSTILE_IMG)}
tabled_by: [A]
date: 2025-03-01
sources: [leak]
notes: {q(HOSTILE_SCRIPT)}
terms:
  clause:
    value: {q('text:' + HOSTILE_SCRIPT + ' and ' + HOSTILE_IMG)}
    sources: [{{source: leak, quote: {q(HOSTILE_IMG)}}}]
  fee: {{value: 10%}}
"""),
        _write(folder / "d2.yaml", f"""kind: draft
negotiation: hostile
id: second
title: Second
tabled_by: [B]
date: 2025-03-05
parents: [first]
sources: [leak]
terms:
  clause:
    value: {q('text:' + HOSTILE_IMG + ' </script><script>window.__pwned = 1</script>')}
    pushed_by: {{parties: [B], evidence: {q(HOSTILE_SCRIPT)}, source: leak}}
  fee: {{value: 5%}}
"""),
    ]


def test_markup_in_term_text_is_shown_as_text_and_never_run(tracker, browser, tmp_path):
    tracker.ok("record", *map(str, hostile_files(tmp_path)))
    tracker.ok("report", "-o", str(tmp_path / "hostile.html"))
    data = open_report(browser, tmp_path / "hostile.html")  # no console error, no request
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('script').length") == 1
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("[...document.querySelectorAll('a[href]')].filter(a => !a.getAttribute('href').startsWith('#')).length") == 0
    text = browser.evaluate("document.body.innerText")
    assert HOSTILE_SCRIPT in text and HOSTILE_IMG in text
    assert "javascript:window.__pwned='link'" in text  # shown, not linked
    assert browser.evaluate("document.title") == f"Deal {HOSTILE_SCRIPT}: change history"
    # The embedded data reads back byte for byte.
    clause = next(c for b in data["changes"] for c in b["changes"] if b["draft"] == "second" and c["term"] == "clause")
    assert clause["new_text"] == f"{HOSTILE_IMG} </script><script>window.__pwned = 1</script>"
    assert clause["evidence"] == HOSTILE_SCRIPT
