# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestAutomationRuleShortcut(AutomationFlowCase):
    """``action_create_automation_rule`` is public: any user can call it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow = cls.create_flow()
        cls.add_step(cls.flow)

    def rules(self):
        return (
            self.env["base.automation"]
            .with_context(active_test=False)
            .search([("action_server_ids.automation_flow_id", "=", self.flow.id)])
        )

    def test_users_cannot_create_automation_rules(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        for user in (
            new_flow_user(self.env, "rule_user"),
            new_flow_user(self.env, "rule_internal", group=None),
            new_flow_user(self.env, "rule_other", AUTOMATION_MANAGER, other_company),
        ):
            with self.assertRaises(AccessError):
                self.flow.with_user(user).action_create_automation_rule()
        self.assertFalse(self.rules())

    def test_manager_creates_an_inactive_rule(self):
        manager = new_flow_user(self.env, "rule_manager", AUTOMATION_MANAGER)
        self.assertFalse(manager.has_group("base.group_system"))
        action = self.flow.with_user(manager).action_create_automation_rule()
        rule = self.rules()
        self.assertEqual(action["res_id"], rule.id)
        self.assertFalse(rule.active, "inactive until the manager configured it")
        self.assertEqual(rule.action_server_ids.state, "automation_flow_enroll")
        # Inactive, it enrolls nothing.
        self.start(self.flow)
        self.env["res.partner"].create({"name": "Flow contact new"})
        self.assertFalse(self.flow.enrollment_ids)
