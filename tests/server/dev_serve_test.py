#!/usr/bin/python3
"""livectl serve --dev end to end: a study binary whose game's source folder
is a copy in the build tree (tests/browser/CMakeLists.txt builds
livectl_otree_test from it), served on free 127.0.0.1 ports while the test
edits that copy's template and reloads the page.

    dev_serve_test.py STUDY PRISTINE_FOLDER SOURCE_FOLDER [TEST_NAME_SUBSTRING]

PRISTINE_FOLDER is tests/browser/otree_auction (never written);
SOURCE_FOLDER the copy the binary was built from, which every test puts back
as it was, before and after. Every wait is bounded; every server is stopped
or killed at the end.
"""
import asyncio
import html
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import websockets

STUDY, PRISTINE, SOURCE = sys.argv[1:4]
ONLY = sys.argv[4] if len(sys.argv) > 4 else ""
TMP = tempfile.mkdtemp(prefix="livectl-dev-serve-test-")
SERVERS = []
TEMPLATE = os.path.join(SOURCE, "live.html")
with open(os.path.join(PRISTINE, "live.html"), encoding="utf-8") as f:
    ORIGINAL = f.read()


def put_back():
    """The source folder's template as the study was built from it."""
    if os.path.exists(TEMPLATE + ".moved"):
        os.remove(TEMPLATE + ".moved")
    with open(TEMPLATE, "w", encoding="utf-8") as f:
        f.write(ORIGINAL)


def edit(text):
    with open(TEMPLATE, "w", encoding="utf-8") as f:
        f.write(text)


class Serve:
    """One `STUDY serve` process; reads its links from stdout."""

    def __init__(self, *args, db="dev.db"):
        self.db = os.path.join(TMP, db)
        self.proc = subprocess.Popen(
            [STUDY, "serve", "--game", "otree_auction", "--port", "0", "--db", self.db, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        SERVERS.append(self)
        self.stdout = ""
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("serve exited early: " + self.proc.stderr.read())
            self.stdout += line
            if line.startswith("serving on "):
                break
        self.base = re.search(r"serving on (http://\S+)", self.stdout).group(1)
        self.host, port = self.base[len("http://"):].split(":")
        self.port = int(port)
        self.codes = re.findall(r"participant \d+: \S+/p/(\w+)", self.stdout)

    def get(self, participant=1):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=5)
        connection.request("GET", f"/p/{self.codes[participant - 1]}")
        response = connection.getresponse()
        result = response.status, response.getheader("Content-Type"), response.read().decode()
        connection.close()
        return result

    def ws(self, participant):
        return websockets.connect(f"ws://{self.host}:{self.port}/live/{self.codes[participant - 1]}",
                                  open_timeout=5, close_timeout=2)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self.stderr = self.proc.stderr.read()
        assert code == 0, (code, self.stderr)
        return self.stderr

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)


def error_of(body):
    """The error a 500 page shows, as text."""
    found = re.search(r'<pre id="error">(.*?)</pre>', body, re.S)
    assert found, body
    return html.unescape(found.group(1))


async def bid_is_broadcast(s, amount):
    """Participant 1 bids; participant 2's page gets it: the server is serving."""
    async with s.ws(1) as one, s.ws(2) as two:
        await one.send(json.dumps({"page": 0, "data": amount}))
        for ws in (one, two):
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert frame == {"type": "live", "data": {"id_in_group": 1, "bid": amount}}, frame


# ---- tests ----

