# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # Stored with the activity's row. Computed after the INSERT, they cost a
    # second UPDATE of every new activity (``create`` recomputes readonly
    # fields whatever values it is given); precomputed, they are part of the
    # row, for the whole batch at once (``_add_precomputed_values``).
    res_name = fields.Char(compute="_compute_res_name", store=True, precompute=True)
    date_done = fields.Date(compute="_compute_date_done", store=True, precompute=True)
    user_tz = fields.Selection(related="user_id.tz", store=True, precompute=True)

    def _add_precomputed_values(self, vals_list):
        """The model, the record's name, the done date and the assignee's time
        zone of new activities, as their computes give them, with one read
        per model for the batch.

        Odoo computes precomputed fields on a new record per activity (for
        ``res_model``, the related model's name) and would read each
        record's name alone.
        """
        models_ids = {
            vals["res_model_id"] for vals in vals_list if vals.get("res_model_id")
        }
        # The related model and the record's name are computed as superuser
        # (related fields and ``compute_sudo``): so are they here.
        model_names = {
            model.id: model.model
            for model in self.env["ir.model"].sudo().browse(models_ids)
        }
        res_ids = defaultdict(set)
        for vals in vals_list:
            model_name = model_names.get(vals.get("res_model_id"))
            if model_name and "res_model" not in vals:
                vals["res_model"] = model_name
            if vals.get("res_model") and "res_name" not in vals:
                res_ids[vals["res_model"]].add(vals.get("res_id") or 0)
        names = {}
        for model_name, ids in res_ids.items():
            records = self.env[model_name].sudo().browse(ids - {0})
            names.update(
                ((model_name, record.id), record.display_name) for record in records
            )
        zones = {
            user.id: user.tz
            for user in self.env["res.users"]
            .sudo()
            .browse({vals["user_id"] for vals in vals_list if vals.get("user_id")})
        }
        now = fields.Datetime.now()
        for vals in vals_list:
            if "user_tz" not in vals:
                vals["user_tz"] = zones.get(vals.get("user_id"), False)
            if vals.get("res_model") and "res_name" not in vals:
                vals["res_name"] = names.get(
                    (vals["res_model"], vals.get("res_id")), False
                )
            if "date_done" not in vals:
                vals["date_done"] = False if vals.get("active", True) else now.date()
        return super()._add_precomputed_values(vals_list)

    def _action_done(self, feedback=False, attachment_ids=None):
        """Done activities of flows wake their "activity done" steps.

        Recorded before Odoo deletes the activity (unless its type keeps done
        activities), which would otherwise look like a cancellation.
        """
        self._refuse_pending_approvals()
        self._automation_flow_tasks()._record_event("activity_done")
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def _refuse_pending_approvals(self):
        """An approval request is decided with Approve or Reject, never by
        marking its activity done, which would say neither."""
        # Whoever marks the activity done is told, whatever their rights on
        # the flow's approvals.
        if (
            self.env["automation.flow.approval"]
            .sudo()
            .search_count(
                [("activity_id", "in", self.ids), ("state", "=", "pending")], limit=1
            )
        ):
            raise UserError(
                self.env._(
                    "This activity asks for an approval: open it from the link "
                    "of its note and choose Approve or Reject instead of "
                    "marking it done."
                )
            )

    def unlink(self):
        """Deleting an activity that was not done cancels it."""
        self._automation_flow_tasks()._record_event("activity_cancelled")
        return super().unlink()

    def _automation_flow_tasks(self):
        """Open tasks of these activities (indexed lookup)."""
        # Whoever marks the activity done moves the flow on, whatever their
        # rights on the flow's tasks.
        return (
            self.env["automation.flow.task"]
            .sudo()
            .search(
                [
                    ("activity_id", "in", self.ids),
                    ("activity_done_at", "=", False),
                    ("activity_cancelled_at", "=", False),
                ]
            )
        )
