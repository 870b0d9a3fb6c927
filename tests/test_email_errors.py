# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from aiosmtpd.smtp import AuthResult

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import AUTOMATION_USER, AutomationFlowEventCase, new_flow_user
from .smtp import MAIL_LOGGERS, allow_real_smtp, free_port, sink_server, start_sink


def refuse_everyone(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


@tagged("post_install", "-at_install")
class TestEmailErrors(AutomationFlowEventCase, TransactionCase):
    """A flow email that cannot leave tells the user, in a sentence, what to
    check and where, with the server's own words as the detail: real SMTP
    failures on 127.0.0.1, through Odoo's mail queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        allow_real_smtp(cls)
        cls.reader = new_flow_user(cls.env, "smtp_error_reader", AUTOMATION_USER)

    def use_server(self, port, **values):
        server = sink_server(self.env, port, **values)
        self.email_step.mail_server_id = server
        return server

    def failed_tasks(self):
        tasks = self.queue_emails()
        with mute_logger(*MAIL_LOGGERS):
            self.send_emails(tasks)
        self.assertEqual(set(tasks.mapped("state")), {"error"})
        self.assertEqual(set(tasks.mapped("email_state")), {"failed"})
        return tasks.with_user(self.reader)

    def start_sink(self, **options):
        return start_sink(self.addCleanup, **options).port

    def test_connection_refused(self):
        # Nobody listens on it: the port was bound, then closed.
        port = free_port()
        self.use_server(port)
        for task in self.failed_tasks():
            self.assertTrue(
                task.error_message.startswith(
                    f"Cannot reach the outgoing mail server 127.0.0.1:{port} "
                    "(connection refused): check its host and port in Settings ▸ "
                    "Technical ▸ Outgoing Mail Servers, then retry the task."
                ),
                task.error_message,
            )
            # Odoo's own text stays readable, on one line.
            self.assertTrue(
                task.error_message.endswith("Technical detail: 111 Connection refused")
            )
            self.assertNotIn("\n", task.error_message)
        # The mail itself keeps Odoo's text.
        self.assertEqual(
            task.sudo().mail_mail_id.failure_reason, "111\nConnection refused"
        )
        # The sentence is searchable as users read it.
        Task = self.env["automation.flow.task"].with_user(self.reader)
        self.assertEqual(
            Task.search_count(
                [
                    ("flow_id", "=", self.flow.id),
                    ("error_message", "ilike", "Cannot reach the outgoing"),
                ]
            ),
            2,
        )

    def test_authentication_refused(self):
        port = self.start_sink(authenticator=refuse_everyone, auth_require_tls=False)
        self.use_server(port, smtp_user="flows", smtp_pass="wrong")
        for task in self.failed_tasks():
            self.assertIn(
                f"The outgoing mail server 127.0.0.1:{port} refused the username or "
                "password: correct them in Settings ▸ Technical ▸ Outgoing Mail "
                "Servers",
                task.error_message,
            )
            self.assertIn("Technical detail: 535", task.error_message)

    def test_tls_not_offered(self):
        port = self.start_sink()
        self.use_server(port, smtp_encryption="starttls")
        for task in self.failed_tasks():
            self.assertIn(
                f"The secure connection (SSL/TLS) to the outgoing mail server "
                f"127.0.0.1:{port} failed: check its encryption and port",
                task.error_message,
            )
            self.assertIn("STARTTLS extension not supported", task.error_message)

    def test_recipient_refused(self):
        port = self.start_sink()
        self.use_server(port)
        tasks = self.queue_emails()
        with mute_logger(*MAIL_LOGGERS):
            self.send_emails(tasks)
        ann, bob = tasks.with_user(self.reader)
        self.assertEqual((ann.state, bob.state), ("done", "error"))
        self.assertIn(
            f"The outgoing mail server 127.0.0.1:{port} refused the recipient's "
            "address: check the email address of the record, then retry the task.",
            bob.error_message,
        )
        self.assertIn("Recipient address rejected", bob.error_message)

    def test_unknown_failure_keeps_odoos_text(self):
        """A failure of no known kind reads as before: Odoo's text."""
        tasks = self.queue_emails()
        mails = tasks.mail_mail_id
        mails.write({"state": "exception", "failure_reason": "Something odd"})
        self.env["mail.mail"]._automation_flow_record_delivery(
            [(mail.id, "exception", "Something odd", "unknown") for mail in mails]
        )
        self.assertEqual(
            set(tasks.mapped("error_message")),
            {"The email could not be sent: Something odd"},
        )
