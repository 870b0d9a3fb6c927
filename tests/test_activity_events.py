# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

from .common import HOUR, NOW

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestActivityEvents(TransactionCase):
    """Activities scheduled by a flow move it on when people mark them done
    or cancel them, through ``mail.activity``'s own buttons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partner_model = cls.env["ir.model"]._get("res.partner")
        cls.partners = cls.env["res.partner"].create(
            [{"name": "Ann"}, {"name": "Bob"}, {"name": "Carl"}]
        )
        cls.user = cls.env["res.users"].create(
            {
                "name": "Sales rep",
                "login": "flow_sales_rep",
                "email": "rep@example.com",
                "groups_id": [(6, 0, cls.env.ref("base.group_user").ids)],
            }
        )
        cls.activity_type = cls.env["mail.activity.type"].create(
            {"name": "Call the contact", "res_model": "res.partner"}
        )
        action = cls.env["ir.actions.server"].create(
            {
                "name": "Mark",
                "model_id": partner_model.id,
                "state": "code",
                "code": "records.write({'ref': 'next'})",
            }
        )
        cls.flow = cls.env["automation.flow"].create(
            {
                "name": "Calls",
                "model_id": partner_model.id,
                "domain": repr([("id", "in", cls.partners.ids)]),
            }
        )
        Step = cls.env["automation.flow.step"]
        cls.call_step = Step.create(
            {
                "name": "Call",
                "flow_id": cls.flow.id,
                "step_type": "activity",
                "trigger": "start",
                "activity_type_id": cls.activity_type.id,
                "activity_user_id": cls.user.id,
            }
        )
        for trigger, delay in (
            ("activity_done", 1),
            ("activity_cancelled", 0),
            ("activity_not_done", 2),
        ):
            Step.create(
                {
                    "name": trigger,
                    "flow_id": cls.flow.id,
                    "parent_id": cls.call_step.id,
                    "step_type": "action",
                    "server_action_id": action.id,
                    "trigger": trigger,
                    "delay": delay,
                    "delay_unit": "days",
                }
            )
        cls.flow.action_start()

    def setUp(self):
        super().setUp()
        with freeze_time(NOW):
            self.flow._enroll()
            self.env["automation.flow.task"]._process_due_tasks()
        tasks = self.env["automation.flow.task"].search(
            [("step_id", "=", self.call_step.id)]
        )
        self.tasks = tasks.sorted(lambda task: self.partners.ids.index(task.res_id))
        self.assertEqual(len(self.tasks.activity_id), 3)

    def children(self, task):
        return {child.trigger: child for child in task.child_ids}

    def test_done_with_and_without_feedback(self):
        ann, bob, _carl = self.tasks
        # Marked done by its assignee, who has no rights on flows.
        with freeze_time(NOW + HOUR):
            ann.activity_id.with_user(self.user).action_feedback(feedback="Interested")
            bob.activity_id.with_user(self.user).action_done()
        for task in (ann, bob):
            self.assertEqual(task.activity_done_at, NOW + HOUR)
            self.assertFalse(task.activity_cancelled_at, "deleting it is no cancel")
            self.assertFalse(task.activity_id, "Odoo deleted the done activity")
            children = self.children(task)
            self.assertEqual(children["activity_done"].state, "scheduled")
            self.assertEqual(children["activity_done"].scheduled_at, NOW + HOUR + DAY)
            self.assertEqual(children["activity_not_done"].state, "cancelled")
            self.assertEqual(children["activity_cancelled"].state, "cancelled")
        self.assertIn("Interested", self.partners[0].message_ids[0].body)
        self.assertEqual(self.call_step.activity_done_count, 2)

    def test_done_kept_activity(self):
        """Types that keep done activities archive them instead."""
        self.activity_type.keep_done = True
        ann = self.tasks[0]
        with freeze_time(NOW + HOUR):
            ann.activity_id.action_done()
        self.assertEqual(ann.activity_done_at, NOW + HOUR)
        self.assertFalse(ann.activity_id.active)
        self.assertEqual(self.children(ann)["activity_done"].state, "scheduled")

    def test_cancelled(self):
        ann = self.tasks[0]
        with freeze_time(NOW + HOUR):
            ann.activity_id.with_user(self.user).action_cancel()
        self.assertEqual(ann.activity_cancelled_at, NOW + HOUR)
        self.assertFalse(ann.activity_done_at)
        children = self.children(ann)
        self.assertEqual(children["activity_cancelled"].state, "scheduled")
        self.assertEqual(children["activity_cancelled"].scheduled_at, NOW + HOUR)
        self.assertEqual(children["activity_done"].state, "cancelled")
        self.assertEqual(children["activity_not_done"].state, "scheduled")
        self.assertEqual(self.call_step.activity_cancelled_count, 1)

    def test_not_done(self):
        """Neither done nor cancelled within two days: "not done" runs."""
        with freeze_time(NOW + HOUR):
            self.tasks[0].activity_id.action_done()
        with freeze_time(NOW + 2 * DAY):
            self.env["automation.flow.task"]._process_due_tasks()
        ann, bob, carl = self.tasks
        for task in (bob, carl):
            children = self.children(task)
            self.assertEqual(children["activity_not_done"].state, "done")
            self.assertEqual(children["activity_done"].state, "waiting")
        self.assertEqual(self.children(ann)["activity_not_done"].state, "cancelled")
        self.assertEqual(self.children(ann)["activity_done"].state, "done")
        self.assertEqual(self.partners[1].ref, "next")
