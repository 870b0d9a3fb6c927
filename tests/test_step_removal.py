# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestStepRemoval(AutomationFlowCase):
    """Removing a step of a running flow asks with what it takes away and
    archives a step with history by default; a step with pending tasks says
    which ones a change affects."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "removal_manager", AUTOMATION_MANAGER)
        cls.user = new_flow_user(cls.env, "removal_user")
        cls.flow = cls.create_flow()
        cls.email = cls.add_step(cls.flow, "email", name="Welcome")
        cls.follow_up = cls.add_step(
            cls.flow, "action", parent=cls.email, delay=2, delay_unit="days"
        )
        cls.start(cls.flow)

    def dialog(self, step, user=None):
        step = step.with_user(user or self.manager)
        action = step.action_confirm_delete()
        return step.env[action["res_model"]].browse(action["res_id"])

    def run_email(self):
        self.flow._enroll()
        self.run_due()

    def test_step_with_history_is_archived_by_default(self):
        self.run_email()
        removal = self.dialog(self.email)
        self.assertRecordValues(
            removal,
            [
                {
                    "has_history": True,
                    "mode": "archive",
                    "step_count": 1,
                    "record_count": 6,
                    "done_count": 6,
                    "pending_count": 6,
                }
            ],
        )
        removal.action_confirm()
        steps = self.email | self.follow_up
        self.assertEqual(steps.mapped("active"), [False, False])
        self.assertFalse(self.flow.step_ids, "the designer no longer shows them")
        self.assertTasks(self.email, self.partners, "done")
        self.assertTasks(self.follow_up, self.partners, "cancelled")
        self.assertIn(
            "archived by removal_manager",
            self.tasks_of(self.follow_up)[0].error_message,
        )
        # The flow's figures keep the history.
        self.assertEqual(self.flow.task_count, 12)
        self.assertEqual(
            set(self.flow.enrollment_ids.mapped("state")), {"done"}, "nothing left"
        )

    def test_delete_takes_the_history(self):
        self.run_email()
        removal = self.dialog(self.email)
        removal.mode = "delete"
        removal.action_confirm()
        self.assertFalse((self.email | self.follow_up).exists())
        self.assertFalse(self.flow.task_count)

    def test_step_without_history_is_deleted(self):
        removal = self.dialog(self.follow_up)
        self.assertFalse(removal.has_history)
        removal.action_confirm()
        self.assertFalse(self.follow_up.exists())
        self.assertTrue(self.email.exists())

    def test_automation_user_cannot_remove(self):
        with self.assertRaises(AccessError):
            self.dialog(self.email, self.user)

    def test_pending_tasks_a_change_affects(self):
        self.assertFalse(self.follow_up.pending_notice)
        self.run_email()
        self.follow_up.invalidate_recordset()
        self.assertIn(
            "Tasks pending at this step: 6 scheduled, 0 waiting",
            self.follow_up.with_user(self.manager).pending_notice,
        )
