#!/usr/bin/python3
"""docs/deploying.md's set-up on one machine, all on 127.0.0.1, for trying it:
a throwaway PostgreSQL, three `livectl serve` processes sharing one database
on it (the first makes a session, the others join), and nginx in front with
TLS (a self-signed certificate) and the configuration that docs/deploying.md
shows (the one tests/server/nginx_failover_test.py runs). Prints the
participant links through nginx, the admin page, where the logs are and the
pid of each process; then reports processes that exit and sessions taken
over, until Ctrl-C (or SIGTERM) stops everything and removes the temporary
folder.

    scripts/bootstrap.sh     # once: builds build/livectl
    scripts/cluster.py [--folder DIR] [--ports 8001,8002,8003] [--https-port P]
                       [--game auction] [--participants 3] [--livectl PATH]

The admin password is $LIVECTL_ADMIN_PASSWORD, else one made up and printed,
the same for all three processes. Python, not bash: the PostgreSQL, nginx,
certificate and nginx configuration come from tests/support/servers.py, as
the tests have them. Every wait is bounded.
"""
import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from servers import (Nginx, PostgresCluster, deploying_site, free_port,  # noqa: E402
                     self_signed_certificate)

# A serve prints "serving on" within a second; 30 s is a machine busy building.
START_TIMEOUT = 30
# SIGTERM lets a serve finish its commits; beyond this it is killed.
STOP_TIMEOUT = 10
POLL = 0.2  # seconds between looks at the processes and their logs


class Stopping(Exception):
    """Ctrl-C, SIGTERM or SIGHUP."""


def on_signal(signum, frame):
    raise Stopping()


