#!/usr/bin/python3
"""Tick delivery and request round trip of a served slider, measured from
outside while a load runs (docs/performance.md, "Continuous time").

    tick_latency.py --db DB --port PORT --participants 997-1000 [--duration 20]

Connects the given participants of the slider session in DB (a whole group,
so that its period starts) to their decide pages over WebSockets and, for
`--duration` seconds:
- for every tick frame, how long after the tick fired it arrived: the
  frame's `now_ms` is the session clock at the firing, which `serve` keeps
  on this machine's wall clock, so arrival minus `now_ms` is fired to
  received, commit and sending included (1 ms resolution);
- every 100 ms per participant, the round trip of liveSend({}), whose reply
  is the only frame with an `endowment`.
Prints percentiles of both. Needs Python's websockets (Debian's
python3-websockets); exit 1 when nothing was measured.
"""
import argparse
import asyncio
import json
import sqlite3
import sys
import time

import websockets


def percentiles(values):
    ordered = sorted(values)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return f"n {len(ordered)}, p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {ordered[-1]:.1f} ms"


async def participant(port, code, page, duration, ticks, trips):
    async with websockets.connect(f"ws://127.0.0.1:{port}/live/{code}?page={page}",
                                  open_timeout=10, max_queue=None) as ws:
        sent = []
        deadline = time.monotonic() + duration

        async def ask():
            while time.monotonic() < deadline:
                sent.append(time.perf_counter())
                await ws.send(json.dumps({"page": page, "data": {}}))
                await asyncio.sleep(0.1)

        asker = asyncio.create_task(ask())
        try:
            while time.monotonic() < deadline:
                try:
                    raw = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    break
                arrived_wall = time.time() * 1000
                arrived = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") != "live":
                    continue
                data = frame["data"]
                if "endowment" in data:
                    if sent:
                        trips.append((arrived - sent.pop(0)) * 1000)
                elif data.get("now_ms") is not None:
                    ticks.append(arrived_wall - data["now_ms"])
        finally:
            asker.cancel()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--participants", required=True, help="FIRST-LAST id_in_session")
    parser.add_argument("--duration", type=float, default=20)
    args = parser.parse_args()
    first, last = (int(n) for n in args.participants.split("-"))
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT code, page_index FROM participants "
                          "WHERE id_in_session BETWEEN ? AND ? ORDER BY id_in_session",
                          (first, last)).fetchall()
    ticks, trips = [], []
    await asyncio.gather(*(participant(args.port, code, page, args.duration, ticks, trips)
                           for code, page in rows))
    if not ticks or not trips:
        print("nothing measured: are the participants on the slider's decide page?")
        return 1
    print("tick fired to received:", percentiles(ticks))
    print("liveSend({}) round trip:", percentiles(trips))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
