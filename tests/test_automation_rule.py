# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestAutomationRuleShortcut(AutomationFlowCase):
    """The "Event enrollment" tab: no rule until a preset is chosen, each
    preset a correctly configured rule, the rules listed on the flow.

    (Was: the shortcut created an inactive catch-all "On save" rule at once
    and opened it, which a manager without Settings could not read.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow = cls.create_flow(name="Abandoned carts")
        cls.step = cls.add_step(cls.flow)
        cls.manager = new_flow_user(cls.env, "rule_manager", AUTOMATION_MANAGER)
        cls.field = cls.env["ir.model.fields"]._get

    def rules(self):
        return (
            self.env["base.automation"]
            .with_context(active_test=False)
            .search([("action_server_ids.automation_flow_id", "=", self.flow.id)])
        )

    def enrolled(self):
        return self.flow.enrollment_ids.mapped("res_id")

    def test_users_cannot_create_automation_rules(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        for user in (
            new_flow_user(self.env, "rule_user"),
            new_flow_user(self.env, "rule_internal", group=None),
            new_flow_user(self.env, "rule_other", AUTOMATION_MANAGER, other_company),
        ):
            with self.assertRaises(AccessError):
                self.flow.with_user(user).action_create_automation_rule()
        with self.assertRaises(AccessError):
            self.env["automation.flow.rule.preset"].with_user(
                new_flow_user(self.env, "rule_user2")
            ).create({"flow_id": self.flow.id})
        self.assertFalse(self.rules())

    def test_no_rule_until_a_preset_is_chosen(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        action = self.flow.with_user(self.manager).action_create_automation_rule()
        self.assertEqual(action["res_model"], "automation.flow.rule.preset")
        self.assertFalse(self.rules(), "nothing before the wizard is done")

    def test_record_created(self):
        rule = self.add_enroll_rule(self.flow.with_user(self.manager))
        self.assertRecordValues(
            rule,
            [
                {
                    "trigger": "on_create",
                    "active": True,
                    "filter_pre_domain": False,
                    "filter_domain": False,
                }
            ],
        )
        self.assertEqual(rule.action_server_ids.name, "Enroll in flow: Abandoned carts")
        self.start(self.flow)
        new = self.env["res.partner"].create({"name": "Flow contact new"})
        self.assertEqual(self.enrolled(), new.ids)
        self.assertTasks(self.step, new, "scheduled")
        # An update is not a creation.
        self.partners[0].name = "Flow contact renamed"
        self.assertEqual(self.enrolled(), new.ids)

    def test_field_set_to_a_value(self):
        rule = self.add_enroll_rule(
            self.flow.with_user(self.manager),
            "field_set",
            field_id=self.field("res.partner", "function").id,
            value_char="Buyer",
            filter_domain="[('email', '!=', False)]",
        )
        self.assertRecordValues(
            rule,
            [
                {
                    "trigger": "on_create_or_write",
                    "trigger_field_ids": self.field("res.partner", "function").ids,
                    "filter_pre_domain": "[('function', '!=', 'Buyer')]",
                    "filter_domain": "[('function', '=', 'Buyer')] + "
                    "[('email', '!=', False)]",
                }
            ],
        )
        self.start(self.flow)
        self.partners[0].function = "Seller"
        self.partners[1].email = False
        (self.partners[:2]).function = "Buyer"
        self.assertEqual(self.enrolled(), self.partners[0].ids)
        created = self.env["res.partner"].create(
            {"name": "Flow contact buyer", "function": "Buyer", "email": "b@e.com"}
        )
        self.assertEqual(
            sorted(self.enrolled()), sorted((self.partners[0] | created).ids)
        )

    def test_stage_entered_and_left(self):
        mister = self.env["res.partner.title"].create({"name": "Mister flow"})
        doctor = self.env["res.partner.title"].create({"name": "Doctor flow"})
        title = self.field("res.partner", "title")
        entered = self.add_enroll_rule(
            self.flow.with_user(self.manager),
            "stage_entered",
            field_id=title.id,
            value_res_id=mister.id,
        )
        self.assertRecordValues(
            entered,
            [
                {
                    "trigger": "on_create_or_write",
                    "trigger_field_ids": title.ids,
                    "filter_pre_domain": f"[('title', '!=', {mister.id})]",
                    "filter_domain": f"[('title', '=', {mister.id})]",
                }
            ],
        )
        left_flow = self.create_flow(name="Left")
        self.add_step(left_flow)
        left = self.add_enroll_rule(
            left_flow, "stage_left", field_id=title.id, value_res_id=mister.id
        )
        self.assertRecordValues(
            left,
            [
                {
                    "trigger": "on_write",
                    "trigger_field_ids": title.ids,
                    "filter_pre_domain": f"[('title', '=', {mister.id})]",
                    "filter_domain": f"[('title', '!=', {mister.id})]",
                }
            ],
        )
        self.start(self.flow)
        self.start(left_flow)
        # Created in another stage: entered nothing, left nothing.
        other = self.env["res.partner"].create(
            {"name": "Flow contact doctor", "title": doctor.id}
        )
        self.assertFalse(self.flow.enrollment_ids | left_flow.enrollment_ids)
        other.title = mister
        self.assertEqual(self.enrolled(), other.ids)
        self.assertFalse(left_flow.enrollment_ids)
        other.title = doctor
        self.assertEqual(left_flow.enrollment_ids.mapped("res_id"), other.ids)

    def test_date_reached(self):
        renewal = self.add_contact_field("x_flow_renewal", "Renewal", "datetime")
        rule = self.add_enroll_rule(
            self.flow.with_user(self.manager),
            "date_reached",
            field_id=renewal.id,
            date_delay=2,
            date_delay_type="day",
            date_direction="before",
        )
        self.assertRecordValues(
            rule,
            [
                {
                    "trigger": "on_time",
                    "trg_date_id": renewal.id,
                    "trg_date_range": -2,
                    "trg_date_range_type": "day",
                }
            ],
        )
        self.start(self.flow)
        self.partners[0].x_flow_renewal = datetime(2026, 3, 10, 9, 0)
        self.partners[1].x_flow_renewal = datetime(2026, 4, 10, 9, 0)
        rule.last_run = datetime(2026, 3, 1)
        with self.at(datetime(2026, 3, 8, 10, 0)):
            rule._check(automatic=False)
        self.assertEqual(self.enrolled(), self.partners[0].ids)

    def test_the_tab_lists_the_rules(self):
        rule = self.add_enroll_rule(self.flow.with_user(self.manager))
        flow = self.flow.with_user(self.manager)
        action = flow.enroll_action_ids
        self.assertEqual(action.automation_rule_trigger, "On creation")
        self.assertTrue(action.automation_rule_active)
        action.action_toggle_automation_rule()
        self.assertFalse(rule.active)
        self.assertFalse(action.automation_rule_active)
        # A user does not see the list, may not pause or remove the rules.
        user = new_flow_user(self.env, "rule_reader")
        with self.assertRaises(AccessError):
            self.flow.with_user(user).enroll_action_ids  # noqa: B018
        with self.assertRaises(AccessError):
            action.with_user(user).action_toggle_automation_rule()
        with self.assertRaises(AccessError):
            action.with_user(user).action_remove_automation_rule()
        with self.assertRaises(AccessError):
            action.action_open_automation_rule()  # a rule is for Settings
        self.assertEqual(
            action.with_user(
                self.env.ref("base.user_admin")
            ).action_open_automation_rule()["res_id"],
            rule.id,
        )
        # Renaming the flow renames the action line.
        flow.name = "Carts left"
        self.assertEqual(action.name, "Enroll in flow: Carts left")
        action.action_remove_automation_rule()
        self.assertFalse(rule.exists() or action.exists())
        self.assertFalse(flow.enroll_action_ids)

    def test_wrong_values_say_what_to_fix(self):
        flow = self.flow.with_user(self.manager)
        with self.assertRefused(UserError, "Choose the field"):
            self.add_enroll_rule(flow, "field_set")
        with self.assertRefused(UserError, "Choose the value of Title"):
            self.add_enroll_rule(
                flow, "stage_entered", field_id=self.field("res.partner", "title").id
            )
        with self.assertRefused(UserError, "cannot be used"):
            self.add_enroll_rule(flow, filter_domain="[('no_such_field', '=', 1)]")
        self.assertFalse(self.rules())
