#!/usr/bin/env python3
# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark of the automation_flow engine on N contacts.

How to use::

    python3 bench/run.py --sizes 1000,10000,100000 [--db-port 5432] [--json out.json]

For each size it creates a throwaway database (copied from one template
database where the module is installed once), N contacts with unique emails
and N contacts where every email appears twice, and a periodic flow: three
root steps (email, activity, server action) and an "email opened" child
running a server action. Then it runs the phases below, each in a fresh
Python process so that the peak RSS of a phase is the ``ru_maxrss`` of its
process (Odoo's registry included, which is what a cron worker holds):

1. ``enroll``: the enrollment cron on all N contacts;
2. ``enroll_again``: the same with nothing new;
3. ``enroll_unique``: a flow with the email as uniqueness key over the N
   contacts whose emails repeat (N/2 enroll);
4. ``execute``: the due-task scheduler on the 3 N root tasks (mails rendered
   and queued, activities created, actions run);
5. ``open_http``: N open events through the open route of a running Odoo
   server, from a client on 127.0.0.1 (bounded by ``--open-limit`` and
   ``--open-time-limit``); queries and server time per event come from the
   server's request log, with the server time of Odoo's minimal public route
   (``/web/health``) requested as many times (up to 2,000), the two
   alternating in rounds (``--open-rounds``) so that both meet the same load;
6. ``execute_opened``: the scheduler on the tasks woken by the opens;
7. ``lanes``: the scheduler as production runs it, on Odoo servers with
   cron threads: one server and one lane on a flow of the N contacts, then
   two servers (one cron thread each) and two lanes
   (``automation_flow.scheduler_lanes``) on another; reports the speed-up,
   the tasks each server ran in each lane (their logs), the CPU time per
   task (the servers', and the machine's with PostgreSQL) and checks that
   no task ran twice;
8. ``decisions``: a flow of control steps only on the same N contacts (a
   condition, a random split in two, a wait-until in each branch that none
   matches yet) with a goal: the scheduler on its 3 N tasks, then the
   queries of a write of a field nothing of the flow watches on a contact
   waiting there, against the same write on a contact in no flow (the
   difference should be 0);
9. ``end_to_end``: a flow of email, activity and action on the N contacts,
   enrolled and executed as the cron does (each batch's mails sent once the
   batch is committed), to an SMTP sink on 127.0.0.1 (in this process) that
   counts what it receives;
10. ``floor``: Odoo's primitives alone on the same N contacts and sink: the
   template rendered per batch, each message built (``build_email``, with
   the HTML and plain text parts of every mail Odoo sends) and sent over one
   SMTP connection, no engine and no ``mail.mail``. The run
   reports the end to end cost per record over the floor's;
11. ``crash``: the flow of phase 9 on a real Odoo server with a cron
   thread, sending to the sink, killed with SIGKILL ``--crash-kills`` times
   (3) at a random moment while mails arrive, and started again each time;
   the sink keeps the Message-Id of every message: every mail must arrive,
   and the duplicates (mails sent again after a kill) are counted against
   the bound (a chunk, ``automation_flow.mail_chunk_size``, per kill);
12. ``open_inprocess``: the open route and ``/web/health`` through Odoo's
   WSGI application in the phase's own process (werkzeug's test client),
   one of each in turn, for up to ``--open-limit`` (N) emails not opened
   yet: the median Odoo CPU time of each and their ratio, without the
   network, the clients or the contention of a threaded server that phase
   5's server times include (run phase 4 first).

Each phase reports wall seconds, SQL queries (``odoo.sql_db.sql_counter``),
commits (``Cursor.commit`` calls) and peak RSS. The script prints a table and
writes JSON. Only phases 9 to 11 send mails, to the sink: elsewhere mails
are only queued, and the servers get an unreachable SMTP server.

