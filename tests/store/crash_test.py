#!/usr/bin/env python3
"""Kill a durable simulation with SIGKILL at random points and check that
nothing released was lost.

Bots write an auction session to a database through `livectl simulate --db`
with a transcript (a transcript line is written only after its event is
committed, as a server releases deliveries). The process is killed with
SIGKILL several times, 50-300 ms after each start. After each kill:
  - every transcript line's event is in the events table, with the
    deliveries the line shows;
  - the session's last_seq never goes back;
  - the file passes PRAGMA integrity_check and `livectl replay` says OK.
Then the same command runs to its end: it continues the stored session, and
its transcript and digest equal those of an uninterrupted in-memory run.

With --postgres the database is a PostgreSQL one, on a throwaway server of
the test's own (tests/support/servers.py): the kills then also prove that
the server drops a killed writer's lock, so that the next run may write.

Usage: crash_test.py LIVECTL [--postgres]
The random points come from LIVECTL_CRASH_SEED when set, else a fresh seed,
which is printed so that a failure can be repeated. Takes about 5-15 s.
"""
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from servers import PostgresCluster  # noqa: E402

KILLS = 5
SIMULATION = ["simulate", "auction", "--participants", "30", "--seed", "5",
              "--messages", "150000"]


def complete_lines(path):
    """The transcript's lines that end in a newline (a kill may cut the last)."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def read_sqlite(db):
    """(last_seq, {seq: deliveries}) of the file's session, or None when it has none."""
    if not os.path.exists(db):
        return None
    connection = sqlite3.connect(db)
    try:
        if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            fail("integrity_check failed")
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_schema")}
        if "sessions" not in tables or not connection.execute("SELECT 1 FROM sessions").fetchone():
            return None
        last_seq = connection.execute("SELECT last_seq FROM sessions").fetchone()[0]
        stored = {seq: deliveries for seq, deliveries in
                  connection.execute("SELECT seq, deliveries FROM events")}
        return last_seq, stored
    finally:
        connection.close()


def read_postgres(cluster, database):
    """The same from a PostgreSQL database, through psql."""
    if cluster.psql("SELECT to_regclass('sessions') IS NOT NULL", database) != "t":
        return None
    last_seq = cluster.psql("SELECT last_seq FROM sessions", database)
    if not last_seq:
        return None
    rows = cluster.psql("SELECT json_agg(json_build_array(seq, deliveries)) FROM events", database)
    stored = {seq: deliveries for seq, deliveries in json.loads(rows or "[]")}
    return int(last_seq), stored


def check_database(livectl, db, read, released, previous_last_seq):
    """Returns the session's last_seq after checking the database against `released`."""
    found = read()
    if found is None:
        if released:
            fail("no session, but %d lines were released" % len(released))
        return 0
    last_seq, stored = found
    for line in released:
        seq = line["seq"]
        if seq not in stored:
            fail("event %d was released (transcript) but is not in the database" % seq)
        if "recv" in line:
            received = {}
            for recipients, payload in json.loads(stored[seq]):
                for participant in recipients:
                    received[str(participant)] = payload
            if received != line["recv"]:
                fail("event %d: the transcript shows %s, the database %s" % (seq, line["recv"], received))
    if released and last_seq < released[-1]["seq"]:
        fail("last_seq %d is behind the released event %d" % (last_seq, released[-1]["seq"]))
    if last_seq < previous_last_seq:
        fail("last_seq went back from %d to %d" % (previous_last_seq, last_seq))
    replay = subprocess.run([livectl, "replay", "--db", db], capture_output=True, text=True)
    if replay.returncode != 0 or not replay.stdout.startswith("OK "):
        fail("replay after a kill: exit %d\n%s%s" % (replay.returncode, replay.stdout, replay.stderr))
    return last_seq


def main():
    livectl = sys.argv[1]
    seed = int(os.environ.get("LIVECTL_CRASH_SEED", random.randrange(1 << 30)))
    print("crash seed", seed, "(set LIVECTL_CRASH_SEED to repeat)")
    rng = random.Random(seed)
    postgres = "--postgres" in sys.argv[2:]
    with tempfile.TemporaryDirectory(prefix="livectl-crash-") as work, \
            (PostgresCluster() if postgres else contextlib.nullcontext()) as cluster:
        if postgres:
            db = cluster.create_database("crash")
            read = lambda: read_postgres(cluster, "crash")  # noqa: E731
        else:
            db = os.path.join(work, "crash.db")
            read = lambda: read_sqlite(db)  # noqa: E731
        transcript = os.path.join(work, "transcript.jsonl")
        reference = os.path.join(work, "reference.jsonl")
        expected = subprocess.run([livectl] + SIMULATION + ["--transcript", reference, "--json"],
                                  capture_output=True, text=True, check=True)
        expected_digest = json.loads(expected.stdout)["digest"]

        command = [livectl] + SIMULATION + ["--db", db, "--transcript", transcript]
        last_seq = 0
        history = []
        for kill in range(KILLS):
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.05, 0.3))
            process.kill()
            _, errors = process.communicate()
            if process.returncode not in (-9, 0):
                fail("run %d exited %d: %s" % (kill + 1, process.returncode, errors.decode()))
            released = complete_lines(transcript)
            last_seq = check_database(livectl, db, read, released, last_seq)
            history.append((len(released), last_seq))
            print("kill %d: %d lines released, last_seq %d" % (kill + 1, len(released), last_seq))

        final = subprocess.run(command + ["--json"], capture_output=True, text=True, timeout=120)
        if final.returncode != 0:
            fail("the final run exited %d: %s" % (final.returncode, final.stderr))
        if json.loads(final.stdout)["digest"] != expected_digest:
            fail("the continued session's digest differs from an uninterrupted run's")
        with open(transcript, "rb") as a, open(reference, "rb") as b:
            if a.read() != b.read():
                fail("the continued session's transcript differs from an uninterrupted run's")
        final_last_seq = check_database(livectl, db, read, complete_lines(transcript), last_seq)
        if final_last_seq <= history[0][1]:
            fail("the session did not continue after the first kill")
        print("ok: %d kills, then %d events in all; digest %s%s" % (
            KILLS, final_last_seq, expected_digest, " (PostgreSQL)" if postgres else ""))


if __name__ == "__main__":
    main()
