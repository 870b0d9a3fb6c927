# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command

from ..engine import schedule
from .automation_flow_step import DELAY_UNITS

TEXT_TYPES = ("char", "text", "html")
NUMBER_TYPES = ("integer", "float", "monetary")
DATE_TYPES = ("date", "datetime")
RELATIONAL_TYPES = ("many2one", "many2many")
UPDATABLE_TYPES = (
    *TEXT_TYPES,
    *NUMBER_TYPES,
    *DATE_TYPES,
    *RELATIONAL_TYPES,
    "boolean",
    "selection",
)
OPERATIONS = [
    ("set", "Set to"),
    ("copy", "Set from the field"),
    ("add", "Add"),
    ("remove", "Remove"),
    ("now", "Set to now +"),
]


class AutomationFlowStepUpdateLine(models.Model):
    """A line of an "Update record" step: a field of the record, what to do
    with it and the value, typed by the field's type."""

    _name = "automation.flow.step.update.line"
    _description = "Automation Flow Record Update"
    _order = "sequence, id"

    step_id = fields.Many2one(
        "automation.flow.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    model_id = fields.Many2one(related="step_id.model_id")
    sequence = fields.Integer(default=10)
    field_id = fields.Many2one(
        "ir.model.fields",
        required=True,
        ondelete="cascade",
        domain=f"[('model_id', '=', model_id), ('store', '=', True), "
        f"('readonly', '=', False), ('ttype', 'in', {list(UPDATABLE_TYPES)})]",
    )
    field_type = fields.Selection(related="field_id.ttype")
    field_relation = fields.Char(related="field_id.relation")
    operation = fields.Selection(OPERATIONS, required=True, default="set")
    value_char = fields.Char("Text")
    value_number = fields.Float("Number")
    value_boolean = fields.Boolean("Yes / no")
    value_selection_id = fields.Many2one(
        "ir.model.fields.selection",
        string="Choice",
        ondelete="cascade",
        domain="[('field_id', '=', field_id)]",
    )
    value_date = fields.Date("Date")
    value_datetime = fields.Datetime("Date and time")
    value_res_id = fields.Many2oneReference("Record", model_field="field_relation")
    source_field_id = fields.Many2one(
        "ir.model.fields",
        string="From the field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', '=', field_type), "
        "('relation', '=', field_relation)]",
    )
    delay = fields.Integer(default=0)
    delay_unit = fields.Selection(DELAY_UNITS, default="days")

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    @api.constrains(
        "field_id",
        "operation",
        "value_char",
        "value_number",
        "value_selection_id",
        "value_date",
        "value_datetime",
        "value_res_id",
        "source_field_id",
        "delay",
        "delay_unit",
        "step_id",
    )
    def _check_value(self):
        for line in self:
            error = line._value_error()
            if error:
                raise ValidationError(
                    _(
                        "The step %(step)s cannot update %(field)s: %(error)s",
                        step=line.step_id.name,
                        field=line.field_id.field_description,
                        error=error,
                    )
                )

    def _value_error(self):
        """What to fix in this line, as the end of a sentence, or ``False``."""
        self.ensure_one()
        field = self.field_id
        if field.model_id != self.step_id.model_id:
            return _(
                "it is not a field of %(model)s. Choose a field of the flow's model.",
                model=self.step_id.model_id.name,
            )
        if not field.store or field.readonly or field.ttype not in UPDATABLE_TYPES:
            return _("it cannot be edited. Choose a field that can be edited.")
        return self._operation_error() or self._fixed_value_error()

    def _operation_error(self):
        """What to fix in the operation of this line, or ``False``."""
        field = self.field_id
        operation = self.operation
        if operation in ("add", "remove"):
            if field.ttype != "many2many":
                return _(
                    "only tags (many-to-many fields) can be added or removed. "
                    "Choose 'Set to'."
                )
            if not self.value_res_id:
                return _("choose the tag to add or remove.")
        if operation == "now" and field.ttype not in DATE_TYPES:
            return _("only a date can be set to now + a delay. Choose 'Set to'.")
        if operation == "now" and (
            self.delay < 0 or schedule.too_long(self.delay, self.delay_unit)
        ):
            return _(
                "the delay must be between 0 and %(years)s years.",
                years=schedule.MAX_DELAY_YEARS,
            )
        if operation == "copy":
            source = self.source_field_id
            if not source:
                return _("choose the field to copy the value from.")
            if (
                source.model_id != field.model_id
                or source.ttype != field.ttype
                or source.relation != field.relation
            ):
                return _(
                    "%(other)s is not a field of the same kind. Choose a field "
                    "of the record with the same type.",
                    other=source.field_description,
                )
        return False

    def _fixed_value_error(self):
        """What to fix in the value this line sets, or ``False``."""
        field = self.field_id
        if (
            self.operation == "set"
            and field.required
            and field.ttype != "boolean"
            and self._fixed_value() is False
        ):
            return _("it is required. Give it a value.")
        if field.ttype in RELATIONAL_TYPES and self.value_res_id:
            if not self.env[field.relation].browse(self.value_res_id).exists():
                return _("the chosen record no longer exists. Choose another one.")
        if field.ttype == "integer" and self.operation == "set":
            if self.value_number != int(self.value_number):
                return _("it holds whole numbers. Write a value without decimals.")
        if (
            field.ttype == "selection"
            and self.value_selection_id
            and self.value_selection_id.field_id != field
        ):
            return _("the choice is not one of its values. Choose it again.")
        return False

    # ------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------

    def _fixed_value(self):
        """The value the line sets, by the field's type (``False``: empty)."""
        self.ensure_one()
        ttype = self.field_id.ttype
        if ttype in TEXT_TYPES:
            return self.value_char or False
        if ttype in NUMBER_TYPES:
            return int(self.value_number) if ttype == "integer" else self.value_number
        if ttype == "boolean":
            return self.value_boolean
        if ttype == "selection":
            return self.value_selection_id.value or False
        if ttype == "date":
            return self.value_date or False
        if ttype == "datetime":
            return self.value_datetime or False
        return self.value_res_id or False

    def _constant_commands(self, now, tz):
        """The value of a line that writes the same for every record (all
        but "copy"), ready for ``write``: many-to-many values as commands."""
        self.ensure_one()
        ttype = self.field_id.ttype
        if self.operation == "now":
            moment = schedule.add_delay(now, self.delay, self.delay_unit)
            if ttype == "date":
                return fields.Date.context_today(
                    self.with_context(tz=tz), timestamp=moment
                )
            return moment
        value = self._fixed_value()
        if ttype != "many2many":
            return value
        if self.operation == "add":
            return [Command.link(value)]
        if self.operation == "remove":
            return [Command.unlink(value)]
        return [Command.set([value] if value else [])]

    def _summary(self):
        """The line in words: "Set Stage to Won", "Add Tags: VIP"…"""
        self.ensure_one()
        field = self.field_id.field_description
        if self.operation == "copy":
            return _(
                "Set %(field)s from %(other)s",
                field=field,
                other=self.source_field_id.field_description,
            )
        if self.operation == "now":
            return _(
                "Set %(field)s to now + %(delay)s",
                field=field,
                delay=self.step_id._duration_in_words(self.delay, self.delay_unit),
            )
        if self.field_id.ttype in RELATIONAL_TYPES:
            value = self.value_res_id and (
                self.env[self.field_relation].browse(self.value_res_id).display_name
            )
        elif self.field_id.ttype == "selection":
            value = self.value_selection_id.name
        elif self.field_id.ttype == "boolean":
            value = _("Yes") if self.value_boolean else _("No")
        else:
            value = self._fixed_value()
            value = "" if value is False else str(value)
        if self.operation == "add":
            return _("Add %(value)s to %(field)s", value=value, field=field)
        if self.operation == "remove":
            return _("Remove %(value)s from %(field)s", value=value, field=field)
        if not value:
            return _("Empty %(field)s", field=field)
        return _("Set %(field)s to %(value)s", field=field, value=value)
