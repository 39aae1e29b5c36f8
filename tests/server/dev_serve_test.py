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
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, run, run_tests  # noqa: E402

STUDY, PRISTINE, SOURCE = sys.argv[1:4]
ONLY = sys.argv[4] if len(sys.argv) > 4 else ""
TMP = tempfile.mkdtemp(prefix="livectl-dev-serve-test-")
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


def serve(*args, db="dev.db"):
    """One `STUDY serve --game otree_auction` on TMP/db."""
    return Serve(STUDY, os.path.join(TMP, db), "--game", "otree_auction", *args, password=None)


def get(s, participant=1):
    """(status, Content-Type, body) of a participant's page."""
    status, headers, body = s.http("GET", f"/p/{s.links()[participant - 1]}")
    return status, headers["Content-Type"], body


def error_of(body):
    """The error a 500 page shows, as text."""
    found = re.search(r'<pre id="error">(.*?)</pre>', body, re.S)
    assert found, body
    return html.unescape(found.group(1))


async def bid_is_broadcast(s, amount):
    """Participant 1 bids; participant 2's page gets it: the server is serving."""
    one_code, two_code = s.links()[:2]
    async with s.ws(one_code) as one, s.ws(two_code) as two:
        await one.send(json.dumps({"page": 0, "data": amount}))
        for ws in (one, two):
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            # seq: the participant's delivery number, which earlier bids moved on.
            assert frame["type"] == "live" and isinstance(frame["seq"], int), frame
            assert frame["data"] == {"id_in_group": 1, "bid": amount}, frame


# ---- tests ----

async def test_dev_shows_each_edit_on_reload_and_errors_as_500_while_serving_on():
    s = serve("--dev")
    assert (f"--dev: the templates of otree_auction are read from {SOURCE}/ at every page "
            "request\n") in s.stdout, s.stdout
    status, content_type, body = get(s)
    assert (status, content_type) == (200, "text/html; charset=utf-8"), (status, body)
    assert "<title>Auction</title>" in body and ">Send</button>" in body, body

    # An edit shows on the next request, without a rebuild.
    edit(ORIGINAL.replace(">Send</button>", ">Bid now</button>"))
    status, _, body = get(s)
    assert status == 200 and ">Bid now</button>" in body and ">Send<" not in body, body

    # An unknown placeholder: 500 naming the file, the line and what exists.
    lines = ORIGINAL.split("\n")
    lines.insert(3, "<p>{{ player.budget }}</p>")
    edit("\n".join(lines))
    status, content_type, body = get(s, 2)
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
    status, _, body = get(s)
    assert status == 500 and error_of(body) == (
        f"{TEMPLATE} line 27: {{{{ block scripts }}}} is inside {{{{ block content }}}}, which "
        "line 2 opened; blocks do not nest: close it with {{ endblock }} first"), error_of(body)
    edit(ORIGINAL.replace("{{ block scripts }}", "{{ block footer }}"))
    status, _, body = get(s)
    assert status == 500 and error_of(body) == (
        f"{TEMPLATE} line 27: unknown block {{{{ block footer }}}}; the blocks are title, "
        "content, scripts and styles"), error_of(body)
    os.rename(TEMPLATE, TEMPLATE + ".moved")
    status, _, body = get(s)
    assert status == 500 and error_of(body) == (
        f"cannot read {TEMPLATE}: No such file or directory"), error_of(body)
    await bid_is_broadcast(s, 11)

    # Fixed: the page is back.
    put_back()
    status, _, body = get(s)
    assert status == 200 and ">Send</button>" in body, body
    stderr = s.stop()
    assert f"{TEMPLATE} line 4: unknown placeholder {{{{ player.budget }}}}" in stderr, stderr


def test_dev_starts_with_a_broken_template_and_says_so():
    edit(ORIGINAL.replace("{{ endblock }}\n{{ block scripts }}", "{{ endblock }}\n<p>x</p>\n"
                          "{{ block scripts }}"))
    s = serve("--dev", db="broken.db")
    assert (f"--dev: {TEMPLATE} line 27: text outside the blocks, which no page shows; in a "
            "template with blocks everything is inside {{ block title }}, {{ block content }}, "
            "{{ block scripts }} or {{ block styles }}; its pages answer 500 until it is fixed\n"
            ) in s.stdout, s.stdout
    assert get(s)[0] == 500
    put_back()
    assert get(s)[0] == 200
    s.stop()


def test_without_dev_the_compiled_in_template_is_served_whatever_the_folder_holds():
    edit("{{ block content }}<p>{{ player.budget }}</p>")
    s = serve(db="compiled.db")
    assert "--dev" not in s.stdout, s.stdout
    status, _, body = get(s)
    assert status == 200 and ">Send</button>" in body and "budget" not in body, body
    s.stop()


def test_serve_help_lists_dev():
    p = run(STUDY, "serve", "--help")
    assert p.returncode == 0 and "--dev" in p.stdout, p.stdout


if __name__ == "__main__":
    sys.exit(run_tests(globals(), ONLY, TMP, reset=put_back))
