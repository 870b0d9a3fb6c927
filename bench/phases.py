# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The benchmark's phases, run inside Odoo: one phase per process.

``run.py`` starts ``run.py --child <phase>``; :func:`child_main` loads the
registry of the database, runs the phase with a superuser environment (as
the cron does) on real cursors that commit, and writes the measures as JSON:
wall seconds, SQL queries (``odoo.sql_db.sql_counter``), commits (calls of
``Cursor.commit``) and the process's peak RSS (``ru_maxrss``: one process per
phase, so it is the phase's peak, Odoo's registry included).
"""

import contextlib
import json
import resource
import statistics
import time
from pathlib import Path

import werkzeug.test

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, config
from odoo.tools.mail import generate_tracking_message_id, html2plaintext

PLAIN_DOMAIN = "%@bench.example"
DUPLICATE_DOMAIN = "%@dup.example"
FLOW_PLAIN = "Bench: all contacts"
FLOW_UNIQUE = "Bench: one per email"
# Phase 7: the flow each lane configuration runs, by number of lanes.
LANE_FLOWS = {1: "Bench: one lane", 2: "Bench: two lanes"}
FLOW_DECISIONS = "Bench: decisions"
FLOW_END_TO_END = "Bench: end to end"
FLOW_CRASH = "Bench: killed while sending"
# Neither the wait-until, the goal nor a date anchor of the bench reads it.
UNWATCHED_FIELD = "city"
# The action of the root step counts its runs per contact in `color` with
# SQL, so that a task run twice shows as a count above the tasks done.
ACTION_CODE = """\
records.write({"function": "Contacted by the flow"})
env.cr.execute(
    "UPDATE res_partner SET color = color + 1 WHERE id = ANY(%s)", [records.ids]
)
"""
OPENED_ACTION_CODE = 'records.write({"ref": "opened"})'
OPEN_ROUTE = "/automation_flow/open/"

COMMITS = [0]


def child_main(args):
    options = [
        f"--db_host={args.db_host}",
        f"--db_port={args.db_port}",
        f"--db_user={args.db_user}",
        f"--addons-path={args.addons_path}",
        f"--data-dir={args.data_dir}",
        "--log-level=warn",
        "--max-cron-threads=0",
    ]
    if args.db_password:
        options.append(f"--db_password={args.db_password}")
    config.parse_config(options, setup_logging=True)
    commit = odoo.sql_db.Cursor.commit

    def counted_commit(cursor):
        COMMITS[0] += 1
        return commit(cursor)

    odoo.sql_db.Cursor.commit = counted_commit
    registry = odoo.modules.registry.Registry(args.child_db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        result = globals()[f"phase_{args.child}"](env, args)
    Path(args.child_out).write_text(json.dumps(result, default=str))


@contextlib.contextmanager
def measure(records=0):
    """Measure the block; ``result`` is filled when it ends."""
    result = {"records": records}
    queries, commits = odoo.sql_db.sql_counter, COMMITS[0]
    start, started = time.time(), time.monotonic()
    cpu = time.process_time()
    yield result
    result.update(
        seconds=time.monotonic() - started,
        # The phase's own CPU time (PostgreSQL's is not in it): steadier
        # than wall time on a shared machine.
        cpu_seconds=time.process_time() - cpu,
        queries=odoo.sql_db.sql_counter - queries,
        commits=COMMITS[0] - commits,
        rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        start=start,
        end=time.time(),
    )


def flow(env, name):
    return env["automation.flow"].search([("name", "=", name)], limit=1)


def scalar(env, query, *params):
    env.cr.execute(query, params)
    return env.cr.fetchone()[0]


def task_rows(env):
    return scalar(env, "SELECT count(*) FROM automation_flow_task")


def process_due_tasks(env, send_mails=False):
    """Run the scheduler as the cron does, again until nothing is due (the
    cron triggers itself when its time budget ends before the work); mails
    are only queued unless ``send_mails``."""
    Task = env["automation.flow.task"]
    budget = Task._get_param("cron_time_budget", 240)
    taken = 0
    while True:
        batch = Task._process_due_tasks(
            time_budget=budget, commit=True, send_mails=send_mails
        )
        if not batch:
            return taken
        taken += batch


# ----------------------------------------------------------------------
# Setup
# ----------------------------------------------------------------------


def phase_setup(env, args):
    """N contacts with unique emails, N whose emails appear twice, the
    template, the actions and three flows (not measured)."""
    size = args.child_size
    env.cr.execute(
        SQL(
            """INSERT INTO res_partner (
                   name, complete_name, email, active, type, is_company, lang,
                   color, create_uid, write_uid, create_date, write_date)
               SELECT 'Contact ' || g, 'Contact ' || g, email, true, 'contact',
                      false, 'en_US', 0, 1, 1, now(), now()
               FROM generate_series(1, %(size)s) g,
                    LATERAL (VALUES ('c' || g || '@bench.example'),
                                    ('d' || (g / 2) || '@dup.example')) AS e(email)""",
            size=size,
        )
    )
    env.cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id "
        "WHERE commercial_partner_id IS NULL"
    )
    env.cr.execute("ANALYZE res_partner")
    model = env["ir.model"]._get("res.partner")
    template = env["mail.template"].create(
        {
            "name": "Bench: news",
            "model_id": model.id,
            "subject": "News for {{ object.name }}",
            "email_from": '"Bench" <bench@example.com>',
            "email_to": "{{ object.email_formatted }}",
            "body_html": "<p>Dear <t t-out='object.name'/>,</p>"
            "<p>Our news, written for <t t-out='object.email'/>.</p>",
        }
    )
    Action = env["ir.actions.server"]
    action = Action.create(
        {
            "name": "Bench: contacted",
            "model_id": model.id,
            "state": "code",
            "code": ACTION_CODE,
        }
    )
    opened_action = Action.create(
        {
            "name": "Bench: opened",
            "model_id": model.id,
            "state": "code",
            "code": OPENED_ACTION_CODE,
        }
    )
    email_field = env["ir.model.fields"]._get("res.partner", "email")
    for name, pattern, periodic, unique, delay in (
        (FLOW_PLAIN, PLAIN_DOMAIN, True, False, 0),
        # Its tasks are due in a week: phase 4 runs the plain flow's only.
        (FLOW_UNIQUE, DUPLICATE_DOMAIN, False, email_field.id, 7),
        *((name, PLAIN_DOMAIN, False, False, 0) for name in LANE_FLOWS.values()),
        (FLOW_END_TO_END, PLAIN_DOMAIN, False, False, 0),
        (FLOW_CRASH, PLAIN_DOMAIN, False, False, 0),
    ):
        new_flow = env["automation.flow"].create(
            {
                "name": name,
                "model_id": model.id,
                "domain": repr([("email", "=ilike", pattern)]),
                "is_periodic": periodic,
                "unique_field_id": unique,
            }
        )
        common = {"flow_id": new_flow.id, "delay": delay, "delay_unit": "days"}
        email, _activity, _action = env["automation.flow.step"].create(
            [
                dict(
                    common, name="News", step_type="email", mail_template_id=template.id
                ),
                dict(
                    common,
                    name="Call",
                    step_type="activity",
                    activity_type_id=env.ref("mail.mail_activity_data_todo").id,
                    activity_user_id=env.ref("base.user_admin").id,
                    activity_summary="Call the contact",
                    activity_deadline_days=3,
                ),
                dict(
                    common, name="Mark", step_type="action", server_action_id=action.id
                ),
            ]
        )
        env["automation.flow.step"].create(
            {
                "flow_id": new_flow.id,
                "parent_id": email.id,
                "name": "Opened",
                "trigger": "email_opened",
                "step_type": "action",
                "server_action_id": opened_action.id,
                "delay": 0,
            }
        )
        new_flow.action_start()
    if args.send_window:
        add_send_windows(env)
    if args.contact_caps:
        add_contact_caps(env)
    if args.transactional:
        env["automation.flow"].search([]).transactional = True
    env.cr.commit()
    return {}


def add_send_windows(env):
    """A send window always open on every flow, and contacts in four time
    zones: the scheduler's window checks run for every batch and hold
    nothing, so the work is that of a run without it (``--send-window``)."""
    env["automation.flow"].search([]).write(
        {
            "window_mode": "hours",
            "window_hour_from": 0,
            "window_hour_to": 24,
            **{f"window_{day}": True for day in ("saturday", "sunday")},
        }
    )
    env.cr.execute(
        """UPDATE res_partner SET tz = (ARRAY['Europe/Madrid', 'America/New_York',
               'Asia/Tokyo', 'UTC'])[id % 4 + 1]"""
    )


def add_contact_caps(env):
    """Contact caps that hold nothing back (100 emails a day, 1,000 a week):
    the scheduler reads the cap counts of every email batch's addresses and
    lets them all go (``--contact-caps``)."""
    env["res.company"].search([]).write(
        {"automation_flow_day_cap": 100, "automation_flow_week_cap": 1000}
    )


# ----------------------------------------------------------------------
# 1-3. Enrollment
# ----------------------------------------------------------------------


def enrollments(env, name):
    return scalar(
        env,
        "SELECT count(*) FROM automation_flow_enrollment WHERE flow_id = %s",
        flow(env, name).id,
    )


def phase_enroll(env, args):
    before = enrollments(env, FLOW_PLAIN)
    with measure() as result:
        env["automation.flow"]._cron_enroll_periodic()
    result["records"] = enrollments(env, FLOW_PLAIN) - before
    result["task_rows"] = task_rows(env)
    return result


def phase_enroll_again(env, args):
    before = enrollments(env, FLOW_PLAIN)
    # Records considered: every contact matches, none is new.
    with measure(args.child_size) as result:
        env["automation.flow"]._cron_enroll_periodic()
    result["enrolled"] = enrollments(env, FLOW_PLAIN) - before
    return result


def phase_enroll_unique(env, args):
    unique_flow = flow(env, FLOW_UNIQUE)
    # Records considered: N contacts, each email twice, so N / 2 enroll.
    with measure(args.child_size) as result:
        unique_flow._enroll(commit=True)
    result["enrolled"] = enrollments(env, FLOW_UNIQUE)
    return result


# ----------------------------------------------------------------------
# 4, 6, 7. Execution
# ----------------------------------------------------------------------


def duplicates(env):
    """What a task run twice leaves behind, counted over the whole database:
    mails and activities no task links to, and contacts whose action counter
    is above the action tasks done for them."""
    orphan_mails = scalar(
        env,
        """SELECT count(*) FROM mail_mail mail WHERE NOT EXISTS (
               SELECT FROM automation_flow_task task
               WHERE task.mail_mail_id = mail.id)""",
    )
    orphan_activities = scalar(
        env,
        """SELECT count(*) FROM mail_activity activity WHERE NOT EXISTS (
               SELECT FROM automation_flow_task task
               WHERE task.activity_id = activity.id)""",
    )
    actions_twice = scalar(
        env,
        """SELECT count(*) FROM res_partner partner
           LEFT JOIN (
               SELECT task.res_id, count(*) AS runs
               FROM automation_flow_task task
               JOIN automation_flow_step step ON step.id = task.step_id
               WHERE task.state = 'done' AND step.step_type = 'action'
                 AND step.parent_id IS NULL
               GROUP BY task.res_id) done ON done.res_id = partner.id
           WHERE partner.color > coalesce(done.runs, 0)""",
    )
    return {
        "orphan_mails": orphan_mails,
        "orphan_activities": orphan_activities,
        "actions_run_twice": actions_twice,
        "duplicates": orphan_mails + orphan_activities + actions_twice,
    }


def task_states(env, name, roots=True):
    env.cr.execute(
        SQL(
            """SELECT task.state, count(*) FROM automation_flow_task task
               JOIN automation_flow_step step ON step.id = task.step_id
               WHERE task.flow_id = %(flow)s AND (step.parent_id IS NULL) = %(roots)s
               GROUP BY task.state""",
            flow=flow(env, name).id,
            roots=roots,
        )
    )
    return dict(env.cr.fetchall())


def phase_execute(env, args):
    with measure(args.child_size) as result:
        result["tasks"] = process_due_tasks(env)
    result["root_tasks"] = task_states(env, FLOW_PLAIN)
    result["child_tasks"] = task_states(env, FLOW_PLAIN, roots=False)
    result["mails_queued"] = scalar(
        env, "SELECT count(*) FROM mail_mail WHERE state = 'outgoing'"
    )
    result["activities"] = scalar(env, "SELECT count(*) FROM mail_activity")
    result.update(duplicates(env))
    return result


def phase_execute_opened(env, args):
    with measure() as result:
        result["records"] = result["tasks"] = process_due_tasks(env)
    result["child_tasks"] = task_states(env, FLOW_PLAIN, roots=False)
    return result


def phase_prepare_lanes(env, args):
    """Phase 7: set the number of lanes and enroll their flow; leave only
    the scheduler's lanes active among the crons, not due before the start
    signal (``run.py`` makes them due once the servers are up)."""
    lanes = args.child_lanes
    env["ir.config_parameter"].set_param("automation_flow.scheduler_lanes", lanes)
    lane_flow = flow(env, LANE_FLOWS[lanes])
    lane_flow._enroll(commit=True)
    crons = env["ir.cron"]._automation_flow_lanes("cron_process_due_tasks")
    env.cr.execute(
        """UPDATE ir_cron SET active = (id = ANY(%s)),
                  nextcall = now() at time zone 'UTC' + interval '1 day'""",
        [crons.ids],
    )
    env.cr.execute("DELETE FROM ir_cron_trigger")
    env.cr.execute("DELETE FROM ir_cron_progress")
    env.cr.commit()
    return {"crons": crons.ids, "flow": lane_flow.id}


def phase_check_lanes(env, args):
    """Phase 7: what each lane ran (Odoo's progress rows of the cron runs)
    and whether anything ran twice."""
    crons = env["ir.cron"]._automation_flow_lanes("cron_process_due_tasks")
    env.cr.execute(
        """SELECT cron_id, sum(done) FROM ir_cron_progress
           WHERE cron_id = ANY(%s) GROUP BY cron_id""",
        [crons.ids],
    )
    return {
        "tasks_per_lane": dict(env.cr.fetchall()),
        "root_tasks": task_states(env, LANE_FLOWS[args.child_lanes]),
        **duplicates(env),
    }


# ----------------------------------------------------------------------
# 5. Open events
# ----------------------------------------------------------------------


def has_open_route(env):
    """Whether the installed modules route ``/automation_flow/open/…``."""
    modules = sorted(env.registry._init_modules)
    return any(
        url.startswith(OPEN_ROUTE)
        for url, _endpoint in odoo.http._generate_routing_rules(
            modules, nodb_only=False
        )
    )


def open_url(env, task):
    """The URL of the open pixel in the email of ``task`` (an email task),
    as the email step writes it. Adapt it if the route changes."""
    token = task._tracking_token(task.id)
    return f"{OPEN_ROUTE}{task.id}/{token}/blank.gif"


def pad_task_table(env, rows):
    """Grow the task table to ``rows`` with ended tasks of the unique flow,
    as a database that has run flows for a long time."""
    missing = rows - task_rows(env)
    unique_flow = flow(env, FLOW_UNIQUE)
    count = enrollments(env, FLOW_UNIQUE)
    if missing <= 0 or not count:
        return
    env.cr.execute(
        SQL(
            """INSERT INTO automation_flow_task (
                   enrollment_id, flow_id, step_id, res_id, model, company_id,
                   state, is_test, done_at)
               SELECT enrollment.id, enrollment.flow_id, %(step)s,
                      enrollment.res_id, enrollment.model, enrollment.company_id,
                      'done', false, now()
               FROM automation_flow_enrollment enrollment,
                    generate_series(1, %(repeat)s)
               WHERE enrollment.flow_id = %(flow)s
               LIMIT %(missing)s""",
            step=unique_flow.step_ids[:1].id,
            repeat=-(-missing // count),
            flow=unique_flow.id,
            missing=missing,
        )
    )
    env.cr.execute("ANALYZE automation_flow_task")
    env.cr.commit()


def phase_prepare_opens(env, args):
    if not has_open_route(env):
        return {"skipped": f"no open route (nothing routed under {OPEN_ROUTE})"}
    if args.child_size == max(args.sizes) and args.pad_tasks_to:
        pad_task_table(env, args.pad_tasks_to)
    email_tasks = env["automation.flow.task"].search(
        [
            ("flow_id", "=", flow(env, FLOW_PLAIN).id),
            ("step_type", "=", "email"),
            ("state", "=", "done"),
        ],
        order="id",
    )
    return {
        "urls": [open_url(env, task) for task in email_tasks],
        "task_rows": task_rows(env),
    }


# ----------------------------------------------------------------------
# 12. Opens in this process, one open and one /web/health in turn
# ----------------------------------------------------------------------

HEALTH_ROUTE = "/web/health"
# Requests of each kind left out of the medians: the first ones build the
# routing map and fill the caches.
OPEN_WARM_UP = 20


def phase_open_inprocess(env, args):
    """The open route and Odoo's minimal public route through Odoo's WSGI
    application (``odoo.http.root``) in this process, with werkzeug's test
    client, one of each in turn: the Odoo CPU time of each request, without
    the network, the clients' threads, or the waits for the interpreter's
    lock of a threaded server, which phase 5's server times include."""
    if not has_open_route(env):
        return {"skipped": f"no open route (nothing routed under {OPEN_ROUTE})"}
    email_tasks = env["automation.flow.task"].search(
        [
            ("flow_id", "=", flow(env, FLOW_PLAIN).id),
            ("step_type", "=", "email"),
            ("state", "=", "done"),
            ("opened_at", "=", False),
        ],
        order="id",
        limit=OPEN_WARM_UP + (args.open_limit or args.child_size),
    )
    urls = [open_url(env, task) for task in email_tasks]
    # The requests run in transactions of their own, on this database, which
    # Odoo picks as phase 5's server does (-d and --db-filter).
    env.cr.commit()
    config["db_name"] = env.cr.dbname
    config["dbfilter"] = f"^{env.cr.dbname}$"
    odoo.service.server.load_server_wide_modules()
    client = werkzeug.test.Client(odoo.http.root)
    cpu = {"open": [], "health": []}
    statuses = []
    with measure(len(urls)) as result:
        for url in urls:
            for kind, path in (("health", HEALTH_ROUTE), ("open", url)):
                started = time.process_time()
                statuses.append(client.get(path).status_code)
                cpu[kind].append(time.process_time() - started)
    opened = scalar(
        env,
        "SELECT count(*) FROM automation_flow_task WHERE id = ANY(%s)"
        " AND opened_at IS NOT NULL",
        email_tasks.ids,
    )
    open_ms, health_ms = (
        1000 * statistics.median(cpu[kind][OPEN_WARM_UP:])
        for kind in ("open", "health")
    )
    result.update(
        # Each open is preceded by a /web/health: counts and time are both's.
        records=len(urls),
        opened=opened,
        open_cpu_ms=open_ms,
        health_cpu_ms=health_ms,
        cpu_ratio=open_ms / health_ms,
        http_errors=sum(1 for status in statuses if status != 200),
    )
    return result


# ----------------------------------------------------------------------
# 8. Decisions: condition, split, wait-until and a goal
# ----------------------------------------------------------------------


def create_decisions_flow(env):
    """A flow on the N contacts of the plain flow: a condition all of them
    pass, a split in two, a wait-until in each branch that none matches yet
    (so their tasks wait), and a goal; control steps only, no mail."""
    decisions = env["automation.flow"].create(
        {
            "name": FLOW_DECISIONS,
            "model_id": env["ir.model"]._get("res.partner").id,
            "domain": repr([("email", "=ilike", PLAIN_DOMAIN)]),
            "goal_domain": repr([("function", "=", "Customer")]),
        }
    )
    Step = env["automation.flow.step"]
    common = {"flow_id": decisions.id, "delay": 0}
    condition = Step.create(
        dict(
            common,
            name="Is a person",
            step_type="condition",
            condition_domain=repr([("is_company", "=", False)]),
        )
    )
    split = Step.create(
        dict(
            common,
            name="A or B",
            step_type="split",
            parent_id=condition.id,
            trigger="condition_yes",
        )
    )
    Step.create(
        [
            dict(
                common,
                name=f"Until customer ({branch})",
                step_type="wait",
                parent_id=split.id,
                trigger=f"split_{branch}",
                wait_domain=repr([("function", "=", "Customer")]),
                expiry=30,
                expiry_unit="days",
            )
            for branch in ("a", "b")
        ]
    )
    decisions.action_start()
    return decisions


def write_queries(record, value):
    """Queries of a write of the unwatched field on ``record``, flushed,
    measured on the second write (the first one fills the caches)."""
    for attempt in ("warm-up", "measured"):
        before = odoo.sql_db.sql_counter
        record.write({UNWATCHED_FIELD: f"{value} ({attempt})"})
        record.env.flush_all()
    return odoo.sql_db.sql_counter - before


def phase_decisions(env, args):
    decisions = create_decisions_flow(env)
    decisions._enroll(commit=True)
    enrolled = enrollments(env, FLOW_DECISIONS)
    with measure() as result:
        result["tasks"] = process_due_tasks(env)
    env.cr.execute(
        SQL(
            """SELECT step.step_type, task.state, count(*)
               FROM automation_flow_task task
               JOIN automation_flow_step step ON step.id = task.step_id
               WHERE task.flow_id = %(flow)s
               GROUP BY step.step_type, task.state""",
            flow=decisions.id,
        )
    )
    result["decision_tasks"] = {
        f"{step_type} {state}": count for step_type, state, count in env.cr.fetchall()
    }
    # Records: the control-step tasks of the flow the scheduler ran.
    result["records"] = sum(result["decision_tasks"].values())
    result["enrolled"] = enrolled
    waiting = env["automation.flow.task"].search(
        [("flow_id", "=", decisions.id), ("state", "=", "waiting")], limit=1
    )
    # A contact in no flow: no domain of the bench matches its email.
    outsider = env["res.partner"].create(
        {"name": "Bench: no flow", "email": "outsider@elsewhere.example"}
    )
    result["unrelated_write_queries"] = {
        "no_flow": write_queries(outsider, "Lyon"),
        "waiting_with_goal": write_queries(
            env["res.partner"].browse(waiting.res_id), "Lyon"
        ),
    }
    result["unrelated_write_extra_queries"] = (
        result["unrelated_write_queries"]["waiting_with_goal"]
        - result["unrelated_write_queries"]["no_flow"]
    )
    env.cr.commit()
    return result


# ----------------------------------------------------------------------
# 9-10. Delivery: end to end, and the floor
# ----------------------------------------------------------------------


def use_sink(env, port):
    """Make the SMTP sink of ``run.py`` on ``port`` the outgoing server."""
    env["ir.mail_server"].search([]).active = False
    server = env["ir.mail_server"].create(
        {
            "name": "Bench sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_encryption": "none",
            "sequence": 0,
        }
    )
    env.cr.commit()
    return server


def phase_end_to_end(env, args):
    """Enroll the N contacts in a flow of email, activity and action and
    run its tasks as the cron does, sending each batch's mails to the SMTP
    sink (``run.py`` counts what it received); then Odoo's mail queue for
    any mail left (none when all goes well)."""
    use_sink(env, args.child_smtp_port)
    # The mails phase 4 queued would be sent by the scheduler's runs here
    # (it sends the mails an earlier run left): they are not this phase's.
    env.cr.execute("UPDATE mail_mail SET state = 'cancel' WHERE state = 'outgoing'")
    env.cr.commit()
    end_to_end = flow(env, FLOW_END_TO_END)
    Mail = env["mail.mail"]
    with measure(args.child_size) as result:
        end_to_end._enroll(commit=True)
        result["tasks"] = process_due_tasks(env, send_mails=True)
        env.cr.execute(
            """SELECT mail_mail_id FROM automation_flow_task
               WHERE flow_id = %s AND mail_mail_id IS NOT NULL""",
            [end_to_end.id],
        )
        mail_ids = [row[0] for row in env.cr.fetchall()]
        # Mails the scheduler left (none when all goes well); the queue
        # sends a bounded number per call, as its cron does.
        while Mail.search_count([("id", "in", mail_ids), ("state", "=", "outgoing")]):
            Mail.process_email_queue(ids=mail_ids)
            env.invalidate_all()
    result["root_tasks"] = task_states(env, FLOW_END_TO_END)
    result["mails"] = scalar(
        env,
        """SELECT count(*) FROM automation_flow_task task
           JOIN automation_flow_step step ON step.id = task.step_id
           WHERE task.flow_id = %s AND step.step_type = 'email'""",
        end_to_end.id,
    )
    result["left_to_the_mail_queue"] = len(mail_ids)
    return result


def phase_prepare_crash(env, args):
    """Phase 11: a flow as phase 9's enrolled, sending to the sink; only
    the scheduler's cron active, not due before ``run.py`` says so."""
    use_sink(env, args.child_smtp_port)
    env["ir.config_parameter"].set_param("automation_flow.scheduler_lanes", 1)
    crash = flow(env, FLOW_CRASH)
    crash._enroll(commit=True)
    crons = env["ir.cron"]._automation_flow_lanes("cron_process_due_tasks")
    env.cr.execute(
        """UPDATE ir_cron SET active = (id = ANY(%s)),
                  nextcall = now() at time zone 'UTC' + interval '1 day'""",
        [crons.ids],
    )
    env.cr.execute("DELETE FROM ir_cron_trigger")
    mails = scalar(
        env,
        """SELECT count(*) FROM automation_flow_task task
           JOIN automation_flow_step step ON step.id = task.step_id
           WHERE task.flow_id = %s AND step.step_type = 'email'""",
        crash.id,
    )
    env.cr.commit()
    return {
        "crons": crons.ids,
        "mails": mails,
        "chunk_size": env["automation.flow.task"]._get_param("mail_chunk_size", 100),
    }


def phase_floor(env, args):
    """Odoo's primitives alone on the same N contacts: render the flow's
    template per batch, build each message (HTML and plain text parts, as
    every mail Odoo sends) and send it, over one SMTP connection; no engine,
    no ``mail.mail``, no chatter."""
    server = use_sink(env, args.child_smtp_port)
    template = env["mail.template"].search([("name", "=", "Bench: news")], limit=1)
    partners = env["res.partner"].search(
        [("email", "=ilike", PLAIN_DOMAIN)], order="id"
    )
    MailServer = env["ir.mail_server"]
    batch_size = env["automation.flow.task"]._get_param("batch_size", 500)
    with measure(len(partners)) as result:
        smtp = MailServer.connect(mail_server_id=server.id)
        for start in range(0, len(partners), batch_size):
            res_ids = partners[start : start + batch_size].ids
            rendered = template._generate_template(
                res_ids, ["subject", "body_html", "email_from", "email_to"]
            )
            for res_id in res_ids:
                values = rendered[res_id]
                # The same parts as a flow's email (an HTML body and its
                # plain text alternative, as Odoo sends every mail) and a
                # Message-Id of its own.
                message = MailServer.build_email(
                    values["email_from"],
                    [values["email_to"]],
                    values["subject"],
                    values["body_html"],
                    body_alternative=html2plaintext(values["body_html"]),
                    message_id=generate_tracking_message_id(f"bench-{res_id}"),
                    subtype="html",
                    subtype_alternative="plain",
                )
                MailServer.send_email(
                    message, mail_server_id=server.id, smtp_session=smtp
                )
            env.invalidate_all()
        smtp.quit()
    result["mails"] = len(partners)
    return result
