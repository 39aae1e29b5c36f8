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
import json
import os
import re
import shutil
import sys
import tempfile

import pandas

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, links_of, page_of, run, stop_all  # noqa: E402

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-pg-test-")
DB = os.path.join(TMP, "pg.db")


def main():
    # The first configuration, pg_low, starts the server; the experimenter
    # then creates a pg_high session from the admin, as a lab would.
    s = Serve(STUDY, DB)
    code = s.create(config="pg_high")
    status, _, page = s.http("GET", f"/admin/s/{code}", admin=True)
    participants = [participant for _, participant in links_of(page)]
    assert len(participants) == 12, page

    def submit(p, values, expect=303):
        index, _ = page_of(s.page(p))
        status, _, html = s.submit(p, index, values)
        assert status == expect, (p, values, status, html[:500])
        return html

    # The quiz refuses a wrong answer with the message, and nothing moves.
    first = participants[0]
    html = submit(first, {"quiz_share": "10", "quiz_best": "half"}, expect=200)
    assert "not quite: the pot is 30, doubled 60, shared by three" in html, html
    assert "not quite: each point in the pot becomes more than one point" in html, html
    assert page_of(s.page(first))[1].startswith("Instructions"), page_of(s.page(first))
    for p in participants:
        submit(p, {"quiz_share": "20", "quiz_best": "everything"})
    contributions = {p: (i * 7) % 21 for i, p in enumerate(participants)}

    async def round_with_websockets(round_number):
        # Everyone contributes; a WebSocket on the wait page hears the move.
        sockets = {}
        for p in participants:
            html = s.page(p)
            assert f"Round {round_number} of 3" in html, html[:400]
            contribute, _ = page_of(html)
            submit(p, {"contribution": str(contributions[p])})
            # The wait page follows; a socket that names it hears the move at
            # once if the group was complete already.
            sockets[p] = await s.ws(p, contribute + 1)
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
            assert f"Round {round_number} of 3: results" in s.page(p)
            submit(p, {})

    for round_number in (1, 2, 3):
        asyncio.run(round_with_websockets(round_number))
        if round_number == 1:
            # A crash between rounds loses nothing: SIGKILL, start again on
            # the same file, and the session goes on where it was.
            s.kill()
            s = Serve(STUDY, DB)
    for p in participants:
        assert page_of(s.page(p))[1].startswith("Thank you")

    # The payments page: each participant's money, to the cent.
    status, _, payments = s.http("GET", f"/admin/s/{code}/payments", admin=True)
    assert status == 200
    rows = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td><code>(\w+)</code></td>"
                      r"<td>([\d.]+)</td><td>([\d.]+)</td><td>([\d.]+)</td><td>([\d.]+)</td></tr>",
                      payments)
    assert len(rows) == 12, payments
    s.stop()

    out = os.path.join(TMP, "export")
    exported = run(STUDY, "export", "--db", s.db, "--session", code, "--out", out, timeout=30)
    assert exported.returncode == 0, exported.stderr
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

    replay = run(STUDY, "replay", "--db", s.db, "--session", code, timeout=30)
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
        stop_all()
        shutil.rmtree(TMP, ignore_errors=True)
