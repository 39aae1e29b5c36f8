#!/usr/bin/python3
"""livectl serve's admin pages end to end: real servers on free 127.0.0.1
ports, driven over HTTP with urllib, and played by Python websockets clients
(Debian's python3-websockets).

    admin_test.py LIVECTL [TEST_NAME_SUBSTRING]

Every wait is bounded; every server is stopped or killed at the end.
"""
import asyncio
import base64
import csv
import io
import json
import os
import re
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, basic, links_of, run, run_tests, until  # noqa: E402

LIVECTL = sys.argv[1]
ONLY = sys.argv[2] if len(sys.argv) > 2 else ""
TMP = tempfile.mkdtemp(prefix="livectl-admin-test-")
PASSWORD = "correct horse:battery"  # a space and a colon: both are allowed in a password


def serve(*args, db="admin.db", password=None, env=None):
    """One `livectl serve` on TMP/db; without --admin-password unless given one."""
    return Serve(LIVECTL, os.path.join(TMP, db), *args, password=password, env=env)


def admin_line(s):
    """The line serve prints about the admin pages."""
    return re.search(r"^admin: .*$", s.stdout, re.M).group(0)


def get(s, path):
    """An admin page, with the password: its text; asserts a 200."""
    status, _, body = s.http("GET", path, admin=True)
    assert status == 200, (path, status, body[:300])
    return body


def auth(password, user="admin"):
    """Headers that send `user`:`password`; none for a None password."""
    return None if password is None else {"Authorization": basic(password, user)}


# ---- tests ----

def test_the_admin_link_is_printed_and_a_given_password_is_not():
    s = serve("--game", "auction", "--participants", "3", db="printed.db", password=PASSWORD)
    assert admin_line(s) == (f"admin: {s.base}/admin (the password given with --admin-password "
                             "or LIVECTL_ADMIN_PASSWORD)")
    assert PASSWORD not in s.stdout
    # The line comes after the participants' links, before "serving on".
    assert s.stdout.index("participant 3:") < s.stdout.index("admin:") < s.stdout.index(
        "serving on")
    s.stop()


def test_every_admin_path_needs_the_password():
    s = serve("--game", "auction", db="auth.db", password=PASSWORD)
    session = re.search(r"session (\w+):", s.stdout).group(1)
    paths = ["/admin", "/admin/", f"/admin/s/{session}", f"/admin/api/s/{session}",
             f"/admin/s/{session}/livectl-{session}-csv.zip", "/admin/admin.js",
             "/admin/s/nosuchsession", "/admin/whatever"]
    for path in paths:
        for password in (None, "wrong", PASSWORD + " ", PASSWORD[:-1], ""):
            status, headers, body = s.http("GET", path, headers=auth(password))
            assert status == 401, (path, password, status)
            assert headers["WWW-Authenticate"] == 'Basic realm="livectl admin", charset="UTF-8"'
            assert session not in body  # nothing shown, not even the code
    # Not Basic, or not base64: refused the same way.
    for authorization in ("Bearer " + PASSWORD, "Basic !!!!", "Basic",
                          "Basic " + base64.b64encode(PASSWORD.encode()).decode()):
        status, _, _ = s.http("GET", "/admin", headers={"Authorization": authorization})
        assert status == 401, authorization
    status, _, _ = s.http("POST", "/admin/sessions", {"game": "auction", "participants": "3"},
                          headers=auth("wrong"))
    assert status == 401
    # Any user name; the scheme's name in any case.
    assert s.http("GET", "/admin", headers=auth(PASSWORD, user=""))[0] == 200
    assert s.http("GET", "/admin", headers=auth(PASSWORD, user="someone else"))[0] == 200
    token = base64.b64encode(f"x:{PASSWORD}".encode()).decode()
    assert s.http("GET", "/admin", headers={"Authorization": "bAsIc " + token})[0] == 200
    assert "Sessions" in get(s, "/admin") and session in get(s, "/admin")
    # Nothing the admin pages refused disturbed the participants' pages.
    participant = re.search(r"/p/(\w+)", s.stdout).group(1)
    assert s.http("GET", f"/p/{participant}")[0] == 200
    s.stop()


def test_a_generated_password_is_printed_and_works():
    s = serve("--game", "tictactoe", db="generated.db")
    match = re.fullmatch(rf"admin: {re.escape(s.base)}/admin \(any user name, password (\w+)\)",
                         admin_line(s))
    assert match, admin_line(s)
    password = match.group(1)
    assert len(password) == 16, password
    assert s.http("GET", "/admin", headers=auth(password))[0] == 200
    assert s.http("GET", "/admin")[0] == 401
    s.stop()
    # A second server generates another one.
    again = serve(db="generated.db")
    assert password not in admin_line(again)
    again.stop()


