#!/usr/bin/env python3
"""Take the screenshots of readme/USAGE.md from a running Odoo with the demo data.

    make run DB=shots HTTP_PORT=8069        # in one shell: Odoo with the demo
    python3 scripts/screenshots.py --url http://localhost:8069 --db shots

For each language (English, then Spanish), it signs in as admin over
JSON-RPC, sets the admin's language, drives a headless Chromium through the
Chrome DevTools Protocol at a 1280x800 viewport and writes, in
static/description:

- flow_designer[_es].png: the form of the demo's *Welcome sequence* flow,
  scrolled to its step cards and their counters;
- statistics_graph[_es].png: *Automation ▸ Statistics*, tasks per day
  stacked by state;
- journey_panel[_es].png: the *Journeys* dialog of an enrolled contact,
  opened from its chatter.

Spanish is activated in the database when it is not yet; the admin's
language is restored at the end. The PNGs are reduced with pngquant and
optipng when they are installed (Debian packages of the same names), else
with Pillow. Needs requests and websocket-client (Odoo's own requirements)
and Chromium; nothing here is part of `make test`.
"""

import argparse
import base64
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

MODULE = "automation_flow"
ROOT = Path(__file__).resolve().parent.parent
# language code -> file name suffix
LANGUAGES = {"en_US": "", "es_ES": "_es"}
DESIGNER_MAX_HEIGHT = 1200


