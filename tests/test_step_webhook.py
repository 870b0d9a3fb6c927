# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import socket
import threading
import time
from collections import Counter
from contextlib import closing
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, HttpCase, freeze_time, tagged
from odoo.tests.common import JsonRpcException, get_db_name
from odoo.tools import mute_logger

from ..engine import webhook
from ..models.automation_flow_step_webhook import ALLOWED_NETWORKS_PARAM
from ..models.automation_flow_task import SCHEDULER_RUN
from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user

MARGIN = 300
WEBHOOK_LOGGER = "odoo.addons.automation_flow.models.automation_flow_step_webhook"
LATER = NOW + timedelta(hours=3)


class Receiver(BaseHTTPRequestHandler):
    """Answers each POST with the next scripted ``(status, delay, text)`` of
    its server (200 when none is left) and records what it received."""

    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        with server.lock:
            status, delay, text = (
                server.script.pop(0) if server.script else (200, 0, "ok")
            )
            server.received.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": data,
                    "status": status,
                }
            )
        time.sleep(delay)
        try:
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "120")
            if 300 <= status < 400:
                self.send_header("Location", "https://elsewhere.example.com/hook")
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(text.encode())
        except OSError as error:
            # The caller gave up waiting (a timeout).
            self.log_error("answer not delivered: %s", error)

    def log_message(self, *args):
        """Quiet: the tests read ``received``."""


def allow_this_server(env):
    """Webhooks call public addresses only: the receiver of these tests is
    on 127.0.0.1, which an administrator allows."""
    env["ir.config_parameter"].set_param(ALLOWED_NETWORKS_PARAM, "127.0.0.1, ::1")