def test_the_password_can_come_from_the_environment_and_must_not_be_empty():
    s = serve("--game", "tictactoe", db="env.db", env={"LIVECTL_ADMIN_PASSWORD": "from env"})
    assert "the password given with --admin-password" in admin_line(s)
    assert "from env" not in s.stdout
    assert s.http("GET", "/admin", headers=auth("from env"))[0] == 200
    s.stop()
    p = run(LIVECTL, "serve", "--port", "0", "--db", os.path.join(TMP, "empty.db"),
            "--admin-password", "")
    assert p.returncode == 2 and "the admin password must not be empty" in p.stderr, p.stderr
    p = run(LIVECTL, "serve", "--help")
    assert "--admin-password" in p.stdout


async def test_a_session_created_in_the_admin_is_played_monitored_and_exported():
    s = serve("--game", "tictactoe", db="created.db", password=PASSWORD)
    code = s.create(game="auction", participants=3)
    page = get(s, f"/admin/s/{code}")
    links = links_of(page)
    assert len(links) == 3 and all(link.startswith(s.base + "/p/") for link, _ in links), links
    participants = [participant for _, participant in links]
    assert code in get(s, "/admin")
    # The links work at once.
    for participant in participants:
        assert s.http("GET", f"/p/{participant}")[0] == 200

    state = s.monitor(code)
    assert state["session"] == code and state["game"] == "auction"
    assert state["participants"] == 3 and state["group_size"] == 3
    assert state["group_fields"] == ["highest_bid", "highest_bidder"]
    live = state["pages"].index("live")
    assert [p["id_in_session"] for p in state["players"]] == [1, 2, 3]
    assert [p["code"] for p in state["players"]] == participants
    assert all(p["group"] == 1 for p in state["players"])
    assert [p["id_in_group"] for p in state["players"]] == [1, 2, 3]
    # Every participant opened their link: the group is on the live page.
    assert all(p["page"] == live and p["page_name"] == "live" for p in state["players"])
    assert all(p["state"] == "offline" and p["connections"] == 0 for p in state["players"])
    # No page has gone away yet (docs/protocol.md, "Presence").
    assert all(p["arrived"] and p["present"] for p in state["players"])
    assert state["groups"] == [{"id_in_subsession": 1, "round_number": 1,
                                "fields": {"highest_bid": 0, "highest_bidder": None}}]
    assert all(p["round_number"] == 1 and p["fields"] == {"payoff": 0} for p in state["players"])
    events_before = state["events"]
    assert events_before >= 3  # the three arrivals

    async with s.ws(participants[0]) as a, s.ws(participants[1]) as b, s.ws(participants[1]):
        state = until(lambda: (lambda st: st if st["connected"] == 2 else None)(s.monitor(code)))
        assert [p["connections"] for p in state["players"]] == [1, 2, 0]
        assert [p["state"] for p in state["players"]] == ["connected", "connected", "offline"]
        await a.send(json.dumps({"page": live, "data": 10}))
        frame = json.loads(await asyncio.wait_for(b.recv(), 5))
        assert frame == {"type": "live", "seq": 1, "data": {"id_in_group": 1, "bid": 10}}, frame
        state = s.monitor(code)
        assert state["groups"][0]["fields"] == {"highest_bid": 10, "highest_bidder": 1}
        assert state["events"] == events_before + 1
        assert state["events_per_second"] > 0, state["events_per_second"]
    # Closed pages show as offline.
    state = until(lambda: (lambda st: st if st["connected"] == 0 else None)(s.monitor(code)))
    assert all(p["state"] == "offline" for p in state["players"])

    # The export, CSV: the files `livectl export` writes, in one ZIP.
    path = f"/admin/s/{code}/livectl-{code}-csv.zip"
    assert f'href="{path}"' in page
    status, headers, body = s.http("GET", path, admin=True, raw=True)
    assert status == 200 and headers["Content-Type"] == "application/zip", (status, headers)
    assert headers["Content-Disposition"] == "attachment"
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert {"sessions.csv", "auction_players.csv", "events.csv"} <= set(archive.namelist())
    # Byte for byte what `livectl export` writes.
    for format, zipped in (("csv", archive), ("json", None)):
        if zipped is None:
            status, _, body = s.http("GET", f"/admin/s/{code}/livectl-{code}-json.zip",
                                     admin=True, raw=True)
            assert status == 200
            zipped = zipfile.ZipFile(io.BytesIO(body))
        out = os.path.join(TMP, "exported-" + format)
        p = run(LIVECTL, "export", "--db", s.db, "--session", code, "--format", format,
                "--out", out)
        assert p.returncode == 0, p.stderr
        assert sorted(zipped.namelist()) == sorted(os.listdir(out))
        for name in zipped.namelist():
            with open(os.path.join(out, name), "rb") as f:
                assert f.read() == zipped.read(name), name
    players = list(csv.DictReader(io.StringIO(archive.read("auction_players.csv").decode())))
    assert [row["participant.code"] for row in players] == participants
    assert all(row["session.code"] == code and row["group.highest_bid"] == "10" and
               row["group.highest_bidder"] == "1" for row in players), players
    events = list(csv.DictReader(io.StringIO(archive.read("events.csv").decode())))
    assert len(events) == events_before + 1 and events[-1]["event.data"] == "10", events[-1]
    sessions = list(csv.DictReader(io.StringIO(archive.read("sessions.csv").decode())))
    assert [row["session.code"] for row in sessions] == [code]  # this session only
    # And JSON, typed.
    status, _, body = s.http("GET", f"/admin/s/{code}/livectl-{code}-json.zip", admin=True,
                             raw=True)
    players = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("auction_players.json"))
    assert [row["group.highest_bid"] for row in players] == [10, 10, 10]

    # Created sessions are stored: a restart resumes both.
    s.stop()
    again = serve(db="created.db", password=PASSWORD)
    assert "resumed 2 sessions" in again.stdout, again.stdout
    for participant in participants:
        assert f"/p/{participant}" in again.stdout
    state = again.monitor(code)
    assert state["groups"][0]["fields"] == {"highest_bid": 10, "highest_bidder": 1}
    again.stop()