class Odoo:
    """A JSON-RPC session on the Odoo server."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        result = self._post(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        self.uid = result["uid"]
        self.session_id = self.session.cookies["session_id"]

    def _post(self, path, params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=120,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            error = body["error"]
            raise RuntimeError(error.get("data", {}).get("message") or error)
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        return self._post(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        data = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )
        if not data:
            sys.exit(f"{xmlid} is not in the database: was it created with demo data?")
        return data[0]["res_id"]

    def ensure_language(self, code):
        """Activate the language ``code`` (with its translations) if needed."""
        langs = self.call(
            "res.lang",
            "search_read",
            [("code", "=", code)],
            ["active"],
            context={"active_test": False},
        )
        if not langs:
            sys.exit(f"unknown language {code}")
        if langs[0]["active"]:
            return
        print(f"activating {code} and loading its translations", flush=True)
        wizard = self.call(
            "base.language.install", "create", {"lang_ids": [(6, 0, [langs[0]["id"]])]}
        )
        self.call("base.language.install", "lang_install", [wizard])

    def user_lang(self):
        return self.call("res.users", "read", [self.uid], ["lang"])[0]["lang"]

    def set_user_lang(self, code):
        self.call("res.users", "write", [self.uid], {"lang": code})

    def journey_partner(self, flow_id):
        """The contact whose journey tells the most: the latest one whose
        welcome email was opened, preferably also clicked and replied to
        (its call is then cancelled by the reply, with the reason)."""
        emails = self.call(
            "automation.flow.task",
            "search_read",
            [
                ("flow_id", "=", flow_id),
                ("step_type", "=", "email"),
                ("opened_at", "!=", False),
            ],
            ["enrollment_id", "clicked_at", "replied_at"],
        )
        if not emails:
            sys.exit("no enrollment of the demo flow has an opened email")
        best = max(
            emails,
            key=lambda task: (
                bool(task["replied_at"]),
                bool(task["clicked_at"]),
                task["id"],
            ),
        )
        enrollment = self.call(
            "automation.flow.enrollment", "read", [best["enrollment_id"][0]], ["res_id"]
        )
        return enrollment[0]["res_id"]


class Browser:
    """A headless Chromium driven over the Chrome DevTools Protocol."""

    def __init__(self, chromium, width, height):
        self.profile = tempfile.TemporaryDirectory(prefix="af-shots-")
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={self.profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile.name, "DevToolsActivePort")
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        else:
            self.close()
            sys.exit(f"{chromium} did not open its DevTools port")
        port = port_file.read_text().split()[0]
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(target for target in targets if target["type"] == "page")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], suppress_origin=True, timeout=60
        )
        self.last_id = 0
        self.width, self.height = width, height
        self.resize(height)
        self.send("Network.enable")
        self.send("Page.enable")

    def resize(self, height):
        """Set the viewport's height (its width stays)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.last_id += 1
        self.ws.send(
            json.dumps({"id": self.last_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, selector, timeout=60):
        """Wait until ``selector`` is in the page and Odoo has no pending
        request, then let the animations end."""
        check = (
            f"!!document.querySelector({json.dumps(selector)})"
            " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
        )
        deadline = time.monotonic() + timeout
        while not self.evaluate(check):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{selector} did not appear in {timeout} s")
            time.sleep(0.25)
        time.sleep(1.5)

    def navigate(self, url, selector):
        self.send("Page.navigate", url=url)
        self.wait_for(selector)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.profile.cleanup()


def optimise(path):
    """Reduce ``path`` in place: pngquant (lossy, 256 colours) and optipng
    when installed, else Pillow's palette conversion."""
    if shutil.which("pngquant"):
        subprocess.run(
            ["pngquant", "--force", "--skip-if-larger", "--ext", ".png", str(path)],
            check=False,
        )
    else:
        from PIL import Image  # Odoo's requirement

        image = Image.open(path).convert("RGB")
        buffer = io.BytesIO()
        image.quantize(256).save(buffer, "PNG", optimize=True)
        if buffer.tell() < path.stat().st_size:
            path.write_bytes(buffer.getvalue())
    if shutil.which("optipng"):
        subprocess.run(["optipng", "-quiet", "-o2", str(path)], check=True)


def take(browser, odoo, out, suffix):
    url = odoo.url
    flow_id = odoo.ref(f"{MODULE}.demo_flow_welcome")
    shots = []

    # The designer: the whole form, from its header to the step cards and
    # their counters: the viewport grows to the end of the notebook (at most
    # DESIGNER_MAX_HEIGHT, beyond which the form is scrolled to the cards).
    browser.navigate(
        f"{url}/odoo/action-{MODULE}.action_automation_flow/{flow_id}",
        ".o_automation_flow_step_card .o_automation_flow_step_counters",
    )
    notebook = "document.querySelector('.o_form_sheet .o_notebook')"
    bottom = browser.evaluate(f"{notebook}.getBoundingClientRect().bottom") + 24
    browser.resize(min(max(browser.height, int(bottom)), DESIGNER_MAX_HEIGHT))
    if bottom > DESIGNER_MAX_HEIGHT:
        browser.evaluate(f"{notebook}.scrollIntoView({{block: 'end'}})")
    time.sleep(1)
    shots.append(out / f"flow_designer{suffix}.png")
    browser.screenshot(shots[-1])
    browser.resize(browser.height)

    # Tasks per day and state.
    browser.navigate(
        f"{url}/odoo/action-{MODULE}.action_automation_flow_task_report",
        ".o_graph_renderer canvas",
    )
    shots.append(out / f"statistics_graph{suffix}.png")
    browser.screenshot(shots[-1])

    # The journeys of a contact, from its chatter.
    partner_id = odoo.journey_partner(flow_id)
    browser.navigate(
        f"{url}/odoo/action-contacts.action_contacts/{partner_id}",
        ".o_automation_flow_journey_button",
    )
    browser.evaluate(
        "document.querySelector('.o_automation_flow_journey_button').click()"
    )
    browser.wait_for(".modal .o_automation_flow_journey .card-body")
    shots.append(out / f"journey_panel{suffix}.png")
    browser.screenshot(shots[-1])
    return shots


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default=MODULE)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", type=Path, default=ROOT / "static" / "description")
    parser.add_argument(
        "--langs",
        default=",".join(LANGUAGES),
        help="comma-separated, among " + ", ".join(LANGUAGES),
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    langs = args.langs.split(",")
    unknown = set(langs) - set(LANGUAGES)
    if unknown:
        parser.error(f"unknown languages: {', '.join(sorted(unknown))}")

    odoo = Odoo(args.url, args.db, args.login, args.password)
    original_lang = odoo.user_lang()
    for lang in langs:
        odoo.ensure_language(lang)
    browser = Browser(args.chromium, args.width, args.height)
    try:
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=odoo.session_id,
            url=odoo.url,
            httpOnly=True,
        )
        for lang in langs:
            odoo.set_user_lang(lang)
            for path in take(browser, odoo, args.out, LANGUAGES[lang]):
                optimise(path)
                print(f"{path}: {path.stat().st_size // 1024} KB", flush=True)
    finally:
        browser.close()
        odoo.set_user_lang(original_lang)


if __name__ == "__main__":
    main()
