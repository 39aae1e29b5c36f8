#!/usr/bin/python3
"""Grouping by arrival time, served: pairs form in the order participants
open their links, a pair's messages reach that pair over WebSockets, a
SIGKILL while someone waits loses nobody's place, and the export and replay
agree with what happened.

    chat_serve_test.py CHAT_STUDY_BINARY

Every wait is bounded; the server is stopped or killed at the end.
"""
import asyncio
import csv
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, page_of, run, stop_all  # noqa: E402

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-chat-test-")
DB = os.path.join(TMP, "chat.db")


def waiting(html):
    """Whether the page is livectl's own wait page, "match" (page 0)."""
    return page_of(html)[0] == 0 and "Waiting for other participants to arrive" in html


async def chat(s, sender, receiver, text):
    """`sender` says `text` on the chat page; returns what `receiver` hears."""
    page, _ = page_of(s.page(receiver))
    async with s.ws(receiver, page) as listening:
        async with s.ws(sender, page) as speaking:
            await speaking.send(json.dumps({"page": page, "data": {"text": text}}))
            frame = json.loads(await asyncio.wait_for(listening.recv(), 10))
            assert frame["type"] == "live", frame
            return frame["data"]


async def wait_for_move(s, code):
    """A socket on the wait page hears the page frame when the pair forms."""
    page, _ = page_of(s.page(code))
    ws = await s.ws(code, page)
    return ws


def main():
    s = Serve(STUDY, DB, "--game", "chat", "--participants", "6")
    codes = s.links()
    assert len(codes) == 6, s.stdout
    session = s.stdout.split("session ", 1)[1].split(":", 1)[0]

    # 5 opens the link first and waits; 2 comes next: the first pair is
    # (5, 2), in that order.
    assert waiting(s.page(codes[4])), s.page(codes[4])[:400]
    monitor = s.monitor(session)
    assert monitor["players"][4]["group"] is None and monitor["players"][4]["id_in_group"] == 0
    html = s.page(codes[1])
    assert "You are person 2 of pair 1." in html, html[:600]
    assert "You are person 1 of pair 1." in s.page(codes[4])
    heard = asyncio.run(chat(s, codes[1], codes[4], "hello"))
    assert heard == {"from": 2, "text": "hello"}, heard

    # 3 waits, alone so far; a SIGKILL now must not lose their place.
    assert waiting(s.page(codes[2]))
    s.kill()
    s = Serve(STUDY, DB)
    assert "resumed 1 session" in s.stdout, s.stdout
    assert waiting(s.page(codes[2]))

    async def second_pair():
        ws = await wait_for_move(s, codes[2])
        html = s.page(codes[0])  # participant 1 arrives: the pair (3, 1)
        assert "You are person 2 of pair 2." in html, html[:600]
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.close()
        return frame

    frame = asyncio.run(second_pair())
    assert frame["type"] == "page" and frame["name"] == "chat", frame
    assert "You are person 1 of pair 2." in s.page(codes[2])
    monitor = s.monitor(session)
    groups = {p["id_in_session"]: (p["group"], p["id_in_group"]) for p in monitor["players"]}
    assert groups == {1: (2, 2), 2: (1, 2), 3: (2, 1), 4: (None, 0), 5: (1, 1), 6: (None, 0)}, \
        groups
    s.stop()

    # The export: round 1's pairs, and no group for 4 and 6 yet.
    out = os.path.join(TMP, "out")
    done = run(STUDY, "export", "--db", DB, "--out", out, timeout=30)
    assert done.returncode == 0, done.stderr
    with open(os.path.join(out, "chat_players.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["subsession.round_number"] == "1"]
    pairs = {int(r["participant.id_in_session"]): (r["group.id_in_subsession"],
                                                   r["player.id_in_group"]) for r in rows}
    assert pairs == {1: ("2", "2"), 2: ("1", "2"), 3: ("2", "1"), 4: ("", ""), 5: ("1", "1"),
                     6: ("", "")}, pairs
    replayed = run(STUDY, "replay", "--db", DB, timeout=30)
    assert replayed.returncode == 0 and "OK" in replayed.stdout, (replayed.stdout,
                                                                  replayed.stderr)
    print("chat_serve: pairs by arrival, a restart while waiting, export and replay: ok")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
    shutil.rmtree(TMP, ignore_errors=True)
