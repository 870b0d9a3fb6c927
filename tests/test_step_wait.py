# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..engine import states
from .common import AUTOMATION_MANAGER, HOUR, NOW, AutomationFlowCase, new_flow_user

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestWaitUntilStep(AutomationFlowCase):
    """A wait-until lets the records already matching through at once; the
    others wait until a write makes them match ("Condition met") or until
    the timeout ("Timed out")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "wait_manager", AUTOMATION_MANAGER)
        # An internal user editing contacts, who knows nothing of flows.
        cls.writer = new_flow_user(
            cls.env, "wait_contact_writer", group="base.group_partner_manager"
        )
        cls.customer, cls.later, *cls.others = cls.partners[:4]
        cls.customer.function = "Customer"

    def setUp(self):
        super().setUp()
        self.keep_record_hooks()

    def create_steps(self, env):
        """As the manager, with the values the form requires."""
        flow = env["automation.flow"].create(
            {
                "name": "Onboard customers",
                "model_id": self.partner_model.id,
                "domain": "[('name', 'in', %r)]" % self.partners[:4].mapped("name"),
            }
        )
        Step = env["automation.flow.step"]
        wait = Step.create(
            {
                "name": "Until they are customers",
                "flow_id": flow.id,
                "step_type": "wait",
                "wait_domain": "[('function', '=', 'Customer')]",
                "expiry": 2,
                "expiry_unit": "days",
            }
        )
        met, timed_out = (
            Step.create(
                {
                    "name": name,
                    "flow_id": flow.id,
                    "parent_id": wait.id,
                    "step_type": "activity",
                    "trigger": trigger,
                    "activity_type_id": self.todo.id,
                    **values,
                }
            )
            for name, trigger, values in (
                ("Welcome call", "wait_met", {}),
                ("Chase", "wait_timed_out", {"delay": 1, "delay_unit": "hours"}),
            )
        )
        return flow, wait, met, timed_out

    def run_until_waiting(self):
        flow, wait, met, timed_out = self.create_steps(self.env(user=self.manager))
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            self.run_due()
        self.assertTasks(wait, self.customer, states.TASK_DONE)
        self.assertTasks(wait, self.partners[1:4], states.TASK_WAITING)
        self.assertEqual(
            set(self.tasks_of(wait, self.partners[1:4]).mapped("expires_at")),
            {NOW + 2 * DAY},
        )
        self.assertTasks(met, self.customer, states.TASK_DONE)
        return flow, wait, met, timed_out

    def test_met_by_another_users_write_then_timed_out(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        flow, wait, met, timed_out = self.run_until_waiting()
        with self.at(NOW + HOUR):
            self.later.with_user(self.writer).write({"function": "Customer"})
            # A write of a field the condition does not read changes nothing.
            self.others[0].with_user(self.writer).write({"city": "Lyon"})
        task = self.tasks_of(wait, self.later)
        self.assertEqual((task.state, task.outcome), (states.TASK_DONE, "met"))
        self.assertEqual(task.done_at, NOW + HOUR)
        self.assertTasks(met, self.later, states.TASK_SCHEDULED)
        self.assertEqual(self.tasks_of(met, self.later).scheduled_at, NOW + HOUR)
        with self.at(NOW + HOUR):
            self.run_due()
        self.assertTasks(met, self.customer | self.later, states.TASK_DONE)
        self.assertTasks(wait, self.partners[2:4], states.TASK_WAITING)
        self.assertFalse(self.tasks_of(timed_out))
        # The timeout: expired as "timed out", and that branch follows.
        with self.at(NOW + 2 * DAY):
            self.run_due()
        ended = self.tasks_of(wait, self.partners[2:4])
        self.assertEqual(set(ended.mapped("state")), {states.TASK_EXPIRED})
        self.assertEqual(set(ended.mapped("outcome")), {"timed_out"})
        self.assertTasks(timed_out, self.partners[2:4], states.TASK_SCHEDULED)
        with self.at(NOW + 2 * DAY + HOUR):
            self.run_due()
        self.assertTasks(timed_out, self.partners[2:4], states.TASK_DONE)
        # A match after the timeout comes too late.
        self.others[0].with_user(self.writer).write({"function": "Customer"})
        self.assertTasks(met, self.customer | self.later, states.TASK_DONE)
        counts = {event["event"]: event["count"] for event in wait._designer_events()}
        self.assertEqual(counts.get("wait_met"), 2)
        self.assertEqual(counts.get("wait_timed_out"), 2)

    def test_sweep_finds_records_written_by_sql(self):
        _flow, wait, met, _timed_out = self.run_until_waiting()
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET function = 'Customer' WHERE id = %s",
            [self.later.id],
        )
        self.env.invalidate_all()
        self.assertTasks(wait, self.later, states.TASK_WAITING)
        with self.at(NOW + HOUR):
            self.run_due()
        task = self.tasks_of(wait, self.later)
        self.assertEqual((task.state, task.outcome), (states.TASK_DONE, "met"))
        self.assertTasks(met, self.customer | self.later, states.TASK_DONE)
        self.assertTasks(wait, self.partners[2:4], states.TASK_WAITING)

    def test_writing_another_field_costs_no_query(self):
        Flow = self.env["automation.flow"]
        partner = self.others[0].with_user(self.writer)
        Flow._remove_record_hooks()
        without_flow = self.count_queries(lambda: partner.write({"city": "A"}))
        self.run_until_waiting()
        self.assertIn("function", Flow._installed_record_hooks()["res.partner"])
        with_flow = self.count_queries(lambda: partner.write({"city": "B"}))
        self.assertEqual(with_flow, without_flow)
        # A watched field does cost the check.
        watched = self.count_queries(lambda: partner.write({"function": "Buyer"}))
        self.assertGreater(watched, without_flow)

    def test_manager_creates_the_step_with_required_values_only(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {"name": "Wait", "model_id": self.partner_model.id}
        )
        step = env["automation.flow.step"].create(
            {"name": "Wait", "flow_id": flow.id, "step_type": "wait"}
        )
        self.assertEqual(step.wait_domain, "[]")
        options = env["automation.flow.step"].get_trigger_options("wait")
        self.assertEqual(
            sorted(key for key, _label in options),
            ["after_step", "wait_met", "wait_timed_out"],
        )
        with self.assertRefused(ValidationError, "awaited condition of the step Wait"):
            step.wait_domain = "[('no_such_field', '=', 1)]"
