# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import AutomationFlowCase

MANAGER_GROUPS = "base.group_user,automation_flow.group_automation_flow_manager"


@tagged("post_install", "-at_install")
class TestManagerBuildsAFlow(AutomationFlowCase):
    """An Automation Manager without Settings rights builds a whole flow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="flow_builder", groups=MANAGER_GROUPS
        )
        cls.add_contact_field("x_flow_date", "Renewal date", "date")
        cls.tag = cls.env["res.partner.category"].create({"name": "Qualified"})

    def test_manager_without_settings_builds_every_part_of_a_flow(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        self.assertFalse(self.manager.has_group("base.group_erp_manager"))
        env = self.env(user=self.manager)
        self.partners[:4].x_flow_date = "2026-03-20"
        # One person, two contacts: the uniqueness field lets one in.
        self.partners[5].email = self.partners[4].email.upper()
        # The model, its fields and the actions an administrator wrote, as
        # the form's dropdowns search them.
        [(model_id, _name)] = env["ir.model"].name_search(
            "res.partner", [("is_mail_thread", "=", True), ("transient", "=", False)]
        )
        fields_of = env["ir.model.fields"].search_fetch(
            [("model_id", "=", model_id)], ["name"]
        )
        field = {field.name: field.id for field in fields_of}
        [(action_id, _name)] = env["ir.actions.server"].name_search(
            self.action_mark.name, [("model_id", "=", model_id)]
        )
        # Python code stays the administrators' own.
        with self.assertRaises(AccessError):
            env["ir.actions.server"].create(
                {
                    "name": "Mine",
                    "model_id": model_id,
                    "state": "code",
                    "code": "records.unlink()",
                }
            )
        with self.assertRaises(AccessError):
            env["ir.actions.server"].browse(action_id).code  # noqa: B018
        saved_filter = env["automation.flow.filter"].create(
            {
                "name": "Flow contacts",
                "model_id": model_id,
                "domain": "[('name', '=like', 'Flow contact%')]",
            }
        )
        flow = env["automation.flow"].create(
            {
                "name": "Built by a manager",
                "model_id": model_id,
                "filter_id": saved_filter.id,
                "domain": "[('email', '!=', False)]",
                "unique_field_id": field["email"],
            }
        )
        Step = env["automation.flow.step"]
        email = Step.create(
            {
                "name": "Welcome",
                "flow_id": flow.id,
                "step_type": "email",
                "mail_template_id": self.template.id,
            }
        )
        call = Step.create(
            {
                "name": "Call",
                "flow_id": flow.id,
                "parent_id": email.id,
                "trigger": "after_step",
                "step_type": "activity",
                "activity_type_id": self.todo.id,
                "activity_user_type": "field",
                "activity_user_field_id": field["user_id"],
                "activity_user_id": self.manager.id,
            }
        )
        mark = Step.create(
            {
                "name": "Mark",
                "flow_id": flow.id,
                "step_type": "action",
                "server_action_id": action_id,
            }
        )
        reminder = Step.create(
            {
                "name": "The day before",
                "flow_id": flow.id,
                "step_type": "action",
                "server_action_id": action_id,
                "date_field_id": field["x_flow_date"],
                "date_direction": "before",
                "delay": 1,
                "delay_unit": "days",
            }
        )
        assign = Step.create(
            {
                "name": "Dispatch",
                "flow_id": flow.id,
                "step_type": "assign",
                "assign_field_id": field["user_id"],
                "assign_method": "rules",
                "assign_rule_ids": [
                    (
                        0,
                        0,
                        {
                            "domain": "[('email', '!=', False)]",
                            "user_id": self.salesperson.id,
                        },
                    )
                ],
            }
        )
        update = Step.create(
            {
                "name": "Qualify",
                "flow_id": flow.id,
                "step_type": "update",
                "update_line_ids": [
                    (0, 0, {"field_id": field["ref"], "value_char": "qualified"}),
                    (
                        0,
                        0,
                        {
                            "field_id": field["category_id"],
                            "operation": "add",
                            "value_res_id": self.tag.id,
                        },
                    ),
                ],
            }
        )
        followers = Step.create(
            {
                "name": "Keep in the loop",
                "flow_id": flow.id,
                "step_type": "followers",
                "follower_user_ids": [(6, 0, self.manager.ids)],
                "follower_field_ids": [(6, 0, [field["user_id"]])],
            }
        )
        self.add_enroll_rule(flow)
        flow.action_start()
        with self.at(datetime(2026, 3, 2, 9, 0)):
            flow.action_run()
            self.run_due()
        unique = self.partners[:5]
        self.assertEqual(flow.enrollment_count, 5)
        self.assertTasks(email, unique, "done")
        self.assertTasks(call, unique, "done")
        self.assertTasks(mark, unique, "done")
        dated = self.partners[:4]
        self.assertTasks(reminder, dated, "scheduled")
        self.assertEqual(
            set(self.tasks_of(reminder, dated).mapped("scheduled_at")),
            {datetime(2026, 3, 19)},
        )
        self.assertEqual(set(unique.mapped("function")), {"flow was here"})
        for step in (assign, update, followers):
            self.assertTasks(step, unique, "done")
        self.assertEqual(unique.user_id, self.salesperson)
        self.assertEqual(set(unique.mapped("ref")), {"qualified"})
        self.assertEqual(unique.category_id, self.tag)
        for partner in unique:
            self.assertLessEqual(
                self.manager.partner_id | self.salesperson.partner_id,
                partner.message_partner_ids,
            )
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", unique.ids)]
        )
        self.assertEqual(len(activities), 5)
        self.assertEqual(activities.user_id, self.salesperson)


@tagged("post_install", "-at_install")
class TestManagerFormOverRpc(HttpCase):
    """What the flow and step forms ask the server for their dropdowns, asked
    over JSON-RPC by an Automation Manager without Settings rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="flow_rpc_manager", groups=MANAGER_GROUPS
        )
        cls.partner_model = cls.env.ref("base.model_res_partner")
        cls.action = cls.env["ir.actions.server"].create(
            {
                "name": "Flow RPC: tag contacts",
                "model_id": cls.partner_model.id,
                "state": "code",
                "code": "records.write({'ref': 'tagged'})",
            }
        )

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def test_form_dropdowns_and_reads(self):
        self.authenticate("flow_rpc_manager", "flow_rpc_manager")
        model_id = self.partner_model.id
        # Flow form: the model, then the uniqueness field.
        models = self.call(
            "ir.model",
            "name_search",
            name="Contact",
            args=[("is_mail_thread", "=", True), ("transient", "=", False)],
        )
        self.assertIn(model_id, [model[0] for model in models])
        unique_fields = self.call(
            "ir.model.fields",
            "name_search",
            name="Email",
            args=[
                ("model_id", "=", model_id),
                ("store", "=", True),
                ("ttype", "in", ["char", "many2one", "integer", "selection"]),
            ],
        )
        email_field = self.env.ref("base.field_res_partner__email")
        self.assertIn(email_field.id, [field[0] for field in unique_fields])
        flow_spec = {
            "model_id": {"fields": {"display_name": {}}},
            "unique_field_id": {"fields": {"display_name": {}}},
        }
        [flow] = self.call(
            "automation.flow",
            "web_save",
            [],
            {
                "name": "Over RPC",
                "model_id": model_id,
                "unique_field_id": email_field.id,
            },
            specification=flow_spec,
        )
        self.assertEqual(flow["model_id"]["id"], model_id)
        self.assertEqual(flow["unique_field_id"]["id"], email_field.id)
        # Step form: the date to count from and the server action.
        date_fields = self.call(
            "ir.model.fields",
            "name_search",
            name="Created on",
            args=[
                ("model_id", "=", model_id),
                ("ttype", "in", ["date", "datetime"]),
                ("store", "=", True),
            ],
        )
        date_field = self.env.ref("base.field_res_partner__create_date")
        self.assertIn(date_field.id, [field[0] for field in date_fields])
        actions = self.call(
            "ir.actions.server",
            "name_search",
            name="Flow RPC",
            args=[("model_id", "=", model_id)],
        )
        self.assertEqual([action[0] for action in actions], self.action.ids)
        step_spec = {
            "server_action_id": {"fields": {"display_name": {}}},
            "date_field_id": {"fields": {"display_name": {}}},
            "model_id": {"fields": {"display_name": {}}},
        }
        [step] = self.call(
            "automation.flow.step",
            "web_save",
            [],
            {
                "name": "Tag",
                "flow_id": flow["id"],
                "step_type": "action",
                "server_action_id": self.action.id,
                "date_field_id": date_field.id,
                "delay": 1,
            },
            specification=step_spec,
        )
        [step] = self.call(
            "automation.flow.step", "web_read", [step["id"]], specification=step_spec
        )
        self.assertEqual(step["server_action_id"]["id"], self.action.id)
        self.assertEqual(step["date_field_id"]["id"], date_field.id)
        # The step form opens without the administrators' outgoing servers.
        views = self.call("automation.flow.step", "get_views", views=[[False, "form"]])
        arch = views["views"]["form"]["arch"]
        self.assertIn('name="server_action_id"', arch)
        self.assertNotIn('name="mail_server_id"', arch)
        # The action's Python code stays the administrators' own.
        with self.assertRaises(JsonRpcException):
            self.call(
                "ir.actions.server",
                "web_read",
                self.action.ids,
                specification={"code": {}},
            )
        with self.assertRaises(JsonRpcException):
            self.call(
                "ir.actions.server",
                "create",
                {"name": "Mine", "model_id": model_id, "state": "code", "code": "1"},
            )
