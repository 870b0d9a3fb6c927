# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.safe_eval import safe_eval

PRESETS = [
    ("created", "A record is created"),
    ("field_set", "A field is set to a value"),
    ("stage_entered", "The stage is entered"),
    ("stage_left", "The stage is left"),
    ("date_reached", "A date is reached"),
]
VALUE_TYPES = (
    "char",
    "text",
    "selection",
    "boolean",
    "integer",
    "float",
    "monetary",
    "many2one",
    "many2many",
)
STAGE_PRESETS = ("stage_entered", "stage_left")
DATE_UNITS = [
    ("minutes", "Minutes"),
    ("hour", "Hours"),
    ("day", "Days"),
    ("month", "Months"),
]


class AutomationFlowRulePreset(models.TransientModel):
    """The automation rule that pushes records into a flow, configured from
    one of the stories flows start with (a record is created, a stage is
    entered…): the trigger, the watched field, the domains before and
    after the change, or the date and its delay."""

    _name = "automation.flow.rule.preset"
    _description = "Automation Flow Enrollment Rule"

    flow_id = fields.Many2one("automation.flow", required=True, ondelete="cascade")
    model_id = fields.Many2one(related="flow_id.model_id")
    model = fields.Char(related="flow_id.model")
    preset = fields.Selection(
        PRESETS, string="Enroll when", required=True, default="created"
    )
    field_id = fields.Many2one(
        "ir.model.fields",
        ondelete="cascade",
        compute="_compute_field_id",
        store=True,
        readonly=False,
        domain="[('model_id', '=', model_id), ('store', '=', True), "
        "('ttype', 'in', field_types)]",
    )
    field_types = fields.Json(compute="_compute_field_types")
    field_type = fields.Selection(related="field_id.ttype")
    field_relation = fields.Char(related="field_id.relation")
    value_char = fields.Char("Text")
    value_number = fields.Float("Number")
    value_boolean = fields.Boolean("Yes / no")
    value_selection_id = fields.Many2one(
        "ir.model.fields.selection",
        string="Choice",
        ondelete="cascade",
        domain="[('field_id', '=', field_id)]",
    )
    value_res_id = fields.Many2oneReference("Value", model_field="field_relation")
    date_delay = fields.Integer("Delay", default=0)
    date_delay_type = fields.Selection(DATE_UNITS, string="Delay unit", default="day")
    date_direction = fields.Selection(
        [("after", "After the date"), ("before", "Before the date")], default="after"
    )
    filter_domain = fields.Char(
        "Only records matching",
        default="[]",
        help="Besides the flow's own domain, which is checked when the rule "
        "enrolls: e.g. only the leads of one team.",
    )

    @api.depends("preset")
    def _compute_field_types(self):
        for wizard in self:
            if wizard.preset in STAGE_PRESETS:
                wizard.field_types = ["many2one"]
            elif wizard.preset == "date_reached":
                wizard.field_types = ["date", "datetime"]
            else:
                wizard.field_types = list(VALUE_TYPES)

    @api.depends("preset", "flow_id")
    def _compute_field_id(self):
        for wizard in self:
            field = wizard.field_id
            if wizard.preset == "created" or (
                field and field.ttype not in wizard.field_types
            ):
                field = field.browse()
            if wizard.preset in STAGE_PRESETS and not field:
                field = self.env["ir.model.fields"]._get(wizard.model, "stage_id")
            wizard.field_id = field

    # ------------------------------------------------------------------
    # The rule
    # ------------------------------------------------------------------

    def _value(self):
        """The value chosen, typed for a domain on the field."""
        ttype = self.field_type
        if ttype in ("char", "text"):
            return self.value_char or False
        if ttype == "selection":
            return self.value_selection_id.value or False
        if ttype == "boolean":
            return self.value_boolean
        if ttype == "integer":
            return int(self.value_number)
        if ttype in ("float", "monetary"):
            return self.value_number
        return self.value_res_id or False

    def _value_domains(self):
        """(the domain "has the value", the domain "has not the value")."""
        name, value = self.field_id.name, self._value()
        if self.field_type == "many2many":
            return [(name, "in", [value])], [(name, "not in", [value])]
        return [(name, "=", value)], [(name, "!=", value)]

    def _check_values(self):
        if self.preset == "created":
            return
        if not self.field_id:
            raise UserError(_("Choose the field the rule watches."))
        if (
            self.preset != "date_reached"
            and self.field_type
            in (
                "many2one",
                "many2many",
                "selection",
            )
            and not self._value()
        ):
            raise UserError(
                _(
                    "Choose the value of %s the rule waits for.",
                    self.field_id.field_description,
                )
            )

    def _rule_values(self):
        """The ``base.automation`` values of the preset."""
        self._check_values()
        extra = self._extra_domain()
        flow_name = self.flow_id.name
        values = {"model_id": self.model_id.id, "filter_domain": extra or False}
        if self.preset == "created":
            # "On creation" is the trigger Odoo keeps for this story (the
            # "On save" rule also runs on every later update).
            return {
                **values,
                "name": _("%s: a record is created", flow_name),
                "trigger": "on_create",
            }
        field = self.field_id
        if self.preset == "date_reached":
            delay = (
                self.date_delay if self.date_direction == "after" else -self.date_delay
            )
            return {
                **values,
                "name": _(
                    "%(flow)s: %(field)s is reached",
                    flow=flow_name,
                    field=field.field_description,
                ),
                "trigger": "on_time",
                "trg_date_id": field.id,
                "trg_date_range": delay,
                "trg_date_range_type": self.date_delay_type,
            }
        has, has_not = self._value_domains()
        if self.preset == "stage_left":
            # "On update" (not "On save"): a record created in another stage
            # has left nothing.
            return {
                **values,
                "name": _(
                    "%(flow)s: %(field)s is left",
                    flow=flow_name,
                    field=self._value_label(),
                ),
                "trigger": "on_write",
                "trigger_field_ids": [fields.Command.set(field.ids)],
                "filter_pre_domain": repr(has),
                "filter_domain": self._and(has_not, extra),
            }
        # A field set to a value, a stage entered: on creation with the
        # value, or on an update that changes the field to it.
        return {
            **values,
            "name": _(
                "%(flow)s: %(field)s is set to %(value)s",
                flow=flow_name,
                field=field.field_description,
                value=self._value_label(),
            ),
            "trigger": "on_create_or_write",
            "trigger_field_ids": [fields.Command.set(field.ids)],
            "filter_pre_domain": repr(has_not),
            "filter_domain": self._and(has, extra),
        }

    def _value_label(self):
        if self.field_type in ("many2one", "many2many"):
            return self.env[self.field_relation].browse(self.value_res_id).display_name
        if self.field_type == "selection":
            return self.value_selection_id.name
        return str(self._value())

    def _extra_domain(self):
        """The text of "Only records matching", checked as the rule will
        evaluate it (with ``base.automation``'s variables)."""
        text = (self.filter_domain or "").strip()
        if not text or text == "[]":
            return ""
        rule = self.env["base.automation"].new({"model_id": self.model_id.id})
        try:
            domain = safe_eval(text, rule._get_eval_context())
            self.env[self.model].search_count(domain, limit=1)
        except Exception as error:  # noqa: BLE001
            raise UserError(
                _(
                    "The domain %(domain)s cannot be used: %(error)s",
                    domain=text,
                    error=error,
                )
            ) from error
        return text

    @api.model
    def _and(self, domain, text):
        """``domain`` (a list) and the domain ``text``, as a domain text."""
        return f"{domain!r} + {text}" if text else repr(domain)

    def action_create_rule(self):
        self.ensure_one()
        flow = self.flow_id
        flow._check_can_edit_rules()
        rule_values = self._rule_values()
        # Automation rules are administrators' objects; a flow manager may
        # create this one because its only action enrolls in their flow
        # (checked above), whose own domain still decides who enters.
        rule = self.env["base.automation"].sudo().create(rule_values)
        self.env["ir.actions.server"].sudo().create(
            {
                "name": flow._enroll_action_name(),
                "model_id": flow.model_id.id,
                "state": "automation_flow_enroll",
                "automation_flow_id": flow.id,
                "usage": "base_automation",
                "base_automation_id": rule.id,
            }
        )
        return {"type": "ir.actions.act_window_close"}
