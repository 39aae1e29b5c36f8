#!/usr/bin/python3
"""One liveSend round trip through a study's own `serve`.

    study_round_trip.py BINARY GAME

Starts BINARY serve --game GAME --participants 2 on a free 127.0.0.1 port,
opens both participants' pages (the group passes its wait page), sends
{"contribution": 7} from participant 1 over a WebSocket and checks that
both participants receive the pot. Bounded: every wait has a timeout and
the server is stopped at the end.
"""
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

import websockets

BINARY, GAME = sys.argv[1], sys.argv[2]
LIVE_PAGE = 1  # the template's pages: waiting, live, results


async def main(base, codes):
    host_port = base[len("http://"):]
    for code in codes:
        with urllib.request.urlopen(f"{base}/p/{code}", timeout=5) as response:
            assert response.status == 200, response.status
    async with websockets.connect(f"ws://{host_port}/live/{codes[0]}", open_timeout=5) as one, \
            websockets.connect(f"ws://{host_port}/live/{codes[1]}", open_timeout=5) as two:
        await one.send(json.dumps({"page": LIVE_PAGE, "data": {"contribution": 7}}))
        for ws in (one, two):
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert frame["type"] == "live", frame
            assert frame["data"] == {"id_in_group": 1, "contribution": 7, "pot": 7}, frame


def run():
    folder = tempfile.mkdtemp(prefix="livectl-study-serve-")
    server = subprocess.Popen(
        [BINARY, "serve", "--game", GAME, "--participants", "2", "--port", "0",
         "--db", os.path.join(folder, "study.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        output = ""
        while "serving on " not in output:
            line = server.stdout.readline()
            if not line:
                raise AssertionError("serve exited early: " + server.stderr.read())
            output += line
        base = re.search(r"serving on (http://\S+)", output).group(1)
        codes = re.findall(r"participant \d+: \S+/p/(\w+)", output)
        assert len(codes) == 2, output
        asyncio.run(asyncio.wait_for(main(base, codes), 20))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("liveSend round trip through the study's serve: ok")


run()
