#!/usr/bin/python3
"""The group chat served: messages in any script reach the group over
WebSockets; a page opened later, reloaded, or reconnected after a SIGKILL
and restart gets the whole chat so far as its history, in order, each
message once; the export keeps every message as typed; replay agrees.

    group_chat_serve_test.py CONTINUOUS_STUDY_BINARY

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
from livectl_client import Serve, page_of, run, seq_of, stop_all  # noqa: E402

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-chat-history-test-")
DB = os.path.join(TMP, "chat.db")
CHAT = 0
SAID = ["hello", "👋🏽 héllo 世界 مرحبا", "<b>not bold</b> & \"quotes\" \\ \u0000 end", "e\u0301te\u0301",
        "👨‍👩‍👧" * 40]


async def history(s, code, count):
    """Loads participant `code`'s page as a browser does and reads the
    `count` messages its history brings: (n, from, text) in order. Notes of
    members leaving or coming back (a member with no page open for 5 s, as
    after the restart below) are part of the history too, and skipped."""
    html = s.page(code)
    assert page_of(html)[0] == CHAT
    messages = []
    async with s.ws(code, CHAT, after=seq_of(html)) as ws:
        seqs = []
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(
                    ws.recv(), 10 if len(messages) < count else 0.5))
            except asyncio.TimeoutError:
                assert len(messages) >= count, messages
                break
            assert frame["type"] == "live", frame
            seqs.append(frame["seq"])
            if "text" in frame["data"]:
                messages.append((frame["data"]["n"], frame["data"]["from"], frame["data"]["text"]))
        assert seqs == sorted(set(seqs)), seqs  # in order, nothing twice
    return messages


async def say(s, code, text):
    """Participant `code` says `text`; returns what their page hears back."""
    async with s.ws(code, CHAT) as ws:
        await ws.send(json.dumps({"page": CHAT, "data": {"text": text}}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] != "live" or "text" in frame["data"]:
                return frame  # not a note of someone leaving or coming back


def main():
    s = Serve(STUDY, DB, "--config", "group_chat")
    codes = s.links()
    assert len(codes) == 6, s.stdout
    for i, text in enumerate(SAID):
        frame = asyncio.run(say(s, codes[i % 2], text))
        assert frame["type"] == "live" and frame["data"]["text"] == text, frame
    refused = asyncio.run(say(s, codes[0], "x" * 281))
    assert refused == {"type": "error",
                       "message": "a message is at most 280 characters, not 281"}, refused
    expected = [(i + 1, i % 2 + 1, text) for i, text in enumerate(SAID)]

    # Participant 3 opens the link only now: the chat so far, in order.
    assert asyncio.run(history(s, codes[2], len(SAID))) == expected
    # Participant 1 reloads: the same, from the start of the page.
    assert asyncio.run(history(s, codes[0], len(SAID))) == expected
    # Another group hears nothing of it.
    html = s.page(codes[3])
    assert seq_of(html) == 0

    # A crash: the history comes back from the store of the new process.
    s.kill()
    s = Serve(STUDY, DB)
    assert "resumed 1 session" in s.stdout, s.stdout
    assert asyncio.run(history(s, codes[1], len(SAID))) == expected
    frame = asyncio.run(say(s, codes[2], "after the restart"))
    assert frame["data"] == {"n": 6, "from": 3, "text": "after the restart"}, frame
    assert asyncio.run(history(s, codes[0], 6)) == expected + [(6, 3, "after the restart")]
    s.stop()

    out = os.path.join(TMP, "out")
    done = run(STUDY, "export", "--db", DB, "--out", out, timeout=30)
    assert done.returncode == 0, done.stderr
    with open(os.path.join(out, "group_chat_message.csv"), newline="", encoding="utf-8") as f:
        texts = [row["message.text"] for row in csv.DictReader(f)]
    assert texts == SAID + ["after the restart"], texts
    replayed = run(STUDY, "replay", "--db", DB, timeout=60)
    assert replayed.returncode == 0 and "OK" in replayed.stdout, (replayed.stdout,
                                                                  replayed.stderr)
    print("group_chat_serve: messages in any script, history on a new page, a reload and "
          "after a SIGKILL, export and replay: ok")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
    shutil.rmtree(TMP, ignore_errors=True)
