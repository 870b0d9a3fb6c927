# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Approval: a step that asks one or more people to approve or reject the
record, with an optional comment.

When the step runs, each approver gets a row ``automation.flow.approval``
(``automation_flow_approval.py``), an activity of the type "Approval" on the
record (its note links to the decision form) and an email with signed
Approve / Reject links (``controllers/approval.py``). The task is done once
the request is out: its children wait for the events of the decision:

- *Approved* and *Rejected* (kind ``event``), woken by the decision that
  concludes the request (policy "any one": the first decision; "all": every
  approver approved, or one rejected);
- *Not decided within* (kind ``negative`` on ``approval_decided``, which both
  decisions imply), due at the request + its delay: the escalation.

A multi-level approval is a chain of approval steps (Approved → next level).
"""

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..engine.triggers import EVENT, NEGATIVE, Event, StepType, Trigger

APPROVED = "approved"
REJECTED = "rejected"
DEFAULT_LINK_DAYS = 7


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    # The first time of each event of the approvals (see ``_get_step_types``).
    approval_approved_at = fields.Datetime("Approved on", readonly=True)
    approval_rejected_at = fields.Datetime("Rejected on", readonly=True)
    approval_decided_at = fields.Datetime("Decided on", readonly=True)
    approval_ids = fields.One2many(
        "automation.flow.approval", "task_id", string="Approvals"
    )


class AutomationFlowTaskReport(models.Model):
    _inherit = "automation.flow.task.report"  # pylint: disable=consider-merging-classes-inherited

    approval_approved_count = fields.Integer("Approved", readonly=True)
    approval_rejected_count = fields.Integer("Rejected", readonly=True)
    approval_decided_count = fields.Integer("Decided", readonly=True)


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("approval", "Ask for approval")],
        ondelete={"approval": "cascade"},
    )
    approval_user_type = fields.Selection(
        [
            ("fixed", "A user"),
            ("field", "A user of the record"),
            ("group", "The members of a group"),
        ],
        string="Approvers",
        required=True,
        default="fixed",
    )
    approval_user_id = fields.Many2one(
        "res.users",
        string="Approver",
        compute="_compute_approval_user_id",
        store=True,
        readonly=False,
        precompute=True,
        help="With 'A user of the record', the approver when the record has "
        "none. By default, the flow's responsible.",
    )
    approval_user_field_id = fields.Many2one(
        "ir.model.fields",
        string="Approver field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('relation', '=', 'res.users'), "
        "('ttype', '=', 'many2one')]",
        help="E.g. the salesperson or the responsible of the record.",
    )
    approval_group_id = fields.Many2one(
        "res.groups",
        string="Approver group",
        help="Its active internal users of the flow's company are asked.",
    )
    approval_policy = fields.Selection(
        [("any", "Any one of them"), ("all", "All of them")],
        string="Who must decide",
        required=True,
        default="any",
        help="Any one: the first decision concludes. All: approved when every "
        "approver approved, rejected as soon as one rejects.",
    )
    approval_link_days = fields.Integer(
        "Links valid for (days)",
        required=True,
        default=DEFAULT_LINK_DAYS,
        help="The Approve / Reject links of the emails expire after this many "
        "days; the approver can still decide in Odoo.",
    )
    approval_approved_count = fields.Integer(
        "Approved", compute="_compute_approval_statistics"
    )
    approval_rejected_count = fields.Integer(
        "Rejected", compute="_compute_approval_statistics"
    )
    approval_rate = fields.Float(
        "Approval rate",
        compute="_compute_approval_statistics",
        digits=(16, 1),
        help="The requests approved, in percent of those decided (tests left out).",
    )
    approval_decision_hours = fields.Float(
        "Median time to decide (hours)",
        compute="_compute_approval_statistics",
        digits=(16, 1),
        help="The median time from the request to its decision (tests left out).",
    )

    @api.depends("step_type", "flow_id")
    def _compute_approval_user_id(self):
        """The flow's responsible (else the current user) by default."""
        for step in self.filtered(
            lambda s: s.step_type == "approval" and not s.approval_user_id
        ):
            step.approval_user_id = (step.flow_id.user_id | self.env.user).filtered(
                "active"
            )[:1]

    @api.model
    def _get_step_types(self):
        """Children of an approval follow its decision, or escalate when it
        is not decided within their delay. Both decisions imply "decided";
        once one is taken, the other can no longer come."""
        return {
            **super()._get_step_types(),
            "approval": StepType(
                icon="fa-gavel",
                triggers=[
                    Trigger(
                        "approval_approved",
                        EVENT,
                        "approval_approved",
                        _("Approved"),
                        (
                            _("As soon as the request is approved"),
                            _("%(delay)s after the request is approved"),
                        ),
                    ),
                    Trigger(
                        "approval_rejected",
                        EVENT,
                        "approval_rejected",
                        _("Rejected"),
                        (
                            _("As soon as the request is rejected"),
                            _("%(delay)s after the request is rejected"),
                        ),
                    ),
                    Trigger(
                        "approval_not_decided",
                        NEGATIVE,
                        "approval_decided",
                        _("Not decided within"),
                        (
                            _("If the request is not decided at once"),
                            _("If the request is not decided within %(delay)s"),
                        ),
                    ),
                ],
                events=[
                    Event(
                        "approval_approved",
                        "approval_approved_at",
                        implies=("approval_decided",),
                        closes=(EVENT,),
                        label=_("Approved"),
                        icon="fa-thumbs-up",
                        cancel_reason=_(
                            "The request of the previous step was approved."
                        ),
                    ),
                    Event(
                        "approval_rejected",
                        "approval_rejected_at",
                        implies=("approval_decided",),
                        closes=(EVENT,),
                        label=_("Rejected"),
                        icon="fa-thumbs-down",
                        cancel_reason=_(
                            "The request of the previous step was rejected."
                        ),
                    ),
                    Event(
                        "approval_decided",
                        "approval_decided_at",
                        label=_("Decided"),
                        icon="fa-gavel",
                        cancel_reason=_(
                            "The request of the previous step was decided in time."
                        ),
                    ),
                ],
            ),
        }

    @api.depends("task_ids.approval_decided_at")
    def _compute_approval_statistics(self):
        """Approved and rejected requests, the approval rate and the median
        time to decide of the steps, in one grouped query. Every record of
        the step counts, as its other counters."""
        Task = self.env["automation.flow.task"]
        Task.flush_model(
            ["step_id", "is_test", "done_at", "approval_approved_at"]
            + ["approval_rejected_at", "approval_decided_at"]
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT step_id, count(approval_approved_at),
                          count(approval_rejected_at), count(*),
                          percentile_cont(0.5) WITHIN GROUP (
                              ORDER BY EXTRACT(EPOCH FROM approval_decided_at - done_at)
                          ) / 3600
                   FROM automation_flow_task
                   WHERE step_id = ANY(%s) AND is_test IS NOT TRUE
                     AND approval_decided_at IS NOT NULL
                   GROUP BY step_id""",
                self._origin.ids,
            )
        )
        statistics = {row[0]: row[1:] for row in rows}
        for step in self:
            approved, rejected, decided, hours = statistics.get(
                step._origin.id, (0, 0, 0, 0.0)
            )
            step.approval_approved_count = approved
            step.approval_rejected_count = rejected
            step.approval_rate = 100.0 * approved / decided if decided else 0.0
            step.approval_decision_hours = hours or 0.0

    def _designer_summary(self):
        """ "Ask Ann for approval", "Ask the Sales team (all of them) …"."""
        if self.step_type != "approval":
            return super()._designer_summary()
        if self.approval_user_type == "group":
            who = self.approval_group_id.name or ""
        elif self.approval_user_type == "field" and self.approval_user_field_id:
            who = _(
                "the %(field)s", field=self.approval_user_field_id.field_description
            )
        else:
            who = self.approval_user_id.name or ""
        if self.approval_policy == "all" and self.approval_user_type == "group":
            return _("Ask every member of %s for approval", who)
        return _("Ask %s for approval", who)

    def _designer_events(self):
        """Approved (with the approval rate) and rejected requests."""
        if self.step_type != "approval":
            return super()._designer_events()
        return [
            self._designer_event(event, label, count, rate=rate)
            for event, label, count, rate in (
                (
                    "approval_approved",
                    _("Approved"),
                    self.approval_approved_count,
                    self.approval_rate,
                ),
                (
                    "approval_rejected",
                    _("Rejected"),
                    self.approval_rejected_count,
                    None,
                ),
            )
            if count
        ]

    @api.constrains(
        "step_type",
        "approval_user_type",
        "approval_user_id",
        "approval_user_field_id",
        "approval_group_id",
        "approval_link_days",
        "flow_id",
    )
    def _check_approval(self):
        for step in self.filtered(lambda s: s.step_type == "approval"):
            if "activity_ids" not in self.env[step.model]._fields:
                raise ValidationError(
                    _(
                        "The step %(step)s asks for approval through activities, "
                        "which records of %(model)s cannot have. Choose another "
                        "step type, or a flow on a model with activities.",
                        step=step.name,
                        model=step.model_id.name,
                    )
                )
            if step.approval_link_days < 1:
                raise ValidationError(
                    _(
                        "The links of the step %(step)s must be valid for at "
                        "least one day.",
                        step=step.name,
                    )
                )
            if step.approval_user_type == "group":
                if not step.approval_group_id:
                    raise ValidationError(
                        _(
                            "Choose the group whose members approve in the step "
                            "%(step)s.",
                            step=step.name,
                        )
                    )
                continue
            if step.approval_user_type == "field":
                field = step.approval_user_field_id
                if not field:
                    raise ValidationError(
                        _(
                            "Choose the approver field of the step %(step)s.",
                            step=step.name,
                        )
                    )
                if field.model_id != step.model_id:
                    step._raise_wrong_model(_("approver field"), field)
            if not step.approval_user_id:
                raise ValidationError(
                    _(
                        "Choose the approver of the step %(step)s (with a user "
                        "of the record: who approves when the record has none).",
                        step=step.name,
                    )
                )

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _execute_approval(self, tasks):
        """Ask the approvers of each task: one approval row per approver and
        task (one ``create``), one activity each (one ``create`` per round)
        and one email each (one ``create``)."""
        self.ensure_one()
        approvers = self._approvers(tasks._records())
        values_list = []
        for task in tasks:
            users = approvers.get(task.res_id)
            if not users:
                raise UserError(
                    _(
                        "Nobody can approve the record %(record)s in the step "
                        "%(step)s: the group %(group)s has no active internal "
                        "user of the flow's company. Add one to the group, "
                        "then retry.",
                        record=task.record_name,
                        step=self.name,
                        group=self.approval_group_id.name,
                    )
                )
            values_list += [
                {
                    "task_id": task.id,
                    "step_id": self.id,
                    "flow_id": self.flow_id.id,
                    "company_id": self.company_id.id,
                    "model": self.model,
                    "res_id": task.res_id,
                    "user_id": user_id,
                    "link_expires_at": fields.Datetime.now()
                    + relativedelta(days=self.approval_link_days),
                }
                for user_id in users
            ]
        # Approval rows are the engine's, created for the flow.
        approvals = self.env["automation.flow.approval"].sudo().create(values_list)
        approvals._create_activities()
        approvals._send_requests()

    def _approvers(self, records):
        """``{res_id: [user ids]}`` of the approvers of each record."""
        if self.approval_user_type == "fixed":
            return dict.fromkeys(records.ids, self.approval_user_id.ids)
        if self.approval_user_type == "field":
            field_name = self.approval_user_field_id.name
            # The approver is read for the flow, whatever the runner may read.
            return {
                record.id: (record[field_name] or self.approval_user_id).ids
                for record in records.sudo()
            }
        # Group members are read for the flow (the runner may not list users).
        members = (
            self.approval_group_id.sudo()
            .users.filtered(
                lambda user: not user.share and self.company_id in user.company_ids
            )
            .ids
        )
        return dict.fromkeys(records.ids, members)