def test_a_bad_create_form_gets_400_with_the_reason_and_creates_nothing():
    s = serve("--game", "tictactoe", db="bad-form.db", password=PASSWORD)
    sessions_before = get(s, "/admin").count("/admin/s/")
    cases = [
        ({"game": "chess", "participants": "2"},
         "There is no game &#39;chess&#39;; the games are auction, tictactoe"),
        ({"participants": "2"}, "The form names no configuration."),
        ({"config": "nope"}, "There is no configuration &#39;nope&#39;; the configurations are "),
        ({"game": "auction", "participants": "4"},
         "The number of participants must be a positive multiple of 3 (the group size of auction), at most 10000; not 4."),
        ({"game": "auction", "participants": "0"}, "not 0."),
        ({"game": "auction", "participants": "-3"}, "not -3."),
        ({"game": "tictactoe", "participants": "10002"}, "at most 10000; not 10002."),
        ({"game": "tictactoe", "participants": "two"},
         "participants must be a whole number, not &#39;two&#39;."),
        ({"game": "tictactoe", "participants": "2.0"}, "whole number"),
        ({"game": "tictactoe", "participants": "-"}, "participants must be a whole number, not &#39;-&#39;."),
        ({"game": "<script>alert(1)</script>", "participants": "2"},
         "There is no game &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;"),
    ]
    for form, message in cases:
        status, headers, body = s.http("POST", "/admin/sessions", form, headers={"Origin": s.base},
                                       admin=True)
        assert status == 400, (form, status)
        assert headers["Content-Type"].startswith("text/html")
        assert message in body, (form, body)
        assert "<script>alert" not in body
    # A form posted from another site's page.
    status, _, body = s.http("POST", "/admin/sessions", {"game": "tictactoe", "participants": "2"},
                             headers={"Origin": "http://attacker.example"}, admin=True)
    assert status == 403 and "another site" in body
    assert get(s, "/admin").count("/admin/s/") == sessions_before
    # The same form from this server's own page works.
    status, _, _ = s.http("POST", "/admin/sessions", {"game": "tictactoe", "participants": "2"},
                          headers={"Origin": s.base}, admin=True)
    assert status == 303
    assert get(s, "/admin").count("/admin/s/") == sessions_before + 1
    s.stop()


