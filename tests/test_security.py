# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import AutomationFlowCase


@tagged("post_install", "-at_install")
class TestSecurity(AutomationFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="flow_manager",
            groups="base.group_user,automation_flow.group_automation_flow_manager",
        )
        cls.user = new_test_user(
            cls.env,
            login="flow_user",
            groups="base.group_user,automation_flow.group_automation_flow_user",
        )

    def test_manager_without_settings_configures_starts_and_runs(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "Manager's flow",
                "model_id": self.partner_model.id,
                "domain": "[('name', '=like', 'Flow contact%')]",
            }
        )
        email = env["automation.flow.step"].create(
            {
                "name": "Email",
                "flow_id": flow.id,
                "step_type": "email",
                "mail_template_id": self.template.id,
            }
        )
        env["automation.flow.step"].create(
            {
                "name": "Activity",
                "flow_id": flow.id,
                "parent_id": email.id,
                "trigger": "after_step",
                "step_type": "activity",
                "activity_type_id": self.todo.id,
                "activity_user_id": self.manager.id,
            }
        )
        self.add_enroll_rule(flow)
        flow.action_start()
        flow.action_run()
        self.run_due()  # the cron, as OdooBot
        self.assertEqual(flow.enrollment_count, len(self.partners))
        self.assertEqual(set(flow.enrollment_ids.task_ids.mapped("state")), {"done"})
        flow.action_done()
        self.assertEqual(flow.state, "done")

    def test_user_reads_and_runs_but_cannot_configure(self):
        flow = self.create_flow()
        step = self.add_step(flow, "action")
        self.start(flow)
        env = self.env(user=self.user)
        user_flow = env["automation.flow"].browse(flow.id)
        self.assertEqual(user_flow.name, "Test flow")
        with self.assertRaises(AccessError):
            user_flow.write({"name": "Mine now"})
        with self.assertRaises(AccessError):
            env["automation.flow"].create(
                {"name": "Mine", "model_id": self.partner_model.id}
            )
        with self.assertRaises(AccessError):
            env["automation.flow.step"].browse(step.id).write({"delay": 3})
        with self.assertRaises(AccessError):
            user_flow.action_done()
        user_flow.action_run()
        self.run_due()  # the cron, as OdooBot
        self.assertEqual(
            set(user_flow.enrollment_ids.task_ids.mapped("state")), {"done"}
        )

    def test_opens_waiting_for_the_scheduler_are_nobodys_to_change(self):
        """The rows an open leaves for the scheduler name tasks of every
        company: no flow group reads them, no one but the engine writes."""
        self.env["automation.flow.deferred.move"].create(
            {"task_id": 1, "event": "opened", "at": "2026-03-02 10:00:00"}
        )
        admin = new_test_user(
            self.env, login="flow_admin", groups="base.group_user,base.group_system"
        )
        for user in (self.manager, self.user):
            with self.assertRaises(AccessError):
                self.env["automation.flow.deferred.move"].with_user(user).search([])
        moves = self.env["automation.flow.deferred.move"].with_user(admin)
        self.assertEqual(moves.search([]).event, "opened")
        for forbidden in (
            lambda: moves.create({"task_id": 2, "event": "opened", "at": False}),
            lambda: moves.search([]).write({"event": "clicked"}),
            lambda: moves.search([]).unlink(),
        ):
            with self.assertRaises(AccessError):
                forbidden()

    def test_other_company_flows_are_invisible(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        flow = self.create_flow(company_id=other_company.id)
        self.assertFalse(
            self.env["automation.flow"]
            .with_user(self.manager)
            .search([("id", "=", flow.id)])
        )
        self.manager.company_ids |= other_company
        self.assertTrue(
            self.env["automation.flow"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=other_company.ids)
            .search([("id", "=", flow.id)])
        )
