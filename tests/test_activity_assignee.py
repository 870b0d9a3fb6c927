# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestActivityAssignee(AutomationFlowCase):
    """Activities 'assigned to a user of the record' on contacts that mostly
    have no salesperson (as the demo contacts)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(
            cls.env, "flow_activity_manager", AUTOMATION_MANAGER
        )
        cls.user_field = cls.env.ref("base.field_res_partner__user_id")
        cls.partners[2:].user_id = False

    def test_records_without_salesperson_go_to_the_fallback(self):
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "Call the contacts",
                "model_id": self.partner_model.id,
                "domain": "[('name', '=like', 'Flow contact%')]",
            }
        )
        # Only the required values, as RPC, imports and data files do; by
        # someone else than the flow's responsible.
        step = self.env["automation.flow.step"].create(
            {
                "name": "Call",
                "flow_id": flow.id,
                "step_type": "activity",
                "activity_type_id": self.todo.id,
                "activity_user_type": "field",
                "activity_user_field_id": self.user_field.id,
            }
        )
        self.assertEqual(step.activity_user_id, self.manager, "the flow's responsible")
        self.assertEqual(
            step.activity_user_warning,
            f"4 of the 6 records matching the flow have no Salesperson: their "
            f"activities go to {self.manager.name}.",
        )
        flow.action_start()
        flow.action_run()
        self.run_due()
        self.assertTasks(step, self.partners, "done")
        assignees = {
            task.res_id: task.activity_id.user_id for task in self.tasks_of(step)
        }
        self.assertEqual(
            {assignees[partner.id] for partner in self.partners[2:]}, {self.manager}
        )
        self.assertEqual(
            {assignees[partner.id] for partner in self.partners[:2]},
            {self.salesperson},
        )

    def test_no_warning_when_every_record_has_a_user(self):
        flow = self.create_flow(domain=repr([("id", "in", self.partners[:2].ids)]))
        step = self.add_step(
            flow,
            "activity",
            activity_user_type="field",
            activity_user_field_id=self.user_field.id,
        )
        self.assertFalse(step.activity_user_warning)

    def test_a_fallback_is_required(self):
        flow = self.create_flow()
        with self.assertRaisesRegex(ValidationError, "Choose the assignee"):
            self.add_step(
                flow,
                "activity",
                activity_user_type="field",
                activity_user_field_id=self.user_field.id,
                activity_user_id=False,
            )
