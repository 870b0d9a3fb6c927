# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import split
from ..engine.triggers import BRANCH, StepType, Trigger

# The branches a split may have, each an outcome and its percent field.
BRANCHES = ("a", "b", "c", "d", "e")


def percent_field(outcome):
    return f"split_percent_{outcome}"


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("split", "Split at random (A/B)")],
        ondelete={"split": "cascade"},
    )
    split_percent_a = fields.Integer("Branch A (%)", default=50)
    split_percent_b = fields.Integer("Branch B (%)", default=50)
    split_percent_c = fields.Integer("Branch C (%)")
    split_percent_d = fields.Integer("Branch D (%)")
    split_percent_e = fields.Integer("Branch E (%)")

    @api.model
    def _get_step_types(self):
        """A split sends each record down one of 2 to 5 branches, at random
        but always the same one for the same enrollment."""
        labels = {
            "a": (_("Branch A"), _("In branch A"), _("%(delay)s later, in branch A")),
            "b": (_("Branch B"), _("In branch B"), _("%(delay)s later, in branch B")),
            "c": (_("Branch C"), _("In branch C"), _("%(delay)s later, in branch C")),
            "d": (_("Branch D"), _("In branch D"), _("%(delay)s later, in branch D")),
            "e": (_("Branch E"), _("In branch E"), _("%(delay)s later, in branch E")),
        }
        return {
            **super()._get_step_types(),
            "split": StepType(
                icon="fa-random",
                triggers=[
                    Trigger(
                        f"split_{outcome}",
                        BRANCH,
                        label=labels[outcome][0],
                        phrases=labels[outcome][1:],
                        outcome=outcome,
                    )
                    for outcome in BRANCHES
                ],
            ),
        }

    def _split_weights(self):
        """``[(outcome, percent)]`` of the step's branches, empty ones left out."""
        self.ensure_one()
        return [
            (outcome, self[percent_field(outcome)])
            for outcome in BRANCHES
            if self[percent_field(outcome)]
        ]

    @api.constrains("step_type", *map(percent_field, BRANCHES))
    def _check_split(self):
        for step in self.filtered(lambda s: s.step_type == "split"):
            weights = step._split_weights()
            if any(percent < 0 for _outcome, percent in weights):
                raise ValidationError(
                    _(
                        "The percents of the split %(step)s cannot be negative.",
                        step=step.name,
                    )
                )
            if len(weights) < 2 or sum(p for _o, p in weights) != 100:
                raise ValidationError(
                    _(
                        "The split %(step)s needs 2 to 5 branches whose percents "
                        "sum to 100 (now %(total)s in %(count)s branches). Set "
                        "the percents of the branches you use, 0 for the others.",
                        step=step.name,
                        total=sum(p for _o, p in weights),
                        count=len(weights),
                    )
                )

    @api.constrains("parent_id", "trigger")
    def _check_split_branch_used(self):
        for step in self.filtered(
            lambda s: (
                s.parent_id.step_type == "split" and s.trigger.startswith("split_")
            )
        ):
            outcome = step.trigger.removeprefix("split_")
            if not step.parent_id[percent_field(outcome)]:
                raise ValidationError(
                    _(
                        "The branch of the step %(step)s gets no record: give "
                        "it a percent on the split %(split)s.",
                        step=step.name,
                        split=step.parent_id.name,
                    )
                )

    def _designer_summary(self):
        if self.step_type != "split":
            return super()._designer_summary()
        labels = self._step_catalogue().triggers
        return ", ".join(
            self._branch_with_percent(labels[f"split_{outcome}"].label, percent)
            for outcome, percent in self._split_weights()
        )

    def _designer_branch(self, catalogue):
        """A branch of a split says its percent: Branch A (30 %)."""
        kind, label = super()._designer_branch(catalogue)
        if self.parent_id.step_type == "split" and self.trigger.startswith("split_"):
            outcome = self.trigger.removeprefix("split_")
            label = self._branch_with_percent(
                label, self.parent_id[percent_field(outcome)]
            )
        return kind, label

    @api.model
    def _branch_with_percent(self, label, percent):
        return _("%(branch)s (%(percent)s %%)", branch=label, percent=percent)

    def _designer_events(self):
        """Each branch's count, labelled with its percent (Branch A (50 %))."""
        events = super()._designer_events()
        if self.step_type != "split":
            return events
        percents = dict(self._split_weights())
        for event in events:
            event["label"] = self._branch_with_percent(
                event["label"], percents.get(event["event"].removeprefix("split_"), 0)
            )
        return events

    def _execute_split(self, tasks):
        """Store each task's branch, a hash of its enrollment and the step:
        a retry or a replay never changes it."""
        self.ensure_one()
        weights = self._split_weights()
        tasks._write_links(
            outcome=[
                split.branch(task.enrollment_id.id, self.id, weights) for task in tasks
            ]
        )