How it works: this file only orchestrates (PostgreSQL connection, databases,
subprocesses, the HTTP client). ``bench/phases.py`` runs inside Odoo, one
phase per process (``run.py --child <phase>``).
"""

import argparse
import concurrent.futures
import cProfile
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

BENCH_DIR = Path(__file__).resolve().parent
MODULE_DIR = BENCH_DIR.parent
MODULE = "automation_flow"
# The request log line of Odoo ends with: query count, query time, other time.
# The scheduler's line at the end of a cron run (models/automation_flow_task.py).
LANE_LOG = re.compile(r"Scheduler cron (\d+) ran (\d+) tasks")
MESSAGE_ID = re.compile(rb"^Message-Id: *(\S+)", re.IGNORECASE | re.MULTILINE)
# Odoo's minimal public route (auth="none"), phase 5's yardstick.
HEALTH_ROUTE = "/web/health"
REQUEST_LOG = re.compile(r'"GET (\S+) HTTP/[\d.]+" (\d+) \S+ (\d+) ([\d.]+) ([\d.]+)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--db-password", default=os.environ.get("PGPASSWORD"))
    parser.add_argument(
        "--addons-path",
        default=os.environ.get("ODOO_ADDONS_PATH"),
        help="Odoo's addons (default: those of the importable odoo package; "
        "the module itself is added)",
    )
    parser.add_argument(
        "--http-port", type=int, default=0, help="for phase 5 (default: a free port)"
    )
    parser.add_argument("--open-limit", type=int, default=0, help="0: N events")
    parser.add_argument("--open-time-limit", type=float, default=300)
    parser.add_argument("--open-clients", type=int, default=4)
    parser.add_argument(
        "--open-rounds",
        type=int,
        default=8,
        help="phase 5: the opens and the /web/health requests alternate in "
        "this many rounds, so that a change of the machine's load meets both",
    )
    parser.add_argument(
        "--lanes-time-limit",
        type=float,
        default=1800,
        help="phase 7: seconds after which a lane configuration is stopped",
    )
    parser.add_argument(
        "--pad-tasks-to",
        type=int,
        default=1_000_000,
        help="before phase 5 at the largest size, grow the task table to this "
        "many rows (done tasks) to show that events do not depend on it",
    )
    parser.add_argument("--crash-kills", type=int, default=3, help="phase 11")
    parser.add_argument(
        "--crash-time-limit",
        type=float,
        default=900,
        help="phase 11: seconds after which the server is stopped",
    )
    parser.add_argument("--phases", default="1,2,3,4,5,6,7,8,9,10,11,12")
    parser.add_argument(
        "--send-window",
        action="store_true",
        help="give the flows a send window that is always open (every day, "
        "00:00-24:00) and the contacts four time zones: the window checks run, "
        "nothing is held; compare phase 4 with a run without it",
    )
    parser.add_argument(
        "--contact-caps",
        action="store_true",
        help="give the company contact caps that hold nothing back (100 emails "
        "a day, 1,000 a week): the batch's cap counts are read, nothing is "
        "deferred; with --send-window, compare phase 4 with a run without both",
    )
    parser.add_argument(
        "--transactional",
        action="store_true",
        help="mark the flows transactional: no consent check, no unsubscribe "
        "link, no caps (the engine's floor for phase 4)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--markdown", help="also write them as a Markdown table")
    parser.add_argument("--data-dir", help="Odoo data dir (default: a temp dir)")
    parser.add_argument(
        "--profile",
        help="write a cProfile of each phase's process to this directory "
        "(<N>-<phase>.prof; read it with pstats or snakeviz); the times "
        "measured then include the profiler's overhead",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-db", help=argparse.SUPPRESS)
    parser.add_argument("--child-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("--child-lanes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-smtp-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",") if size]
    args.phases = {int(phase) for phase in args.phases.split(",") if phase}
    return args


# Odoo's command line, from the odoo package python3 imports.
ODOO = [sys.executable, "-m", "odoo"]


def odoo_addons_path():
    """Odoo's own addons folders: ``odoo/addons`` and, in a source tree,
    the ``addons`` folder beside the package."""
    located = subprocess.run(
        [sys.executable, "-c", "import odoo; print(odoo.__path__[0])"],
        check=True,
        capture_output=True,
        text=True,
    )
    package = Path(located.stdout.strip())
    folders = [package.parent / "addons", package / "addons"]
    return ",".join(str(folder) for folder in folders if folder.is_dir())


class Bench:
    def __init__(self, args):
        self.args = args
        if args.db_password:
            # The phases' processes read it from their environment.
            os.environ["PGPASSWORD"] = args.db_password
        self.tmp = Path(tempfile.mkdtemp(prefix="afbench-"))
        self.data_dir = Path(args.data_dir) if args.data_dir else self.tmp / "data"
        addons = self.tmp / "addons"
        addons.mkdir()
        # The module's folder may be named after a worktree: Odoo needs the
        # module name, so point a link named after it at the folder.
        (addons / MODULE).symlink_to(MODULE_DIR)
        self.addons_path = f"{args.addons_path or odoo_addons_path()},{addons}"
        self.template = f"afbench_template_{os.getpid()}"
        self.databases = []

    # ------------------------------------------------------------------
    # Odoo command lines
    # ------------------------------------------------------------------

    def db_options(self):
        args = self.args
        options = [
            f"--db_host={args.db_host}",
            f"--db_port={args.db_port}",
            f"--db_user={args.db_user}",
        ]
        if args.db_password:
            options.append(f"--db_password={args.db_password}")
        return options

    def odoo_options(self):
        return self.db_options() + [
            f"--addons-path={self.addons_path}",
            f"--data-dir={self.data_dir}",
            "--without-demo=all",
            "--max-cron-threads=0",
            # Nothing may leave the machine: no SMTP server listens there.
            "--smtp=127.0.0.1",
            "--smtp-port=9",
        ]

    def psql(self, sql, db="postgres"):
        args = self.args
        env = dict(os.environ)
        if args.db_password:
            env["PGPASSWORD"] = args.db_password
        command = ["psql", "-h", args.db_host, "-p", str(args.db_port)]
        command += ["-U", args.db_user, "-d", db, "-v", "ON_ERROR_STOP=1", "-qAtc", sql]
        return subprocess.run(
            command, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    def child(self, phase, db, size, lanes=None, smtp_port=None):
        out = self.tmp / f"{db}-{phase}-{time.monotonic_ns()}.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", phase]
        command += [f"--child-db={db}", f"--child-size={size}", f"--child-out={out}"]
        command += [f"--db-host={self.args.db_host}", f"--db-port={self.args.db_port}"]
        command += [f"--db-user={self.args.db_user}"]
        command += [f"--sizes={','.join(map(str, self.args.sizes))}"]
        command += [f"--pad-tasks-to={self.args.pad_tasks_to}"]
        command += [f"--open-limit={self.args.open_limit}"]
        command += [f"--addons-path={self.addons_path}", f"--data-dir={self.data_dir}"]
        if lanes:
            command.append(f"--child-lanes={lanes}")
        if self.args.send_window:
            command.append("--send-window")
        if self.args.contact_caps:
            command.append("--contact-caps")
        if self.args.transactional:
            command.append("--transactional")
        if smtp_port:
            command.append(f"--child-smtp-port={smtp_port}")
        if self.args.profile:
            command.append(f"--profile={Path(self.args.profile).resolve()}")
        log_path = self.tmp / f"{db}-{phase}-{time.monotonic_ns()}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        return self.wait_child(process, out, log_path)

    def wait_child(self, process, out, log_path):
        if process.wait():
            tail = "".join(log_path.read_text().splitlines(True)[-30:])
            raise RuntimeError(f"{process.args[3]} failed:\n{tail}")
        return json.loads(out.read_text())

    # ------------------------------------------------------------------
    # Databases
    # ------------------------------------------------------------------

    def create_template(self):
        print(f"Installing {MODULE} in {self.template} …", flush=True)
        self.databases.append(self.template)
        subprocess.run(
            [*ODOO, *self.odoo_options(), "-d", self.template]
            + ["-i", MODULE, "--stop-after-init", "--log-level=warn", "--no-http"],
            check=True,
        )

    def create_database(self, size):
        db = f"afbench_{size}_{os.getpid()}"
        self.psql(f'DROP DATABASE IF EXISTS "{db}"')
        self.psql(f'CREATE DATABASE "{db}" TEMPLATE "{self.template}"')
        self.databases.append(db)
        # A copied database has its template's attachments in the filestore.
        filestore = self.data_dir / "filestore"
        if (filestore / self.template).exists():
            shutil.copytree(filestore / self.template, filestore / db)
        return db

    def drop_databases(self):
        for db in reversed(self.databases):
            self.psql(f'DROP DATABASE IF EXISTS "{db}"')
            shutil.rmtree(self.data_dir / "filestore" / db, ignore_errors=True)

    # ------------------------------------------------------------------
    # Phases
    # ------------------------------------------------------------------

    def run(self):
        results = {"machine": machine(), "sizes": {}}
        try:
            self.create_template()
            for size in self.args.sizes:
                results["sizes"][size] = self.run_size(size)
                print_table(results, file=sys.stdout)
        finally:
            if not self.args.keep:
                self.drop_databases()
                shutil.rmtree(self.tmp, ignore_errors=True)
        return results

    def run_size(self, size):
        phases = self.args.phases
        db = self.create_database(size)
        print(f"\n== N = {size} (database {db})\n{HEADER}", flush=True)
        results = {}
        self.child("setup", db, size)

        def measure(number, name, phase=None):
            if number not in phases:
                return None
            result = self.child(phase or name, db, size)
            results[name] = result
            print(format_phase(size, name, result), flush=True)
            return result

        measure(1, "enroll")
        measure(2, "enroll_again")
        measure(3, "enroll_unique")
        measure(4, "execute")
        if 5 in phases:
            results["open_http"] = self.open_http(db, size)
            print(format_phase(size, "open_http", results["open_http"]), flush=True)
            if "skipped" not in results["open_http"]:
                measure(6, "execute_opened")
            elif 6 in phases:
                results["execute_opened"] = {"skipped": results["open_http"]["skipped"]}
        measure(12, "open_inprocess")
        if 7 in phases:
            results["lanes"] = self.lanes(db, size, results)
            print(format_phase(size, "lanes", results["lanes"]), flush=True)
        measure(8, "decisions")
        for number, name in ((9, "end_to_end"), (10, "floor")):
            if number in phases:
                results[name] = self.delivered(name, db, size)
                print(format_phase(size, name, results[name]), flush=True)
        if "end_to_end" in results and "floor" in results:
            end_to_end, floor = results["end_to_end"], results["floor"]
            per_record = end_to_end["seconds"] / end_to_end["records"]
            end_to_end["floor_ratio"] = per_record / (
                floor["seconds"] / floor["records"]
            )
            # The phases' own CPU time moves less than their wall time with
            # the load of the machine (PostgreSQL's is not in it).
            end_to_end["floor_cpu_ratio"] = (
                end_to_end["cpu_seconds"] / end_to_end["records"]
            ) / (floor["cpu_seconds"] / floor["records"])
            print(
                f"end to end / floor: {end_to_end['floor_ratio']:.2f}x "
                f"(CPU of Odoo's process: {end_to_end['floor_cpu_ratio']:.2f}x)",
                flush=True,
            )
        if 11 in phases:
            results["crash"] = self.crash(db, size)
            print(format_phase(size, "crash", results["crash"]), flush=True)
        return results

    def delivered(self, phase, db, size):
        """Phases 9 and 10: a child that sends mails to an SMTP sink on
        127.0.0.1; the sink's count of messages received is checked."""
        sink = SmtpSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            result = self.child(phase, db, size, smtp_port=controller.port)
        finally:
            controller.stop()
        result["received"] = sink.received
        return result

    def crash(self, db, size):
        """Phase 11: kill -9 the server while it sends, start it again."""
        sink = SmtpSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        server = None
        try:
            prepared = self.child("prepare_crash", db, size, smtp_port=controller.port)
            mails, kills = prepared["mails"], []
            started = time.monotonic()
            deadline = started + self.args.crash_time_limit
            while len(sink.message_ids) < mails and time.monotonic() < deadline:
                server = self.start_server(db, f"crash{len(kills)}", cron_threads=1)
                # Killed at a random moment of the sending: once a random
                # number of mails (up to three chunks) arrived.
                kill_at = sink.received + random.randint(1, 3 * prepared["chunk_size"])
                made_due = 0
                while len(sink.message_ids) < mails and time.monotonic() < deadline:
                    if time.monotonic() - made_due > 2:
                        # Due now: the first run, and the run that sends what
                        # a killed run left (the cron's interval is 5 minutes).
                        self.run_crons_now(db, prepared["crons"])
                        made_due = time.monotonic()
                    time.sleep(0.2)
                    if len(kills) < self.args.crash_kills and sink.received >= kill_at:
                        server[0].kill()
                        server[0].wait()
                        server = None
                        kills.append(sink.received)
                        break
            wall = time.monotonic() - started
        finally:
            if server:
                stop_server(server[0])
            controller.stop()
        duplicates = sink.received - len(sink.message_ids)
        return {
            "records": size,
            "seconds": wall,
            "queries": None,  # the server's, not counted
            "commits": None,
            "rss_mb": None,
            "mails": mails,
            "received": len(sink.message_ids),
            "kills": len(kills),
            "received_at_kills": kills,
            "sent_twice": duplicates,
            "sent_twice_bound": len(kills) * prepared["chunk_size"],
        }

    def run_crons_now(self, db, crons):
        """Make these crons due now; a cron running now holds its row and is
        left alone (instead of waiting for its run to end)."""
        self.psql(
            "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' "
            "WHERE id IN (SELECT id FROM ir_cron "
            f"WHERE id IN ({','.join(map(str, crons))}) FOR UPDATE SKIP LOCKED)",
            db=db,
        )
        self.psql(f"SELECT pg_notify('cron_trigger', '{db}')")

    def open_http(self, db, size):
        """Phase 5: the open pixel of N emails, through a running server."""
        prepared = self.child("prepare_opens", db, size)
        if prepared.get("skipped"):
            return prepared
        urls = prepared["urls"]
        limit = self.args.open_limit or size
        urls = urls[:limit]
        server, port, log_path = self.start_server(db, "http", port=self.args.http_port)
        rounds = max(1, min(self.args.open_rounds, len(urls)))
        deadline = time.monotonic() + self.args.open_time_limit
        statuses, wall, open_cpu, health_count, health_cpu = [], 0.0, 0.0, 0, 0.0
        try:
            offset = log_path.stat().st_size
            for part in range(rounds):
                opens = urls[
                    part * len(urls) // rounds : (part + 1) * len(urls) // rounds
                ]
                started = time.monotonic()
                cpu_started = process_cpu(server.pid)
                done = send_requests(
                    port, opens, self.args.open_clients, deadline - started
                )
                wall += time.monotonic() - started
                open_cpu += process_cpu(server.pid) - cpu_started
                statuses += done
                # The yardstick: Odoo's own minimal public route, as many
                # times (at most 2,000 in all), by the same clients of the
                # same server, right after these opens.
                cpu_started = process_cpu(server.pid)
                health_count += len(
                    send_requests(
                        port,
                        [HEALTH_ROUTE] * min(len(done), 2000 // rounds),
                        self.args.open_clients,
                        self.args.open_time_limit,
                    )
                )
                health_cpu += process_cpu(server.pid) - cpu_started
                if time.monotonic() > deadline:
                    break
        finally:
            stop_server(server)
        queries, server_ms, health_ms = [], [], []
        with open(log_path) as log:
            log.seek(offset)
            for line in log:
                match = REQUEST_LOG.search(line)
                if not match:
                    continue
                request_ms = 1000 * (float(match.group(4)) + float(match.group(5)))
                if match.group(1).startswith("/automation_flow/"):
                    queries.append(int(match.group(3)))
                    server_ms.append(request_ms)
                elif match.group(1) == HEALTH_ROUTE:
                    health_ms.append(request_ms)
        events = len(statuses)
        return {
            "records": events,
            "seconds": wall,
            "queries": sum(queries),
            "commits": None,  # the server's, not counted
            "rss_mb": None,
            "queries_per_event_max": max(queries, default=0),
            # Time the server spent on an event (SQL + Python), not the
            # client's: the client runs on the same two cores.
            "server_ms_median": statistics.median(server_ms) if server_ms else None,
            "health_ms_median": statistics.median(health_ms) if health_ms else None,
            # CPU of the Odoo server per request (all its threads; PostgreSQL's
            # not included): less blurred by the machine's load than times.
            "server_cpu_ms": 1000 * open_cpu / max(events, 1),
            "health_cpu_ms": 1000 * health_cpu / max(health_count, 1),
            "http_errors": sum(1 for status in statuses if status != 200),
            "task_rows": prepared["task_rows"],
            "bounded": events < size,
        }

    def start_server(self, db, name, cron_threads=0, port=None):
        """An Odoo server on ``db`` (threaded, as ``odoo-bin`` runs it);
        return ``(process, port, log path)`` once it answers."""
        port = port or free_port()
        log_path = self.tmp / f"{db}-{name}.log"
        server = subprocess.Popen(
            [*ODOO, *self.odoo_options(), "-d", db, f"--db-filter=^{db}$"]
            + [f"--http-port={port}", "--http-interface=127.0.0.1", "--workers=0"]
            + [f"--max-cron-threads={cron_threads}"]
            + [f"--logfile={log_path}", "--log-level=info"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_http(port)
        except RuntimeError:
            stop_server(server)
            raise
        return server, port, log_path

    def lanes(self, db, size, results):
        """Phase 7: the scheduler on real Odoo servers with cron threads: one
        server and one lane, then two servers (one cron thread each) and two
        lanes, each on its own flow of the N contacts."""
        runs = {lanes: self.run_lanes(db, size, lanes) for lanes in (1, 2)}
        one, two = runs[1], runs[2]
        return {
            **two,
            "one_lane_seconds": one["seconds"],
            "one_lane_tasks_per_s": one["tasks"] / one["seconds"],
            "one_lane_cpu_ms_per_task": one["cpu_ms_per_task"],
            "one_lane_server_cpu_ms_per_task": one["server_cpu_ms_per_task"],
            "speedup": one["seconds"] / two["seconds"],
        }

    def run_lanes(self, db, size, lanes):
        prepared = self.child("prepare_lanes", db, size, lanes=lanes)
        servers = [
            self.start_server(db, f"lanes{lanes}-server{number}", cron_threads=1)
            for number in range(1, lanes + 1)
        ]
        try:
            server_cpu = [process_cpu(server.pid) for server, _port, _log in servers]
            machine_busy = machine_cpu()
            started = time.monotonic()
            # The lanes fall due now; the cron threads listen for this.
            self.run_crons_now(db, prepared["crons"])
            pending = f"""SELECT count(*) FROM automation_flow_task
                          WHERE flow_id = {prepared["flow"]}
                            AND state IN ('scheduled', 'waiting')
                            AND step_id IN (SELECT id FROM automation_flow_step
                                            WHERE parent_id IS NULL)"""
            deadline = started + self.args.lanes_time_limit
            while int(self.psql(pending, db=db)) and time.monotonic() < deadline:
                time.sleep(0.5)
            wall = time.monotonic() - started
            server_seconds = sum(
                process_cpu(server.pid) - before
                for (server, _port, _log), before in zip(
                    servers, server_cpu, strict=True
                )
            )
            busy_seconds = machine_cpu() - machine_busy
        finally:
            for server, _port, _log in servers:
                stop_server(server)
        check = self.child("check_lanes", db, size, lanes=lanes)
        tasks = sum(check["root_tasks"].values())
        per_server = []
        for _server, _port, log_path in servers:
            counts = {}
            for match in LANE_LOG.finditer(log_path.read_text()):
                cron = int(match.group(1))
                counts[cron] = counts.get(cron, 0) + int(match.group(2))
            per_server.append(counts)
        return {
            "records": size,
            "seconds": wall,
            "queries": None,  # the servers', not counted
            "commits": None,
            "rss_mb": None,
            "tasks": tasks,
            "tasks_per_server_and_lane": per_server,
            "server_cpu_ms_per_task": 1000 * server_seconds / max(tasks, 1),
            # Odoo and PostgreSQL: the whole machine's busy time.
            "cpu_ms_per_task": 1000 * busy_seconds / max(tasks, 1),
            **check,
        }


class SmtpSink:
    """An SMTP server that counts the messages it receives, and keeps the
    distinct Message-Ids among them."""

    def __init__(self):
        self.received = 0
        self.message_ids = set()

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        headers = envelope.content.split(b"\r\n\r\n", 1)[0]
        if match := MESSAGE_ID.search(headers):
            self.message_ids.add(match.group(1))
        return "250 OK"


def stop_server(server):
    server.send_signal(signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()


def process_cpu(pid):
    """CPU seconds (user and system, all threads) of process ``pid``."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu():
    """CPU seconds the machine's cores spent busy since boot."""
    with open("/proc/stat") as stat:
        times = [int(value) for value in stat.readline().split()[1:]]
    idle = times[3] + times[4]  # idle and I/O wait
    return (sum(times[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------
# HTTP client
# ----------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(port, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/web/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the Odoo server did not answer on port {port}")


def send_requests(port, urls, clients, time_limit):
    """GET every URL from ``clients`` keep-alive connections; stop at the
    time limit. Return the statuses of the requests made."""
    deadline = time.monotonic() + time_limit

    def client(part):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        statuses = []
        for url in part:
            if time.monotonic() > deadline:
                break
            connection.request("GET", url)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        return statuses

    parts = [urls[index::clients] for index in range(clients)]
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return [status for part in pool.map(client, parts) for status in part]


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def machine():
    model = "unknown"
    for line in subprocess.run(
        ["lscpu"], capture_output=True, text=True
    ).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    memory = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_mb": memory,
        "python": sys.version.split()[0],
    }


COLUMNS = "{:>7} {:<18} {:>8} {:>8} {:>8} {:>7} {:>7} {:>6}  {}"
HEADER = COLUMNS.format(
    "N", "phase", "records", "seconds", "rec/s", "q/rec", "commits", "RSS MB", "notes"
)


def unrelated_write_note(result):
    counts = result["unrelated_write_queries"]
    return (
        f"unrelated write: {counts['waiting_with_goal']} queries on a waiting "
        f"contact, {counts['no_flow']} on a contact in no flow "
        f"({result['unrelated_write_extra_queries']:+d} extra)"
    )


def phase_notes(result):
    """The notes column of a phase, for the text and the Markdown tables."""
    notes = []
    if "tasks" in result:
        notes.append(f"{result['tasks'] / max(result['seconds'], 1e-9):,.0f} tasks/s")
    if "enrolled" in result:
        notes.append(f"{result['enrolled']:,} enrolled")
    if "speedup" in result:
        notes.append(f"speed-up {result['speedup']:.2f}x")
    if "duplicates" in result:
        notes.append(f"{result['duplicates']} duplicates")
    if "unrelated_write_queries" in result:
        notes.append(unrelated_write_note(result))
    if "tasks_per_server_and_lane" in result:
        notes.append(
            f"tasks per server and lane {result['tasks_per_server_and_lane']}, "
            f"{result['cpu_ms_per_task']:.1f} ms CPU/task "
            f"({result['server_cpu_ms_per_task']:.1f} in Odoo); one lane: "
            f"{result['one_lane_tasks_per_s']:,.0f} tasks/s, "
            f"{result['one_lane_cpu_ms_per_task']:.1f} ms CPU/task "
            f"({result['one_lane_server_cpu_ms_per_task']:.1f} in Odoo)"
        )
    if "received" in result:
        notes.append(f"{result['received']:,} of {result['mails']:,} mails received")
    if "sent_twice" in result:
        notes.append(
            f"{result['kills']} kills, {result['sent_twice']} sent twice "
            f"(bound {result['sent_twice_bound']})"
        )
    if "floor_ratio" in result:
        notes.append(
            f"{result['floor_ratio']:.2f}x the floor "
            f"({result['floor_cpu_ratio']:.2f}x in CPU)"
        )
    if "queries_per_event_max" in result:
        notes.append(
            f"max {result['queries_per_event_max']} queries/event, "
            f"median {result['server_ms_median'] or 0:.1f} ms in the server "
            f"({result.get('health_ms_median') or 0:.1f} ms for {HEALTH_ROUTE}), "
            f"{result.get('server_cpu_ms') or 0:.1f} ms of Odoo CPU "
            f"({result.get('health_cpu_ms') or 0:.1f} ms for {HEALTH_ROUTE}), "
            f"{result['task_rows']:,} task rows, {result['http_errors']} errors"
        )
    if "cpu_ratio" in result:
        notes.append(
            f"{result['opened']:,} opened, median {result['open_cpu_ms']:.2f} ms "
            f"of Odoo CPU per open against {result['health_cpu_ms']:.2f} ms "
            f"for {HEALTH_ROUTE}: {result['cpu_ratio']:.2f}x, "
            f"{result['http_errors']} errors"
        )
    return ", ".join(notes)


def format_phase(size, name, result):
    if "skipped" in result:
        return COLUMNS.format(size, name, "", "", "", "", "", "", result["skipped"])
    records = result["records"] or 1
    return COLUMNS.format(
        size,
        name,
        result["records"],
        f"{result['seconds']:.2f}",
        f"{result['records'] / max(result['seconds'], 1e-9):.0f}",
        "-" if result["queries"] is None else f"{result['queries'] / records:.3f}",
        "-" if result["commits"] is None else result["commits"],
        f"{result['rss_mb']:.0f}" if result.get("rss_mb") else "-",
        phase_notes(result),
    )


PHASES = (
    "enroll",
    "enroll_again",
    "enroll_unique",
    "execute",
    "open_http",
    "execute_opened",
    "open_inprocess",
    "lanes",
    "decisions",
    "end_to_end",
    "floor",
    "crash",
)


def print_table(results, file):
    print("\n" + HEADER, file=file)
    for size, phases in results["sizes"].items():
        for name in PHASES:
            if name in phases:
                print(format_phase(size, name, phases[name]), file=file)


def markdown_table(results):
    """The results as the Markdown table of readme/DEVELOP.md (Benchmark)."""
    lines = [
        "| N | phase | records | seconds | records/s | queries/record | commits "
        "| peak RSS (MB) | notes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for size, phases in results["sizes"].items():
        for name in PHASES:
            result = phases.get(name)
            if not result:
                continue
            if "skipped" in result:
                lines.append(f"| {size:,} | {name} |||||||| {result['skipped']} |")
                continue
            records = result["records"] or 1
            seconds = max(result["seconds"], 1e-9)
            queries = result["queries"]
            rss = f"{result['rss_mb']:.0f}" if result.get("rss_mb") else "-"
            lines.append(
                f"| {size:,} | {name} | {result['records']:,} | {seconds:.2f} "
                f"| {result['records'] / seconds:,.0f} "
                f"| {'-' if queries is None else f'{queries / records:.3f}'} "
                f"| {'-' if result['commits'] is None else result['commits']} "
                f"| {rss} | {phase_notes(result)} |"
            )
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    if args.child:
        sys.path.insert(0, str(BENCH_DIR))
        import phases  # noqa: PLC0415 (imports Odoo: only in the child)

        if not args.profile:
            phases.child_main(args)
            return
        profile_dir = Path(args.profile)
        profile_dir.mkdir(parents=True, exist_ok=True)
        cProfile.runctx(
            "phases.child_main(args)",
            globals(),
            {"phases": phases, "args": args},
            str(profile_dir / f"{args.child_size}-{args.child}.prof"),
        )
        return
    results = Bench(args).run()
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    if args.markdown:
        Path(args.markdown).write_text(markdown_table(results))


if __name__ == "__main__":
    main()
