"""What the Python tests of `livectl serve` share: one server process, HTTP
without following redirects, the admin's Basic credentials, and the page
index a rendered participant page carries.

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
    from livectl_client import Serve, page_of

Every wait is bounded; stop_all() ends whatever a failed test left running.
"""
import base64
import json
import re
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "pw"
STARTED = []  # every Serve, so that a failing test can stop them all


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 303 is returned as it is, to be looked at


OPENER = urllib.request.build_opener(NoRedirects)


class Serve:
    """One `BINARY serve --port 0 --db DB ...` process; reads what it prints
    until "serving on", and keeps it in `stdout`."""

    def __init__(self, binary, db, *args):
        self.db = db
        self.proc = subprocess.Popen(
            [binary, "serve", "--port", "0", "--db", db, "--admin-password", PASSWORD, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        STARTED.append(self)
        self.stdout = ""
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("serve exited early: " + self.proc.stderr.read())
            self.stdout += line
            if line.startswith("serving on "):
                break
        self.base = re.search(r"serving on (http://\S+)", self.stdout).group(1)

    def links(self):
        """The participant codes of the links printed at start, in order."""
        return re.findall(r"/p/(\w+)", self.stdout)

    def http(self, method, path, form=None, headers=None, admin=False):
        """(status, headers, body text); never raises for an HTTP status."""
        data = None if form is None else urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=dict(headers or {}))
        if admin:
            token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
            request.add_header("Authorization", "Basic " + token)
        try:
            with OPENER.open(request, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def page(self, code):
        """GET /p/<code> (arriving, the first time): the page's HTML."""
        status, _, html = self.http("GET", f"/p/{code}")
        assert status == 200, (code, status, html[:300])
        return html

    def ws_url(self, code, page):
        return f"ws://{self.base[len('http://'):]}/live/{code}?page={page}"

    def monitor(self, session):
        status, _, body = self.http("GET", f"/admin/api/s/{session}", admin=True)
        assert status == 200, (status, body)
        return json.loads(body)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        assert code == 0, (code, self.proc.stderr.read())

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)


def stop_all():
    for server in STARTED:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(timeout=10)


def page_of(html):
    """(page index, title) of a rendered participant page."""
    index = int(re.search(r'data-page="(\d+)"', html).group(1))
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return index, title
