# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import TransactionCase, new_test_user, tagged

from .common import NOW, AutomationFlowCase, AutomationFlowEventCase


@tagged("post_install", "-at_install")
class TestReasons(AutomationFlowCase):
    """Reasons are stored as codes and shown in the reader's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.spanish_user = new_test_user(
            cls.env,
            login="flow_lector",
            lang="es_ES",
            groups="base.group_user,automation_flow.group_automation_flow_user",
        )

    def read_as_spanish_user(self, records):
        # The web client sends the reader's language in the context.
        env = self.env(user=self.spanish_user, context={"lang": "es_ES"})
        return records.with_env(env)

    def run_flow(self, flow):
        self.start(flow)
        flow.action_run()
        self.run_due()

    def test_skip_and_exit_reasons_read_in_the_readers_language(self):
        flow = self.create_flow()
        step = self.add_step(flow, domain="[('name', '=', 'Flow contact 0')]")
        self.add_step(flow, parent=step, delay=1, delay_unit="days")
        with self.at(NOW):
            self.run_flow(flow)
        skipped = self.tasks_of(step, self.partners[1])
        self.assertEqual(skipped.state, "skipped")
        self.assertEqual(skipped.reason_code, "step_domain")
        self.assertEqual(
            skipped.error_message, "The record does not match the step's domain."
        )
        self.assertEqual(
            self.read_as_spanish_user(skipped).error_message,
            "El registro no coincide con el dominio del paso.",
        )
        # The contact leaves the flow's domain before the child is due: its
        # enrollment exits with a reason each reader reads in their language.
        self.partners[0].name = "Someone else"
        with self.at(NOW + timedelta(days=2)):
            self.run_due()
        enrollment = flow.enrollment_ids.filtered(
            lambda e: e.res_id == self.partners[0].id
        )
        self.assertEqual(enrollment.state, "exited")
        self.assertEqual(
            enrollment.exit_reason, "The record no longer matches the flow's domain."
        )
        self.assertEqual(
            self.read_as_spanish_user(enrollment).exit_reason,
            "El registro ya no coincide con el dominio del flujo.",
        )
        # Searches read the text as the reader reads it.
        Task = self.read_as_spanish_user(self.env["automation.flow.task"])
        self.assertEqual(
            Task.search(
                [
                    ("flow_id", "=", flow.id),
                    ("error_message", "ilike", "dominio del paso"),
                ]
            ),
            Task.browse(self.tasks_of(step, self.partners[1:]).ids),
        )
        self.assertFalse(
            self.env["automation.flow.task"].search(
                [("flow_id", "=", flow.id), ("error_message", "ilike", "dominio del")]
            ),
            "an English reader searches the English text",
        )

    def test_field_labels_in_reasons_follow_the_readers_language(self):
        date_field = self.env["ir.model.fields"].create(
            {
                "name": "x_flow_renewal",
                "field_description": "Renewal date",
                "model_id": self.partner_model.id,
                "ttype": "date",
            }
        )
        date_field.with_context(lang="es_ES").field_description = "Renovación"
        flow = self.create_flow()
        step = self.add_step(flow, date_field_id=date_field.id)
        with self.at(NOW):
            self.run_flow(flow)
        task = self.tasks_of(step, self.partners[0])
        self.assertEqual(task.state, "skipped")
        self.assertEqual(task.error_message, "The record has no Renewal date.")
        self.assertIn("Renovación", self.read_as_spanish_user(task).error_message)

    def test_errors_are_stored_without_the_exception_class(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Flow test: fails",
                "model_id": self.partner_model.id,
                "state": "code",
                "code": (
                    "if record.name == 'Flow contact 0':\n"
                    "    raise UserError('Bad')\n"
                    "if record.name == 'Flow contact 1':\n"
                    "    record.env['no.such.model']\n"
                ),
            }
        )
        flow = self.create_flow()
        step = self.add_step(flow, server_action_id=action.id)
        self.run_flow(flow)
        bad = self.tasks_of(step, self.partners[0])
        self.assertEqual(bad.state, "error")
        self.assertEqual(bad.error_message, "Bad")
        self.assertEqual(self.read_as_spanish_user(bad).error_message, "Bad")
        # Anything but a UserError is a bug: its class hints at what to look
        # for, inside a sentence that says what to do.
        bug = self.tasks_of(step, self.partners[1])
        self.assertEqual(bug.state, "error")
        self.assertEqual(bug.reason_code, "unexpected_error")
        self.assertEqual(
            bug.error_message,
            "An unexpected error stopped the step (KeyError: 'no.such.model'). Fix "
            "its cause, then retry the task.",
        )
        self.assertEqual(
            self.env["automation.flow.task"].search(
                [("flow_id", "=", flow.id), ("error_message", "ilike", "bad")]
            ),
            bad,
        )


@tagged("post_install", "-at_install")
class TestEventReasons(AutomationFlowEventCase, TransactionCase):
    def test_cancel_reason_of_an_event_is_a_code(self):
        tasks = self.queue_emails()
        self.send_emails(tasks)
        task = tasks[0]
        self.env["res.lang"]._activate_lang("es_ES")
        self.reply(task)
        not_replied = self.child(task, "email_not_replied")
        self.assertEqual(not_replied.state, "cancelled")
        self.assertEqual(not_replied.reason_code, "event_replied")
        self.assertEqual(
            not_replied.with_context(lang="es_ES").error_message,
            "Se respondió al correo electrónico del paso anterior.",
        )
