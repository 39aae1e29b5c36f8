#!/usr/bin/python3
"""livectl serve's rooms end to end (docs/protocol.md, "Rooms"): real servers
on free 127.0.0.1 ports, driven over HTTP with urllib and one websockets
client (Debian's python3-websockets).

    room_test.py LIVECTL [TEST_NAME_SUBSTRING]

Every wait is bounded; every server is stopped or killed at the end.
"""
import asyncio
import csv
import io
import json
import os
import re
import sys
import tempfile
import urllib.parse
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, basic, run, run_tests  # noqa: E402

LIVECTL = sys.argv[1]
ONLY = sys.argv[2] if len(sys.argv) > 2 else ""
TMP = tempfile.mkdtemp(prefix="livectl-room-test-")
PASSWORD = "room-test-password"


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def serve(*args, db="room.db"):
    """One `livectl serve` on TMP/db."""
    return Serve(LIVECTL, os.path.join(TMP, db), *args, password=PASSWORD)


def enter(s, label=None, cookie=None):
    """GET the room (with ?participant_label=), as a browser arriving."""
    path = "/room/lab" + ("" if label is None else
                          "?participant_label=" + urllib.parse.quote(label, safe=""))
    return s.http("GET", path, headers={"Cookie": cookie} if cookie else None)


def participant_of(s, label=None, cookie=None):
    """The participant code a label (or cookie) is sent to: a 303 to /p/<code>."""
    status, headers, body = enter(s, label, cookie)
    assert status == 303, (label, status, body[:300])
    return re.fullmatch(r"/p/(\w+)", headers["Location"]).group(1)


def room_status(s):
    """The room's status, as its waiting page polls it."""
    status, headers, body = s.http("GET", "/room/lab/status")
    assert status == 200 and headers["Content-Type"] == "application/json", (status, body)
    return json.loads(body)


LABELS = "PC01\nPC02\n\n  PC03  \nPC04\n"


# ---- tests ----

def test_bad_label_files_and_room_names_are_refused_at_start_with_exit_2():
    db = os.path.join(TMP, "never.db")
    long_label = "x" * 101
    cases = [
        (["--labels", write("ok.txt", "PC01\n")],
         "livectl: --labels needs --room NAME: the labels are a room's"),
        (["--room", "lab 1"],
         "livectl: --room 'lab 1': a room name is letters, digits, _ and - only "
         "(it is part of its URL)"),
        (["--room", "lab", "--labels", os.path.join(TMP, "missing.txt")],
         f"livectl: {TMP}/missing.txt: cannot read it (No such file or directory)"),
        (["--room", "lab", "--labels", write("empty.txt", "\n  \n")],
         f"livectl: {TMP}/empty.txt: the file has no labels; write one label per line"),
        (["--room", "lab", "--labels", write("twice.txt", "PC01\nPC02\n\nPC01\n")],
         f"livectl: {TMP}/twice.txt line 4: label PC01 is on line 1 already"),
        (["--room", "lab", "--labels", write("long.txt", "PC01\n" + long_label + "\n")],
         f"livectl: {TMP}/long.txt line 2: a label is at most 100 bytes; this one has 101"),
        (["--room", "lab", "--labels", write("latin1.txt", b"PC01\nZo\xeb\n")],
         f"livectl: {TMP}/latin1.txt line 2: the label is not UTF-8 text"),
    ]
    for args, message in cases:
        p = run(LIVECTL, "serve", "--port", "0", "--db", db, *args, timeout=20)
        assert p.returncode == 2 and p.stderr == message + "\n", (args, p.returncode, p.stderr)
        assert p.stdout == ""
        assert not os.path.exists(db)  # a usage error creates no --db
    help_text = run(LIVECTL, "serve", "--help", timeout=20).stdout
    assert "--room" in help_text and "--labels" in help_text and "participant_label" in help_text


