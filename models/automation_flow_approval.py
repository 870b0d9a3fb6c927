# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..reasons import Reason, reason_values
from .automation_flow_step_activity import _rounds_of_distinct
from .automation_flow_step_approval import APPROVED, REJECTED

APPROVAL_TOKEN_SCOPE = "automation_flow-approval"
PENDING = "pending"
CLOSED = "closed"
APPROVAL_STATES = [
    (PENDING, "To decide"),
    (APPROVED, "Approved"),
    (REJECTED, "Rejected"),
    (CLOSED, "Not needed"),
]


class AutomationFlowApproval(models.Model):
    """One approver asked by one task of an approval step, and their decision.

    Rows are the engine's: created by the step (``_execute_approval``) and
    decided through ``_decide``, which the approver reaches from the
    activity (the decision form and its wizard) or from the signed links of
    the email (``controllers/approval.py``). Nobody writes them otherwise.
    Visible to whoever may read the record (``automation.flow.record.mixin``).
    """

    _name = "automation.flow.approval"
    _inherit = ["automation.flow.record.mixin"]
    _description = "Automation Flow Approval"
    _order = "id desc"
    _rec_name = "step_id"

    task_id = fields.Many2one(
        "automation.flow.task", required=True, ondelete="cascade", index=True
    )
    step_id = fields.Many2one(
        "automation.flow.step", required=True, ondelete="cascade", index=True
    )
    flow_id = fields.Many2one("automation.flow", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Approver", required=True, readonly=True, index=True
    )
    state = fields.Selection(
        APPROVAL_STATES, default=PENDING, required=True, readonly=True
    )
    decided_at = fields.Datetime("Decided on", readonly=True)
    comment = fields.Text(readonly=True)
    link_expires_at = fields.Datetime(
        "Links valid until",
        readonly=True,
        help="After this time the links of the email no longer work; the "
        "approver can still decide in Odoo.",
    )
    activity_id = fields.Many2one(
        "mail.activity", ondelete="set null", index="btree_not_null"
    )
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null")
    can_decide = fields.Boolean(compute="_compute_can_decide")

    @api.depends("state", "user_id")
    @api.depends_context("uid")
    def _compute_can_decide(self):
        for approval in self:
            approval.can_decide = (
                approval.state == PENDING and approval.user_id == self.env.user
            )

    # ------------------------------------------------------------------
    # The request: activities and emails
    # ------------------------------------------------------------------

    def _create_activities(self):
        """One activity of the type "Approval" per row, its note linking to
        the decision form, in one ``create`` per round (see
        ``_rounds_of_distinct``)."""
        if not self:
            return
        activity_type = self.env.ref("automation_flow.mail_activity_type_approval")
        # Activities store their record's name, computed one record at a
        # time: read the names of the batch at once first.
        self.env[self[:1].model].browse(self.mapped("res_id")).sudo().mapped(
            "display_name"
        )
        values_list = []
        for approval in self:
            step = approval.step_id
            values_list.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id(approval.model),
                    "res_id": approval.res_id,
                    "activity_type_id": activity_type.id,
                    "summary": step.name,
                    "note": Markup(
                        '<p><a href="/odoo/automation.flow.approval/%s">%s</a></p>'
                    )
                    % (approval.id, approval._in_lang()._("Approve or reject")),
                    "date_deadline": fields.Date.context_today(self)
                    + relativedelta(days=step.approval_link_days),
                    "user_id": approval.user_id.id,
                    "automated": True,
                }
            )
        # The request comes from the flow, not from whoever runs the
        # scheduler; the email below tells the approver, not the activity.
        Activity = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
        )
        keys = [(approval.res_id, approval.user_id.id) for approval in self]
        for indexes in _rounds_of_distinct(keys):
            activities = Activity.create([values_list[index] for index in indexes])
            for index, activity in zip(indexes, activities, strict=True):
                self[index].activity_id = activity

    def _in_lang(self):
        """The environment in the approver's language."""
        self.ensure_one()
        return self.env(context=dict(self.env.context, lang=self.user_id.lang))

    def _send_requests(self):
        """One email per row, in the approver's language, with the signed
        Approve / Reject links. Not posted on the record: the links are the
        approver's alone."""
        mail_values = []
        for approval in self:
            env = approval._in_lang()
            author = approval.flow_id.user_id.partner_id
            body = env["ir.qweb"]._render(
                "automation_flow.approval_request_email",
                {
                    "approval": approval.with_env(env),
                    "record_name": approval.sudo().record_name,
                    "approve_url": approval._decision_url(APPROVED),
                    "reject_url": approval._decision_url(REJECTED),
                    "open_url": approval._backend_url(),
                },
            )
            mail_values.append(
                {
                    "subject": env._(
                        "Approval requested: %(record)s",
                        record=approval.sudo().record_name,
                    ),
                    "body_html": body,
                    "author_id": author.id,
                    "email_from": author.email_formatted
                    or approval.company_id.partner_id.email_formatted,
                    "recipient_ids": [(6, 0, approval.user_id.partner_id.ids)],
                    # The links decide for the approver: do not keep them.
                    "auto_delete": True,
                }
            )
        # Emails of the flow, queued whoever runs the scheduler.
        mails = self.env["mail.mail"].sudo().create(mail_values)
        for approval, mail in zip(self, mails, strict=True):
            approval.mail_id = mail

    # ------------------------------------------------------------------
    # Signed links
    # ------------------------------------------------------------------

    @api.model
    def _link_token(self, approval_id):
        """The signature of the links of one approval row, bound to the
        database (its secret and its uuid) as the tracking tokens are."""
        # The database secret and uuid are readable by the superuser only.
        env = self.env(su=True)
        database = env["ir.config_parameter"].get_param("database.uuid")
        return tools.hmac(env, APPROVAL_TOKEN_SCOPE, (database, approval_id))

    @api.model
    def _from_link_token(self, approval_id, token):
        """The approval row ``approval_id`` if ``token`` is its signature,
        else nothing."""
        if tools.consteq(str(token or ""), self._link_token(approval_id)):
            return self.browse(approval_id).exists()
        return self.browse()

    def _link_status(self):
        """``valid``, or why the link of this row no longer decides:
        ``invalid`` (no such row, or a forged signature), ``used`` (decided,
        by this approver or, for the others, by the request's conclusion) or
        ``expired``."""
        if not self:
            return "invalid"
        self.ensure_one()
        if self.state != PENDING:
            return "used"
        if self.link_expires_at and self.link_expires_at <= fields.Datetime.now():
            return "expired"
        return "valid"

    def _decision_url(self, decision):
        self.ensure_one()
        return (
            f"{self.get_base_url()}/automation_flow/approval/{self.id}/"
            f"{self._link_token(self.id)}?decision={decision}"
        )

    def _backend_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/odoo/automation.flow.approval/{self.id}"

    # ------------------------------------------------------------------
    # Deciding
    # ------------------------------------------------------------------

    def _check_decider(self):
        """Refuse unless the current user is the approver of these pending
        rows and may read them (their record)."""
        self.check_access("read")
        for approval in self:
            if approval.user_id != self.env.user:
                raise AccessError(
                    _(
                        "Only %(approver)s may approve or reject this request. "
                        "Ask them to decide.",
                        approver=approval.user_id.name,
                    )
                )
        self._check_pending()

    def _check_pending(self):
        if self.filtered(lambda approval: approval.state != PENDING):
            raise UserError(
                _("This request was already decided: it cannot be decided again.")
            )

    def _decide(self, decision, comment=False):
        """Record the decision of the approvers of these rows, then conclude
        the requests it decides: close the other approvers' rows and
        activities, write the outcome on the task and record its event, so
        that the *Approved* or *Rejected* steps follow.

        The caller checked who decides (``_check_decider``, or the signed
        link); the rows are written as the engine (sudo).
        """
        tasks = self.task_id
        now = fields.Datetime.now()
        # Two approvers deciding at once must see each other's decision:
        # touching the task rows serializes them (the second one waits, then
        # is replayed by Odoo with a fresh snapshot).
        self.env.cr.execute(
            SQL(
                # A write, not a lock: a row only locked by the first one would
                # let the second go on with its old snapshot.
                "UPDATE automation_flow_task SET state = state WHERE id = ANY(%s)",
                tasks.ids,
            )
        )
        self.invalidate_recordset(["state"])
        self._check_pending()
        self.write({"state": decision, "decided_at": now, "comment": comment or False})
        self._post_decisions()
        concluded = {APPROVED: tasks.browse(), REJECTED: tasks.browse()}
        for task in tasks:
            outcome = task.approval_ids._outcome(task.step_id.approval_policy)
            if outcome:
                concluded[outcome] |= task
        ended = concluded[APPROVED] | concluded[REJECTED]
        ended.approval_ids.filtered(lambda a: a.state == PENDING).write(
            {"state": CLOSED}
        )
        # The decision is on the chatter: the requests' activities go.
        (self | ended.approval_ids).activity_id.unlink()
        for outcome, done in concluded.items():
            for task in done:
                decisions = task.approval_ids.filtered(
                    lambda a, o=outcome: a.state == o
                )
                task.write(
                    {
                        "outcome": outcome,
                        **reason_values(
                            Reason(
                                f"approval_{outcome}",
                                decisions="; ".join(
                                    f"{a.user_id.name} ({a.comment})"
                                    if a.comment
                                    else a.user_id.name
                                    for a in decisions
                                ),
                            )
                        ),
                    }
                )
            done._on_event(f"approval_{outcome}", now)

    def _outcome(self, policy):
        """The conclusion of a request from its rows: rejected as soon as
        one approver rejects; approved by the first approval ("any") or by
        all ("all"); else ``None`` (still to decide)."""
        decided = set(self.mapped("state"))
        if REJECTED in decided:
            return REJECTED
        if APPROVED in decided and (policy == "any" or decided == {APPROVED}):
            return APPROVED
        return None

    def _post_decisions(self):
        """The decision, who took it and the comment, on the record's chatter,
        in the approver's name."""
        for approval in self:
            env = approval._in_lang()
            text = (
                env._(
                    "%(approver)s approved the request of the step %(step)s.",
                    approver=approval.user_id.name,
                    step=approval.step_id.with_env(env).name,
                )
                if approval.state == APPROVED
                else env._(
                    "%(approver)s rejected the request of the step %(step)s.",
                    approver=approval.user_id.name,
                    step=approval.step_id.with_env(env).name,
                )
            )
            body = Markup("<p>%s</p>") % text
            if approval.comment:
                # Not a blockquote: the chatter folds those as quoted text.
                body += Markup("<p><em>%s</em></p>") % approval.comment
            # Posted for the approver, who may not be allowed to post on the
            # record (a signed link has no user at all).
            self.env[approval.model].browse(approval.res_id).sudo().message_post(
                body=body,
                author_id=approval.user_id.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    @api.model
    def has_my_requests(self):
        """Whether the current user has requests to decide (the banner of
        the chatter asks once per page load before looking per record)."""
        return bool(
            self.search_count(
                [("user_id", "=", self.env.uid), ("state", "=", PENDING)], limit=1
            )
        )

    @api.model
    def get_my_requests(self, model, res_id):
        """The current user's requests to decide on one record, for the
        banner of its chatter: ``[{"id", "step"}]``."""
        requests = self.search(
            [
                ("model", "=", model),
                ("res_id", "=", res_id),
                ("user_id", "=", self.env.uid),
                ("state", "=", PENDING),
            ]
        )
        # Approvers need not read the flows: the step's name is part of
        # their own request.
        return [
            {"id": request.id, "step": request.sudo().step_id.name}
            for request in requests
        ]

    def action_approve(self):
        return self._action_decide(APPROVED)

    def action_reject(self):
        return self._action_decide(REJECTED)

    def _action_decide(self, decision):
        """The decision dialog (optional comment) of the approver."""
        self.ensure_one()
        self._check_decider()
        return {
            "type": "ir.actions.act_window",
            "res_model": "automation.flow.approval.decide",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": _("Approve") if decision == APPROVED else _("Reject"),
            "context": {
                "default_approval_id": self.id,
                "default_decision": decision,
            },
        }

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
