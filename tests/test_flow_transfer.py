# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestFlowTransfer(AutomationFlowCase):
    """A flow exported as JSON and imported again is the same flow: export →
    import → export gives the same file, for every step type and branch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "transfer_manager", AUTOMATION_MANAGER)
        cls.user = new_flow_user(cls.env, "transfer_user")
        field = cls.env["ir.model.fields"]._get
        tag = cls.env["automation.flow.tag"].create({"name": "Transfer tag"})
        cls.flow = cls.create_flow(
            name="Abandoned carts",
            domain="[('email', '!=', False)]",
            unique_field_id=field("res.partner", "email").id,
            reenroll_policy="after_days",
            reenroll_days=12,
            tag_ids=[(6, 0, tag.ids)],
            goal_domain="[('function', '=', 'Customer')]",
        )
        flow = cls.flow
        condition = cls.add_step(
            flow,
            "condition",
            name="Has a phone?",
            condition_domain="[('phone', '!=', False)]",
        )
        email = cls.add_step(
            flow,
            "email",
            parent=condition,
            trigger="condition_yes",
            name="Reminder",
            delay=2,
            delay_unit="days",
        )
        cls.add_step(
            flow,
            "activity",
            parent=email,
            trigger="email_not_opened",
            name="Call them",
            delay=3,
            delay_unit="days",
            activity_type_id=cls.env.ref("mail.mail_activity_data_call").id,
            activity_summary="Call about the cart",
        )
        cls.add_step(flow, "action", parent=condition, trigger="condition_no")
        split = cls.add_step(
            flow, "split", name="A/B", split_percent_a=30, split_percent_b=70
        )
        cls.add_step(
            flow,
            "update",
            parent=split,
            trigger="split_b",
            name="Tag B",
            update_line_ids=[
                (
                    0,
                    0,
                    {
                        "field_id": field("res.partner", "function").id,
                        "value_char": "B",
                    },
                )
            ],
        )
        cls.add_step(
            flow,
            "wait",
            parent=split,
            trigger="split_a",
            name="Wait for a customer",
            wait_domain="[('function', '=', 'Customer')]",
            expiry=5,
        )
        # Step types added later travel too: their fields are found
        # generically (a webhook, an assignment by rules, an approval).
        webhook = cls.add_step(
            flow,
            "webhook",
            name="Tell the shop",
            webhook_url="https://shop.example.com/hooks/odoo",
            webhook_field_ids=[(6, 0, field("res.partner", "email").ids)],
        )
        cls.add_step(
            flow,
            "assign",
            parent=webhook,
            name="Dispatch",
            assign_field_id=field("res.partner", "user_id").id,
            assign_method="rules",
            assign_fallback_user_id=cls.manager.id,
            assign_rule_ids=[
                (0, 0, {"domain": "[('phone', '!=', False)]", "user_id": cls.user.id})
            ],
        )
        cls.add_step(flow, "approval", name="Approve the discount")

    def export(self, flows, user=None):
        flows = flows.with_user(user or self.env.user)
        action = flows.action_export()
        wizard = flows.env[action["res_model"]].browse(action["res_id"])
        return base64.b64decode(wizard.file), wizard.filename

    def import_file(self, content, user=None):
        Import = self.env["automation.flow.import"].with_user(user or self.manager)
        wizard = Import.create(
            {"file": base64.b64encode(content), "filename": "f.json"}
        )
        wizard.action_import()
        return wizard

    def test_round_trip_is_lossless(self):
        content, filename = self.export(self.flow)
        self.assertEqual(filename, "Abandoned_carts.json")
        document = json.loads(content)
        steps = document["flows"][0]["steps"]
        self.assertEqual(
            [step["step_type"] for step in steps],
            ["condition", "split", "webhook", "approval"],
        )
        self.assertEqual(
            steps[2]["children"][0]["assign_rule_ids"],
            [
                {
                    "domain": "[('phone', '!=', False)]",
                    "user_id": {"xmlid": False, "name": self.user.name},
                }
            ],
        )
        self.assertEqual(steps[2]["webhook_field_ids"], [["res.partner", "email"]])
        reminder = steps[0]["children"][0]
        self.assertEqual(reminder["trigger"], "condition_yes")
        self.assertEqual(
            reminder["mail_template_id"]["values"]["subject"], "Hello {{ object.name }}"
        )
        self.assertEqual(
            reminder["children"][0]["activity_type_id"],
            {"xmlid": "mail.mail_activity_data_call", "name": "Call"},
        )

        wizard = self.import_file(content)
        copy = wizard.flow_ids
        self.assertEqual(len(copy), 1)
        self.assertNotEqual(copy, self.flow)
        self.assertEqual(copy.state, "draft")
        self.assertEqual(copy.user_id, self.manager, "the importer is responsible")
        self.assertEqual(len(copy.step_ids), len(self.flow.step_ids))
        self.assertEqual(
            copy.step_ids.mail_template_id, self.template, "the same template, found"
        )
        self.assertIn("Found", wizard.report)
        again, _filename = self.export(copy)
        self.assertEqual(again.decode(), content.decode())

    def test_into_another_database_templates_are_created(self):
        """A template unknown here (another database) is created from the
        file; an unknown server action is reported, and with a step that
        needs it nothing is imported."""
        # Templates with placeholders are for the template editors (Odoo's
        # rule): the manager who imports one must be one.
        self.manager.groups_id += self.env.ref("mail.group_mail_template_editor")
        content, _filename = self.export(self.flow)
        document = json.loads(content)
        reminder = document["flows"][0]["steps"][0]["children"][0]
        reminder["mail_template_id"]["name"] = "Cart reminder (other db)"
        reminder["mail_template_id"]["values"]["name"] = "Cart reminder (other db)"
        wizard = self.import_file(json.dumps(document).encode())
        template = wizard.flow_ids.step_ids.mail_template_id
        self.assertEqual(template.name, "Cart reminder (other db)")
        self.assertEqual(template.body_html, self.template.body_html)
        self.assertIn("Cart reminder (other db)", wizard.report)

        action = document["flows"][0]["steps"][0]["children"][1]
        action["server_action_id"] = {"xmlid": False, "name": "No such action"}
        Flow = self.env["automation.flow"]
        count = Flow.search_count([])
        with self.assertRefused(UserError, "(?s)Nothing was imported.*No such action"):
            self.import_file(json.dumps(document).encode())
        self.assertEqual(Flow.search_count([]), count, "one transaction")

    def test_bad_files_say_what_is_wrong(self):
        Flow = self.env["automation.flow"]
        count = Flow.search_count([])
        content, _filename = self.export(self.flow)
        document = json.loads(content)
        document["flows"][0]["steps"][1]["children"][0]["step_type"] = "teleport"
        cases = [
            (b"{not json", "not valid JSON"),
            (b'{"flows": []}', "not an export of automation flows"),
            (
                json.dumps(
                    {"format": "automation_flow", "version": 99, "flows": []}
                ).encode(),
                "format version 99",
            ),
            (
                json.dumps(
                    {
                        "format": "automation_flow",
                        "version": 1,
                        "flows": [{"model_id": "x.y"}],
                    }
                ).encode(),
                "x.y, which is not installed",
            ),
            (json.dumps(document).encode(), "type teleport"),
            (
                json.dumps(
                    {"format": "automation_flow", "version": 1, "flows": []}
                ).encode(),
                "holds no flow",
            ),
            (
                content.replace(b'"reenroll_days": 12', b'"reenroll_days": [12]'),
                "a value this database cannot use",
            ),
            (
                content.replace(
                    b'"reenroll_policy": "after_days"', b'"reenroll_policy": "never"'
                ),
                "a value this database cannot use",
            ),
        ]
        for content, message in cases:
            with self.subTest(message), self.assertRefused(UserError, message):
                self.import_file(content)
        self.assertEqual(Flow.search_count([]), count)
        wizard = (
            self.env["automation.flow.import"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(b"abc")[:-1]})
        )
        with self.assertRefused(UserError, "could not be read"):
            wizard.action_import()

    def test_who_may_export_and_import(self):
        """An Automation User may export (the file holds what they read in
        the flow's form) but not import; a manager without Settings may do
        both; an internal user without the module's groups neither."""
        self.assertFalse(self.manager.has_group("base.group_system"))
        content, _filename = self.export(self.flow, self.user)
        self.assertEqual(content, self.export(self.flow, self.manager)[0])
        with self.assertRaises(AccessError):
            self.import_file(content, self.user)
        self.assertTrue(self.import_file(content, self.manager).flow_ids)
        internal = new_flow_user(self.env, "transfer_internal", group=None)
        with self.assertRaises(AccessError):
            self.export(self.flow, internal)

    def test_translations_travel(self):
        self.env["res.lang"]._activate_lang("es_ES")
        reminder = self.flow.step_ids.filtered(lambda step: step.name == "Reminder")
        reminder.update_field_translations("name", {"es_ES": "Recordatorio"})
        content, _filename = self.export(self.flow)
        step = json.loads(content)["flows"][0]["steps"][0]["children"][0]
        self.assertEqual(step["name"], {"en_US": "Reminder", "es_ES": "Recordatorio"})
        copy = self.import_file(content).flow_ids
        self.assertEqual(
            copy.step_ids.filtered(lambda step: step.name == "Reminder")
            .with_context(lang="es_ES")
            .name,
            "Recordatorio",
        )
        self.assertEqual(self.export(copy)[0], content)

    def test_templates_with_placeholders_need_a_template_editor(self):
        """Odoo lets only template editors write placeholders: a manager who
        is not one imports nothing, and is told why."""
        self.manager.groups_id -= self.env.ref("mail.group_mail_template_editor")
        content, _filename = self.export(self.flow)
        document = json.loads(content)
        template = document["flows"][0]["steps"][0]["children"][0]["mail_template_id"]
        template["name"] = template["values"]["name"] = "Elsewhere"
        with self.assertRefused(UserError, "Nothing was imported.*Template Editor"):
            self.import_file(json.dumps(document).encode())