def test_a_room_with_labels_from_waiting_page_to_full_session():
    labels = write("labels.txt", LABELS)
    s = serve("--room", "lab", "--labels", labels)
    # Empty, oTree's way: no session until the experimenter creates one.
    assert "session " not in s.stdout.replace("no session yet", ""), s.stdout
    assert f"room lab: {s.base}/room/lab (no session yet: create one on the admin page)\n" \
        in s.stdout, s.stdout
    for label in ("PC01", "PC02", "PC03", "PC04"):
        assert f"  {label}: {s.base}/room/lab?participant_label={label}\n" in s.stdout

    # The waiting page, and the status it polls.
    status, headers, body = enter(s, "PC01")
    assert status == 200 and "Waiting for the experimenter to start the session" in body, body
    assert 'data-status="/room/lab/status"' in body and "location.reload()" in body
    assert room_status(s) == {"room": "lab", "open": False}
    # With a label file, the room's URL alone asks for the label.
    status, _, body = enter(s)
    assert status == 200 and '<input name="participant_label"' in body, body
    # An unknown label: 403 naming it, escaped, before or after a session exists.
    status, _, body = enter(s, "PC99<i>")
    assert status == 403, status
    assert ("The participant label <strong>PC99&lt;i&gt;</strong> is not on the list of room "
            "lab. Check the link you were given.") in body, body

    # The experimenter creates a 3-participant auction in the room.
    code = s.create(config="auction", room="lab", participants=3)
    assert room_status(s) == {"room": "lab", "open": True}
    status, _, admin_page = s.http("GET", "/admin", admin=True)
    assert f'arrivals go to session <a href="/admin/s/{code}">' in admin_page, admin_page
    participants = [p["code"] for p in s.monitor(code)["players"]]

    # PC03 first: the lowest free participant, then their page.
    first = participant_of(s, "PC03")
    assert first == participants[0]
    status, _, page = s.http("GET", f"/p/{first}")
    assert status == 200 and "<html" in page
    # Reloads and other tabs: the same participant, and no event.
    events = s.monitor(code)["events"]
    assert participant_of(s, "PC03") == first
    assert participant_of(s, " PC03") == first
    status, headers, _ = s.http("GET", "/room/lab/?participant_label=PC03")  # oTree's URL
    assert status == 303 and headers["Location"] == f"/p/{first}"
    assert s.monitor(code)["events"] == events
    # The next label, the next participant; an unknown one changes nothing.
    assert participant_of(s, "PC01") == participants[1]
    assert enter(s, "PC99")[0] == 403
    state = s.monitor(code)
    assert [p["label"] for p in state["players"]] == ["PC03", "PC01", ""], state["players"]
    assert state["events"] == events + 1

    # The page's WebSocket works as for any participant.
    async def live():
        async with s.ws(first) as ws:
            await ws.send(json.dumps({"data": {}}))
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert frame["type"] in ("live", "error", "page"), frame
    asyncio.run(live())

    assert participant_of(s, "PC02") == participants[2]
    # Full: 503 with a clear page, and no event.
    events = s.monitor(code)["events"]
    status, _, body = enter(s, "PC04")
    assert status == 503 and "This session is full" in body, (status, body)
    assert "All 3 places of this session are taken" in body
    assert s.monitor(code)["events"] == events

    # The export's participant.label column.
    status, _, _ = s.http("GET", f"/admin/s/{code}", admin=True)
    status, _, body = s.http("GET", f"/admin/s/{code}/livectl-{code}-csv.zip",
                             headers={"Authorization": basic(PASSWORD, user="a")}, raw=True)
    assert status == 200, status
    archive = zipfile.ZipFile(io.BytesIO(body))
    players = list(csv.DictReader(io.StringIO(archive.read("auction_players.csv").decode())))
    assert [(row["participant.code"], row["participant.label"]) for row in players] == \
        list(zip(participants, ["PC03", "PC01", "PC02"])), players

    # SIGKILL, then the same command: the same room session, the same participants.
    s.kill()
    again = serve("--room", "lab", "--labels", labels)
    assert "resumed 1 session" in again.stdout
    assert f"room lab: {again.base}/room/lab (arrivals go to session {code})\n" in again.stdout
    assert room_status(again) == {"room": "lab", "open": True}
    assert participant_of(again, "PC03") == participants[0]
    assert participant_of(again, "PC01") == participants[1]
    assert participant_of(again, "PC02") == participants[2]
    assert enter(again, "PC04")[0] == 503

    # A later session in the room takes new arrivals.
    second = again.create(config="auction", room="lab", participants=3)
    assert second != code
    assert participant_of(again, "PC04") == again.monitor(second)["players"][0]["code"]
    again.stop()
    export = run(LIVECTL, "export", "--db", again.db, "--session", code, "--format", "json",
                 "--out", os.path.join(TMP, "export"), timeout=20)
    assert export.returncode == 0, export.stderr
    with open(os.path.join(TMP, "export", "auction_players.json")) as f:
        assert [row["participant.label"] for row in json.load(f)] == ["PC03", "PC01", "PC02"]
    # The labels came from arrive events: replay gives them back.
    replay = run(LIVECTL, "replay", "--db", again.db, timeout=20)
    assert replay.returncode == 0 and replay.stdout.count("OK") == 2, replay.stdout + replay.stderr


