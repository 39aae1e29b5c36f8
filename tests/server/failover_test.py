#!/usr/bin/python3
"""Several `livectl serve` processes on one PostgreSQL database (a throwaway
server of the test's own): each runs its own sessions, none runs another's,
and when the process that runs a live session is killed with SIGKILL, a
surviving process takes the session over from what was committed. The
participants reconnect (to the survivor: this test has no proxy in front),
get every live frame they missed and nothing twice, and play on; `replay`
then proves every session's log.

    failover_test.py LIVECTL

Prints the failover time: from the SIGKILL to the first reply from the new
owner, as a client that retries every 50 ms sees it. Every wait is bounded;
every server is stopped or killed at the end.
"""
import asyncio
import json
import os
import re
import sys
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import LivePage, Serve, run, stop_all, until  # noqa: E402
from servers import PostgresCluster  # noqa: E402

LIVECTL = sys.argv[1]
WAITING, LIVE = 0, 1


async def bid(ws, amount):
    await ws.send(json.dumps({"page": LIVE, "data": amount}))


def ws_url(server, code, after=None):
    return f"ws://{server.host}:{server.port}/live/{code}?page={LIVE}" + \
        ("" if after is None else f"&after={after}")


class Bidder(LivePage):
    """A bidder's page, connected as this test reaches the server."""

    async def connect(self, server, after=None):
        self.ws = await websockets.connect(ws_url(server, self.code, after), open_timeout=2,
                                           close_timeout=1)


async def main():
    with PostgresCluster() as cluster:
        db = cluster.create_database("failover")
        try:
            a = Serve(LIVECTL, db, "--game", "auction", "--participants", "3")
            b = Serve(LIVECTL, db, "--game", "auction", "--participants", "3")
            c = Serve(LIVECTL, db, "--game", "tictactoe")
            # Each made a session of its own, and runs none of the others'.
            assert "1 session in" in b.stdout and "runs in another process" in b.stdout, b.stdout
            assert "2 sessions in" in c.stdout, c.stdout
            codes = a.links()
            assert len(codes) == 3 and not set(codes) & set(b.links() + c.links())
            for code in codes:
                status, _, _ = b.http("GET", f"/p/{code}")
                assert status == 404, (code, status)

            # Any process tells a proxy where a participant's session runs.
            def route(server, path):
                status, headers, _ = server.http("GET", f"/_livectl/route?path={path}")
                return status, headers.get("X-Livectl-Node")

            node = {s: f"127.0.0.1:{s.port}" for s in (a, b, c)}
            for asked in (a, b, c):
                assert route(asked, f"/p/{codes[0]}") == (200, node[a])
                assert route(asked, f"/live/{codes[1]}?page=1") == (200, node[a])
            # A path that names no participant: the one asked answers it.
            assert route(b, "/p/nosuchcode") == (200, node[b])
            assert route(c, "/admin") == (200, node[c])

            # The auction on A: three bidders arrive, bid 10, then 12.
            bidders = [Bidder(code) for code in codes]
            for bidder in bidders:
                a.page(bidder.code)  # arrives; the third moves the group on
            for bidder in bidders:
                await bidder.connect(a)
            await bid(bidders[0].ws, 10)
            for bidder in bidders:
                assert await bidder.live() == {"id_in_group": 1, "bid": 10}
            await bid(bidders[2].ws, 12)
            for bidder in bidders:
                assert await bidder.live() == {"id_in_group": 3, "bid": 12}

            # A dies. The bidders retry, on the survivors, until one answers
            # a bid of 15 (B or C, whichever claimed the session first).
            killed_at = time.monotonic()
            a.kill()
            owner = None
            first_reply = None
            deadline = killed_at + 20
            while owner is None and time.monotonic() < deadline:
                for candidate in (b, c):
                    # A process that does not run the session closes the
                    # socket with 4404 (unknown participant code).
                    try:
                        await bidders[1].connect(candidate, after=bidders[1].last())
                        await bid(bidders[1].ws, 15)
                        reply = await bidders[1].live()
                    except (OSError, websockets.exceptions.InvalidHandshake,
                            websockets.exceptions.ConnectionClosed, asyncio.TimeoutError):
                        continue
                    assert reply == {"id_in_group": 2, "bid": 15}, reply
                    first_reply = time.monotonic()
                    owner = candidate
                    break
                if owner is None:
                    await asyncio.sleep(0.05)
            assert owner is not None, "no survivor took the session over within 20 s"
            print(f"failover: {first_reply - killed_at:.2f} s from SIGKILL to the first reply "
                  f"from the new owner")
            for asked in (b, c):
                assert route(asked, f"/p/{codes[2]}") == (200, node[owner])

            # The others reconnect with what they handled: they get the bid
            # of 15 they missed, numbered on from before, and nothing twice.
            for bidder in (bidders[0], bidders[2]):
                await bidder.connect(owner, after=bidder.last())
                assert await bidder.live() == {"id_in_group": 2, "bid": 15}
            # What A committed is the state B went on from: a bid of 11
            # is below the 12 made on A, and nobody hears of it.
            await bid(bidders[0].ws, 11)
            await bid(bidders[0].ws, 20)
            for bidder in bidders:
                assert await bidder.live() == {"id_in_group": 1, "bid": 20}
            seqs = [[seq for seq, _ in bidder.seen] for bidder in bidders]
            assert all(s == list(range(1, 5)) for s in seqs), seqs
            for bidder in bidders:
                await bidder.ws.close()

            # Every session's log replays to its state.
            out = run(LIVECTL, "replay", "--db", db, timeout=30)
            assert out.returncode == 0 and out.stdout.count("OK ") == 3, out.stdout + out.stderr
            # The other survivor did not take it too.
            other = c if owner is b else b
            status, _, _ = other.http("GET", f"/p/{codes[0]}")
            assert status == 404, status

            # The orphan went to the least loaded survivor (by participants:
            # B ran 3, C 2), and a session created on the admin page of the
            # most loaded process goes to the least loaded one, which takes
            # it within seconds. Every admin lists every session and where.
            assert owner is c, "the auction should have gone to C, which ran 2 participants"
            status, headers, _ = c.http("POST", "/admin/sessions",
                                        {"game": "auction", "participants": "3"},
                                        headers={"Origin": c.base}, admin=True)
            assert status == 303 and headers["Location"] == "/admin", (status, headers)

            def admin_rows(server):
                _, _, body = server.http("GET", "/admin", admin=True)
                table = body.split('<table id="everywhere">', 1)[1].split("</table>", 1)[0]
                return re.findall(r"<code>(\w+)</code>.*?<td>(\d+)</td><td>(\d+)</td>"
                                  r"<td>([^<]*)</td></tr>", table)
            def on_b():
                rows = [row for row in admin_rows(c) if row[3] == node[b]]
                return rows if len(rows) == 2 else None  # its own and the new one
            until(on_b, seconds=10)
            for server in (b, c):
                rows = admin_rows(server)
                assert len(rows) == 4, rows
                runs_on = {row[0]: row[3].replace(" (this process)", "") for row in rows}
                assert sorted(runs_on.values()) == sorted([node[b]] * 2 + [node[c]] * 2), rows
            b.stop()
            c.stop()
            assert "took over session" in b.proc.stdout.read()
            assert "goes to " + node[b] + ", the least loaded process" in c.proc.stdout.read()
        finally:
            stop_all()
    print("ok: a session survived the SIGKILL of its process on another one")


if __name__ == "__main__":
    asyncio.run(main())
