#!/usr/bin/python3
"""The public goods study served as a lab runs it: a session created from the
admin with a chosen treatment, twelve participants playing three rounds over
HTTP (their forms) and WebSockets (the moves the wait pages make), the quiz
refusing a wrong answer, a SIGKILL and restart after round 1, the payments
page, the export read with pandas, and replay.

    public_goods_serve_test.py PUBLIC_GOODS_BINARY

Every wait is bounded; the server is stopped or killed at the end.
"""
import asyncio
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import pandas
import websockets

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-pg-test-")
PASSWORD = "pw"


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirects)


class Serve:
    def __init__(self, *args):
        self.db = os.path.join(TMP, "pg.db")
        self.proc = subprocess.Popen(
            [STUDY, "serve", "--port", "0", "--db", self.db, "--admin-password", PASSWORD, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stdout = ""
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("serve exited early: " + self.proc.stderr.read())
            self.stdout += line
            if line.startswith("serving on "):
                break
        self.base = re.search(r"serving on (http://\S+)", self.stdout).group(1)

    def http(self, method, path, form=None, admin=False, headers=None):
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

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=10) == 0, self.proc.stderr.read()


def page_of(html):
    """(page index, title) of a rendered participant page."""
    index = int(re.search(r'data-page="(\d+)"', html).group(1))
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return index, title


def main():
    # The first configuration, pg_low, starts the server; the experimenter
    # then creates a pg_high session from the admin, as a lab would.
    s = Serve()
    status, headers, body = s.http("POST", "/admin/sessions", {"config": "pg_high"}, admin=True,
                                   headers={"Origin": s.base})
    assert status == 303, (status, body)
    code = re.fullmatch(r"/admin/s/(\w+)", headers["Location"]).group(1)
    status, _, page = s.http("GET", f"/admin/s/{code}", admin=True)
    participants = re.findall(r'<a href="http://[^"]+/p/(\w+)">', page)
    assert len(participants) == 12, page

    def get(p):
        status, _, html = s.http("GET", f"/p/{p}")
        assert status == 200, (status, html[:300])
        return html

    def submit(p, values, expect=303):
        index, _ = page_of(get(p))
        status, _, html = s.http("POST", f"/p/{p}", {"page": str(index), **values})
        assert status == expect, (p, values, status, html[:500])
        return html

    # The quiz refuses a wrong answer with the message, and nothing moves.
    first = participants[0]
    html = submit(first, {"quiz_share": "10", "quiz_best": "half"}, expect=200)
    assert "not quite: the pot is 30, doubled 60, shared by three" in html, html
    assert "not quite: each point in the pot becomes more than one point" in html, html
    assert page_of(get(first))[1].startswith("Instructions"), page_of(get(first))
    for p in participants:
        submit(p, {"quiz_share": "20", "quiz_best": "everything"})
    contributions = {p: (i * 7) % 21 for i, p in enumerate(participants)}

    async def round_with_websockets(round_number):
        # Everyone contributes; a WebSocket on the wait page hears the move.
        sockets = {}
        host = s.base[len("http://"):]
        for p in participants:
            html = get(p)
            assert f"Round {round_number} of 3" in html, html[:400]
            contribute, _ = page_of(html)
            submit(p, {"contribution": str(contributions[p])})
            # The wait page follows; a socket that names it hears the move at
            # once if the group was complete already.
            sockets[p] = await websockets.connect(f"ws://{host}/live/{p}?page={contribute + 1}",
                                                  open_timeout=5)
        moved = 0
        for p, ws in sockets.items():
            deadline = asyncio.get_event_loop().time() + 10
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame.get("type") == "page" and frame.get("name") == "results":
                    moved += 1
                    break
                assert asyncio.get_event_loop().time() < deadline, frame
            await ws.close()
        assert moved == 12
        for p in participants:
            assert f"Round {round_number} of 3: results" in get(p)
            submit(p, {})

    for round_number in (1, 2, 3):
        asyncio.run(round_with_websockets(round_number))
        if round_number == 1:
            # A crash between rounds loses nothing: SIGKILL, start again on
            # the same file, and the session goes on where it was.
            s.proc.kill()
            s.proc.wait(timeout=10)
            restarted = Serve()
            s.base, s.proc = restarted.base, restarted.proc
    for p in participants:
        assert page_of(get(p))[1].startswith("Thank you")

    # The payments page: each participant's money, to the cent.
    status, _, payments = s.http("GET", f"/admin/s/{code}/payments", admin=True)
    assert status == 200
    rows = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td><code>(\w+)</code></td>"
                      r"<td>([\d.]+)</td><td>([\d.]+)</td><td>([\d.]+)</td><td>([\d.]+)</td></tr>",
                      payments)
    assert len(rows) == 12, payments
    s.stop()

    out = os.path.join(TMP, "export")
    subprocess.run([STUDY, "export", "--db", s.db, "--session", code, "--out", out], check=True,
                   capture_output=True)
    players = pandas.read_csv(os.path.join(out, "public_goods_players.csv"))
    assert len(players) == 36, len(players)
    for column in ["session.code", "participant.code", "participant.id_in_session",
                   "participant.payoff", "participant.payoff_plus_participation_fee",
                   "subsession.round_number", "player.id_in_group", "player.payoff",
                   "player.contribution", "group.id_in_subsession", "group.total_contribution"]:
        assert column in players.columns, (column, list(players.columns))
    assert sorted(players["subsession.round_number"].unique()) == [1, 2, 3]
    assert (players["session.config.name"] == "pg_high").all()
    sums = players.groupby("participant.id_in_session")["player.payoff"].sum()
    for _, row in players.iterrows():
        assert abs(row["participant.payoff"] - sums[row["participant.id_in_session"]]) < 1e-9
        money = round(row["participant.payoff"] * 0.1 + 5, 2)
        assert abs(row["participant.payoff_plus_participation_fee"] - money) < 1e-9
    for id_in_session, label, pcode, points, money, fee, total in rows:
        assert abs(float(points) - sums[int(id_in_session)]) < 1e-9
        assert abs(float(total) - round(float(points) * 0.1 + 5, 2)) < 1e-9
    # Strangers: every round is groups of three, and the groups change.
    matrices = []
    for round_number in (1, 2, 3):
        r = players[players["subsession.round_number"] == round_number]
        groups = r.groupby("group.id_in_subsession")["participant.id_in_session"].apply(
            lambda ids: tuple(sorted(ids)))
        assert all(len(g) == 3 for g in groups) and len(groups) == 4
        matrices.append(sorted(groups))
    assert matrices[1] != matrices[0] or matrices[2] != matrices[0], matrices

    replay = subprocess.run([STUDY, "replay", "--db", s.db, "--session", code],
                            capture_output=True, text=True)
    assert replay.returncode == 0 and replay.stdout.startswith("OK "), replay.stdout + replay.stderr
    print("1 passed, 0 failed")


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        import traceback
        traceback.print_exc()
        print("0 passed, 1 failed")
        sys.exit(1)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
