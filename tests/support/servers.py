#!/usr/bin/env python3
"""Throwaway servers for the tests: a PostgreSQL cluster of its own.

As a module:

    with PostgresCluster() as pg:
        pg.create_database("t1")      # -> "postgresql://livectl@127.0.0.1:PORT/t1"

From the command line (CTest fixtures), the cluster living in FOLDER:

    servers.py postgres start FOLDER [--fsync]   # prints and writes FOLDER/url
    servers.py postgres stop FOLDER

The cluster is Debian's PostgreSQL (scripts/bootstrap.sh installs it), made
with initdb in a fresh folder, listening on 127.0.0.1 only, on a free port,
with a Unix socket in its own folder. PostgreSQL refuses to run as root, so
as root the cluster belongs to the `postgres` user the package creates.
Nothing here is skipped: a missing server is an error.
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

USER = "livectl"


def postgres_bin(program):
    """The newest installed PostgreSQL's `program` (initdb, pg_ctl, ...)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"),
                   key=lambda path: int(path.split("/")[4]))
    if not found:
        raise RuntimeError(f"no PostgreSQL server: /usr/lib/postgresql/*/bin/{program} is "
                           "missing (scripts/bootstrap.sh installs Debian's postgresql)")
    return found[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """A PostgreSQL cluster in `folder` (a fresh temporary one by default)."""

    def __init__(self, folder=None, fsync=False):
        # No fsync by default: a test cluster is thrown away, and the tests
        # kill livectl, never PostgreSQL. Benchmarks ask for it.
        self.fsync = fsync
        self.own_folder = folder is None
        self.folder = folder or tempfile.mkdtemp(prefix="livectl-pg-")
        self.data = os.path.join(self.folder, "data")
        self.port = None
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args, check=True):
        result = subprocess.run(self.as_user + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}")
        return result

    def start(self):
        os.makedirs(self.folder, exist_ok=True)
        if self.as_user:
            entry = pwd.getpwnam("postgres")
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        # Trust on loopback and the socket: the cluster lives only as long
        # as the test and listens on 127.0.0.1 alone.
        self._run(postgres_bin("initdb"), "-D", self.data, "-U", USER, "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        self.port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} " \
                  "-c max_connections=200"
        if not self.fsync:
            options += " -c fsync=off -c full_page_writes=off"
        self._run(postgres_bin("pg_ctl"), "-D", self.data, "-l",
                  os.path.join(self.folder, "log"), "-o", options, "-w", "start")
        return self

    def url(self, database="postgres"):
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql, database="postgres"):
        """Runs `sql` and returns what psql printed (unaligned, tuples only)."""
        result = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database),
             "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"psql: {sql}: {result.stderr}")
        return result.stdout.strip()

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run(postgres_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop",
                      check=False)
        if self.own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    fsync = "--fsync" in argv
    argv = [arg for arg in argv if arg != "--fsync"]
    if len(argv) != 4 or argv[1] != "postgres" or argv[2] not in ("start", "stop"):
        print("usage: servers.py postgres start|stop FOLDER [--fsync]", file=sys.stderr)
        return 2
    folder = os.path.abspath(argv[3])
    cluster = PostgresCluster(folder, fsync=fsync)
    if argv[2] == "stop":
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
        return 0
    cluster.stop()  # a cluster a killed run left behind
    shutil.rmtree(folder, ignore_errors=True)
    cluster.start()
    with open(os.path.join(folder, "url"), "w") as out:
        out.write(cluster.url() + "\n")
    print(cluster.url())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
