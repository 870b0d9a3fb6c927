# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import SQL

from .common import HOUR, NOW, AutomationFlowEventCase


@tagged("post_install", "-at_install")
class TestMailGateway(AutomationFlowEventCase, TransactionCase):
    """Replies and bounces arrive as MIME messages through the mail gateway."""

    def setUp(self):
        super().setUp()
        self.tasks = self.queue_emails()
        self.task = self.tasks[0]
        self.send_emails(self.tasks)

    def test_sent_mail_deleted_keeps_events(self):
        """The template deletes its mails once sent: the task keeps the
        Message-Id that replies and bounces are matched on."""
        self.assertFalse(self.task.mail_mail_id)
        self.assertTrue(self.task.email_message_id)
        self.assertEqual(self.tasks.mapped("email_state"), ["sent", "sent"])

    def test_reply(self):
        thread_id = self.reply(self.task, at=NOW + HOUR)
        self.assertEqual(thread_id, self.partners[0].id, "routed to the contact")
        self.assertIn("Yes, I am interested", self.partners[0].message_ids[0].body)
        self.assertEqual(self.task.replied_at, NOW + HOUR)
        self.assertEqual(self.task.opened_at, NOW + HOUR, "a reply implies an open")
        self.assertChildren(
            self.task,
            {
                "email_replied": ("scheduled", NOW + 2 * HOUR),
                "email_opened": ("scheduled", NOW + 2 * HOUR),
                "email_not_replied": "cancelled",
                "email_not_opened": "cancelled",
                "email_clicked": "waiting",
                "email_not_clicked": "scheduled",
            },
        )
        self.assertFalse(self.tasks[1].replied_at)
        self.assertChildren(self.tasks[1], {"email_not_replied": "scheduled"})

    def test_not_replied_runs_when_nobody_answers(self):
        """ "If after 3 hours the email has not been answered": the negative
        step counts from the send and runs when no reply came."""
        self.assertChildren(
            self.task, {"email_not_replied": ("scheduled", NOW + 3 * HOUR)}
        )
        self.reply(self.tasks[1], at=NOW + 2 * HOUR)
        self.run_scheduler(NOW + 3 * HOUR)
        self.assertChildren(self.task, {"email_not_replied": "done"})
        self.assertChildren(self.tasks[1], {"email_not_replied": "cancelled"})
        self.assertEqual(self.partners[0].ref, "followed up")

    def test_negative_counts_from_send(self):
        """An email that leaves the queue late pushes its "not …" steps back."""
        self.assertEqual(self.tasks.mapped("sent_at"), [NOW, NOW])
        carl = self.env["res.partner"].create(
            {"name": "Carl", "email": "carl@example.com"}
        )
        self.flow.domain = repr([("id", "in", (self.partners | carl).ids)])
        with freeze_time(NOW):
            self.flow._enroll()
        self.run_scheduler(NOW)
        late_task = self.env["automation.flow.task"].search(
            [("step_id", "=", self.email_step.id), ("res_id", "=", carl.id)]
        )
        self.assertChildren(
            late_task, {"email_not_opened": ("scheduled", NOW + 3 * HOUR)}
        )
        self.send_emails(late_task, at=NOW + 2 * HOUR)
        self.assertEqual(late_task.sent_at, NOW + 2 * HOUR)
        self.assertChildren(
            late_task,
            {
                "email_not_opened": ("scheduled", NOW + 5 * HOUR),
                "after_step": ("scheduled", NOW + 24 * HOUR),
                "email_opened": "waiting",
            },
        )

    def test_bounce(self):
        self.bounce(self.tasks[1], at=NOW + HOUR)
        task = self.tasks[1]
        self.assertEqual(task.bounced_at, NOW + HOUR)
        self.assertEqual(task.email_state, "bounced")
        self.assertChildren(
            task,
            {
                "email_bounced": ("scheduled", NOW + HOUR),
                "email_opened": "cancelled",
                "email_not_opened": "cancelled",
                "email_clicked": "cancelled",
                "email_not_clicked": "cancelled",
                "email_replied": "cancelled",
                "email_not_replied": "cancelled",
                "after_step": "scheduled",
            },
        )
        self.assertEqual(self.partners[1].message_bounce, 1, "Odoo's own handling ran")
        self.assertChildren(self.task, {"email_bounced": "waiting"})
        self.assertEqual(self.email_step.email_bounced_count, 1)

    def test_reply_to_ended_enrollment(self):
        """Events of cancelled enrollments are counted; nothing runs."""
        self.task.enrollment_id._set_state("cancelled")
        self.reply(self.task, at=NOW + HOUR)
        self.assertEqual(self.task.replied_at, NOW + HOUR)
        self.assertEqual(set(self.task.child_ids.mapped("state")), {"cancelled"})

    def test_step_counters(self):
        self.reply(self.tasks[0], at=NOW + HOUR)
        self.bounce(self.tasks[1], at=NOW + HOUR)
        step = self.email_step
        self.assertEqual(
            (
                step.email_sent_count,
                step.email_opened_count,
                step.email_clicked_count,
                step.email_replied_count,
                step.email_bounced_count,
                step.email_failed_count,
            ),
            (2, 1, 0, 1, 1, 0),
        )

    def test_event_lookups_use_indexes(self):
        """Events find their task by Message-Id, mail, activity or id with
        an index, whatever the size of the table."""
        Task = self.env["automation.flow.task"]
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        for domain in (
            [("email_message_id", "in", [self.task.email_message_id])],
            [("mail_mail_id", "in", [1, 2])],
            [("activity_id", "in", [1, 2])],
            [("parent_id", "in", self.tasks.ids), ("state", "in", ["waiting"])],
        ):
            self.env.cr.execute(SQL("EXPLAIN %s", Task._search(domain).select()))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
            self.assertIn("Index", plan, f"{domain}:\n{plan}")
