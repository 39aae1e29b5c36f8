"""What the Python tests of `serve` share: a server process (Serve), HTTP
without following redirects, the admin's Basic credentials (basic), sessions
created from the admin, WebSockets to a participant's page, the page index a
rendered participant page carries (page_of), the participant links of an
admin session page (links_of), CLI runs (run), polling (until), and a runner
for a file of test_ functions (run_tests).

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
    from livectl_client import Serve, page_of, stop_all

Standard library only, but for Serve.ws, which imports Debian's
python3-websockets when it is called. Every wait is bounded; stop_all() ends
whatever a failed test left running, and run_tests() calls it after each test.
"""
import asyncio
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "pw"
# Far beyond a start under the sanitizers on a busy machine; within CTest's
# 60 s, so that a server that never says "serving on" fails with its stderr.
START_TIMEOUT = 30
STARTED = []  # every running Serve, so that a failing test can stop them all


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 303 is returned as it is, to be looked at


OPENER = urllib.request.build_opener(NoRedirects)


def basic(password, user="admin"):
    """The Authorization header value that sends `user`:`password` (Basic)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Serve:
    """One `BINARY serve --port 0 --db DB --admin-password PASSWORD ARGS...`
    process. Reads what it prints until "serving on" and keeps it in
    `stdout`; fails (with the server's stderr) if the server exits first or
    has not said it within START_TIMEOUT seconds.

    password: the --admin-password given, which http(admin=True) sends.
    None gives no --admin-password: the server makes one up (or reads
    LIVECTL_ADMIN_PASSWORD), and http(admin=True) cannot be used.
    env: variables added to this process's environment for the server.

    Attributes: db, password, proc, stdout, base ("http://HOST:PORT"), host,
    port (an int)."""

    def __init__(self, binary, db, *args, password=PASSWORD, env=None):
        self.db = db
        self.password = password
        given = [] if password is None else ["--admin-password", password]
        self.proc = subprocess.Popen(
            [binary, "serve", "--port", "0", "--db", db, *given, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=None if env is None else {**os.environ, **env})
        STARTED.append(self)
        timed_out = []

        def give_up():
            timed_out.append(True)
            self.proc.kill()  # readline() below then sees the end of stdout

        timer = threading.Timer(START_TIMEOUT, give_up)
        timer.start()
        try:
            self.stdout = ""
            while True:
                line = self.proc.stdout.readline()
                if not line:
                    if timed_out:
                        raise AssertionError(f"serve printed no 'serving on' within "
                                             f"{START_TIMEOUT} s: " + self.proc.stderr.read())
                    raise AssertionError("serve exited early: " + self.proc.stderr.read())
                self.stdout += line
                if line.startswith("serving on "):
                    break
        finally:
            timer.cancel()
        self.base = re.search(r"serving on (http://\S+)", self.stdout).group(1)
        self.host, port = self.base[len("http://"):].split(":")
        self.port = int(port)

    def links(self):
        """The participant codes of the links printed at start, in order."""
        return re.findall(r"/p/(\w+)", self.stdout)

    def http(self, method, path, form=None, headers=None, admin=False, raw=False):
        """(status, headers, body): the body as text, or as bytes if `raw`;
        never raises for an HTTP status and never follows a redirect. `form`
        (a dict) is sent urlencoded; `admin` sends the admin password. Other
        credentials go in `headers`, made with basic()."""
        data = None if form is None else urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=dict(headers or {}))
        if admin:
            assert self.password is not None, "this server was started without --admin-password"
            request.add_header("Authorization", basic(self.password))
        try:
            with OPENER.open(request, timeout=10) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        return status, headers, body if raw else body.decode()

    def page(self, code):
        """GET /p/<code> (arriving, the first time): the page's HTML; asserts a 200."""
        status, _, html = self.http("GET", f"/p/{code}")
        assert status == 200, (code, status, html[:300])
        return html

    def submit(self, code, page, fields=None):
        """POSTs participant `code`'s form as a browser does: page=<page index>,
        then `fields` (a dict); (status, headers, body text)."""
        return self.http("POST", f"/p/{code}", {"page": page, **(fields or {})})

    def create(self, **form):
        """Creates a session as the admin page's form does: POSTs `form` (each
        value as text, e.g. config="auction", participants=3, room="lab") to
        /admin/sessions with this server's Origin and the admin password.
        Asserts the 303 and returns the new session's code."""
        status, headers, body = self.http(
            "POST", "/admin/sessions", {name: str(value) for name, value in form.items()},
            headers={"Origin": self.base}, admin=True)
        assert status == 303, (status, body)
        return re.fullmatch(r"/admin/s/(\w+)", headers["Location"]).group(1)

    def ws_url(self, code, page=None, after=None):
        """The URL a participant's page opens; with ?page= when `page` is
        given, and &after= (the last delivery number handled) when `after` is."""
        arguments = [] if page is None else [f"page={page}"]
        if after is not None:
            arguments.append(f"after={after}")
        query = "?" + "&".join(arguments) if arguments else ""
        return f"ws://{self.host}:{self.port}/live/{code}{query}"

    def ws(self, code, page=None, after=None, **options):
        """websockets.connect() to participant `code`'s page (use it with
        `async with`, or await it): opens within 5 s and closes within 2 s
        unless `options` say otherwise."""
        import websockets  # here, so that tests without WebSockets need only the standard library
        return websockets.connect(self.ws_url(code, page, after),
                                  **{"open_timeout": 5, "close_timeout": 2, **options})

    def monitor(self, session):
        """The admin's live monitor of `session` (GET /admin/api/s/<session>), parsed."""
        status, _, body = self.http("GET", f"/admin/api/s/{session}", admin=True)
        assert status == 200, (status, body)
        return json.loads(body)

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and waits for the server; asserts it exits 0. Returns its stderr."""
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=10)
        stderr = self.proc.stderr.read()
        assert code == 0, (code, stderr)
        return stderr

    def kill(self):
        """SIGKILL, as a crash: nothing the server has not stored survives."""
        self.proc.kill()
        self.proc.wait(timeout=10)


def stop_all():
    """Kills every server still running, and forgets them all."""
    for server in STARTED:
        if server.proc.poll() is None:
            server.kill()
    STARTED.clear()


def run(binary, *args, timeout=10):
    """Runs `BINARY ARGS...` to its end; the CompletedProcess, with text stdout and stderr."""
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


def seq_of(html):
    """The delivery number a rendered page starts after (its data-seq)."""
    return int(re.search(r'data-seq="(\d+)"', html).group(1))


def page_of(html):
    """(page index, title) of a rendered participant page."""
    index = int(re.search(r'data-page="(\d+)"', html).group(1))
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return index, title


def links_of(html):
    """(link, participant code) of each participant link on an admin session page."""
    return re.findall(r'<a href="(https?://[^"]+/p/(\w+))">', html)


class LivePage:
    """One participant's page over a WebSocket (`ws`, set by whoever
    connects it): the live frames it handled, by number. Each must be exactly
    the next one: nothing lost, nothing twice, across reconnects."""

    def __init__(self, code):
        self.code = code
        self.seen = []  # (seq, data) of every live frame, in order
        self.ws = None

    async def live(self, timeout=5):
        """The data of the next live frame (page frames are skipped)."""
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame["type"] == "live":
                if self.seen:
                    assert frame["seq"] == self.seen[-1][0] + 1, (frame, self.seen[-1])
                self.seen.append((frame["seq"], frame["data"]))
                return frame["data"]
            assert frame["type"] == "page", frame

    def last(self):
        """The number of the last live frame handled (0: none)."""
        return self.seen[-1][0] if self.seen else 0


def until(check, seconds=5):
    """Polls `check` until it returns a true value, which it returns; fails
    after `seconds`."""
    deadline = time.time() + seconds
    while True:
        value = check()
        if value or time.time() > deadline:
            assert value, "timed out"
            return value
        time.sleep(0.05)


def run_tests(namespace, only="", tmp=None, reset=None):
    """Runs each function of `namespace` (a test file's globals()) whose name
    starts with "test_" and contains `only`, in order; a coroutine it returns
    is run with asyncio. Prints "ok"/"FAIL" (with the traceback) for each, then
    "N passed, M failed". `reset`, when given, runs before and after each test,
    even a failed one; then every server still running is killed. Removes the
    folder `tmp` if every test passed (it is kept after a failure, to look at).
    Returns the exit status: 1 if a test failed, else 0."""
    tests = [(name, fn) for name, fn in namespace.items()
             if name.startswith("test_") and only in name]
    failed = 0
    for name, fn in tests:
        started = time.time()
        if reset is not None:
            reset()
        try:
            result = fn()
            if asyncio.iscoroutine(result):
                asyncio.run(result)
            print(f"ok   {name} ({time.time() - started:.1f} s)")
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        finally:
            if reset is not None:
                reset()
        stop_all()
    print(f"{len(tests) - failed} passed, {failed} failed")
    if not failed and tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0
