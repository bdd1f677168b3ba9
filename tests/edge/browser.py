"""What the browser tests need: a till in its own process on a free port, headless Chromium
through Playwright, and a page wrapper that finds ``data-test`` elements and saves
screenshots to tests/artifacts/screenshots/."""
import http.cookiejar
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

expect.set_options(timeout=5000)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Headless as root, offline: no sandbox, no GPU, and none of Chromium's background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TillServer:
    """``python -m edge`` on a free port with the given store, as a till runs for real."""

    def __init__(self, store_file, data_dir, extra=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(data_dir).with_suffix(".log")
        self.command = [sys.executable, "-m", "edge", "--port", str(self.port),
                        "--data-dir", str(data_dir), "--store-file", str(store_file), *extra]
        self.process = None

    def __enter__(self):
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.call("GET", "/api/display")
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"the till did not start:\n{self.log.read_text()}") from None
                time.sleep(0.05)

    def __exit__(self, *exc_info):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def call(self, method, path, body=None):
        """The till's JSON API, as the hardware simulation or another screen calls it."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def session(self):
        return ApiSession(self.url)


class ApiSession:
    """A browser-like client of the till's API: it keeps the session cookie."""

    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method, path, body=None, ok=(200,)):
        """(status, JSON answer); an HTTPError for a status not in ``ok``."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with self.opener.open(request, timeout=5) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code not in ok:
                raise
            return exc.code, json.load(exc)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)


class Screen:
    """A page under test: ``screen("pay")`` is the element with ``data-test="pay"``;
    ``shot(step)`` saves ``<test>-<width>x<height>-<step>.png``; script errors are kept."""

    def __init__(self, page, test_name, viewport):
        self.page = page
        self.name = f"{test_name.removeprefix('test_')}-{viewport['width']}x{viewport['height']}"
        self.viewport = viewport
        self.errors = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def __call__(self, test):
        return self.page.locator(f'[data-test="{test}"]')

    def shot(self, step):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}-{step}.png"))

    def tap(self, *tests):
        for test in tests:
            self(test).click()

    def in_view(self, test):
        """The element is entirely on screen: not cut off by the viewport."""
        expect(self(test)).to_be_in_viewport(ratio=1)


# -- steps the kiosk tests share --------------------------------------------------------------

def key_in(screen, pad, digits):
    screen.tap(*(f"{pad}-key-{digit}" for digit in digits))


def line(screen, sku):
    return screen.page.locator(f'[data-test="line"][data-sku="{sku}"]')


def scan_into_code_box(kiosk, code):
    kiosk("code-input").fill(code)
    kiosk.tap("code-submit")


def count_cash(kiosk, count, counted):
    """Counts ``counted`` ({denomination: number}) on the open or close screen ``count``."""
    for value, number in counted.items():
        kiosk.tap(f"{count}-{value}-count")
        key_in(kiosk, "count-pad", str(number))
        kiosk.tap("count-enter")


def sign_in(kiosk, pin, float_counted=None):
    """Signs in with ``pin`` at a till not yet open, and opens it with ``float_counted``
    ({denomination: number}; none: an empty float)."""
    kiosk.tap(*(f"pin-key-{digit}" for digit in pin), "sign-in")
    expect(kiosk("screen-open-till")).to_be_visible()
    count_cash(kiosk, "open-count", float_counted or {})
    kiosk.tap("open-till")
    expect(kiosk("screen-sale")).to_be_visible()