def test_a_room_without_labels_admits_anyone_and_remembers_the_browser():
    s = serve("--room", "lab", "--game", "auction", db="open.db")
    # --game describes a first session: it is created in the room.
    code = re.search(r"^session (\w+): auction", s.stdout, re.M).group(1)
    assert f"room lab: {s.base}/room/lab (arrivals go to session {code})\n" in s.stdout
    assert "participant_label=" not in s.stdout
    participants = [p["code"] for p in s.monitor(code)["players"]]

    status, headers, _ = enter(s)
    assert status == 303 and headers["Location"] == f"/p/{participants[0]}", status
    cookie = headers["Set-Cookie"]
    assert cookie == (f"livectl_room_lab={participants[0]}; Path=/room/lab; HttpOnly; "
                      "SameSite=Lax"), cookie
    # The browser comes back with its cookie: the same participant.
    assert participant_of(s, cookie="livectl_room_lab=" + participants[0]) == participants[0]
    # Any label is admitted; odd characters are kept and shown escaped.
    odd = '<script>alert("x")</script> & \u00e9'
    assert participant_of(s, odd) == participants[1]
    assert participant_of(s, odd) == participants[1]
    assert s.monitor(code)["players"][1]["label"] == odd
    status, _, body = enter(s, "x" * 101)
    assert status == 400 and "a participant label is text of 1 to 100 bytes." in body
    # The last place, then full.
    assert participant_of(s) == participants[2]
    status, _, body = enter(s)
    assert status == 503 and "This session is full" in body
    # Only GET.
    status, headers, body = s.http("POST", "/room/lab", {"x": "1"})
    assert status == 405 and headers["Allow"] == "GET", (status, body)
    assert s.http("GET", "/room/other")[0] == 404
    s.stop()


def test_a_room_session_is_remembered_across_a_restart_without_a_new_one():
    # A room's session persists; a plain restart creates nothing new.
    s = serve("--room", "lab", db="restart.db")
    assert "no session yet" in s.stdout
    code = s.create(config="tictactoe", room="lab")
    first = participant_of(s, "PC07")
    s.kill()
    again = serve("--room", "lab", db="restart.db")
    assert f"(arrivals go to session {code})" in again.stdout
    assert participant_of(again, "PC07") == first
    # A session created without the room does not take its arrivals.
    other = again.create(config="tictactoe", room="")
    assert other != code
    assert participant_of(again, "PC08") == again.monitor(code)["players"][1]["code"]
    again.stop()
    third = serve("--room", "lab", db="restart.db")
    assert f"(arrivals go to session {code})" in third.stdout
    third.stop()


if __name__ == "__main__":
    sys.exit(run_tests(globals(), ONLY, TMP))
