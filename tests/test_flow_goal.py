# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..engine import states
from .common import AUTOMATION_MANAGER, HOUR, NOW, AutomationFlowCase, new_flow_user

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestFlowGoal(AutomationFlowCase):
    """A record reaching the flow's goal leaves it as converted, whether the
    write is seen by the ORM or found when one of its tasks is due."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "goal_manager", AUTOMATION_MANAGER)
        cls.writer = new_flow_user(
            cls.env, "goal_contact_writer", group="base.group_partner_manager"
        )

    def setUp(self):
        super().setUp()
        self.keep_record_hooks()

    def start_flow(self):
        """As the manager: a flow on 4 contacts whose goal is to become a
        customer, an activity a day after enrollment."""
        self.assertFalse(self.manager.has_group("base.group_system"))
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "Convert",
                "model_id": self.partner_model.id,
                "domain": "[('name', 'in', %r)]" % self.partners[:4].mapped("name"),
                "goal_domain": "[('function', '=', 'Customer')]",
            }
        )
        step = env["automation.flow.step"].create(
            {
                "name": "Follow up",
                "flow_id": flow.id,
                "step_type": "activity",
                "activity_type_id": self.todo.id,
                "delay": 1,
                "delay_unit": "days",
            }
        )
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
        self.assertTasks(step, self.partners[:4], states.TASK_SCHEDULED)
        return flow, step

    def enrollment(self, flow, partner):
        return flow.enrollment_ids.filtered(lambda e: e.res_id == partner.id)

    def test_converted_by_write_and_by_the_scheduler(self):
        flow, step = self.start_flow()
        by_write, by_sql = self.partners[:2]
        with self.at(NOW + HOUR):
            by_write.with_user(self.writer).write({"function": "Customer"})
        enrollment = self.enrollment(flow, by_write)
        self.assertEqual(enrollment.state, states.ENROLLMENT_CONVERTED)
        self.assertEqual(enrollment.exit_reason, "The record reached the flow's goal.")
        self.assertTasks(step, by_write, states.TASK_CANCELLED)
        self.assertEqual(self.tasks_of(step, by_write).reason_code, "converted")
        # A write the ORM does not see is caught when the task is due.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET function = 'Customer' WHERE id = %s", [by_sql.id]
        )
        self.env.invalidate_all()
        with self.at(NOW + DAY):
            self.run_due()
        self.assertEqual(
            self.enrollment(flow, by_sql).state, states.ENROLLMENT_CONVERTED
        )
        self.assertTasks(step, by_write | by_sql, states.TASK_CANCELLED)
        self.assertTasks(step, self.partners[2:4], states.TASK_DONE)
        flow.invalidate_recordset()
        self.assertEqual(flow.enrollment_converted_count, 2)
        self.assertEqual(flow.conversion_rate, 50.0)
        journey = self.env["automation.flow.enrollment"].get_journeys(
            "res.partner", by_write.id
        )[0]
        self.assertEqual(
            (journey["state_label"], journey["exit_reason"]),
            ("Converted", "The record reached the flow's goal."),
        )
        # Once converted, the record stays so.
        by_write.with_user(self.writer).write({"function": "Buyer"})
        self.assertEqual(
            self.enrollment(flow, by_write).state, states.ENROLLMENT_CONVERTED
        )

    def test_time_to_convert_and_converted_after_each_step(self):
        """The flow's median time to convert; each step counts the records
        converted after it was done for them, on its card and its form."""
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "Convert in steps",
                "model_id": self.partner_model.id,
                "domain": "[('name', 'in', %r)]" % self.partners[:4].mapped("name"),
                "goal_domain": "[('function', '=', 'Customer')]",
            }
        )
        # The last step keeps the enrollments running past the conversions.
        first, later, last = env["automation.flow.step"].create(
            [
                {
                    "name": name,
                    "flow_id": flow.id,
                    "step_type": "activity",
                    "activity_type_id": self.todo.id,
                    "delay": delay,
                    "delay_unit": "days",
                }
                for name, delay in (("Call", 0), ("Call again", 3), ("Last call", 9))
            ]
        )
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            self.run_due()
        self.assertFalse(flow.conversion_days)
        early, *late = self.partners[:3]
        with self.at(NOW + DAY):
            early.with_user(self.writer).write({"function": "Customer"})
        with self.at(NOW + 3 * DAY):
            self.run_due()
        self.assertTasks(later, self.partners[1:4], states.TASK_DONE)
        for days, partner in zip((4, 5), late, strict=True):
            with self.at(NOW + days * DAY):
                partner.with_user(self.writer).write({"function": "Customer"})
        flow.invalidate_recordset()
        self.assertEqual(flow.enrollment_converted_count, 3)
        # The median of 1, 4 and 5 days (their average would be 3.3).
        self.assertEqual(flow.conversion_days, 4.0)
        self.assertTasks(last, self.partners[:3], states.TASK_CANCELLED)
        (first | later | last).invalidate_recordset()
        self.assertEqual(
            (first.converted_count, later.converted_count, last.converted_count),
            (3, 2, 0),
        )
        cards = {
            card["id"]: {event["event"]: event for event in card["events"]}
            for card in flow.get_step_tree()["steps"]
        }
        self.assertEqual(
            [
                (
                    cards[step.id]["converted"]["label"],
                    cards[step.id]["converted"]["count"],
                )
                for step in (first, later)
            ],
            [("Converted after", 3), ("Converted after", 2)],
        )
        self.assertNotIn("converted", cards[last.id])

    def test_writing_another_field_costs_no_query(self):
        Flow = self.env["automation.flow"]
        partner = self.partners[0].with_user(self.writer)
        Flow._remove_record_hooks()
        without_flow = self.count_queries(lambda: partner.write({"city": "A"}))
        self.start_flow()
        self.assertIn("function", Flow._installed_record_hooks()["res.partner"])
        with_flow = self.count_queries(lambda: partner.write({"city": "B"}))
        self.assertEqual(with_flow, without_flow)

    def test_goal_must_fit_the_model(self):
        flow = self.env(user=self.manager)["automation.flow"].create(
            {"name": "No goal", "model_id": self.partner_model.id}
        )
        self.assertFalse(flow.goal_domain)
        with self.assertRefused(ValidationError, "The goal of the flow No goal"):
            flow.goal_domain = "[('no_such_field', '=', 1)]"
