# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..engine import states


class AutomationFlowStepDelete(models.TransientModel):
    """Ask before removing a step, with what it would take away: the steps
    after it and the tasks of all of them. A step with history is archived
    by default (it runs no more, its pending tasks are cancelled, its tasks
    and statistics stay); deleting it deletes them."""

    _name = "automation.flow.step.delete"
    _description = "Delete or Archive an Automation Flow Step"

    step_id = fields.Many2one("automation.flow.step", required=True, ondelete="cascade")
    step_count = fields.Integer("Steps after it", compute="_compute_counts")
    done_count = fields.Integer("Tasks ended", compute="_compute_counts")
    pending_count = fields.Integer("Tasks pending", compute="_compute_counts")
    record_count = fields.Integer("Records", compute="_compute_counts")
    has_history = fields.Boolean(compute="_compute_counts")
    mode = fields.Selection(
        [
            ("archive", "Archive: keep its history and statistics"),
            ("delete", "Delete it with its tasks and statistics"),
        ],
        default="archive",
        required=True,
    )

    def _tree(self):
        """The step and every step after it."""
        return self.step_id.with_context(active_test=False).search(
            [("id", "child_of", self.step_id.id)]
        )

    @api.depends("step_id")
    def _compute_counts(self):
        for wizard in self:
            steps = wizard._tree()
            # Every task of the steps, whoever asks: what the removal takes.
            groups = (
                self.env["automation.flow.task"]
                .sudo()
                ._read_group(
                    [("step_id", "in", steps.ids), ("is_test", "=", False)],
                    ["state"],
                    ["__count", "res_id:count_distinct"],
                )
            )
            pending = states.sources_of(states.TASK_CANCELLED)
            wizard.step_count = len(steps) - 1
            wizard.pending_count = sum(c for s, c, _r in groups if s in pending)
            wizard.done_count = sum(c for s, c, _r in groups if s not in pending)
            wizard.record_count = max((r for _s, _c, r in groups), default=0)
            wizard.has_history = bool(groups)

    def action_confirm(self):
        self.ensure_one()
        steps = self._tree()
        # Removing steps is configuring the flow.
        steps.check_access("write")
        if self.mode == "delete" or not self.has_history:
            steps.unlink()
        else:
            steps._archive_with_tasks()
        return {"type": "ir.actions.act_window_close"}
