# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import HOUR, NOW, AutomationFlowCase


@tagged("post_install", "-at_install")
class TestEventEnrollment(AutomationFlowCase):
    """Records pushed into a flow by an automation rule do not wait for the
    scheduler's next round: it is woken when their first step falls due."""

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("automation_flow.cron_process_due_tasks")

    def add_rule(self, flow):
        """An automation rule enrolling the contacts created or changed."""
        rule = self.env["base.automation"].create(
            {
                "name": "Enroll buyers",
                "model_id": self.partner_model.id,
                "trigger": "on_create_or_write",
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Enroll buyers",
                "model_id": self.partner_model.id,
                "state": "automation_flow_enroll",
                "automation_flow_id": flow.id,
                "usage": "base_automation",
                "base_automation_id": rule.id,
            }
        )

    def scheduler_triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])

    def test_rule_enrollment_wakes_the_scheduler(self):
        flow = self.create_flow(domain="[('function', '=', 'Buyer')]")
        step = self.add_step(flow)
        self.start(flow)
        self.add_rule(flow)
        before = self.scheduler_triggers()
        with self.at(NOW):
            buyer = self.env["res.partner"].create(
                {"name": "New buyer", "function": "Buyer"}
            )
        self.assertTasks(step, buyer, "scheduled")
        triggers = self.scheduler_triggers() - before
        self.assertEqual(triggers.mapped("call_at"), [NOW], "due now")

        # A record the flow's domain leaves out wakes nothing.
        with self.at(NOW):
            self.env["res.partner"].create({"name": "Not a buyer"})
        self.assertEqual(self.scheduler_triggers() - before, triggers)

    def test_rule_enrollment_wakes_the_scheduler_when_due(self):
        flow = self.create_flow(domain="[('function', '=', 'Buyer')]")
        self.add_step(flow, delay=2, delay_unit="hours")
        self.start(flow)
        self.add_rule(flow)
        before = self.scheduler_triggers()
        with self.at(NOW):
            self.env["res.partner"].create({"name": "New buyer", "function": "Buyer"})
        triggers = self.scheduler_triggers() - before
        self.assertEqual(triggers.mapped("call_at"), [NOW + 2 * HOUR])
