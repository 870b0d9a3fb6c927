# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import NOW, OFFER_URL, AutomationFlowEventCase
from .smtp import MAIL_LOGGERS, SmtpSink, allow_real_smtp, sink_server, start_sink


@tagged("post_install", "-at_install")
class TestEmailDelivery(AutomationFlowEventCase, TransactionCase):
    """Flow emails leave through Odoo's mail queue to a real SMTP server on
    127.0.0.1; what the server accepts or refuses reaches the tasks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The flow's step names the local server.
        allow_real_smtp(cls)
        cls.sink = SmtpSink()
        cls.smtpd = start_sink(cls.addClassCleanup, cls.sink)
        cls.mail_server = sink_server(cls.env, cls.smtpd.port)
        cls.email_step.mail_server_id = cls.mail_server

    def setUp(self):
        super().setUp()
        self.sink.messages.clear()

    def test_email_reaches_smtp_with_tracking(self):
        tasks = self.queue_emails()
        with mute_logger(*MAIL_LOGGERS):
            self.send_emails(tasks)
        ann, bob = tasks
        self.assertEqual(len(self.sink.messages), 1)
        message = self.sink.messages[0]
        self.assertEqual(message["To"], "Ann <ann@example.com>")
        self.assertEqual(message["Message-Id"], ann.email_message_id)
        html = message.get_body(("html",)).get_content()
        token = self.env["automation.flow.task"]._tracking_token(ann.id)
        self.assertIn(f"/automation_flow/open/{ann.id}/{token}/blank.gif", html)
        self.assertRegex(html, rf'href="[^"]+/r/\w+/af/{ann.id}/{token}"')
        self.assertNotIn(OFFER_URL, html, "the link goes through the tracker")
        self.assertIn('href="mailto:sales@example.com"', html)
        self.assertEqual(
            (ann.email_state, ann.sent_at, ann.state), ("sent", NOW, "done")
        )

        # The refused email: failed with the server's reason, never sent; the
        # steps after it are cancelled, and Retry sends it again.
        self.assertEqual(bob.email_state, "failed")
        self.assertFalse(bob.sent_at)
        self.assertEqual(bob.state, "error")
        self.assertIn("Recipient address rejected", bob.error_message)
        self.assertEqual(set(bob.child_ids.mapped("state")), {"cancelled"})
        self.assertEqual(self.email_step.email_failed_count, 1)
        self.assertEqual(self.email_step.email_sent_count, 1)

        with freeze_time(NOW):
            bob.action_retry()
        self.run_scheduler(NOW)
        self.assertEqual((bob.state, bob.email_state), ("done", "queued"))
        self.assertFalse(bob.failed_at)
        self.assertEqual(
            len(bob.child_ids.filtered(lambda c: c.state != "cancelled")), 8
        )

    def test_the_scheduler_sends_its_batch_at_once(self):
        """The cron's scheduler sends a batch's mails once the batch is
        committed, over one SMTP session, and the tasks learn the outcome of
        each: the same as through Odoo's mail queue, without waiting for it."""
        with freeze_time(NOW):
            self.flow._enroll()
        Task = self.env["automation.flow.task"]
        with freeze_time(NOW), mute_logger(*MAIL_LOGGERS):
            Task._process_due_tasks(send_mails=True)
        ann, bob = Task.search([("step_id", "=", self.email_step.id)]).sorted(
            lambda task: self.partners.ids.index(task.res_id)
        )
        self.assertEqual(
            [m["To"] for m in self.sink.messages],
            ["Ann <ann@example.com>"],
        )
        self.assertEqual(self.sink.messages[0]["Message-Id"], ann.email_message_id)
        self.assertEqual(
            (ann.email_state, ann.sent_at, ann.state), ("sent", NOW, "done")
        )
        self.assertEqual((bob.email_state, bob.state), ("failed", "error"))
        self.assertIn("Recipient address rejected", bob.error_message)
        self.assertEqual(set(bob.child_ids.mapped("state")), {"cancelled"})
        self.assertEqual(
            (self.email_step.email_sent_count, self.email_step.email_failed_count),
            (1, 1),
        )

    def test_a_batch_sent_message_is_the_one_the_mail_queue_sends(self):
        """Same headers and parts whichever way a flow mail leaves."""
        # A named sender: Odoo's queue rewrites its From header into the same
        # text, the chunk spares it (engine/envelope.py).
        self.template.email_from = "Equipo de Señales <sales@example.com>"
        ann = self.queue_emails()[0]
        # Odoo does not copy a mail's headers: the unsubscribe headers of
        # this flow email (automation_flow_consent.py) are given again.
        by_queue = ann.mail_mail_id.copy({"headers": ann.mail_mail_id.headers})
        with mute_logger(*MAIL_LOGGERS):
            self.env["mail.mail"]._automation_flow_send(ann.mail_mail_id.ids)
            by_queue.process_email_queue(ids=by_queue.ids)
        batch_sent, queue_sent = self.sink.messages
        # The MIME boundaries are random. The order of the headers means
        # nothing (RFC 5322, 3.6): Odoo's queue moves the From header last
        # when it rewrites it into the same text, the chunk keeps it where
        # ``build_email`` put it.
        differ = {"Message-Id", "Date", "Content-Type"}
        self.assertEqual(
            sorted((k, v) for k, v in batch_sent.items() if k not in differ),
            sorted((k, v) for k, v in queue_sent.items() if k not in differ),
        )
        self.assertEqual(batch_sent["From"], "Equipo de Señales <sales@example.com>")
        # Where the From header is tells whether it was rewritten.
        batch_keys, queue_keys = list(batch_sent.keys()), list(queue_sent.keys())
        self.assertLess(batch_keys.index("From"), batch_keys.index("To"))
        self.assertGreater(queue_keys.index("From"), queue_keys.index("To"))
        self.assertEqual(
            [part.get_content_type() for part in batch_sent.walk()],
            [part.get_content_type() for part in queue_sent.walk()],
        )
        self.assertEqual(
            batch_sent.get_body(("html",)).get_content(),
            queue_sent.get_body(("html",)).get_content(),
        )

    def test_a_chunk_ends_each_mail_as_the_mail_queue_does(self):
        """Sent, refused by the server, without a valid recipient: each mail
        of a chunk ends as Odoo's own sending ends the same mail (state,
        failure type and reason; deleted when sent or without a valid
        recipient), and the other mails of the chunk still leave."""
        template = self.queue_emails()[0].mail_mail_id
        addresses = {
            "sent": "ann@example.com",
            "refused": "bob@example.com",
            "invalid": "no address",
        }

        def mails():
            return {
                kind: template.copy(
                    {
                        "headers": template.headers,
                        "recipient_ids": [Command.clear()],
                        "email_to": address,
                        "auto_delete": True,
                    }
                )
                for kind, address in addresses.items()
            }

        def outcome(mail):
            mail.invalidate_recordset()
            if not mail.exists():
                return "deleted"
            return (mail.state, mail.failure_type, mail.failure_reason)

        by_chunk, by_odoo = mails(), mails()
        Mail = self.env["mail.mail"]
        with mute_logger(*MAIL_LOGGERS):
            Mail._automation_flow_send([mail.id for mail in by_chunk.values()])
            self.assertEqual([m["To"] for m in self.sink.messages], ["ann@example.com"])
            Mail.concat(*by_odoo.values()).send()
        self.assertEqual(len(self.sink.messages), 2)
        outcomes = {kind: outcome(mail) for kind, mail in by_chunk.items()}
        self.assertEqual(
            outcomes, {kind: outcome(mail) for kind, mail in by_odoo.items()}
        )
        self.assertEqual((outcomes["sent"], outcomes["invalid"]), ("deleted",) * 2)
        state, failure_type, reason = outcomes["refused"]
        self.assertEqual((state, failure_type), ("exception", "unknown"))
        self.assertIn("Recipient address rejected", reason)

    def test_unsubscribe_headers_reach_the_smtp_server(self):
        """RFC 8058 headers on a marketing flow's email, whichever way it
        leaves (the scheduler's chunk, Odoo's mail queue); none on a
        transactional flow's."""
        ann = self.queue_emails()[0]
        by_queue = ann.mail_mail_id.copy({"headers": ann.mail_mail_id.headers})
        with mute_logger(*MAIL_LOGGERS):
            self.env["mail.mail"]._automation_flow_send(ann.mail_mail_id.ids)
            by_queue.process_email_queue(ids=by_queue.ids)
        token = self.env["automation.flow.task"]._unsubscribe_token(
            ann.id, self.flow.id, "ann@example.com"
        )
        url = f"{ann.get_base_url()}/automation_flow/unsubscribe/{ann.id}/{token}"
        self.assertEqual(len(self.sink.messages), 2)
        for message in self.sink.messages:
            self.assertEqual(message["List-Unsubscribe"], f"<{url}>")
            self.assertEqual(
                message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click"
            )
            self.assertIn(f'href="{url}"', message.get_body(("html",)).get_content())

    def test_no_unsubscribe_headers_on_transactional_emails(self):
        self.flow.transactional = True
        with freeze_time(NOW):
            self.flow._enroll()
        with freeze_time(NOW), mute_logger(*MAIL_LOGGERS):
            self.env["automation.flow.task"]._process_due_tasks(send_mails=True)
        (message,) = self.sink.messages
        self.assertIsNone(message["List-Unsubscribe"])
        self.assertIsNone(message["List-Unsubscribe-Post"])
        self.assertNotIn(
            "/automation_flow/unsubscribe/", message.get_body(("html",)).get_content()
        )

    def test_a_crash_with_a_chunk_in_flight_loses_no_mail(self):
        """A crash after the SMTP server took a chunk but before its commit
        (a killed process never commits) rolls the chunk back: its mails are
        outgoing again and the next run sends them again, once more."""
        ann = self.queue_emails()[0]
        MailMail = type(self.env["mail.mail"])
        with (
            patch.object(
                MailMail, "_automation_flow_record_delivery", side_effect=SystemExit
            ),
            self.assertRaises(SystemExit),
            self.env.cr.savepoint(),
        ):
            self.env["mail.mail"]._automation_flow_send(ann.mail_mail_id.ids)
        self.env.invalidate_all()
        self.assertEqual(len(self.sink.messages), 1, "it had left")
        self.assertEqual(ann.mail_mail_id.state, "outgoing", "undone by the crash")
        self.assertEqual(ann.email_state, "queued")
        self.env["mail.mail"]._automation_flow_send(ann.mail_mail_id.ids)
        self.assertEqual(
            [m["Message-Id"] for m in self.sink.messages],
            [ann.email_message_id] * 2,
            "sent again, with the same Message-Id",
        )
        self.assertEqual(ann.email_state, "sent")

    def test_the_next_run_sends_the_mails_a_killed_run_left(self):
        """A run killed after its batch committed, before its mails left,
        leaves them outgoing: the next scheduler run sends them, not Odoo's
        hourly mail queue; a mail queued a moment ago is left to its run."""
        ann = self.queue_emails()[0]
        self.assertEqual(ann.mail_mail_id.state, "outgoing")
        self.env.cr.execute(
            "UPDATE mail_mail SET create_date = %s WHERE id = %s",
            [NOW, ann.mail_mail_id.id],
        )
        Task = self.env["automation.flow.task"]
        with freeze_time(NOW + timedelta(seconds=30)):
            Task._process_due_tasks(send_mails=True)
        self.assertEqual(self.sink.messages, [], "maybe still in its run's hands")
        with freeze_time(NOW + timedelta(minutes=2)):
            Task._process_due_tasks(send_mails=True)
        self.assertEqual(
            [m["Message-Id"] for m in self.sink.messages], [ann.email_message_id]
        )
        self.assertEqual(ann.email_state, "sent")

    def test_a_chunk_costs_the_same_queries_whatever_its_size(self):
        """Odoo's loop costs about 21 queries and a commit per mail; a chunk
        reads its mails at once and writes their outcome together: no query
        per mail."""
        ann = self.queue_emails()[0]
        Mail = self.env["mail.mail"]

        def queries_to_send(count):
            mails = Mail.concat(
                *(ann.mail_mail_id.copy({"auto_delete": True}) for _i in range(count))
            )
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            Mail._automation_flow_send(mails.ids)
            self.env.flush_all()
            self.assertFalse(mails.exists(), "sent and deleted")
            return self.cr.sql_log_count - start

        queries_to_send(1)  # caches of the first send
        self.assertEqual(queries_to_send(5), queries_to_send(2))

    def test_retry_replaces_the_cancelled_steps(self):
        """Retrying a refused email leaves each contact one set of next
        steps: those its failure cancelled never ran and are replaced, in the
        steps' counters as in the contact's journey."""
        tasks = self.queue_emails()
        with mute_logger(*MAIL_LOGGERS):
            self.send_emails(tasks)
        bob = tasks[1]
        self.assertEqual(bob.email_state, "failed")
        self.assertEqual(len(bob.child_ids), len(self.children))
        with freeze_time(NOW):
            bob.action_retry()
        self.assertFalse(bob.child_ids, "the cancelled steps are gone at once")
        self.run_scheduler(NOW)
        self.assertEqual((bob.state, bob.email_state), ("done", "queued"))

        Task = self.env["automation.flow.task"]
        steps = {step["id"]: step for step in self.flow.get_step_tree()["steps"]}
        for child_step in self.children.values():
            child_tasks = Task.search([("step_id", "=", child_step.id)])
            self.assertEqual(
                sorted(child_tasks.mapped("res_id")),
                sorted(self.partners.ids),
                f"one task of {child_step.name} per contact",
            )
            self.assertNotIn("cancelled", child_tasks.mapped("state"))
            counters = steps[child_step.id]["counters"]
            self.assertEqual(sum(c["count"] for c in counters), 2, counters)
            self.assertNotIn("cancelled", [c["state"] for c in counters])
        (journey,) = self.env["automation.flow.enrollment"].get_journeys(
            "res.partner", self.partners[1].id
        )
        self.assertEqual(
            [(task["step"], task["state"]) for task in journey["tasks"]],
            [("Offer", "done")],
            "the journey shows the email once, no cancelled step under it",
        )
        self.assertEqual(len(journey["next"]), len(self.children))
