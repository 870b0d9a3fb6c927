# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command

from ..engine.triggers import StepType


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("update", "Update the record")],
        ondelete={"update": "cascade"},
    )
    update_line_ids = fields.One2many(
        "automation.flow.step.update.line",
        "step_id",
        string="Updates",
        copy=True,
        help="The fields the step sets, in order: a fixed value, the value of "
        "another field of the record, tags added or removed, a date from now.",
    )

    @api.model
    def _get_step_types(self):
        """An update has no event: only "after the previous step" follows it."""
        return {**super()._get_step_types(), "update": StepType(icon="fa-pencil")}

    def _designer_summary(self):
        if self.step_type != "update":
            return super()._designer_summary()
        return "; ".join(line._summary() for line in self.update_line_ids)

    @api.constrains("step_type", "update_line_ids")
    def _check_update(self):
        for step in self.filtered(lambda s: s.step_type == "update"):
            if not step.update_line_ids:
                raise ValidationError(
                    _(
                        "Add the fields the step %s updates, with their values.",
                        step.name,
                    )
                )

    def _execute_update(self, tasks):
        """Write the lines' values: the records that get the same values are
        written together, one ``write`` per distinct set of values (one in
        all unless a line copies a field of the record)."""
        self.ensure_one()
        now = fields.Datetime.now()
        tz = self.flow_id.user_id.tz
        constant, copied = {}, []
        for line in self.update_line_ids:
            name = line.field_id.name
            if line.operation == "copy":
                copied.append(line)
            elif line.field_id.ttype == "many2many":
                constant[name] = constant.get(name, []) + line._constant_commands(
                    now, tz
                )
            else:
                constant[name] = line._constant_commands(now, tz)
        # The flow updates its records, whoever runs the scheduler (executors
        # run as superuser, see DESIGN.md, Security).
        records = (
            self.env[self.model].sudo().browse(sorted(set(tasks.mapped("res_id"))))
        )
        groups = defaultdict(list)
        for record in records:
            key = tuple(self._update_copied_key(line, record) for line in copied)
            groups[key].append(record.id)
        for key, ids in groups.items():
            values = dict(constant)
            for line, copied_value in zip(copied, key, strict=True):
                if line.field_id.ttype == "many2many":
                    copied_value = [Command.set(list(copied_value))]
                values[line.field_id.name] = copied_value
            records.browse(ids).write(values)

    @api.model
    def _update_copied_key(self, line, record):
        """The value ``line`` copies from ``record``, hashable (ids for
        relations) so that records getting the same values group together."""
        value = record[line.source_field_id.name]
        if line.field_id.ttype == "many2many":
            return tuple(value.ids)
        if line.field_id.ttype == "many2one":
            return value.id
        return value