def start_receiver(case):
    """A real HTTP server on 127.0.0.1 for the test class."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.script, server.received = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    case.addClassCleanup(thread.join, 5)
    case.addClassCleanup(server.server_close)
    case.addClassCleanup(server.shutdown)
    return server


def url_of(server, path="/hook"):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def successes(server):
    """How many calls of each idempotency key the receiver answered 2xx."""
    return Counter(
        request["headers"]["Idempotency-Key"]
        for request in server.received
        if 200 <= request["status"] < 300
    )


@tagged("post_install", "-at_install")
class TestWebhookStep(AutomationFlowCase):
    """The webhook step against a real HTTP server on 127.0.0.1."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = start_receiver(cls)
        allow_this_server(cls.env)
        cls.contacts = cls.partners[:2]
        cls.add_contact_field("x_webhook_day", "Day", "date")
        cls.contacts[0].x_webhook_day = "2026-02-20"
        cls.flow = cls.create_flow(
            name="Webhook flow",
            domain=repr([("id", "in", cls.contacts.ids)]),
        )
        field = cls.env["ir.model.fields"]._get
        cls.step = cls.add_step(
            cls.flow,
            "webhook",
            name="Tell the shop",
            webhook_url=url_of(cls.server),
            webhook_field_ids=[
                (
                    6,
                    0,
                    [
                        field("res.partner", name).id
                        for name in ("email", "user_id", "x_webhook_day", "write_date")
                    ],
                )
            ],
        )
        cls.after = cls.add_step(cls.flow, "action", parent=cls.step, name="After")
        cls.on_failure = cls.add_step(
            cls.flow,
            "action",
            parent=cls.step,
            name="On failure",
            trigger="webhook_failed",
        )
        cls.start(cls.flow)

    def setUp(self):
        super().setUp()
        self.server.script.clear()
        self.server.received.clear()

    def run_at(self, when):
        with freeze_time(when):
            return self.run_due()

    def enroll_and_run(self, *script):
        self.server.script[:] = list(script)
        with freeze_time(NOW):
            self.flow._enroll()
        self.run_at(NOW)
        return self.tasks_of(self.step).sorted("res_id")

    def test_payload_signature_and_key(self):
        tasks = self.enroll_and_run()
        self.assertEqual(len(self.server.received), 2)
        request = next(
            r
            for r in self.server.received
            if json.loads(r["body"])["record"]["id"] == self.contacts[0].id
        )
        task = tasks.filtered(lambda t: t.res_id == self.contacts[0].id)
        headers = request["headers"]
        payload = json.loads(request["body"])
        contact = self.contacts[0]
        self.assertEqual(request["path"], "/hook")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(
            payload,
            {
                "flow": {"id": self.flow.id, "name": "Webhook flow"},
                "step": {"id": self.step.id, "name": "Tell the shop"},
                "task": {"id": task.id, "attempt": 1},
                "model": "res.partner",
                "record": {"id": contact.id, "display_name": contact.display_name},
                "values": {
                    "email": contact.email,
                    "user_id": [self.salesperson.id, self.salesperson.display_name],
                    "x_webhook_day": "2026-02-20",
                    "write_date": contact.write_date.isoformat() + "+00:00",
                },
            },
        )
        # The receiver checks the signature with the flow's secret.
        secret = self.flow.webhook_secret
        self.assertEqual(len(secret), 64)
        timestamp = int(headers["X-Automation-Flow-Timestamp"])
        self.assertEqual(timestamp, int(NOW.timestamp()))
        self.assertTrue(
            webhook.verify(
                secret,
                timestamp,
                request["body"],
                headers["X-Automation-Flow-Signature"],
            )
        )
        self.assertFalse(
            webhook.verify(
                "not the secret",
                timestamp,
                request["body"],
                headers["X-Automation-Flow-Signature"],
            )
        )
        self.assertEqual(headers["Idempotency-Key"], task.webhook_idempotency_key)
        self.assertEqual(len(set(tasks.mapped("webhook_idempotency_key"))), 2)
        # Done, with the answer, and the next step scheduled.
        self.assertEqual(
            (task.state, task.webhook_status, task.webhook_response, task.outcome),
            ("done", 200, "ok", "delivered"),
        )
        self.assertEqual(task.webhook_called_at, NOW)
        self.assertIn("HTTP 200", task.error_message)
        self.assertTasks(self.after, self.contacts, "done")
        self.assertFalse(self.tasks_of(self.on_failure))
        self.assertEqual(self.step.task_done_count, 2)
        cards = {card["event"]: card["count"] for card in self.step._designer_events()}
        self.assertEqual(cards, {"webhook_delivered": 2})

    def test_designer_shows_the_call_and_its_branches(self):
        tree = self.flow.get_step_tree()
        card = next(step for step in tree["steps"] if step["id"] == self.step.id)
        self.assertEqual(card["type_icon"], "fa-plug")
        self.assertEqual(card["summary"], f"POST to {url_of(self.server)}")
        self.assertEqual(
            {key for key, _label in tree["triggers"]["webhook"]},
            {"after_step", "webhook_delivered", "webhook_failed"},
        )
        self.assertEqual(
            self.on_failure.schedule_description, "When the webhook failed for good"
        )
        # A task being called counts as running on its card.
        with freeze_time(NOW):
            self.flow._enroll()
            self.tasks_of(self.step).with_context(**{SCHEDULER_RUN: True})._execute()
        self.step.invalidate_recordset()
        card = next(
            step
            for step in self.flow.get_step_tree()["steps"]
            if step["id"] == self.step.id
        )
        self.assertEqual(
            card["counters"], [{"state": "running", "label": "Running", "count": 2}]
        )

    def test_server_error_is_retried_with_the_same_key(self):
        tasks = self.enroll_and_run((500, 0, "database down"), (500, 0, "down"))
        self.assertEqual(set(tasks.mapped("state")), {"scheduled"})
        self.assertEqual(tasks.mapped("webhook_status"), [500, 500])
        task = tasks[0]
        self.assertEqual(task.attempt, 1)
        self.assertGreater(task.scheduled_at, NOW)
        self.assertIn("Attempt 1 failed", task.error_message)
        self.assertIn("HTTP 500", task.error_message)
        self.assertFalse(self.tasks_of(self.after), "no next step before delivery")
        self.run_at(LATER)
        self.assertEqual(set(tasks.mapped("state")), {"done"})
        self.assertEqual(tasks.mapped("attempt"), [1, 1])
        self.assertEqual(len(self.server.received), 4)
        keys = Counter(r["headers"]["Idempotency-Key"] for r in self.server.received)
        self.assertEqual(set(keys.values()), {2}, "each task called twice, one key")
        self.assertEqual(set(successes(self.server).values()), {1})
        self.assertTasks(self.after, self.contacts, "done")

    def test_no_answer_in_time_is_retried(self):
        self.step.webhook_timeout = 1
        with mute_logger("urllib3.connectionpool"):
            tasks = self.enroll_and_run((200, 2, "late"), (200, 2, "late"))
        self.assertEqual(set(tasks.mapped("state")), {"scheduled"})
        self.assertEqual(tasks.mapped("webhook_status"), [0, 0])
        self.assertIn("No answer within 1 seconds", tasks[0].error_message)
        self.run_at(LATER)
        self.assertEqual(set(tasks.mapped("state")), {"done"})

    def test_too_many_requests_waits_as_told(self):
        tasks = self.enroll_and_run((429, 0, "slow down"), (429, 0, "slow down"))
        self.assertEqual(set(tasks.mapped("state")), {"scheduled"})
        self.assertEqual(
            set(tasks.mapped("scheduled_at")), {NOW + timedelta(seconds=120)}
        )

    def test_client_error_ends_in_error_with_the_reason(self):
        tasks = self.enroll_and_run((404, 0, "no such hook"), (404, 0, "no such hook"))
        self.assertEqual(set(tasks.mapped("state")), {"error"})
        self.assertEqual(set(tasks.mapped("outcome")), {"failed"})
        message = tasks[0].error_message
        self.assertIn("refused the call with HTTP 404 (no such hook)", message)
        self.assertIn("Check the step's URL", message)
        self.assertEqual(len(self.server.received), 2, "not retried")
        # The Failed branch runs; the step after a delivery does not.
        self.assertTasks(self.on_failure, self.contacts, "done")
        self.assertFalse(self.tasks_of(self.after))
        self.assertEqual(self.step.task_error_count, 2)
        # Retry calls again, with the same key.
        keys = tasks.mapped("webhook_idempotency_key")
        with freeze_time(LATER):
            tasks.action_retry()
        self.run_at(LATER)
        self.assertEqual(set(tasks.mapped("state")), {"done"})
        self.assertEqual(
            sorted(r["headers"]["Idempotency-Key"] for r in self.server.received[2:]),
            sorted(keys),
        )

    def test_redirection_is_not_followed(self):
        tasks = self.enroll_and_run((301, 0, ""), (301, 0, ""))
        self.assertEqual(set(tasks.mapped("state")), {"error"})
        self.assertIn("https://elsewhere.example.com/hook", tasks[0].error_message)
        self.assertEqual(len(self.server.received), 2)

    def test_gives_up_after_the_step_attempts(self):
        self.step.max_attempts = 2
        tasks = self.enroll_and_run(*[(503, 0, "")] * 4)
        self.run_at(LATER)
        self.assertEqual(set(tasks.mapped("state")), {"error"})
        self.assertIn("Gave up after 2 attempts", tasks[0].error_message)
        self.assertIn("HTTP 503", tasks[0].error_message)
        self.assertTasks(self.on_failure, self.contacts, "done")

    def test_unreachable_receiver_is_retried(self):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        self.step.webhook_url = f"http://127.0.0.1:{port}/hook"
        tasks = self.enroll_and_run()
        self.assertEqual(set(tasks.mapped("state")), {"scheduled"})
        self.assertIn("could not be reached", tasks[0].error_message)

    def test_run_now_and_tests_leave_the_call_to_the_scheduler(self):
        """A call follows a committed mark: Run now makes the task due now
        and wakes the scheduler, which calls it."""
        with freeze_time(NOW):
            self.flow._enroll()
        task = self.tasks_of(self.step, self.contacts[:1])
        with freeze_time(NOW - timedelta(hours=1)):
            task.action_run_now()
        self.assertEqual(task.state, "scheduled")
        self.assertFalse(self.server.received)
        self.run_at(NOW)
        self.assertEqual(task.state, "done")
        self.assertEqual(len(successes(self.server)), 2)

    def test_a_test_run_leaves_the_call_to_the_scheduler(self):
        wizard = self.env["automation.flow.test"].create(
            {"flow_id": self.flow.id, "res_id": self.contacts[0].id}
        )
        with freeze_time(NOW):
            wizard.action_enroll()
            wizard.action_run_next()
        task = wizard.task_ids.filtered(lambda t: t.step_id == self.step)
        self.assertEqual((task.state, task.is_test), ("scheduled", True))
        self.assertFalse(self.server.received)
        self.run_at(NOW)
        self.assertEqual(task.state, "done")
        self.assertEqual(
            [r["headers"]["Idempotency-Key"] for r in self.server.received],
            [task.webhook_idempotency_key],
        )

    def test_interrupted_call_is_made_again_with_its_key(self):
        """A batch marked running and never called (the process died): the
        sweep schedules it again once its timeout and margin are over."""
        with freeze_time(NOW):
            self.flow._enroll()
        tasks = self.tasks_of(self.step)
        with freeze_time(NOW):
            tasks.with_context(**{SCHEDULER_RUN: True})._execute()
        self.assertEqual(set(tasks.mapped("state")), {"running"})
        # Not yet: the call may still be under way.
        self.run_at(NOW + timedelta(seconds=MARGIN))
        self.assertEqual(set(tasks.mapped("state")), {"running"})
        self.assertFalse(self.server.received)
        with mute_logger(WEBHOOK_LOGGER):
            self.run_at(NOW + timedelta(seconds=MARGIN + 11))
        self.assertEqual(set(tasks.mapped("state")), {"scheduled"})
        self.assertIn("interrupted", tasks[0].error_message)
        self.run_at(LATER)
        self.assertEqual(set(tasks.mapped("state")), {"done"})
        self.assertEqual(
            dict(successes(self.server)),
            dict.fromkeys(tasks.mapped("webhook_idempotency_key"), 1),
        )

    def test_url_must_be_http(self):
        for url in (
            "ftp://example.com/hook",
            "example.com/hook",
            "https://",
            "https://exa mple.com/",
            "javascript:alert(1)",
        ):
            with (
                self.subTest(url=url),
                self.assertRefused(
                    ValidationError, "must start with http:// or https://"
                ),
            ):
                self.add_step(self.flow, "webhook", webhook_url=url)
        with self.assertRefused(ValidationError, "between 1 and 120 seconds"):
            self.add_step(
                self.flow,
                "webhook",
                webhook_url="https://x.example.com",
                webhook_timeout=0,
            )

    def test_fields_of_another_model_are_refused(self):
        with self.assertRefused(ValidationError, "not fields of Contact"):
            self.add_step(
                self.flow,
                "webhook",
                webhook_url="https://x.example.com",
                webhook_field_ids=[
                    (6, 0, self.env["ir.model.fields"]._get("res.users", "login").ids)
                ],
            )

    def test_manager_without_settings_creates_a_webhook_step(self):
        manager = new_flow_user(self.env, "webhook_manager", AUTOMATION_MANAGER)
        user = new_flow_user(self.env, "webhook_user")
        flow = self.create_flow(name="Manager's flow", user_id=manager.id)
        # As RPC does: only the required values.
        step = (
            self.env["automation.flow.step"]
            .with_user(manager)
            .create(
                {
                    "name": "Call",
                    "flow_id": flow.id,
                    "step_type": "webhook",
                    "webhook_url": "https://hooks.example.com/odoo",
                }
            )
        )
        self.assertEqual((step.trigger, step.webhook_timeout), ("start", 10))
        self.assertEqual(
            step._designer_summary(), "POST to https://hooks.example.com/odoo"
        )
        secret = flow.with_user(manager).webhook_secret
        self.assertEqual(len(secret), 64)
        flow.with_user(manager).action_regenerate_webhook_secret()
        self.assertNotEqual(flow.with_user(manager).webhook_secret, secret)
        # A plain automation user reads the flow, not its secret.
        self.assertNotIn("webhook_secret", flow.with_user(user).fields_get())
        with self.assertRaises(AccessError):
            flow.with_user(user).read(["webhook_secret"])
        with self.assertRaises(AccessError):
            flow.with_user(user).action_regenerate_webhook_secret()
        with self.assertRaises(AccessError):
            step.with_user(user).write({"webhook_url": "https://evil.example.com"})

    def test_fields_hidden_from_the_manager_are_refused(self):
        manager = new_flow_user(self.env, "webhook_manager2", AUTOMATION_MANAGER)
        flow = self.create_flow(name="Manager's flow", user_id=manager.id)
        # Job Position made a Settings field, as a module may restrict one.
        hidden = self.env["ir.model.fields"]._get("res.partner", "function")
        self.patch(
            self.env["res.partner"]._fields["function"], "groups", "base.group_system"
        )
        with self.assertRefused(
            ValidationError, "Job Position .* not readable by webhook_manager2"
        ):
            self.env["automation.flow.step"].with_user(manager).create(
                {
                    "name": "Leak",
                    "flow_id": flow.id,
                    "step_type": "webhook",
                    "webhook_url": "https://hooks.example.com/odoo",
                    "webhook_field_ids": [(6, 0, hidden.ids)],
                }
            )


