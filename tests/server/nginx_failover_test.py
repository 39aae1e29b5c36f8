#!/usr/bin/python3
"""failover_test.py through a real nginx: three `livectl serve` processes on
one PostgreSQL database (a throwaway server of the test's own) behind
Debian's nginx (a throwaway instance of its own, with TLS and a self-signed
certificate), configured as docs/deploying.md says: the test reads the
configuration from there and puts in only its own ports, certificate and
log file. The participants arrive over HTTPS and play an auction over
wss://, all through nginx; the process that runs the session is killed with
SIGKILL; they reconnect through nginx, which now sends them to the process
that took the session over, get every live frame they missed and nothing
twice, and play on; `replay` then proves the session's log.

    nginx_failover_test.py LIVECTL

Prints the failover time through nginx: from the SIGKILL to the first reply
from the new owner, as a client that retries every 50 ms sees it, and what
nginx answered meanwhile. Every wait is bounded; every server is stopped or
killed at the end, even after a failure.
"""
import asyncio
import collections
import json
import os
import re
import shutil
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from livectl_client import LivePage, OPENER, NoRedirects, Serve, run, stop_all  # noqa: E402
from servers import (Nginx, PostgresCluster, deploying_site, free_port,  # noqa: E402
                     self_signed_certificate)

LIVECTL = sys.argv[1]
LIVE = 1  # the auction's bidding page
FAILOVER_LIMIT = 20  # seconds; a takeover takes about one


async def bid(ws, amount):
    await ws.send(json.dumps({"page": LIVE, "data": amount}))


class Proxy:
    """nginx as a participant's browser sees it: https:// and wss:// on
    127.0.0.1:`port`, trusting the test's certificate alone; and the
    access log of that server block, which names the process that answered."""

    def __init__(self, port, cert, access_log):
        self.port = port
        self.tls = ssl.create_default_context(cafile=cert)
        self.opener = urllib.request.build_opener(
            NoRedirects, urllib.request.HTTPSHandler(context=self.tls))
        self.access_log = access_log

    def get(self, path):
        """(status, body text, the process that answered: HOST:PORT) of
        GET https://127.0.0.1:PORT/path."""
        logged = os.path.getsize(self.access_log)
        try:
            with self.opener.open(f"https://127.0.0.1:{self.port}{path}", timeout=10) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        return status, body, self._answered_by(f'"GET {path} HTTP/1.1"', logged)

    def _answered_by(self, request, logged):
        # The log line ends with $upstream_addr. nginx writes it once it has
        # answered, which may be after the client has the answer: waited
        # for, at most 5 s.
        deadline = time.monotonic() + 5
        while True:
            with open(self.access_log) as log:
                log.seek(logged)
                lines = [line for line in log if request in line]
            if lines or time.monotonic() > deadline:
                assert len(lines) == 1, (request, lines)
                return lines[0].split()[-1]
            time.sleep(0.02)

    def ws(self, code, after=None):
        url = f"wss://127.0.0.1:{self.port}/live/{code}?page={LIVE}" + \
            ("" if after is None else f"&after={after}")
        return websockets.connect(url, ssl=self.tls, open_timeout=2, close_timeout=1)


class Bidder(LivePage):
    """A bidder's page, connected as this test reaches the server."""

    async def connect(self, proxy, after=None):
        self.ws = await proxy.ws(self.code, after)


