# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.exceptions import UserError


class MailActivity(models.Model):
    _inherit = "mail.activity"

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
