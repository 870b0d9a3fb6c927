# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import contextmanager
from datetime import date, datetime
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from ..engine import states
from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestUpdateStep(AutomationFlowCase):
    """An update step sets fields of the records without code, one write per
    distinct set of values, built by an Automation Manager without
    Settings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "update_manager", AUTOMATION_MANAGER)
        cls.add_contact_field("x_flow_vip", "VIP", "boolean")
        cls.add_contact_field("x_flow_deadline", "Deadline", "date")
        cls.add_contact_field("x_flow_call_at", "Call at", "datetime")
        Tag = cls.env["res.partner.category"]
        cls.tag_vip, cls.tag_cold = Tag.create([{"name": "VIP"}, {"name": "Cold"}])
        cls.mister = cls.env.ref("base.res_partner_title_mister")
        cls.partners.write({"category_id": [(6, 0, cls.tag_cold.ids)]})
        cls.partners[:3].city = "Paris"
        cls.partners[3:].city = "Lyon"
        cls.invoice = cls.env["ir.model.fields.selection"].search(
            [
                ("field_id", "=", cls.env.ref("base.field_res_partner__type").id),
                ("value", "=", "invoice"),
            ]
        )

    def field(self, name):
        return self.env["ir.model.fields"]._get("res.partner", name)

    def line(self, name, operation="set", **values):
        return (
            0,
            0,
            {"field_id": self.field(name).id, "operation": operation, **values},
        )

    def create_update_step(self, lines, env=None):
        env = env or self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "Qualify",
                "model_id": self.partner_model.id,
                "domain": "[('name', '=like', 'Flow contact%')]",
            }
        )
        step = env["automation.flow.step"].create(
            {
                "name": "Qualify them",
                "flow_id": flow.id,
                "step_type": "update",
                "update_line_ids": lines,
            }
        )
        return flow, step

    @contextmanager
    def count_writes(self):
        """The contacts' ``write`` calls of the block: ``[(ids, values)]``."""
        Partner = type(self.env["res.partner"])
        original = Partner.write
        writes = []

        def write(records, values):
            writes.append((sorted(records.ids), values))
            return original(records, values)

        with patch.object(Partner, "write", write):
            yield writes

    def run_flow(self, flow):
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            with self.count_writes() as writes:
                self.run_due()
        return writes

    def test_every_operation_one_write_per_distinct_values(self):
        flow, step = self.create_update_step(
            [
                self.line("function", value_char="Buyer"),
                self.line("color", value_number=7),
                self.line("type", value_selection_id=self.invoice.id),
                self.line("x_flow_vip", value_boolean=True),
                self.line("title", value_res_id=self.mister.id),
                self.line("category_id", "add", value_res_id=self.tag_vip.id),
                self.line("category_id", "remove", value_res_id=self.tag_cold.id),
                self.line("ref", "copy", source_field_id=self.field("city").id),
                self.line("x_flow_deadline", "now", delay=3, delay_unit="days"),
                self.line("x_flow_call_at", "now", delay=2, delay_unit="hours"),
            ]
        )
        writes = self.run_flow(flow)
        self.assertTasks(step, self.partners, states.TASK_DONE)
        # The contacts of Paris, then those of Lyon: two sets of values.
        self.assertEqual(
            [ids for ids, _values in writes],
            [self.partners[:3].ids, self.partners[3:].ids],
        )
        for partner in self.partners:
            self.assertRecordValues(
                partner,
                [
                    {
                        "function": "Buyer",
                        "color": 7,
                        "type": "invoice",
                        "x_flow_vip": True,
                        "title": self.mister.id,
                        "category_id": self.tag_vip.ids,
                        "ref": partner.city,
                        "x_flow_deadline": date(2026, 3, 5),
                        "x_flow_call_at": datetime(2026, 3, 2, 11, 0),
                    }
                ],
            )
        summary = flow.with_user(self.manager).get_step_tree()["steps"][0]["summary"]
        self.assertEqual(
            summary,
            "Set Job Position to Buyer; Set Color Index to 7; Set Address Type to "
            "Invoice Address; Set VIP to Yes; Set Title to Mister; Add VIP to "
            "Tags; Remove Cold from Tags; Set Reference from City; Set Deadline "
            "to now + 3 days; Set Call at to now + 2 hours",
        )
        self.assertEqual(step.type_icon, "fa-pencil")

    def test_same_values_for_all_one_write(self):
        flow, _step = self.create_update_step(
            [self.line("function", value_char="Lead"), self.line("x_flow_vip")]
        )
        writes = self.run_flow(flow)
        self.assertEqual(
            writes, [(self.partners.ids, {"function": "Lead", "x_flow_vip": False})]
        )
        self.assertEqual(set(self.partners.mapped("function")), {"Lead"})

    def test_bad_values_are_refused_with_what_to_fix(self):
        other_field = self.env.ref("base.field_res_users__signature")
        for lines, message in (
            ([], "Add the fields the step Qualify them updates"),
            (
                [(0, 0, {"field_id": other_field.id, "value_char": "x"})],
                "cannot update Email Signature: it is not a field of Contact",
            ),
            (
                [self.line("display_name", value_char="x")],
                "it cannot be edited",
            ),
            (
                [self.line("function", "add", value_char="x")],
                "only tags .* can be added or removed",
            ),
            (
                [self.line("category_id", "add")],
                "choose the tag to add or remove",
            ),
            (
                [self.line("function", "now", delay=1)],
                "only a date can be set to now",
            ),
            (
                [self.line("ref", "copy", source_field_id=self.field("color").id)],
                "Color Index is not a field of the same kind",
            ),
            ([self.line("ref", "copy")], "choose the field to copy the value from"),
            (
                [self.line("color", value_number=2.5)],
                "it holds whole numbers",
            ),
            (
                [self.line("title", value_res_id=999999)],
                "the chosen record no longer exists",
            ),
            (
                [
                    self.line(
                        "lang",
                        value_selection_id=self.invoice.id,
                    )
                ],
                "the choice is not one of its values",
            ),
        ):
            with (
                self.subTest(message=message),
                self.assertRefused(ValidationError, message),
            ):
                self.create_update_step(lines)

    def test_manager_finds_the_fields_and_choices_as_the_form_does(self):
        env = self.env(user=self.manager)
        line_field = env["automation.flow.step.update.line"]._fields["field_id"]
        # The field picker's domain, as the web client evaluates it.
        updatable = env["ir.model.fields"].search(
            safe_eval(line_field.domain, {"model_id": self.partner_model.id})
        )
        self.assertIn(self.field("category_id"), updatable)
        self.assertNotIn(self.field("display_name"), updatable)
        choices = env["ir.model.fields.selection"].name_search(
            "Invoice", [("field_id", "=", self.field("type").id)]
        )
        self.assertEqual([choice[0] for choice in choices], self.invoice.ids)

    def test_a_required_field_cannot_be_emptied(self):
        # The blacklist is for administrators; its email is required.
        flow = self.env["automation.flow"].create(
            {
                "name": "Blacklist",
                "model_id": self.env.ref("mail.model_mail_blacklist").id,
            }
        )
        email = self.env["ir.model.fields"]._get("mail.blacklist", "email")
        with self.assertRefused(
            ValidationError, "cannot update Email Address: it is required"
        ):
            self.env["automation.flow.step"].create(
                {
                    "name": "Empty",
                    "flow_id": flow.id,
                    "step_type": "update",
                    "update_line_ids": [(0, 0, {"field_id": email.id})],
                }
            )


@tagged("post_install", "-at_install")
class TestUpdateStepForm(HttpCase):
    """The step form, as a manager without Settings uses it in the browser."""

    def test_manager_adds_a_tag_with_the_field_picker(self):
        manager = new_flow_user(self.env, "update_tour_manager", AUTOMATION_MANAGER)
        tag = self.env["res.partner.category"].create({"name": "Tour VIP"})
        flow = (
            self.env["automation.flow"]
            .with_user(manager)
            .create(
                {
                    "name": "Tour qualify",
                    "model_id": self.env.ref("base.model_res_partner").id,
                }
            )
        )
        self.start_tour(
            f"/odoo/action-automation_flow.action_automation_flow/{flow.id}",
            "automation_flow_update_tour",
            login=manager.login,
        )
        self.assertRecordValues(
            flow.step_ids.update_line_ids,
            [
                {
                    "field_id": self.env.ref("base.field_res_partner__category_id").id,
                    "operation": "add",
                    "value_res_id": tag.id,
                }
            ],
        )
