#!/usr/bin/env python3
"""Throwaway servers for the tests (and scripts/cluster.py): a PostgreSQL
cluster of its own, and an nginx of its own.

As a module:

    with PostgresCluster() as pg:
        pg.create_database("t1")      # -> "postgresql://livectl@127.0.0.1:PORT/t1"

    cert, key = self_signed_certificate(folder)   # for 127.0.0.1, valid a day
    site = deploying_site(http_port, https_port, nodes, cert, key, access_log)
    with Nginx(site) as nginx:        # site: what a conf.d file holds
        ...

From the command line (CTest fixtures), the cluster living in FOLDER:

    servers.py postgres start FOLDER [--fsync]   # prints and writes FOLDER/url
    servers.py postgres stop FOLDER

The cluster is Debian's PostgreSQL (scripts/bootstrap.sh installs it), made
with initdb in a fresh folder, listening on 127.0.0.1 only, on a free port,
with a Unix socket in its own folder. PostgreSQL refuses to run as root, so
as root the cluster belongs to the `postgres` user the package creates.
nginx is Debian's too (/usr/sbin/nginx), run in the foreground from a folder
of its own: nothing of /etc/nginx or /var is read or written.
Nothing here is skipped: a missing server is an error.
"""
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

USER = "livectl"
DEPLOYING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                         "deploying.md")


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


def self_signed_certificate(folder, host="127.0.0.1"):
    """Writes FOLDER/cert.pem and FOLDER/key.pem (unencrypted): a certificate
    for the IP address `host`, valid for a day and signed by its own key.
    Returns (cert path, key path). A client trusts it by taking cert.pem as
    its only certificate authority; the address is in subjectAltName, where
    TLS clients look for it (not in the CN)."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
         "-keyout", key, "-out", cert],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl req failed:\n{result.stdout}")
    return cert, key


def deploying_site(http_port, https_port, nodes, cert, key, access_log):
    """docs/deploying.md's nginx configuration (its one ```nginx block), with
    127.0.0.1:`http_port` and 127.0.0.1:`https_port` for its ports 80 and
    443, the three HOST:PORT of `nodes` for 127.0.0.1:8001-8003, and the
    given certificate, key and access log for the paths written there.
    Raises ValueError if the text to replace is not there exactly once: the
    configuration the docs show is the one that runs
    (tests/server/nginx_failover_test.py, scripts/cluster.py)."""
    with open(DEPLOYING) as doc:
        blocks = re.findall(r"^```nginx\n(.*?)^```", doc.read(), re.S | re.M)
    if len(blocks) != 1:
        raise ValueError(f"{DEPLOYING}: {len(blocks)} nginx blocks, not 1")
    if len(nodes) != 3:
        raise ValueError(f"{len(nodes)} nodes: {DEPLOYING} has three")
    site = blocks[0]
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("/etc/ssl/certs/livectl.pem", cert),
        ("/etc/ssl/private/livectl.key", key),
        ("/var/log/nginx/livectl.log", access_log),
    ] + [(f"127.0.0.1:{8001 + i}", node) for i, node in enumerate(nodes)]
    for written, ours in replacements:
        if site.count(written) != 1:
            raise ValueError(f"{DEPLOYING}: the nginx configuration has "
                             f"{site.count(written)} '{written}', not 1")
        site = site.replace(written, ours)
    return site


NGINX = "/usr/sbin/nginx"
NGINX_START_TIMEOUT = 10  # seconds; it starts in milliseconds


class Nginx:
    """Debian's nginx serving `site` (the text of a conf.d file: what goes in
    the http block) from `folder` (a fresh temporary one by default), which
    holds its nginx.conf, pid file, logs and temporary files. One worker;
    in the foreground (daemon off), in a process group of its own so that
    stop() ends the workers with the master. As root its workers run as
    root too: they read and write the folder, which is root's alone.

    start() checks the configuration (nginx -t) and returns once every
    `listen 127.0.0.1:PORT` of `site` accepts connections; it raises with
    the error log if nginx refuses the configuration or exits, or after
    NGINX_START_TIMEOUT seconds. stop() ends nginx at once (open WebSockets
    are cut, as a fast shutdown does) and removes a folder of its own."""

    def __init__(self, site, folder=None):
        if not os.access(NGINX, os.X_OK):
            raise RuntimeError(f"no nginx: {NGINX} is missing (scripts/bootstrap.sh installs "
                               "Debian's nginx)")
        self.site = site
        self.own_folder = folder is None
        self.folder = folder or tempfile.mkdtemp(prefix="livectl-nginx-")
        self.conf = os.path.join(self.folder, "nginx.conf")
        self.error_log_path = os.path.join(self.folder, "error.log")
        self.ports = [int(port) for port in
                      re.findall(r"^\s*listen\s+127\.0\.0\.1:(\d+)", site, re.M)]
        if not self.ports:
            raise ValueError("the site listens on no 127.0.0.1:PORT")
        self.proc = None

    def _command(self, *extra):
        return [NGINX, "-p", self.folder + "/", "-c", self.conf, "-e", self.error_log_path,
                *extra]

    def _write_conf(self):
        temp = os.path.join(self.folder, "temp")
        os.makedirs(temp, exist_ok=True)
        # Debian's defaults write to /run/nginx.pid and /var/lib/nginx.
        paths = "\n".join(f"  {kind}_temp_path {temp}/{kind};"
                          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(self.conf, "w") as out:
            out.write(f"""{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {self.folder}/nginx.pid;
error_log {self.error_log_path} notice;
events {{ worker_connections 512; }}
http {{
  access_log {self.folder}/access.log;
{paths}
{self.site}
}}
""")

    def error_log(self):
        try:
            with open(self.error_log_path) as log:
                return log.read()
        except FileNotFoundError:
            return ""

    def _accepts(self, port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    def start(self):
        os.makedirs(self.folder, exist_ok=True)
        self._write_conf()
        checked = subprocess.run(self._command("-t"), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused {self.conf}:\n{checked.stdout}")
        self.proc = subprocess.Popen(self._command(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + NGINX_START_TIMEOUT
        waiting = list(self.ports)
        while waiting:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited ({self.proc.returncode}):\n{self.error_log()}")
            if time.monotonic() > deadline:
                log = self.error_log()
                self.stop()
                raise RuntimeError(f"nginx did not listen on {waiting} within "
                                   f"{NGINX_START_TIMEOUT} s:\n{log}")
            waiting = [port for port in waiting if not self._accepts(port)]
            if waiting:
                time.sleep(0.02)
        return self

    def stop(self):
        """Ends nginx (at once: open WebSockets are cut) and removes a folder
        of its own. Does nothing the second time."""
        if self.proc is not None:
            if self.proc.poll() is None:
                # SIGTERM to the group: a fast shutdown, the master ending
                # its workers first; SIGQUIT's graceful one would wait for
                # open WebSockets.
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    # Before the master is reaped, so the group is still ours.
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
            self.proc = None
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