async def test_dev_shows_each_edit_on_reload_and_errors_as_500_while_serving_on():
    s = Serve("--dev")
    assert (f"--dev: the templates of otree_auction are read from {SOURCE}/ at every page "
            "request\n") in s.stdout, s.stdout
    status, content_type, body = s.get()
    assert (status, content_type) == (200, "text/html; charset=utf-8"), (status, body)
    assert "<title>Auction</title>" in body and ">Send</button>" in body, body

    # An edit shows on the next request, without a rebuild.
    edit(ORIGINAL.replace(">Send</button>", ">Bid now</button>"))
    status, _, body = s.get()
    assert status == 200 and ">Bid now</button>" in body and ">Send<" not in body, body

    # An unknown placeholder: 500 naming the file, the line and what exists.
    lines = ORIGINAL.split("\n")
    lines.insert(3, "<p>{{ player.budget }}</p>")
    edit("\n".join(lines))
    status, content_type, body = s.get(2)
    assert (status, content_type) == (500, "text/html; charset=utf-8"), (status, body)
    assert error_of(body) == (
        f"{TEMPLATE} line 4: unknown placeholder {{{{ player.budget }}}}; otree_auction offers "
        "player.id_in_group, round_number, payoff (player), group.id_in_subsession, "
        "round_number, highest_bidder, highest_bid (group), subsession.round_number, "
        "participant.code, id_in_session, label, payoff, payoff_plus_participation_fee "
        "(participant), session.config.name, participation_fee, real_world_currency_per_point "
        "(session.config), C.NUM_ROUNDS, C.PLAYERS_PER_GROUP and next_button, and the blocks "
        "title, content, scripts and styles ({{ block content }} ... {{ endblock }})"), error_of(body)
    await bid_is_broadcast(s, 10)  # the server goes on

    # A block left open, an unknown block, a missing file.
    edit(ORIGINAL.replace("{{ endblock }}\n{{ block scripts }}", "\n{{ block scripts }}"))
    status, _, body = s.get()
    assert status == 500 and error_of(body) == (
        f"{TEMPLATE} line 27: {{{{ block scripts }}}} is inside {{{{ block content }}}}, which "
        "line 2 opened; blocks do not nest: close it with {{ endblock }} first"), error_of(body)
    edit(ORIGINAL.replace("{{ block scripts }}", "{{ block footer }}"))
    status, _, body = s.get()
    assert status == 500 and error_of(body) == (
        f"{TEMPLATE} line 27: unknown block {{{{ block footer }}}}; the blocks are title, "
        "content, scripts and styles"), error_of(body)
    os.rename(TEMPLATE, TEMPLATE + ".moved")
    status, _, body = s.get()
    assert status == 500 and error_of(body) == (
        f"cannot read {TEMPLATE}: No such file or directory"), error_of(body)
    await bid_is_broadcast(s, 11)

    # Fixed: the page is back.
    put_back()
    status, _, body = s.get()
    assert status == 200 and ">Send</button>" in body, body
    stderr = s.stop()
    assert f"{TEMPLATE} line 4: unknown placeholder {{{{ player.budget }}}}" in stderr, stderr


def test_dev_starts_with_a_broken_template_and_says_so():
    edit(ORIGINAL.replace("{{ endblock }}\n{{ block scripts }}", "{{ endblock }}\n<p>x</p>\n"
                          "{{ block scripts }}"))
    s = Serve("--dev", db="broken.db")
    assert (f"--dev: {TEMPLATE} line 27: text outside the blocks, which no page shows; in a "
            "template with blocks everything is inside {{ block title }}, {{ block content }}, "
            "{{ block scripts }} or {{ block styles }}; its pages answer 500 until it is fixed\n"
            ) in s.stdout, s.stdout
    assert s.get()[0] == 500
    put_back()
    assert s.get()[0] == 200
    s.stop()


def test_without_dev_the_compiled_in_template_is_served_whatever_the_folder_holds():
    edit("{{ block content }}<p>{{ player.budget }}</p>")
    s = Serve(db="compiled.db")
    assert "--dev" not in s.stdout, s.stdout
    status, _, body = s.get()
    assert status == 200 and ">Send</button>" in body and "budget" not in body, body
    s.stop()


def test_serve_help_lists_dev():
    p = subprocess.run([STUDY, "serve", "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and "--dev" in p.stdout, p.stdout


def main():
    tests = [(name, fn) for name, fn in globals().items()
             if name.startswith("test_") and ONLY in name]
    failed = 0
    for name, fn in tests:
        started = time.time()
        put_back()
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
            put_back()
        for server in SERVERS:
            if server.proc.poll() is None:
                server.kill()
        SERVERS.clear()
    print(f"{len(tests) - failed} passed, {failed} failed")
    if not failed:
        shutil.rmtree(TMP, ignore_errors=True)  # kept after a failure, to look at
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