async def main():
    nginx = None
    with PostgresCluster() as cluster:
        db = cluster.create_database("nginx_failover")
        # nginx's folder: its configuration, the certificate, the logs.
        folder = tempfile.mkdtemp(prefix="livectl-nginx-failover-")
        try:
            http_port = https_port = free_port()
            while https_port == http_port:
                https_port = free_port()
            # As docs/deploying.md runs them: the first makes the session,
            # the others join without making one; the links name nginx.
            public = {"LIVECTL_PUBLIC_URL": f"https://127.0.0.1:{https_port}"}
            a = Serve(LIVECTL, db, "--game", "auction", "--participants", "3", env=public)
            b = Serve(LIVECTL, db, env=public)
            c = Serve(LIVECTL, db, env=public)
            for joined in (b, c):
                assert "1 session in" in joined.stdout and \
                    "runs in another process" in joined.stdout, joined.stdout
            codes = a.links()
            assert len(codes) == 3, a.stdout
            printed = re.findall(r"^  participant \d+: (\S+)$", a.stdout, re.M)
            assert printed == [f"https://127.0.0.1:{https_port}/p/{code}" for code in codes], \
                a.stdout
            node = {s: f"127.0.0.1:{s.port}" for s in (a, b, c)}

            cert, key = self_signed_certificate(folder)
            access_log = os.path.join(folder, "livectl.log")
            nginx = Nginx(deploying_site(http_port, https_port, [node[a], node[b], node[c]],
                                         cert, key, access_log), folder).start()
            proxy = Proxy(https_port, cert, access_log)

            # Plain HTTP is sent to HTTPS (the standard port: $host has none).
            try:
                OPENER.open(f"http://127.0.0.1:{http_port}/p/{codes[0]}", timeout=10)
                raise AssertionError("plain HTTP was answered")
            except urllib.error.HTTPError as e:
                assert (e.code, e.headers["Location"]) == \
                    (301, f"https://127.0.0.1/p/{codes[0]}"), (e.code, e.headers)

            # The bidders arrive over HTTPS at the links as printed, wherever
            # nginx is asked from; the third moves the group on to the auction.
            for code, link in zip(codes, printed):
                status, html, answered = proxy.get(link.removeprefix(public["LIVECTL_PUBLIC_URL"]))
                assert (status, answered) == (200, node[a]), (code, status, answered, html[:300])
            status, script, _ = proxy.get("/live.js")
            assert status == 200 and "wss:" in script, (status, script[:300])

            # The auction over wss://: bids of 10, then 12.
            bidders = [Bidder(code) for code in codes]
            for bidder in bidders:
                await bidder.connect(proxy)
            await bid(bidders[0].ws, 10)
            for bidder in bidders:
                assert await bidder.live() == {"id_in_group": 1, "bid": 10}
            await bid(bidders[2].ws, 12)
            for bidder in bidders:
                assert await bidder.live() == {"id_in_group": 3, "bid": 12}

            # A dies. Bidder 2 retries through nginx every 50 ms until a bid
            # of 15 is answered: until then nginx answers 500 (auth_request's
            # word for the route's 503: nobody runs the session) or 502 (the
            # route still named A, whose port is closed).
            killed_at = time.monotonic()
            a.kill()
            meanwhile = collections.Counter()
            first_reply = None
            while first_reply is None and time.monotonic() < killed_at + FAILOVER_LIMIT:
                try:
                    await bidders[1].connect(proxy, after=bidders[1].last())
                    await bid(bidders[1].ws, 15)
                    reply = await bidders[1].live()
                except websockets.exceptions.InvalidStatusCode as e:
                    meanwhile[e.status_code] += 1
                except (OSError, websockets.exceptions.InvalidHandshake,
                        websockets.exceptions.ConnectionClosed, asyncio.TimeoutError) as e:
                    meanwhile[type(e).__name__] += 1
                else:
                    assert reply == {"id_in_group": 2, "bid": 15}, reply
                    first_reply = time.monotonic()
                    break
                await asyncio.sleep(0.05)
            assert first_reply is not None, \
                f"no reply through nginx within {FAILOVER_LIMIT} s; it answered {dict(meanwhile)}"
            print(f"failover through nginx: {first_reply - killed_at:.2f} s from SIGKILL to the "
                  f"first reply from the new owner; meanwhile {dict(meanwhile) or 'nothing'}")

            # Every process now names the new owner, and nginx sends the
            # participants' pages there.
            routes = set()
            for asked in (b, c):
                status, headers, _ = asked.http("GET", f"/_livectl/route?path=/p/{codes[2]}")
                assert status == 200, status
                routes.add(headers.get("X-Livectl-Node"))
            assert len(routes) == 1 and routes <= {node[b], node[c]}, routes
            owner = b if routes == {node[b]} else c
            status, html, answered = proxy.get(f"/p/{codes[2]}")
            assert (status, answered) == (200, node[owner]), (status, answered, html[:300])

            # The others reconnect through nginx with what they handled: they
            # get the bid of 15 they missed, numbered on from before, and
            # nothing twice.
            for bidder in (bidders[0], bidders[2]):
                await bidder.connect(proxy, after=bidder.last())
                assert await bidder.live() == {"id_in_group": 2, "bid": 15}
            # What A committed is the state the new owner went on from: a bid
            # of 11 is below the 12 made on A, and nobody hears of it.
            await bid(bidders[0].ws, 11)
            await bid(bidders[0].ws, 20)
            for bidder in bidders:
                assert await bidder.live() == {"id_in_group": 1, "bid": 20}
            seqs = [[seq for seq, _ in bidder.seen] for bidder in bidders]
            assert all(s == [1, 2, 3, 4] for s in seqs), seqs
            for bidder in bidders:
                await bidder.ws.close()

            # The session's log replays to its state.
            out = run(LIVECTL, "replay", "--db", db, timeout=30)
            assert out.returncode == 0 and out.stdout.count("OK ") == 1, out.stdout + out.stderr
            # The other survivor did not take it too.
            other = c if owner is b else b
            status, _, _ = other.http("GET", f"/p/{codes[0]}")
            assert status == 404, status
            nginx.stop()
            b.stop()
            c.stop()
            assert "took over session" in owner.proc.stdout.read()
        except BaseException:
            if nginx is not None:
                print("nginx's error log:\n" + nginx.error_log(), file=sys.stderr)
            raise
        finally:
            if nginx is not None:
                nginx.stop()
            stop_all()
            shutil.rmtree(folder, ignore_errors=True)
    print("ok: a session survived the SIGKILL of its process, through nginx and TLS")


if __name__ == "__main__":
    asyncio.run(main())
