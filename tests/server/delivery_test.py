#!/usr/bin/python3
"""Delivery that survives drops, over real sockets: a stream of payloads
(the slider's ticks, 50 a second) reaches a page whose socket is dropped
and reconnected mid-stream, again and again, and across a SIGKILL and
restart of the server; reconnecting with ?after= the last delivery number
handled, the page gets every delivery exactly once and in order. A page
that missed more than the server keeps is told of the gap first.

    delivery_test.py CONTINUOUS_STUDY_BINARY

Every wait is bounded; the server is stopped or killed at the end.
"""
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, page_of, run, seq_of, stop_all  # noqa: E402

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-delivery-test-")
DB = os.path.join(TMP, "delivery.db")
DECIDE = 1  # introduction, decide (the period), results


class Page:
    """What one page handled: each live frame's seq and tick, in order."""

    def __init__(self, code, after):
        self.code = code
        self.last = after
        self.ticks = []

    async def read(self, s, count, seconds=10):
        """Connects with ?after=, handles `count` more live frames, drops."""
        async with s.ws(self.code, DECIDE, after=self.last) as ws:
            deadline = time.monotonic() + seconds
            handled = 0
            while handled < count:
                frame = json.loads(await asyncio.wait_for(ws.recv(),
                                                          deadline - time.monotonic()))
                assert frame["type"] == "live", frame
                # Exactly the next one: nothing lost, nothing twice.
                assert frame["seq"] == self.last + 1, (frame["seq"], self.last)
                self.last = frame["seq"]
                self.ticks.append(frame["data"]["tick"])
                handled += 1
            # Dropped without a goodbye, as a network drop does.
            ws.transport.abort()


def main():
    s = Serve(STUDY, DB, "--config", "slider_short", "--participants", "4",
              "--set", "tick_ms=20", "--set", "period_ms=60000")
    codes = s.links()
    for code in codes:
        s.page(code)
        assert s.submit(code, 0)[0] == 303
    html = s.page(codes[0])
    assert page_of(html)[0] == DECIDE
    page = Page(codes[0], seq_of(html))

    async def drops():
        for _ in range(5):
            await page.read(s, 25)
            await asyncio.sleep(0.3)  # about 15 ticks go by unseen

    asyncio.run(drops())
    # Across a crash: what was committed and not yet handled comes back
    # from the store of the new process, then the ticks go on.
    s.kill()
    time.sleep(0.2)
    s = Serve(STUDY, DB)
    assert "resumed 1 session" in s.stdout, s.stdout
    asyncio.run(page.read(s, 40))
    # Every tick of group 1 reached this page once, in order.
    assert page.ticks == list(range(page.ticks[0], page.ticks[0] + len(page.ticks))), page.ticks
    assert len(page.ticks) == 165, len(page.ticks)

    # A page that asks for everything since the start of its page (its
    # history; fewer than the 1,000 kept) gets it from the first.
    async def from_the_start():
        async with s.ws(codes[1], DECIDE, after=0) as ws:
            return [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(3)]

    first = asyncio.run(from_the_start())
    assert [(f["type"], f["seq"], f["data"]["tick"]) for f in first] == \
        [("live", 1, 1), ("live", 2, 2), ("live", 3, 3)], first
    s.stop()
    replayed = run(STUDY, "replay", "--db", DB, timeout=60)
    assert replayed.returncode == 0 and "OK" in replayed.stdout, (replayed.stdout,
                                                                  replayed.stderr)
    print("delivery: 6 drops mid-stream and a SIGKILL, every delivery once and in order: ok")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
    shutil.rmtree(TMP, ignore_errors=True)