def test_a_create_form_must_come_from_this_servers_own_pages():
    # Issue 9: a POST with neither Origin nor Referer was accepted. The
    # browser says where a form came from in Sec-Fetch-Site, else Origin,
    # else Referer; a POST that says none of them is refused.
    s = serve("--game", "tictactoe", db="origin.db", password=PASSWORD)
    form = {"game": "tictactoe", "participants": "2"}
    refused = [
        {},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": s.base},  # the browser's word wins
        {"Origin": "http://attacker.example"},
        {"Origin": "null"},
        {"Referer": "http://attacker.example/page"},
        {"Referer": s.base + ".attacker.example/admin"},
        {"Origin": "http://attacker.example", "Referer": s.base + "/admin"},
    ]
    for headers in refused:
        status, _, body = s.http("POST", "/admin/sessions", form, headers=headers, admin=True)
        assert status == 403, (headers, status)
        assert "create sessions from this server&#39;s admin page" in body, body
    assert get(s, "/admin").count("/admin/s/") == 1
    accepted = [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed or bookmarked by the admin
        {"Origin": s.base},
        {"Referer": s.base + "/admin"},
        {"Referer": s.base + "/"},
    ]
    for headers in accepted:
        status, _, _ = s.http("POST", "/admin/sessions", form, headers=headers, admin=True)
        assert status == 303, (headers, status)
    assert get(s, "/admin").count("/admin/s/") == 1 + len(accepted)
    s.stop()


def test_the_401_page_and_the_monitor_script_are_as_documented():
    s = serve("--game", "auction", db="doc.db", password=PASSWORD)
    status, headers, body = s.http("GET", "/admin")
    assert status == 401 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body == "the admin pages need the admin password (any user name)\n", body
    status, headers, body = s.http("GET", "/admin", headers=auth("wrong"))
    assert status == 401 and body == "the admin pages need the admin password (any user name)\n"
    status, headers, body = s.http("GET", "/admin/admin.js", admin=True)
    assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "/admin/api/s/" in body
    s.stop()


def test_behind_a_proxy_every_link_starts_with_the_public_url():
    public = "https://study.example.org"
    s = serve("--game", "auction", "--participants", "3", "--room", "lab",
              "--public-url", public + "/", db="public.db", password=PASSWORD)
    codes = s.links()
    printed = re.findall(r"^  participant \d+: (\S+)$", s.stdout, re.M)
    assert printed == [f"{public}/p/{code}" for code in codes], s.stdout
    assert f"room lab: {public}/room/lab " in s.stdout, s.stdout
    assert admin_line(s).startswith(f"admin: {public}/admin "), admin_line(s)
    # Where this process listens is still said as it is.
    assert re.search(r"^serving on http://127\.0\.0\.1:\d+ ", s.stdout, re.M), s.stdout
    session = re.search(r"session (\w+):", s.stdout).group(1)
    shown = [link for link, _ in links_of(get(s, f"/admin/s/{session}"))]
    assert shown == printed, shown
    # A session created on the admin page lists its links the same way.
    created = links_of(get(s, f"/admin/s/{s.create(game='auction', participants=3)}"))
    assert len(created) == 3 and all(link == f"{public}/p/{code}" for link, code in created), created
    s.stop()
    # It also comes from LIVECTL_PUBLIC_URL.
    s = serve(db="public.db", env={"LIVECTL_PUBLIC_URL": "http://lab-server:8080"})
    assert re.search(r"^  participant 1: http://lab-server:8080/p/\w+$", s.stdout, re.M), s.stdout
    s.stop()
    # Anything but a scheme and a host is refused before the database is made.
    scheme = "--public-url: must start with http:// or https://"
    path = "--public-url: must be a scheme and a host (and a port), without a path"
    for bad, why in (("study.example.org", scheme), ("ftp://study.example.org", scheme),
                     ("https://", path), ("https://study.example.org/lab", path),
                     ("https://study.example.org?x=1", path)):
        db = os.path.join(TMP, "never.db")
        p = run(LIVECTL, "serve", "--port", "0", "--db", db, "--public-url", bad)
        assert p.returncode == 2 and why in p.stderr, (bad, p.returncode, p.stderr)
        assert not os.path.exists(db), bad


def test_unknown_sessions_and_paths_are_404():
    s = serve("--game", "auction", db="404.db", password=PASSWORD)
    code = re.search(r"session (\w+):", s.stdout).group(1)
    for path in ("/admin/s/nosuchsession", "/admin/api/s/nosuchsession",
                 "/admin/s/nosuchsession/livectl-nosuchsession-csv.zip",
                 f"/admin/s/{code}/livectl-{code}-xml.zip", f"/admin/s/{code}/export",
                 f"/admin/s/{code}/../../etc/passwd", "/admin/other", "/admin/api/s/"):
        status, _, body = s.http("GET", path, admin=True)
        assert status == 404 and "root:" not in body, (path, status)
    assert s.http("POST", "/admin/other", {"x": "1"}, admin=True)[0] == 404
    # A reload of a failed create shows the sessions.
    status, headers, _ = s.http("GET", "/admin/sessions", admin=True)
    assert status == 303 and headers["Location"] == "/admin"
    s.stop()


if __name__ == "__main__":
    sys.exit(run_tests(globals(), ONLY, TMP))
