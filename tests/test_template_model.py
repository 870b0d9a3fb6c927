# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestTemplateModel(AutomationFlowCase):
    """A contacts flow sends a template that someone switches to users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.editor = new_flow_user(
            cls.env, "flow_template_editor", group="mail.group_mail_template_editor"
        )
        cls.users_model = cls.env.ref("base.model_res_users")

    def email_flow(self, periodic=False):
        flow = self.create_flow()
        step = self.add_step(flow, "email")
        self.add_step(flow, "action", parent=step)
        return self.start(flow, periodic=periodic), step

    def test_template_of_a_running_flow_keeps_its_model(self):
        for periodic in (False, True):
            with self.subTest(periodic=periodic):
                flow, _step = self.email_flow(periodic)
                template = self.template.with_user(self.editor)
                with self.assertRaisesRegex(UserError, flow.name):
                    template.write({"model_id": self.users_model.id})
                with self.assertRaisesRegex(UserError, "cannot change while"):
                    template.sudo().write({"model_id": self.users_model.id})
                self.assertEqual(self.template.model, "res.partner")
                flow.action_done()
        template.write({"model_id": self.users_model.id})
        self.assertEqual(self.template.model, "res.users", "no running flow")

    def test_template_switched_behind_the_flow_sends_nothing(self):
        flow, step = self.email_flow()
        flow.action_run()
        # Forced past the check, straight in the database.
        self.env.cr.execute(
            "UPDATE mail_template SET model_id = %s, model = 'res.users' WHERE id = %s",
            (self.users_model.id, self.template.id),
        )
        self.template.invalidate_recordset()
        mails_before = self.env["mail.mail"].search_count([])
        self.run_due()
        self.assertTasks(step, self.partners, "error")
        error = self.tasks_of(step)[0].error_message
        self.assertIn("is now made for User", error)
        self.assertIn("nothing was sent", error)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        self.assertFalse(self.tasks_of(step).mail_mail_id)
        self.assertFalse(
            self.tasks_of(step).child_ids, "the steps after it do not run either"
        )