def ports_option(text):
    try:
        ports = [int(port) for port in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not PORT,PORT,PORT")
    if len(ports) != 3 or len(set(ports)) != 3 or not all(0 < p < 65536 for p in ports):
        raise argparse.ArgumentTypeError(f"'{text}' is not three different ports")
    return ports


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Serve:
    """One `livectl serve` on 127.0.0.1:`port`, its output in `log`, in a
    process group of its own (Ctrl-C in the terminal reaches this script
    alone, which stops the processes in order)."""

    def __init__(self, livectl, db, port, args, log, env):
        self.port = port
        self.node = f"127.0.0.1:{port}"
        self.log = log
        self.read = 0  # how much of the log watch() has looked at
        self.reported = False
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [livectl, "serve", "--db", db, "--port", str(port), *args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)

    def output(self):
        with open(self.log) as log:
            return log.read()

    def wait_until_serving(self):
        """Returns what it printed up to "serving on"; raises with its log if
        it exits first or has not said it within START_TIMEOUT seconds."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            text = self.output()
            if "\nserving on " in text:
                return text
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve on {self.node} exited ({self.proc.returncode}):\n{text}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve on {self.node} printed no 'serving on' within "
                                   f"{START_TIMEOUT} s:\n{text}")
            time.sleep(0.05)

    def new_lines(self):
        """The complete lines it printed since the last call."""
        with open(self.log, "rb") as log:
            log.seek(self.read)
            text = log.read()
        complete = text[:text.rfind(b"\n") + 1]
        self.read += len(complete)
        return complete.decode(errors="replace").splitlines()


def how_it_ended(returncode):
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def watch(serves, nginx):
    """Until a signal: says when a process exits and when one takes a
    session over (what a failover looks like from here)."""
    nginx_reported = False
    while True:
        for serve in serves:
            for line in serve.new_lines():
                if line.startswith("took over session"):
                    print(f"{serve.node} (pid {serve.proc.pid}) {line}; "
                          f"for another failover: kill -9 {serve.proc.pid}")
            if serve.proc.poll() is not None and not serve.reported:
                serve.reported = True
                print(f"serve on {serve.node} (pid {serve.proc.pid}) ended: "
                      f"{how_it_ended(serve.proc.returncode)}")
        if nginx.proc.poll() is not None and not nginx_reported:
            nginx_reported = True
            print(f"nginx ended: {how_it_ended(nginx.proc.returncode)}; see {nginx.error_log_path}")
        time.sleep(POLL)


def stop_serves(serves):
    """SIGTERM to all at once (one by one, a survivor would take over the
    sessions of each that stops), then SIGKILL to any still running after
    STOP_TIMEOUT seconds."""
    for serve in serves:
        if serve.proc.poll() is None:
            serve.proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for serve in serves:
        try:
            serve.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"serve on {serve.node} (pid {serve.proc.pid}) did not stop within "
                  f"{STOP_TIMEOUT} s: killed", file=sys.stderr)
            serve.proc.kill()
            serve.proc.wait(timeout=STOP_TIMEOUT)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n")[-1])
    parser.add_argument("--folder", metavar="DIR",
                        help="a new or empty folder for the database, the certificate and the "
                        "logs, kept afterwards (default: a temporary one, removed at the end)")
    parser.add_argument("--ports", type=ports_option, default=[8001, 8002, 8003],
                        metavar="P1,P2,P3",
                        help="the three serve processes' ports on 127.0.0.1 "
                        "(default 8001,8002,8003)")
    parser.add_argument("--https-port", type=int, metavar="PORT",
                        help="nginx's HTTPS port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--game", default="auction", metavar="G",
                        help="the first process's session's game (default auction)")
    parser.add_argument("--participants", type=int, default=3, metavar="N",
                        help="its participants (default 3)")
    parser.add_argument("--livectl", default=os.environ.get("LIVECTL"), metavar="PATH",
                        help="the livectl binary (default $LIVECTL, else build/livectl)")
    args = parser.parse_args()
    livectl = os.path.abspath(args.livectl or os.path.join(ROOT, "build", "livectl"))
    if not os.access(livectl, os.X_OK):
        parser.error(f"no livectl at {livectl} (scripts/bootstrap.sh builds it)")
    busy = [port for port in args.ports + [args.https_port]
            if port is not None and not port_is_free(port)]
    if busy:
        parser.error(f"127.0.0.1:{busy[0]} is taken (--ports, --https-port choose others)")
    if args.https_port in args.ports:
        parser.error(f"--https-port {args.https_port} is one of --ports")
    keep = args.folder is not None
    if keep:
        folder = os.path.abspath(args.folder)
        os.makedirs(folder, exist_ok=True)
        if os.listdir(folder):
            parser.error(f"{folder} is not empty")
    else:
        folder = tempfile.mkdtemp(prefix="livectl-cluster-")
    sys.stdout.reconfigure(line_buffering=True)  # reports show up in a log file too

    # SIGHUP too: the serves and nginx are in process groups of their own,
    # which a closed terminal does not reach.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    cluster = PostgresCluster(os.path.join(folder, "pg"))
    serves = []
    nginx = None
    status = 0
    try:
        # As root the cluster belongs to the postgres user, who must reach it.
        os.chmod(folder, 0o755)
        cluster.start()
        db = cluster.create_database("livectl")
        password = os.environ.get("LIVECTL_ADMIN_PASSWORD") or secrets.token_hex(8)
        env = {**os.environ, "LIVECTL_ADMIN_PASSWORD": password}
        for i, port in enumerate(args.ports):
            # The first makes the session; the others find it and join.
            first = ["--game", args.game, "--participants", str(args.participants)]
            serves.append(Serve(livectl, db, port, first if i == 0 else [],
                                os.path.join(folder, f"serve-{port}.log"), env))
            printed = serves[-1].wait_until_serving()
            if i == 0:
                codes = re.findall(r"^  participant \d+: http://\S+/p/(\w+)$", printed, re.M)
                session = re.search(r"^session (\w+):", printed, re.M).group(1)

        nginx_folder = os.path.join(folder, "nginx")
        os.makedirs(nginx_folder)
        cert, key = self_signed_certificate(nginx_folder)
        access_log = os.path.join(nginx_folder, "livectl.log")
        https_port = args.https_port or free_port()
        http_port = https_port  # the redirect to HTTPS, of no use on another port than 80
        while http_port == https_port or http_port in args.ports:
            http_port = free_port()
        site = deploying_site(http_port, https_port, [s.node for s in serves], cert, key,
                              access_log)
        nginx = Nginx(site, nginx_folder)  # assigned first: stopped even if start() is cut short
        nginx.start()

        base = f"https://127.0.0.1:{https_port}"
        shown = "from LIVECTL_ADMIN_PASSWORD" if os.environ.get("LIVECTL_ADMIN_PASSWORD") \
            else password
        print("\n".join([
            f"PostgreSQL  {db}  (log {cluster.folder}/log)",
            *(f"serve       {s.node}  pid {s.proc.pid}  (log {s.log})" for s in serves),
            f"nginx       {base}  (logs {access_log}, {nginx.error_log_path})",
            "",
            "Participant links through nginx (a browser warns once about the self-signed "
            "certificate):",
            *(f"  {base}/p/{code}" for code in codes),
            f"Admin: {base}/admin (any user name, password {shown}); nginx sends it to any",
            "  process: each lists every session and the process that runs it, and links",
            f"  those it runs itself (http://{serves[0].node}/admin runs the first session).",
            "",
            f"Session {session} runs in the process on {serves[0].node}. For a failover: "
            f"kill -9 {serves[0].proc.pid}",
            "  Another process takes the session over within about a second (a line here says",
            "  which), and the pages reconnect to it through nginx.",
            f"Everything is kept in {folder}." if keep else
            f"Everything is in {folder}, removed at the end.",
            "Ctrl-C stops everything.",
        ]))
        watch(serves, nginx)
    except Stopping:
        pass
    except (RuntimeError, ValueError, OSError) as e:
        print(f"cluster.py: {e}", file=sys.stderr)
        status = 1
    finally:
        # Not interrupted again halfway: every step below has a time limit.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        print("stopping nginx, the serve processes and PostgreSQL", file=sys.stderr)
        if nginx is not None:
            nginx.stop()
        stop_serves(serves)
        cluster.stop()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        print("stopped" + (f"; {folder} is kept" if keep else ""), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
