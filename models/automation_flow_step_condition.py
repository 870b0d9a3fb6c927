# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models

from ..engine.triggers import BRANCH, StepType, Trigger

YES = "yes"
NO = "no"


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("condition", "Check a condition")],
        ondelete={"condition": "cascade"},
    )
    condition_domain = fields.Char(
        "Condition",
        default="[]",
        help="Checked when the step is due: the records that match it take the "
        "'Yes' branch, the others the 'No' branch. Group the rules with 'all' "
        "(AND) or 'any' (OR).",
    )

    @api.model
    def _get_step_types(self):
        """A condition decides: its children hang under "Yes" or "No", and
        only those of the branch the record took get a task."""
        return {
            **super()._get_step_types(),
            "condition": StepType(
                icon="fa-code-fork",
                triggers=[
                    Trigger(
                        "condition_yes",
                        BRANCH,
                        label=_("Yes"),
                        phrases=(
                            _("If the condition holds"),
                            _("%(delay)s after the check, if the condition holds"),
                        ),
                        outcome=YES,
                    ),
                    Trigger(
                        "condition_no",
                        BRANCH,
                        label=_("No"),
                        phrases=(
                            _("If the condition does not hold"),
                            _(
                                "%(delay)s after the check, if the condition "
                                "does not hold"
                            ),
                        ),
                        outcome=NO,
                    ),
                ],
            ),
        }

    def _get_condition_domain(self):
        """The condition, evaluated now as the flow's domains are (with the
        flow's responsible as ``uid``, ``user`` and day)."""
        self.ensure_one()
        return self.with_context(automation_flow_condition=True)._eval_domain(
            self.condition_domain, self.model, self.flow_id.user_id
        )

    def _domain_error(self, reason):
        if self.env.context.get("automation_flow_condition"):
            return _(
                "The condition of the step %(step)s of the flow %(flow)s cannot "
                "be used: %(reason)s",
                step=self.name,
                flow=self.flow_id.name,
                reason=reason,
            )
        return super()._domain_error(reason)

    @api.constrains("step_type", "condition_domain", "flow_id")
    def _check_condition_domain(self):
        for step in self.filtered(lambda s: s.step_type == "condition"):
            step._get_condition_domain()

    def _execute_condition(self, tasks):
        """Check the condition for the whole batch in one search and store
        each task's outcome; ``_create_child_tasks`` then follows it."""
        self.ensure_one()
        # As the flow's own domain: read as the flow's responsible, whoever
        # runs the scheduler.
        Model = self.flow_id._responsible_model()
        matching = set(
            Model.search(
                [("id", "in", tasks.mapped("res_id"))] + self._get_condition_domain()
            ).ids
        )
        tasks._write_links(
            outcome=[YES if task.res_id in matching else NO for task in tasks]
        )
