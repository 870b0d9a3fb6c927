# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, models


class BaseAutomation(models.Model):
    _inherit = "base.automation"

    def _update_registry(self):
        """base_automation re-patches models by removing every patched
        ``write`` and ``unlink`` first, those of automation flows included:
        put them back (see ``automation_flow_record_hooks.py``)."""
        result = super()._update_registry()
        self.env["automation.flow"]._update_record_hooks()
        return result

    def _automation_flow_trigger(self):
        """The trigger in words, with its fields or its date and delay."""
        self.ensure_one()
        trigger = dict(self._fields["trigger"]._description_selection(self.env)).get(
            self.trigger, ""
        )
        if self.trg_date_id:
            units = dict(
                self._fields["trg_date_range_type"]._description_selection(self.env)
            )
            return _(
                "%(trigger)s: %(field)s %(delay)s %(unit)s",
                trigger=trigger,
                field=self.trg_date_id.field_description,
                delay=f"{self.trg_date_range:+d}",
                unit=units.get(self.trg_date_range_type, "").lower(),
            )
        if self.trigger_field_ids:
            return _(
                "%(trigger)s: %(fields)s",
                trigger=trigger,
                fields=", ".join(self.trigger_field_ids.mapped("field_description")),
            )
        return trigger
