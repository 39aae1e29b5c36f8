#!/usr/bin/python3
"""Two games in a row, served: the public goods study's pg_survey session
(three rounds of public goods, then the survey game) created from the admin
for six participants, played over HTTP. The survey refuses an age out of
range, a SIGKILL in the middle of the survey loses nothing, the monitor
says which game each participant is in, the last page shows what the
participant carried over from the first game and what the whole session
earned, and the export (read with pandas) and replay cover both games.

    app_sequence_serve_test.py PUBLIC_GOODS_BINARY

Every wait is bounded; the server is stopped or killed at the end.
"""
import os
import re
import shutil
import sys
import tempfile

import pandas

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, links_of, page_of, run, stop_all  # noqa: E402

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-sequence-test-")
DB = os.path.join(TMP, "seq.db")


def main():
    s = Serve(STUDY, DB)
    code = s.create(config="pg_survey", participants=6)
    _, _, page = s.http("GET", f"/admin/s/{code}", admin=True)
    participants = [participant for _, participant in links_of(page)]
    assert len(participants) == 6, page

    def submit(p, values, expect=303):
        index, _ = page_of(s.page(p))
        status, _, html = s.submit(p, index, values)
        assert status == expect, (p, values, status, html[:500])
        return html

    def title(p):
        return page_of(s.page(p))[1]

    # The first game: the quiz, then three rounds. The wait page moves on
    # by itself once the group's last member has contributed.
    for p in participants:
        submit(p, {"quiz_share": "20", "quiz_best": "everything"})
    given = {p: 2 * i for i, p in enumerate(participants)}
    for round_number in (1, 2, 3):
        for p in participants:
            assert title(p).startswith(f"Round {round_number} of 3"), title(p)
            submit(p, {"contribution": str(given[p])})
        for p in participants:
            assert title(p) == f"Round {round_number} of 3: results", title(p)
            submit(p, {})
    # The first game's last page leads on to the next game.
    for p in participants:
        html = s.page(p)
        assert page_of(html)[1] == "Thank you", page_of(html)
        assert 'id="next"' in html, html  # not the session's last page: a next button
        submit(p, {})
        assert title(p) == "A few questions", title(p)

    state = s.monitor(code)
    assert state["game"] == "public_goods, survey", state["game"]
    assert {player["game"] for player in state["players"]} == {"survey"}, state["players"]
    assert all(player["round_number"] == 1 for player in state["players"])
    # The monitor's columns are both games' fields; each player has its own game's.
    assert {"contribution", "age", "fairness"} <= set(state["player_fields"]), state
    assert set(state["players"][0]["fields"]) == {"payoff", "age", "fairness", "comments"}

    # The survey refuses an age out of range, next to the field; nothing moves.
    first = participants[0]
    html = submit(first, {"age": "5", "fairness": "3", "comments": ""}, expect=200)
    assert "must be at least 16" in html, html
    assert title(first) == "A few questions"
    for p in participants[:3]:
        submit(p, {"age": "30", "fairness": "4", "comments": "fine"})

    # A crash in the middle of the second game: nothing is lost.
    s.kill()
    s = Serve(STUDY, DB)
    for p in participants[:3]:
        assert title(p) == "Your earnings", title(p)
    for p in participants[3:]:
        assert title(p) == "A few questions", title(p)
        submit(p, {"age": "40", "fairness": "2", "comments": ""})

    # The last page: what the first game left in the shared participant
    # field, and the session's earnings.
    _, _, payments = s.http("GET", f"/admin/s/{code}/payments", admin=True)
    points = dict(re.findall(r"<tr><td>(\d+)</td><td>.*?</td><td><code>\w+</code></td>"
                             r"<td>([\d.]+)</td>", payments))
    assert len(points) == 6, payments
    for i, p in enumerate(participants):
        html = s.page(p)
        assert f'<strong id="total-given">{3 * given[p]}</strong>' in html, html
        shown = re.search(r'<strong id="points">([\d.]+)</strong>', html).group(1)
        assert abs(float(shown) - float(points[str(i + 1)])) < 1e-9, (shown, points)
    s.stop()

    out = os.path.join(TMP, "export")
    exported = run(STUDY, "export", "--db", s.db, "--session", code, "--out", out, timeout=30)
    assert exported.returncode == 0, exported.stderr
    game = pandas.read_csv(os.path.join(out, "public_goods_players.csv"))
    survey = pandas.read_csv(os.path.join(out, "survey_players.csv"))
    assert len(game) == 18 and len(survey) == 6, (len(game), len(survey))
    sums = game.groupby("participant.id_in_session")["player.payoff"].sum()
    for _, row in survey.iterrows():
        assert abs(row["participant.payoff"] - sums[row["participant.id_in_session"]]) < 1e-9
        assert row["subsession.round_number"] == 1
    assert sorted(survey["player.age"]) == [30, 30, 30, 40, 40, 40], list(survey["player.age"])
    sessions = pandas.read_csv(os.path.join(out, "sessions.csv"))
    assert sessions["session.game"][0] == "public_goods,survey", sessions["session.game"][0]

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