@tagged("post_install", "-at_install")
# pylint: disable=invalid-commit
class TestWebhookCrash(BaseCase):
    """Real transactions: the mark is committed before the call, a crash
    between mark and call is recovered with the same key, and two scheduler
    transactions never call one task twice.

    The data is committed (other connections cannot see a test transaction)
    and removed afterwards.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = start_receiver(cls)

    def setUp(self):
        super().setUp()
        self.server.script.clear()
        self.server.received.clear()
        self.connection = db_connect(get_db_name())
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            allow_this_server(env)
            partners = env["res.partner"].create(
                [{"name": f"Webhook contact {i}"} for i in range(12)]
            )
            flow = env["automation.flow"].create(
                {
                    "name": "Webhook crash flow",
                    "model_id": env.ref("base.model_res_partner").id,
                    "domain": "[('name', '=like', 'Webhook contact%')]",
                }
            )
            env["automation.flow.step"].create(
                {
                    "name": "Call",
                    "flow_id": flow.id,
                    "step_type": "webhook",
                    "webhook_url": url_of(self.server),
                    "webhook_timeout": 2,
                }
            )
            flow.action_start()
            flow._enroll()
            cr.commit()
            self.flow_id, self.partner_ids = flow.id, partners.ids
        self.addCleanup(self.remove_data)

    def remove_data(self):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["automation.flow"].browse(self.flow_id).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()
            env["ir.config_parameter"].set_param("automation_flow.batch_size", False)
            env["ir.config_parameter"].set_param(ALLOWED_NETWORKS_PARAM, False)
            cr.commit()

    def worker(self):
        cr = self.connection.cursor()
        self.addCleanup(cr.close)
        # Never hang the suite: a lock wait means the engine is wrong.
        cr.execute("SET lock_timeout = '10s'")
        return api.Environment(cr, SUPERUSER_ID, {})["automation.flow.task"]

    def states(self):
        with closing(self.connection.cursor()) as cr:
            cr.execute(
                """SELECT state, count(*) FROM automation_flow_task
                   WHERE flow_id = %s GROUP BY state""",
                [self.flow_id],
            )
            return dict(cr.fetchall())

    def keys(self):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tasks = env["automation.flow.task"].search([("flow_id", "=", self.flow_id)])
            return set(tasks.mapped("webhook_idempotency_key"))

    def test_crash_between_mark_and_call(self):
        start = fields.Datetime.now()
        # The process marks its batch running, commits, and dies.
        doomed = self.worker()
        tasks = doomed._acquire_due_tasks(100)
        tasks.with_context(**{SCHEDULER_RUN: True})._execute()
        doomed.env.cr.commit()
        doomed.env.cr.close()
        self.assertEqual(self.states(), {"running": 12}, "the mark is committed")
        self.assertFalse(self.server.received)
        # Another run soon after leaves them: the calls may be under way.
        self.worker()._process_due_tasks(commit=True)
        self.assertEqual(self.states(), {"running": 12})
        # Once their time is out, the sweep schedules them again, and they
        # are called, once each, with their own keys.
        with (
            freeze_time(start + timedelta(seconds=MARGIN + 10)),
            mute_logger(WEBHOOK_LOGGER),
        ):
            self.worker()._process_due_tasks(commit=True)
        self.assertEqual(self.states(), {"scheduled": 12})
        with freeze_time(start + timedelta(hours=2)):
            self.worker()._process_due_tasks(commit=True)
        self.assertEqual(self.states(), {"done": 12})
        self.assertEqual(dict(successes(self.server)), dict.fromkeys(self.keys(), 1))

    def test_crash_between_call_and_answer(self):
        """The receiver took the calls but the process died before recording
        the answers: they are made again with the same keys, so that the
        receiver, acting once per key, acts once."""
        start = fields.Datetime.now()
        doomed = self.worker()
        with (
            patch.object(
                type(doomed), "_record_webhook_answers", side_effect=SystemExit
            ),
            self.assertRaises(SystemExit),
        ):
            doomed._process_due_tasks(commit=True)
        doomed.env.cr.rollback()
        self.assertEqual(self.states(), {"running": 12})
        first_keys = [r["headers"]["Idempotency-Key"] for r in self.server.received]
        self.assertEqual(set(first_keys), self.keys())
        with (
            freeze_time(start + timedelta(seconds=MARGIN + 10)),
            mute_logger(WEBHOOK_LOGGER),
        ):
            self.worker()._process_due_tasks(commit=True)
        with freeze_time(start + timedelta(hours=2)):
            self.worker()._process_due_tasks(commit=True)
        self.assertEqual(self.states(), {"done": 12})
        self.assertEqual(
            dict(successes(self.server)),
            dict.fromkeys(self.keys(), 2),
            "called again, with the same keys",
        )

    def set_batch_size(self, size):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param("automation_flow.batch_size", size)
            cr.commit()

    def test_a_batch_held_by_one_transaction_is_not_taken_by_another(self):
        self.set_batch_size(3)
        first, second = self.worker(), self.worker()
        # The first marks a batch and holds it, uncommitted: the second
        # cannot take it (SKIP LOCKED) and takes the others.
        held = first._acquire_due_tasks(3)
        held.with_context(**{SCHEDULER_RUN: True})._execute()
        self.assertEqual(second._process_due_tasks(commit=True), 9)
        self.assertEqual(len(self.server.received), 9)
        first.env.cr.commit()
        held._deliver_webhooks(commit=True)
        self.assertEqual(second._process_due_tasks(commit=True), 0)
        self.assertEqual(self.states(), {"done": 12})
        self.assertEqual(dict(successes(self.server)), dict.fromkeys(self.keys(), 1))

    def test_two_scheduler_runs_at_once_call_each_task_once(self):
        self.set_batch_size(2)
        # Slow answers, so that the two runs overlap.
        self.server.script[:] = [(200, 0.05, "ok")] * 12
        workers = {"first": self.worker(), "second": self.worker()}
        taken = {}

        def run(name):
            taken[name] = workers[name]._process_due_tasks(commit=True)

        threads = [threading.Thread(target=run, args=(name,)) for name in workers]
        # Both close the finished enrollments at the end: one gets a
        # serialization failure, logged by the cursor, and leaves it.
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(sum(taken.values()), 12, taken)
        self.assertEqual(self.states(), {"done": 12})
        self.assertEqual(len(self.server.received), 12)
        self.assertEqual(dict(successes(self.server)), dict.fromkeys(self.keys(), 1))


@tagged("post_install", "-at_install")
class TestWebhookRpc(AutomationFlowCase, HttpCase):
    """The doors of the web client: JSON-RPC as a manager without Settings,
    an automation user and an internal user without the module's groups."""

    def call_kw(self, model, method, args):
        """The web client's call: its result, or raise ``JsonRpcException``
        with the error's class and message."""
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": model,
                        "method": method,
                        "args": args,
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        if "error" in response:
            data = response["error"]["data"]
            raise JsonRpcException(
                response["error"]["code"], f"{data['name']}: {data['message']}"
            )
        return response["result"]

    def test_create_over_rpc_and_the_secret_stays_the_managers(self):
        manager = new_flow_user(self.env, "webhook_rpc_manager", AUTOMATION_MANAGER)
        user = new_flow_user(self.env, "webhook_rpc_user")
        outsider = new_flow_user(self.env, "webhook_rpc_outsider", group=None)
        flow = self.create_flow(name="RPC flow", user_id=manager.id)
        values = {
            "name": "Call",
            "flow_id": flow.id,
            "step_type": "webhook",
            "webhook_url": "https://hooks.example.com/odoo",
        }
        self.authenticate(manager.login, manager.login)
        with self.assertRaisesRegex(JsonRpcException, "must start with http"):
            self.call_kw(
                "automation.flow.step",
                "create",
                [{**values, "webhook_url": "hooks.example.com"}],
            )
        step_id = self.call_kw("automation.flow.step", "create", [values])
        [read] = self.call_kw("automation.flow", "read", [flow.ids, ["webhook_secret"]])
        self.assertEqual(len(read["webhook_secret"]), 64)
        self.assertTrue(self.env["automation.flow.step"].browse(step_id).exists())
        for login in (user.login, outsider.login):
            self.authenticate(login, login)
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.call_kw("automation.flow", "read", [flow.ids, ["webhook_secret"]])
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.call_kw(
                    "automation.flow.step",
                    "create",
                    [{**values, "name": "Another call"}],
                )
