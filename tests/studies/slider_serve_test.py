#!/usr/bin/python3
"""Game timers and periods, served: the slider's period starts when its group
of four is on the page, ticks reach every page over WebSockets in order with none missing
and none twice, a SIGKILL mid-period resumes the ticks where the store left
them and the first tick back pays for the ticks the server missed, the
period ends on its timer, and replay reproduces every tick.

    slider_serve_test.py CONTINUOUS_STUDY_BINARY

Every wait is bounded; the server is stopped or killed at the end.
"""
import asyncio
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, page_of, run, stop_all  # noqa: E402

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-slider-test-")
DB = os.path.join(TMP, "slider.db")
DECIDE = 1  # introduction, decide (the period), results


async def ticks(s, code, count, seconds=10):
    """The next `count` tick payloads participant `code`'s decide page hears,
    after asking for the state with {}; at most `seconds`."""
    heard = []
    async with s.ws(code, DECIDE) as ws:
        await ws.send(json.dumps({"page": DECIDE, "data": {}}))
        deadline = time.monotonic() + seconds
        while len(heard) < count:
            frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
            assert frame["type"] == "live", frame
            heard.append(frame["data"])
    return heard


async def until_results(s, code, seconds):
    """Listens on the decide page until the page frame that moves it to the
    results; returns the last tick heard."""
    last = None
    async with s.ws(code, DECIDE) as ws:
        deadline = time.monotonic() + seconds
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
            if frame["type"] == "page":
                assert frame["name"] == "results", frame
                return last
            last = frame["data"]["tick"]


def consecutive(heard):
    """The tick numbers of `heard`, asserting that each follows the one before."""
    numbers = [payload["tick"] for payload in heard if "endowment" not in payload]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
    return numbers


def ticks_with_nobody_connected():
    """Ten groups ticking at 100 Hz, each started by its members' page
    loads, with no socket open: nothing but the timers wakes the server,
    and every tick fires on time (counted in the log, read-only, so as not
    to wake it). A tick that came due while a turn committed used to be
    taken by lws without waking its poll, which then slept until some
    socket spoke: 186 of 3,000 fired."""
    db = os.path.join(TMP, "idle.db")
    s = Serve(STUDY, db, "--config", "slider_load", "--participants", "40",
              "--set", "tick_ms=10")
    for code in s.links():
        s.page(code)  # arrives: the fourth of a group starts its period
    time.sleep(2)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as log:
        fired = log.execute("SELECT count(*) FROM events WHERE kind = 'timer'").fetchone()[0]
    # About 2,000 on an idle machine, 1,500 seen with the whole suite
    # running beside it; the bug this guards against fired under 200.
    assert fired >= 1000, f"{fired} ticks in 2 s, not about 2,000"
    s.stop()


def main():
    s = Serve(STUDY, DB, "--config", "slider_short", "--participants", "4")
    codes = s.links()
    assert len(codes) == 4, s.stdout
    for code in codes:
        assert page_of(s.page(code))[0] == 0
        status, _, _ = s.submit(code, 0)
        assert status == 303, status
    # The fourth's arrival on the decide page started the period.
    assert page_of(s.page(codes[0]))[0] == DECIDE

    heard = asyncio.run(ticks(s, codes[1], 12))
    reply = heard[0]
    assert reply["id_in_group"] == 2 and reply["endowment"] == 100, reply
    first = consecutive(heard)
    assert first[-1] <= 100, first

    # Mid-period, a crash: the timers come back from the store with the
    # session, and the ticks go on after the last one that committed. The
    # server is away for at least five ticks.
    s.kill()
    time.sleep(0.5)
    s = Serve(STUDY, DB)
    assert "resumed 1 session" in s.stdout, s.stdout
    again = consecutive(asyncio.run(ticks(s, codes[2], 5)))
    assert again[0] > first[-1], (first, again)

    # The period is 10 s of session time: its end moves every page on.
    last = asyncio.run(until_results(s, codes[3], 30))
    assert last is None or last <= 100, last
    results = s.page(codes[0])
    assert page_of(results)[0] == DECIDE + 1
    # Every slider stood at 0: each of the 100 ticks paid 1 point, the
    # ones the server was away for included.
    earned = re.search(r"over after (\d+) ticks\.</p>\s*<p>You earned ([\d.]+) points", results)
    assert earned and earned.groups() == ("100", "100"), results
    s.stop()

    done = run(STUDY, "export", "--db", DB, "--out", os.path.join(TMP, "out"), timeout=30)
    assert done.returncode == 0, done.stderr
    replayed = run(STUDY, "replay", "--db", DB, timeout=60)
    assert replayed.returncode == 0 and "OK" in replayed.stdout, (replayed.stdout,
                                                                  replayed.stderr)
    ticks_with_nobody_connected()
    print("slider_serve: ticks in order over WebSockets, a SIGKILL mid-period, the end "
          "by its timer, replay, ticks on time with no socket open: ok")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
    shutil.rmtree(TMP, ignore_errors=True)
