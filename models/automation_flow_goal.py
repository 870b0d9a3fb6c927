# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The goal of a flow: a record reaching it leaves the flow as converted.

A record is checked against the goal when someone writes a field the goal
reads (the record hooks, ``automation_flow_record_hooks.py``) and, for writes
the ORM did not see, each time one of its tasks falls due (the scheduler's
batch checks). Either way its running enrollment ends ``converted`` and its
pending tasks are cancelled, both with the reason "converted".
"""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import domains, states
from ..reasons import Reason


class AutomationFlow(models.Model):
    _inherit = "automation.flow"  # pylint: disable=consider-merging-classes-inherited

    goal_domain = fields.Char(
        "Goal",
        help="Records that come to match it (an order confirmed, a lead won) "
        "leave the flow as converted: their next steps are cancelled. Leave "
        "it empty for a flow without a goal.",
    )
    enrollment_converted_count = fields.Integer(
        "Converted", compute="_compute_conversion"
    )
    conversion_rate = fields.Float(
        "Conversion rate",
        compute="_compute_conversion",
        digits=(16, 1),
        help="The records that reached the goal, in percent of those enrolled "
        "(tests left out).",
    )

    conversion_days = fields.Float(
        "Median time to convert (days)",
        compute="_compute_conversion",
        digits=(16, 1),
        help="The median time, in days, from the enrollment of a record to "
        "its reaching the goal (tests left out).",
    )

    @api.depends("enrollment_ids.state", "enrollment_ids.date_done")
    def _compute_conversion(self):
        """The converted enrollments of the flows and their median time to
        convert, in one grouped query (read with the user's record rules)."""
        Enrollment = self.env["automation.flow.enrollment"]
        query = Enrollment._search(
            [
                ("flow_id", "in", self._origin.ids),
                ("is_test", "=", False),
                ("state", "=", states.ENROLLMENT_CONVERTED),
            ]
        )
        flow_id = Enrollment._field_to_sql(query.table, "flow_id", query)
        query.groupby = flow_id
        # execute_query flushes the fields the query reads.
        rows = self.env.execute_query(
            query.select(
                flow_id,
                SQL("count(*)"),
                SQL(
                    "percentile_cont(0.5) WITHIN GROUP "
                    "(ORDER BY EXTRACT(EPOCH FROM %s - %s)) / 86400",
                    Enrollment._field_to_sql(query.table, "date_done", query),
                    Enrollment._field_to_sql(query.table, "date_start", query),
                ),
            )
        )
        converted = {flow: (count, days) for flow, count, days in rows}
        for flow in self:
            count, days = converted.get(flow._origin.id, (0, 0.0))
            flow.enrollment_converted_count = count
            flow.conversion_rate = (
                100.0 * count / flow.enrollment_count if flow.enrollment_count else 0.0
            )
            flow.conversion_days = days or 0.0

    def get_step_tree(self):
        """Each step's card also counts the records converted after it."""
        tree = super().get_step_tree()
        Step = self.env["automation.flow.step"]
        converted = {step.id: step.converted_count for step in self.step_ids}
        for card in tree["steps"]:
            if count := converted.get(card["id"]):
                card["events"].append(
                    Step._designer_event(
                        "converted",
                        _("Converted after"),
                        count,
                        icon="fa-flag-checkered",
                    )
                )
        return tree

    def _has_goal(self):
        self.ensure_one()
        return self.goal_domain not in (False, "", "[]")

    def _get_goal_domain(self):
        """The goal, evaluated now as the flow's domain is (with the flow's
        responsible as ``uid``, ``user`` and day)."""
        self.ensure_one()
        return self.with_context(automation_flow_goal=True)._eval_domain(
            self.goal_domain, self.model, self.user_id
        )

    def _domain_error(self, reason):
        if self.env.context.get("automation_flow_goal"):
            return _(
                "The goal of the flow %(flow)s cannot be used: %(reason)s",
                flow=self.name,
                reason=reason,
            )
        return super()._domain_error(reason)

    @api.constrains("goal_domain", "model_id")
    def _check_goal_domain(self):
        for flow in self.filtered(lambda f: f._has_goal()):
            flow._get_goal_domain()

    def _goal_fields(self):
        """The fields of the flow's model whose writes may make a record
        reach the goal; empty without a goal."""
        self.ensure_one()
        if not self._has_goal():
            return set()
        try:
            return domains.fields_read(self._get_goal_domain())
        except ValidationError:
            # A field of the goal was removed since: the scheduler's check
            # reports it; nothing to watch meanwhile.
            return set()

    def _convert(self, res_ids):
        """End as converted the running enrollments of ``res_ids`` in these
        flows whose record reached the goal: one search of the enrollments
        and one of the records per flow."""
        Enrollment = self.env["automation.flow.enrollment"]
        for flow in self.filtered(lambda f: f._has_goal()):
            running = Enrollment.search(
                [
                    ("flow_id", "=", flow.id),
                    ("res_id", "in", list(res_ids)),
                    ("state", "in", states.ENROLLMENT_ACTIVE),
                ]
            )
            if running:
                reached = flow._reached_goal(running.mapped("res_id"))
                running.filtered(lambda e, r=reached: e.res_id in r)._set_state(
                    states.ENROLLMENT_CONVERTED, Reason("converted")
                )

    def _reached_goal(self, res_ids):
        """The ids among ``res_ids`` of the records matching the goal, in
        one search as the flow's responsible (as the flow's own domain)."""
        self.ensure_one()
        return set(
            self._responsible_model()
            .search([("id", "in", list(res_ids))] + self._get_goal_domain())
            .ids
        )


class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    converted_count = fields.Integer(
        "Converted after",
        compute="_compute_converted_count",
        help="The records that reached the flow's goal after this step was "
        "done for them (tests left out).",
    )

    @api.depends("task_ids.state", "task_ids.enrollment_id.state")
    def _compute_converted_count(self):
        """One grouped query for all the steps."""
        counts = dict(
            self.env["automation.flow.task"]._read_group(
                [
                    ("step_id", "in", self._origin.ids),
                    ("is_test", "=", False),
                    ("state", "=", states.TASK_DONE),
                    ("enrollment_id.state", "=", states.ENROLLMENT_CONVERTED),
                ],
                ["step_id"],
                ["enrollment_id:count_distinct"],
            )
        )
        for step in self:
            step.converted_count = counts.get(step._origin, 0)


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    def _leave_converted(self, flow):
        """The scheduler's check of a due batch: the records that reached
        the goal leave the flow as converted (these tasks are cancelled with
        their other pending ones); return the other tasks."""
        if not flow._has_goal():
            return self
        reached = flow._reached_goal(self.mapped("res_id"))
        converted = self.filtered(lambda task: task.res_id in reached)
        converted.enrollment_id.filtered(
            lambda e: e.state in states.ENROLLMENT_ACTIVE
        )._set_state(states.ENROLLMENT_CONVERTED, Reason("converted"))
        return self - converted
