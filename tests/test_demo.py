# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import email
import email.policy
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import SkipTest

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import AUTOMATION_USER, new_flow_user
from .smtp import MAIL_LOGGERS, allow_real_smtp

CATCHER = Path(__file__).resolve().parent.parent / "scripts" / "mail_catcher.py"


class DemoCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow = cls.env.ref("automation_flow.demo_flow_welcome", False)
        if not cls.flow:
            raise SkipTest("the demo data is not installed")
        cls.email_step = cls.env.ref("automation_flow.demo_step_welcome_email")
        cls.call_step = cls.env.ref("automation_flow.demo_step_welcome_call")


@tagged("post_install", "-at_install")
class TestDemoHistory(DemoCase):
    """The demo flow runs, with weeks of history a newcomer can read."""

    def test_the_demo_flow_runs_with_weeks_of_history(self):
        flow = self.flow.with_user(
            new_flow_user(self.env, "demo_reader", AUTOMATION_USER)
        )
        self.assertEqual(flow.state, "periodic")
        enrollments = flow.enrollment_ids
        self.assertGreaterEqual(len(enrollments), 10)
        starts = enrollments.mapped("date_start")
        self.assertGreaterEqual((max(starts) - min(starts)).days, 14)
        self.assertEqual(set(enrollments.mapped("state")) - {"running", "done"}, set())
        # The newest contact's story is still going: the call comes tomorrow.
        running = enrollments.filtered(lambda enrollment: enrollment.state == "running")
        self.assertEqual(running, enrollments.sorted("date_start")[-1])
        waiting_call = running.task_ids.filtered(lambda task: task.state == "scheduled")
        self.assertEqual(waiting_call.step_id, self.call_step)
        self.assertGreater(waiting_call.scheduled_at, fields.Datetime.now())
        step = self.email_step.with_user(flow.env.user)
        self.assertGreater(step.email_sent_count, 5)
        for counter in ("opened", "clicked", "replied", "failed"):
            self.assertGreater(step[f"email_{counter}_count"], 0, counter)
        self.assertGreater(step.email_open_rate, 0)
        # What a newcomer met on an unconfigured server, as a sentence.
        error = step.task_ids.filtered(lambda task: task.state == "error")
        self.assertEqual(len(error), 1)
        self.assertTrue(
            error.error_message.startswith(
                "Cannot reach the outgoing mail server smtp.example.com:25 "
                "(connection refused)"
            )
        )
        # Emails were posted on the contacts' chatter weeks ago, nothing sent.
        done = step.task_ids.filtered(lambda task: task.email_state != "failed")
        self.assertFalse(done.mail_mail_id)
        messages = self.env["mail.message"].search(
            [("message_id", "in", done.mapped("email_message_id"))]
        )
        self.assertEqual(len(messages), len(done))
        self.assertLess(
            min(messages.mapped("date")), min(starts) + (max(starts) - min(starts)) / 2
        )
        # The calls of the emails not replied to: some done, one activity done.
        calls = self.call_step.task_ids
        self.assertIn("done", calls.mapped("state"))
        self.assertIn("cancelled", calls.mapped("state"), "a reply cancels its call")
        self.assertTrue(calls.filtered("activity_done_at"))
        # The designer's cards count them.
        tree = {step["id"]: step for step in flow.get_step_tree()["steps"]}
        self.assertTrue(tree[self.email_step.id]["counters"])
        self.assertTrue(tree[self.email_step.id]["events"])
        self.assertTrue(tree[self.call_step.id]["counters"])

    def test_the_history_is_made_once(self):
        self.assertFalse(
            self.env["automation.flow"]._demo_run_with_history(self.flow.id)
        )


@tagged("post_install", "-at_install")
class TestMailCatcher(DemoCase):
    """`make run`'s mail catcher receives what the demo's outgoing server
    sends: the script started on a free port, a flow email sent through the
    server by the scheduler's path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not CATCHER.exists():
            raise SkipTest("scripts/ is not installed with the module")
        allow_real_smtp(cls)

    def start_catcher(self):
        folder = tempfile.mkdtemp(prefix="automation_flow_mails_")
        process = subprocess.Popen(
            [sys.executable, str(CATCHER), "--port", "0", "--dir", folder],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(process.wait, 10)
        self.addCleanup(process.terminate)
        line = process.stdout.readline()
        self.assertTrue(line.startswith("listening on 127.0.0.1:"), line)
        port = int(line.split(":")[1].split(",")[0])
        return Path(folder), port

    def test_the_catcher_receives_a_flow_email(self):
        folder, port = self.start_catcher()
        server = self.env.ref("automation_flow.demo_mail_server_catcher")
        server.smtp_port = port
        partner = self.env["res.partner"].create(
            {"name": "Newcomer", "email": "newcomer@example.com"}
        )
        enrollment = self.flow._enroll(res_ids=partner.ids)
        self.assertEqual(len(enrollment), 1)
        Task = self.env["automation.flow.task"]
        with mute_logger(*MAIL_LOGGERS):
            Task._process_due_tasks(send_mails=True)
        task = enrollment.task_ids.filtered(lambda t: t.step_id == self.email_step)
        self.assertEqual((task.state, task.email_state), ("done", "sent"))
        for _attempt in range(50):
            received = sorted(folder.glob("*.eml"))
            if received:
                break
            time.sleep(0.1)
        self.assertEqual(len(received), 1)
        message = email.message_from_bytes(
            received[0].read_bytes(), policy=email.policy.default
        )
        self.assertEqual(message["Subject"], "Welcome, Newcomer")
        self.assertIn("newcomer@example.com", message["To"])
        self.assertEqual(message["Message-Id"], task.email_message_id)
        self.assertIn("Welcome, Newcomer", (folder / "index.html").read_text())
