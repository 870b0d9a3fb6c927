# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, split_every

from ..engine import states
from ..reasons import Reason

_logger = logging.getLogger(__name__)

FLOW_STATES = [
    (states.FLOW_DRAFT, "Draft"),
    (states.FLOW_PERIODIC, "Periodic"),
    (states.FLOW_ON_DEMAND, "On demand"),
    (states.FLOW_DONE, "Stopped"),
]
# Field types whose values can say "the same person" across records.
UNIQUE_FIELD_TYPES = ("char", "many2one", "integer", "selection")
DEFAULT_ENROLL_BATCH_SIZE = 5000
REENROLL_ONCE = "once"
REENROLL_AFTER_END = "after_end"
REENROLL_AFTER_DAYS = "after_days"
# Days of enrollments drawn in the flow's trend (kanban card).
TREND_DAYS = 14


def is_testing():
    """Commits are skipped under tests, which run in one transaction."""
    return getattr(threading.current_thread(), "testing", False)


def _literal(value):
    """A domain value as the web client's domain parser reads it."""
    if isinstance(value, (list, tuple)):
        return [_literal(item) for item in value]
    if isinstance(value, datetime):
        return fields.Datetime.to_string(value)
    if isinstance(value, date):
        return fields.Date.to_string(value)
    return value


@contextmanager
def isolated(cr, commit):
    """Undo a failing unit of work and re-raise: back to a savepoint, or, for
    crons that commit as they go, back to their last commit."""
    if not commit:
        with cr.savepoint():
            yield
        return
    try:
        yield
    except Exception:
        cr.rollback()
        raise


class AutomationFlow(models.Model):
    _name = "automation.flow"
    _description = "Automation Flow"
    _inherit = ["mail.thread", "automation.flow.domain.mixin"]
    _order = "id desc"

    # Translatable as the names of its steps: a flow's name shows in the
    # journeys of records, read in their users' languages.
    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        help="Only records of this company (or of no company) are enrolled.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        required=True,
        copy=False,
        default=lambda self: self.env.user,
        domain="[('share', '=', False), ('company_ids', 'in', [company_id])]",
        help="Records are enrolled with this user's access rights, in the "
        "flow's company only: the flow reaches no record they cannot read.",
    )
    tag_ids = fields.Many2many("automation.flow.tag")
    model_id = fields.Many2one(
        "ir.model",
        required=True,
        ondelete="cascade",
        domain=[("is_mail_thread", "=", True), ("transient", "=", False)],
        help="The kind of record that goes through the flow. Only models with a "
        "chatter can be used, so that every step leaves a trace on the record.",
    )
    model = fields.Char(
        related="model_id.model", string="Model name", store=True, index=True
    )
    domain = fields.Char(
        default="[]",
        help="Records matching this domain enter the flow. It is checked again "
        "before every step: a record that no longer matches leaves the flow.",
    )
    filter_id = fields.Many2one(
        "automation.flow.filter",
        string="Saved filter",
        domain="[('model_id', '=', model_id), ('company_id', '=', company_id)]",
        help="A named domain shared between flows, combined with the domain above.",
    )
    unique_field_id = fields.Many2one(
        "ir.model.fields",
        string="Uniqueness based on",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('store', '=', True), "
        f"('ttype', 'in', {list(UNIQUE_FIELD_TYPES)})]",
        help="Enroll one record per distinct value of this field (e.g. the "
        "email): a person present on several records goes through the flow "
        "once. Records whose value is empty are not enrolled.",
    )
    reenroll_policy = fields.Selection(
        [
            (REENROLL_ONCE, "Once ever"),
            (REENROLL_AFTER_END, "Again after the previous journey ended"),
            (REENROLL_AFTER_DAYS, "Again some days after the previous journey began"),
        ],
        string="Re-enrollment",
        default=REENROLL_ONCE,
        required=True,
        help="Whether a record that went through the flow may enter it again. "
        "A record never runs two journeys of one flow at the same time.",
    )
    reenroll_days = fields.Integer(
        "Re-enroll after (days)",
        default=30,
        help="Days from the start of a record's previous journey after which it "
        "may enter again, once that journey ended.",
    )
    state = fields.Selection(
        FLOW_STATES,
        default=states.FLOW_DRAFT,
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    is_periodic = fields.Boolean(
        "Periodic",
        help="Periodic flows enroll new matching records on every run of the "
        "scheduler; the others enroll what matches when you press Run.",
    )
    step_ids = fields.One2many("automation.flow.step", "flow_id", string="Steps")
    enrollment_ids = fields.One2many("automation.flow.enrollment", "flow_id")
    last_enroll_date = fields.Datetime("Last enrollment", readonly=True, copy=False)
    empty_key_count = fields.Integer(
        "Records without uniqueness value",
        readonly=True,
        copy=False,
        help="Matching records left out at the last enrollment because their "
        "uniqueness field is empty.",
    )
    duplicate_key_count = fields.Integer(
        "Duplicates left out",
        readonly=True,
        copy=False,
        help="Matching records left out at the last enrollment because another "
        "matching record has the same uniqueness value (the first one, by id, "
        "enters the flow).",
    )
    step_count = fields.Integer(compute="_compute_counters")
    enrollment_count = fields.Integer(compute="_compute_counters")
    enrollment_running_count = fields.Integer(compute="_compute_counters")
    enrollment_done_count = fields.Integer(compute="_compute_counters")
    task_count = fields.Integer(compute="_compute_counters")
    task_error_count = fields.Integer(compute="_compute_counters")
    # The email steps, for the funnel of each one in the statistics.
    email_step_ids = fields.One2many(
        "automation.flow.step",
        "flow_id",
        string="Emails per step",
        domain=[("step_type", "=", "email")],
        readonly=True,
    )
    email_sent_count = fields.Integer("Sent", compute="_compute_email_statistics")
    email_opened_count = fields.Integer("Opened", compute="_compute_email_statistics")
    email_clicked_count = fields.Integer("Clicked", compute="_compute_email_statistics")
    email_replied_count = fields.Integer("Replied", compute="_compute_email_statistics")
    email_bounced_count = fields.Integer("Bounced", compute="_compute_email_statistics")
    email_unsubscribed_count = fields.Integer(
        "Unsubscribed", compute="_compute_email_statistics"
    )
    email_failed_count = fields.Integer(
        "Failed to send", compute="_compute_email_statistics"
    )
    email_open_rate = fields.Float(
        "Open rate", compute="_compute_email_statistics", digits=(16, 1)
    )
    email_click_rate = fields.Float(
        "Click rate", compute="_compute_email_statistics", digits=(16, 1)
    )
    email_reply_rate = fields.Float(
        "Reply rate", compute="_compute_email_statistics", digits=(16, 1)
    )
    email_bounce_rate = fields.Float(
        "Bounce rate", compute="_compute_email_statistics", digits=(16, 1)
    )
    enrollment_trend = fields.Json(
        "Enrollments of the last days",
        compute="_compute_enrollment_trend",
        help="Records enrolled per day over the last two weeks, oldest first.",
    )

    @api.depends("step_ids", "enrollment_ids")
    def _compute_counters(self):
        # The flow's figures count every record of the flow, like its
        # statistics; the lists behind them show the records the user may
        # read (automation.flow.record.mixin).
        Enrollment = self.env["automation.flow.enrollment"].sudo()
        Task = self.env["automation.flow.task"].sudo()
        enrollments = dict.fromkeys(self.ids, 0)
        by_state = {}
        for flow, state, count in Enrollment._read_group(
            [("flow_id", "in", self.ids), ("is_test", "=", False)],
            ["flow_id", "state"],
            ["__count"],
        ):
            enrollments[flow.id] += count
            by_state[flow.id, state] = count
        tasks = {}
        for flow, state, count in Task._read_group(
            [("flow_id", "in", self.ids), ("is_test", "=", False)],
            ["flow_id", "state"],
            ["__count"],
        ):
            tasks[flow.id] = tasks.get(flow.id, 0) + count
            tasks[flow.id, state] = count
        steps = dict(
            self.env["automation.flow.step"]._read_group(
                [("flow_id", "in", self.ids)], ["flow_id"], ["__count"]
            )
        )
        for flow in self:
            flow.step_count = steps.get(flow._origin, 0)
            flow.enrollment_count = enrollments.get(flow.id, 0)
            flow.enrollment_running_count = by_state.get(
                (flow.id, states.ENROLLMENT_RUNNING), 0
            )
            flow.enrollment_done_count = by_state.get(
                (flow.id, states.ENROLLMENT_DONE), 0
            )
            flow.task_count = tasks.get(flow.id, 0)
            flow.task_error_count = tasks.get((flow.id, states.TASK_ERROR), 0)

    def _compute_email_statistics(self):
        """The emails of all the flow's steps, as the steps count them."""
        statistics = self.env["automation.flow.task"]._email_statistics(
            "flow_id", self._origin.ids
        )
        for flow in self:
            flow.update(statistics[flow._origin.id])

    def _compute_enrollment_trend(self):
        today = fields.Date.context_today(self)
        first_day = today - timedelta(days=TREND_DAYS - 1)
        counts = {
            # Days come back as datetimes at midnight (user's timezone).
            (flow.id, day.date()): count
            # Every record of the flow, as its counters (see _compute_counters).
            for flow, day, count in self.env["automation.flow.enrollment"]
            .sudo()
            ._read_group(
                [
                    ("flow_id", "in", self.ids),
                    ("is_test", "=", False),
                    ("date_start", ">=", first_day),
                ],
                ["flow_id", "date_start:day"],
                ["__count"],
            )
        }
        days = [first_day + timedelta(days=offset) for offset in range(TREND_DAYS)]
        for flow in self:
            flow.enrollment_trend = [counts.get((flow.id, day), 0) for day in days]

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("model_id", "domain", "filter_id")
    def _check_domain(self):
        for flow in self:
            if flow.filter_id and flow.filter_id.model_id != flow.model_id:
                raise ValidationError(
                    _(
                        "The saved filter %(filter)s is for %(filter_model)s, but "
                        "the flow %(flow)s runs on %(model)s. Choose a filter of "
                        "the same model.",
                        filter=flow.filter_id.name,
                        filter_model=flow.filter_id.model_id.name,
                        flow=flow.name,
                        model=flow.model_id.name,
                    )
                )
            flow._get_records_domain()

    @api.constrains("model_id")
    def _check_model(self):
        for flow in self:
            if not flow.model_id.is_mail_thread:
                raise ValidationError(
                    _(
                        "The flow %(flow)s cannot run on %(model)s: only models "
                        "with a chatter can be automated.",
                        flow=flow.name,
                        model=flow.model_id.name,
                    )
                )
            flow._check_model_readable(flow.model_id)

    @api.constrains("company_id", "filter_id")
    def _check_filter_company(self):
        for flow in self:
            if flow.filter_id and flow.filter_id.company_id != flow.company_id:
                raise ValidationError(
                    _(
                        "The saved filter %(filter)s belongs to the company "
                        "%(filter_company)s, not to %(company)s like the flow "
                        "%(flow)s. Choose a filter of %(company)s.",
                        filter=flow.filter_id.name,
                        filter_company=flow.filter_id.company_id.name,
                        company=flow.company_id.name,
                        flow=flow.name,
                    )
                )

    @api.constrains("company_id", "user_id")
    def _check_responsible(self):
        # A flow without company is refused as such (required field).
        for flow in self.filtered("company_id"):
            # Any user's companies, whoever edits the flow.
            responsible = flow.user_id.sudo()
            if responsible.share or flow.company_id not in responsible.company_ids:
                raise ValidationError(
                    _(
                        "The responsible of the flow %(flow)s must be an internal "
                        "user of its company %(company)s: %(user)s is not. Choose "
                        "a user of %(company)s.",
                        flow=flow.name,
                        company=flow.company_id.name,
                        user=responsible.name,
                    )
                )

    def _check_responsible_choice(self, vals):
        """Only administrators name someone else than themselves responsible:
        the flow enrolls with the responsible's rights, and a manager must not
        borrow wider ones than their own."""
        user_id = vals.get("user_id")
        if (
            user_id
            and user_id != self.env.uid
            and not self.env.su
            and not self.env.user.has_group("base.group_system")
        ):
            raise UserError(
                _(
                    "You can only make yourself the responsible of a flow: its "
                    "records are enrolled with the responsible's access rights. "
                    "Ask an administrator to choose another user."
                )
            )

    @api.constrains("model_id", "unique_field_id")
    def _check_unique_field(self):
        for flow in self.filtered("unique_field_id"):
            if flow.unique_field_id.model_id != flow.model_id:
                raise ValidationError(
                    _(
                        "The uniqueness field %(field)s does not belong to %(model)s.",
                        field=flow.unique_field_id.field_description,
                        model=flow.model_id.name,
                    )
                )

    @api.constrains("reenroll_policy", "reenroll_days")
    def _check_reenroll_days(self):
        for flow in self:
            if flow.reenroll_policy == REENROLL_AFTER_DAYS and flow.reenroll_days < 1:
                raise ValidationError(
                    _(
                        "The flow %(flow)s lets records enter again after some "
                        "days: set at least one day.",
                        flow=flow.name,
                    )
                )

    def _with_enrollments(self):
        """The flows records went through, whoever asks: enrollments of
        records the user may not read count too."""
        enrollments = self.env["automation.flow.enrollment"]
        enrollments.flush_model(["flow_id"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT flow_id FROM automation_flow_enrollment "
                "WHERE flow_id = ANY(%s)",
                self.ids,
            )
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_responsible_choice(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_responsible_choice(vals)
        if "model_id" in vals and self._with_enrollments():
            raise UserError(
                _(
                    "Records already went through this flow: its model cannot be "
                    "changed any more. Duplicate the flow instead."
                )
            )
        if "company_id" in vals and self._with_enrollments():
            # Enrollments and tasks carry the company of their flow.
            raise UserError(
                _(
                    "Records already went through this flow: its company cannot "
                    "be changed any more. Duplicate the flow instead."
                )
            )
        result = super().write(vals)
        if "company_id" in vals:
            # Record rules checked the flows where they were: check where
            # they go, so that nobody moves a flow into another's company.
            self.check_access("write")
        return result

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        return [
            dict(vals, name=self.env._("%s (copy)", flow.name))
            for flow, vals in zip(self, vals_list, strict=True)
        ]

    def copy(self, default=None):
        new_flows = super().copy(default=default)
        for flow, new_flow in zip(self, new_flows, strict=True):
            flow.step_ids.filtered(lambda step: not step.parent_id)._copy_tree(new_flow)
        return new_flows

    # ------------------------------------------------------------------
    # Domains
    # ------------------------------------------------------------------

    def _get_records_domain(self):
        """The domain a record of the flow's model must match to take part,
        evaluated now (see ``automation.flow.domain.mixin``)."""
        self.ensure_one()
        # Evaluated for the responsible, who enrolls: ``uid`` and "today" are
        # theirs, whoever pressed Run or runs the scheduler.
        domains = [self._eval_domain(self.domain, self.model, self.user_id)]
        if self.filter_id:
            domains.append(
                self.filter_id._eval_domain(
                    self.filter_id.domain, self.model, self.user_id
                )
            )
        # Besides the record rules of the responsible (see
        # ``_responsible_model``), which do not bind the superuser.
        if "company_id" in self.env[self.model]._fields:
            domains.append([("company_id", "in", [False, self.company_id.id])])
        return expression.AND(domains)

    def get_records_domain(self):
        """The domain a record must match to enter the flow, evaluated now:
        the step form counts the records that can reach a step with it and
        the step's own domain."""
        self.ensure_one()
        self.check_access("read")
        return self._get_records_domain()

    def _domain_error(self, reason):
        return _(
            "The domain of the flow %(flow)s cannot be used: %(reason)s",
            flow=self.name,
            reason=reason,
        )

    def _responsible_model(self):
        """The flow's model as the flow's responsible, in the flow's company
        alone.

        Enrollment and the scheduler's domain checks search with it: the
        record rules of that user (multi-company, and any other) bound what
        the flow reaches, whoever pressed Run or runs the scheduler.
        """
        self.ensure_one()
        # Any user's companies, whoever runs the flow.
        if self.company_id not in self.user_id.sudo().company_ids:
            raise UserError(
                _(
                    "The responsible %(user)s of the flow %(flow)s no longer "
                    "belongs to its company %(company)s. Choose another "
                    "responsible.",
                    user=self.user_id.sudo().name,
                    flow=self.name,
                    company=self.company_id.name,
                )
            )
        return (
            self.env[self.model]
            .with_user(self.user_id)
            .with_context(allowed_company_ids=self.company_id.ids)
        )

    # ------------------------------------------------------------------
    # State buttons
    # ------------------------------------------------------------------

    def action_start_periodic(self):
        self.write({"is_periodic": True})
        return self.action_start()

    def action_start_on_demand(self):
        self.write({"is_periodic": False})
        return self.action_start()

    def action_start(self):
        for flow in self:
            if flow.state != states.FLOW_DRAFT:
                raise UserError(_("Only draft flows can be started."))
            if not flow.step_ids:
                raise UserError(
                    _(
                        "Add at least one step to the flow %s before starting it.",
                        flow.name,
                    )
                )
        periodic = self.filtered("is_periodic")
        periodic.write({"state": states.FLOW_PERIODIC})
        (self - periodic).write({"state": states.FLOW_ON_DEMAND})
        if periodic:
            # Every lane of the enrollment enrolls its share of the records.
            self.env["ir.cron"]._automation_flow_trigger("cron_enroll_periodic")
        return True

    def _trigger_cron(self, xmlid, at=None):
        # Waking the engine's own cron is not a right flow users need to hold:
        # crons are readable by administrators only.
        self.env.ref(xmlid).sudo()._trigger(at=at)

    def _wake_scheduler(self, enrollments):
        """Have the scheduler come when the first task of these new
        ``enrollments`` falls due: records enrolled by an event (an
        automation rule) do not wait for the scheduler's next round, as
        those of Run now do not."""
        if not enrollments:
            return
        self.env["automation.flow.task"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT min(scheduled_at) FROM automation_flow_task
                   WHERE enrollment_id = ANY(%s) AND state = %s""",
                enrollments.ids,
                states.TASK_SCHEDULED,
            )
        )
        due = self.env.cr.fetchone()[0]
        if due:
            self._trigger_cron("automation_flow.cron_process_due_tasks", at=due)

    def action_run(self):
        """Enroll now what matches, then let the scheduler run the due tasks."""
        self.check_access("read")
        for flow in self:
            if flow.state not in states.FLOW_RUNNING:
                raise UserError(_("Start the flow %s before running it.", flow.name))
        self._enroll()
        self._trigger_cron("automation_flow.cron_process_due_tasks")
        return True

    def action_confirm_start_on_demand(self):
        """Start on demand, once the user has read what it will do."""
        return self._open_launch("start_on_demand")

    def action_confirm_start_periodic(self):
        """Start periodic, once the user has read what it will do."""
        return self._open_launch("start_periodic")

    def action_confirm_run(self):
        """Run now, once the user has read how many records it enrolls."""
        return self._open_launch("run")

    def _open_launch(self, mode):
        """The confirmation of Start and Run now (``automation.flow.launch``);
        ``action_start*`` and ``action_run`` stay the direct path of RPC."""
        self.ensure_one()
        launch = self.env["automation.flow.launch"].create(
            {"flow_id": self.id, "mode": mode}
        )
        return launch._reopen()

    def _picker_domain(self):
        """The flow's domain as a literal, for the record pickers of the test
        and preview dialogs: they offer only records that match the flow."""
        self.ensure_one()
        domain = self._get_records_domain()
        return repr(
            [
                (leaf[0], leaf[1], _literal(leaf[2]))
                if isinstance(leaf, (list, tuple))
                else leaf
                for leaf in domain
            ]
        )

    def action_done(self):
        """End the flows: cancel their running enrollments and pending tasks.

        A web request, whatever the number of records in the flows: one
        statement for the enrollments and one for the tasks.
        """
        self.write({"state": states.FLOW_DONE})
        # The engine's statements (nobody writes tasks and enrollments): the
        # write above checked that the user may configure these flows.
        reason = Reason("flow_done")
        self.env["automation.flow.enrollment"]._cancel_running(self.ids, reason)
        self.env["automation.flow.task"]._cancel_pending("flow_id", self.ids, reason)
        return True

    def action_draft(self):
        if went_through := self._with_enrollments():
            raise UserError(
                _(
                    "Records already went through the flow %s: it cannot go "
                    "back to draft. Duplicate it to change it freely.",
                    went_through[0].name,
                )
            )
        self.write({"state": states.FLOW_DRAFT})
        return True

    def action_view_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "automation_flow.action_automation_flow_enrollment"
        )
        action["domain"] = [("flow_id", "=", self.id)]
        action["context"] = {"default_flow_id": self.id}
        return action

    def action_view_tasks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "automation_flow.action_automation_flow_task"
        )
        action["domain"] = [("flow_id", "=", self.id)]
        action["context"] = {"search_default_group_by_step": 1}
        return action

    def action_view_statistics(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "automation_flow.action_automation_flow_task_report"
        )
        action["domain"] = [("flow_id", "=", self.id)]
        action["display_name"] = _("Statistics of %s", self.name)
        return action

    def action_view_event_statistics(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "automation_flow.action_automation_flow_event_report"
        )
        action["domain"] = [("flow_id", "=", self.id)]
        action["display_name"] = _("Events of %s", self.name)
        return action

    def action_test(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "automation_flow.action_automation_flow_test"
        )
        action["context"] = {"default_flow_id": self.id}
        return action

    def get_step_tree(self):
        """What the step designer draws.

        :return: ``{"steps": [...], "triggers": {parent type: [(key, label)]},
            "busy": bool}``: each step with its parent, type, how it hangs
            under its parent (``kind`` of its trigger, ``branch`` label), its
            schedule and what it does in words, non-zero task counters and
            events (see ``step._designer_events``); the triggers a new child
            may have under each step type (``"root"`` for a first step);
            ``busy``: the scheduler has work of this flow to do now, so the
            designer comes back for the counters.
        """
        self.ensure_one()
        Step = self.env["automation.flow.step"]
        types = dict(Step._fields["step_type"]._description_selection(self.env))
        state_labels = (
            self.env["automation.flow.task"]
            ._fields["state"]
            ._description_selection(self.env)
        )
        catalogue = Step._step_catalogue()
        steps = []
        for step in self.step_ids:
            kind, branch = step._designer_branch(catalogue)
            steps.append(
                {
                    "id": step.id,
                    "name": step.name,
                    "parent_id": step.parent_id.id,
                    "step_type": step.step_type,
                    "type_label": types.get(step.step_type, ""),
                    "type_icon": step.type_icon,
                    "kind": kind,
                    "branch": branch,
                    "schedule": step.schedule_description,
                    # The summary names the fields, templates and actions
                    # the step uses, which automation users may not read
                    # (ir.model.fields): labels of a step they may read.
                    "summary": step.sudo()._designer_summary(),
                    "counters": [
                        {"state": state, "label": label, "count": count}
                        for state, label in state_labels
                        if (count := step[f"task_{state}_count"])
                    ],
                    "events": step._designer_events(),
                }
            )
        return {
            "steps": steps,
            "triggers": {
                "root": Step.get_trigger_options(),
                **{key: Step.get_trigger_options(key) for key in types},
            },
            "busy": self._scheduler_busy(),
        }

    def _scheduler_busy(self):
        """Whether the scheduler has work of this flow due now (a periodic
        flow never enrolled yet, tasks due): what it does next changes the
        counters. One query."""
        self.ensure_one()
        if self.state not in states.FLOW_RUNNING:
            return False
        if self.state == states.FLOW_PERIODIC and not self.last_enroll_date:
            return True
        # Every task of the flow, as its counters count them (the caller may
        # read the flow; only a yes or no leaves this method).
        return bool(
            self.env["automation.flow.task"]
            .sudo()
            .search_count(
                [
                    ("flow_id", "=", self.id),
                    ("state", "=", states.TASK_SCHEDULED),
                    ("scheduled_at", "<=", fields.Datetime.now()),
                ],
                limit=1,
            )
        )

    def action_view_matching_records(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Records matching %s", self.name),
            "res_model": self.model,
            "view_mode": "list,form",
            "domain": self._get_records_domain(),
        }

    # ------------------------------------------------------------------
    # Enrollment
    # ------------------------------------------------------------------

    @api.model
    def _cron_enroll_periodic(self):
        flows = self.search([("state", "=", states.FLOW_PERIODIC)])
        commit = not is_testing()
        share = self.env["ir.cron"]._automation_flow_lane("cron_enroll_periodic")
        for flow in flows:
            try:
                with isolated(self.env.cr, commit):
                    flow._enroll(commit=commit, share=share)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                # Another worker enrolls the same flow right now: the unique
                # indexes stopped the duplicates, the next run goes on.
                _logger.info("Enrollment of flow %s postponed: %s", flow.id, error)
            except Exception as error:  # noqa: BLE001
                # One broken flow (a field removed from its domain…) must not
                # keep the others from enrolling: it is told on its chatter.
                _logger.warning("Enrollment of flow %s failed: %s", flow.id, error)
                flow.message_post(
                    body=_("Enrollment failed, fix the flow: %s", error),
                    message_type="notification",
                )
                if commit:
                    # The failure of a flow further in this run rolls back to
                    # the last commit: the notice must not go with it. (Not
                    # committing, ``isolated`` undoes a failure to its own
                    # savepoint, which the notice is not part of.)
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        if flows:
            self._trigger_cron("automation_flow.cron_process_due_tasks")

    def _enroll(self, res_ids=None, is_test=False, commit=False, share=(0, 1)):
        """Enroll the matching records not enrolled yet; return the enrollments.

        Set-based: one query lists the candidates (``_candidate_ids``); then
        per batch of them one ``INSERT … SELECT`` checks them again (the list
        may have aged while the batches before ran), skips what is enrolled
        (by record, or by uniqueness value) and inserts the enrollments; then
        the root tasks are inserted in one go. The partial unique indexes on
        enrollments keep "once" true when two workers enroll at the same time
        (``ON CONFLICT DO NOTHING``).

        :param res_ids: restrict the candidates (event enrollment)
        :param is_test: a test enrollment, allowed beside a real one
        :param commit: commit after each batch (crons, not tests)
        :param share: ``(index, count)``: enroll only the candidates whose id
            modulo ``count`` is ``index`` (the lanes of the enrollment cron,
            ``ir_cron.py``, each enroll their share of a large flow)
        """
        Enrollment = self.env["automation.flow.enrollment"]
        enrollments = Enrollment
        batch_size = self.env["automation.flow.task"]._get_param(
            "enroll_batch_size", DEFAULT_ENROLL_BATCH_SIZE
        )
        for flow in self:
            if flow.state not in states.FLOW_RUNNING and not is_test:
                continue
            batches = list(
                split_every(batch_size, flow._candidate_ids(res_ids, is_test, share))
            )
            roots = flow.step_ids.filtered(lambda s: not s.parent_id)
            # Root steps counted from a date of the record read the dates of
            # the batch's records (``_create_root_tasks``); the tasks of the
            # others are inserted by the enrollments' statement.
            dated = roots.filtered(lambda s: s._due_per_record())
            inserted = analyzed = 0
            for index, candidate_ids in enumerate(batches, 1):
                rows = flow._insert_enrollments(
                    list(candidate_ids), is_test, roots - dated
                )
                inserted += len(rows)
                if rows:
                    dated._create_root_tasks(rows, is_test)
                    enrollments |= Enrollment.browse([row[0] for row in rows])
                if commit:
                    # Each batch is whole (enrollments and their root tasks):
                    # commit it so a crash later keeps it and the next run
                    # does not enroll it again.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
                if index < len(batches) and inserted >= 2 * analyzed:
                    # The next batch checks its candidates against the rows
                    # inserted: with statistics that still see this flow
                    # empty, PostgreSQL reads every enrollment of the flow
                    # for each batch. Statistics within half of the truth
                    # are enough for the planner: analyzed when this run
                    # has doubled what it inserted (log2 of the batches; an
                    # analysis costs 60 ms at 100,000 enrollments).
                    self.env.cr.execute("ANALYZE automation_flow_enrollment")
                    analyzed = inserted
            if inserted >= batch_size:
                # The scheduler takes the due tasks in the order of an index
                # (``task._acquire_due_tasks``, ``LIMIT``): with statistics
                # that do not see the tasks just inserted, PostgreSQL read and
                # sorted all of them for each of its batches (125 ms instead
                # of 3 with 60,000 due).
                self.env.cr.execute("ANALYZE automation_flow_task")
            if not share[0]:
                # Bookkeeping of the engine, allowed to users who may only run
                # flows; by the first lane only (lanes writing the same flow
                # row at once would fail each other).
                flow.sudo().last_enroll_date = fields.Datetime.now()
        return enrollments

    def _candidate_ids(self, res_ids, is_test, share=(0, 1)):
        """The ids of the records that would enter the flow now (among
        ``res_ids`` if given, in the lane ``share`` of ``_enroll``), in id
        order: one query.

        Listed once, rather than found batch after batch by a ``LIMIT``: the
        planner cannot tell how many records a domain matches (an ``ilike``
        on the email: 369 estimated, 75,000 found), and took each batch from
        a scan of the whole table, so that enrolling N records scanned the
        table N / batch size times. A batch now reads its own records by
        primary key. (A million ids hold about 40 MB in Python.)
        """
        self.ensure_one()
        Model, query, key = self._matching_query(res_ids)
        if self.unique_field_id and not is_test and not share[0]:
            self._count_keys_left_out(query, key)
        self.env.cr.execute(
            SQL(
                """SELECT candidate.id FROM (%(candidates)s) candidate
                   WHERE mod(candidate.id, %(lanes)s) = %(lane)s
                   ORDER BY candidate.id""",
                candidates=self._candidates_sql(Model, query, key, is_test),
                lane=share[0],
                lanes=share[1],
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _insert_enrollments(self, candidate_ids, is_test, root_steps=None):
        """Insert the enrollments of those of the records ``candidate_ids``
        that still enter the flow, and in the same statement the tasks of
        ``root_steps`` for them (root steps due at the same time for every
        record); return ``[(id, res_id), …]`` of the enrollments."""
        self.ensure_one()
        Model, query, key = self._matching_query(candidate_ids)
        Task = self.env["automation.flow.task"]
        now = fields.Datetime.now()
        root_tasks = SQL()
        if root_steps:
            root_tasks = SQL(
                ", root_tasks AS (%s)",
                Task._insert_for_new_enrollments_sql(
                    self,
                    [
                        step._task_values(None, None, None, now, is_test)
                        for step in root_steps
                    ],
                    "new_enrollment",
                ),
            )
        self.env.cr.execute(
            SQL(
                """WITH new_enrollment AS (
                       INSERT INTO automation_flow_enrollment (
                           flow_id, company_id, model, res_id, unique_key, state,
                           is_test, once_only, date_start)
                       SELECT %(flow)s, %(company)s, %(model)s, candidate.id,
                              candidate.key, %(state)s, %(is_test)s, %(once)s, %(now)s
                       FROM (%(candidates)s) candidate
                       ORDER BY candidate.id
                       ON CONFLICT DO NOTHING
                       RETURNING id, res_id)
                   %(root_tasks)s
                   SELECT id, res_id FROM new_enrollment""",
                flow=self.id,
                company=self.company_id.id,
                model=self.model,
                state=states.ENROLLMENT_RUNNING,
                is_test=is_test,
                once=self.reenroll_policy == REENROLL_ONCE and not is_test,
                now=now,
                candidates=self._candidates_sql(
                    Model, query, key, is_test, among=candidate_ids
                ),
                root_tasks=root_tasks,
            )
        )
        rows = self.env.cr.fetchall()
        if root_steps and rows:
            Task._invalidate_inserted()
        return rows

    def _matching_query(self, res_ids=None):
        """``(Model, query, key)``: the model as the flow's responsible, the
        query of its records matching the flow (among ``res_ids`` if given)
        and the SQL of their uniqueness value."""
        # The flow decides who enters, within what its responsible may read:
        # not the record rules of the user who pressed Run.
        Model = self._responsible_model()
        domain = self._get_records_domain()
        if res_ids is not None:
            domain = expression.AND([domain, [("id", "in", list(res_ids))]])
        Model.flush_model()
        self.env["automation.flow.enrollment"].flush_model()
        query = Model._search(domain)
        return Model, query, self._unique_key_sql(Model, query)

    def _candidates_sql(self, Model, query, key, is_test=False, among=None):
        """SQL of the records of ``query`` that would enter the flow now, as
        ``(id, key)``: one per uniqueness value, without those the
        re-enrollment policy keeps out.

        :param among: the ids ``query`` is restricted to (a batch of
            ``_enroll``): the check of what is enrolled reads their
            enrollments only
        """
        if is_test:
            # A test enrollment ignores what is enrolled already.
            not_enrolled = SQL("TRUE")
        else:
            # Two NOT EXISTS rather than one with an OR: PostgreSQL turns
            # each into a hash anti-join instead of probing per candidate.
            # Within a batch, the hash holds the batch's enrollments, not
            # all the flow's. Without a uniqueness field the key is NULL and
            # equals no enrollment's.
            by_record = SQL(
                """NOT EXISTS (
                       SELECT FROM automation_flow_enrollment enrolled
                       WHERE enrolled.flow_id = %(flow)s
                         AND %(among)s
                         AND enrolled.is_test IS NOT TRUE
                         AND enrolled.res_id = candidate.id AND %(blocks)s)""",
                flow=self.id,
                among=(
                    SQL("enrolled.res_id = ANY(%s)", list(among))
                    if among is not None
                    else SQL("TRUE")
                ),
                blocks=self._reenroll_blocked_sql(),
            )
            not_enrolled = (
                SQL(
                    """%(by_record)s AND NOT EXISTS (
                           SELECT FROM automation_flow_enrollment enrolled
                           WHERE enrolled.flow_id = %(flow)s
                             AND enrolled.is_test IS NOT TRUE
                             AND enrolled.unique_key = candidate.key
                             AND %(blocks)s)""",
                    by_record=by_record,
                    flow=self.id,
                    blocks=self._reenroll_blocked_sql(),
                )
                if self.unique_field_id
                else by_record
            )
        if self.unique_field_id:
            candidates = SQL(
                """SELECT DISTINCT ON (key) id, key
                   FROM (%(select)s) keyed WHERE key IS NOT NULL
                   ORDER BY key, id""",
                select=query.select(
                    SQL.identifier(Model._table, "id"), SQL("%s AS key", key)
                ),
            )
        else:
            candidates = query.select(
                SQL.identifier(Model._table, "id"), SQL("NULL::varchar AS key")
            )
        return SQL(
            "SELECT candidate.id, candidate.key FROM (%s) candidate WHERE %s",
            candidates,
            not_enrolled,
        )

    def _count_candidates(self):
        """How many records the flow would enroll now (one query): matching,
        one per uniqueness value, not kept out by the re-enrollment policy."""
        self.ensure_one()
        Model, query, key = self._matching_query()
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM (%s) counted",
                self._candidates_sql(Model, query, key),
            )
        )
        return self.env.cr.fetchone()[0]

    def _reenroll_blocked_sql(self):
        """SQL of whether an earlier enrollment (``enrolled``) keeps its record
        out of the flow, by the flow's re-enrollment policy: any enrollment
        (once ever), a journey under way, or one begun less than
        ``reenroll_days`` ago."""
        if self.reenroll_policy == REENROLL_ONCE:
            return SQL("TRUE")
        active = SQL("enrolled.state IN %s", states.ENROLLMENT_ACTIVE)
        if self.reenroll_policy == REENROLL_AFTER_END:
            return active
        return SQL(
            "(%s OR enrolled.date_start > %s)",
            active,
            fields.Datetime.now() - timedelta(days=self.reenroll_days),
        )

    def _unique_key_sql(self, Model, query):
        """SQL of the normalized uniqueness value of the records of ``query``
        (emails compare lowercased).

        Odoo's own field-to-SQL reads the value as the ORM does, the same at
        every run: a translated field by its source (English) value, a
        company-dependent one by the flow's company.
        """
        if not self.unique_field_id:
            return SQL("NULL::varchar")
        value = (
            Model.with_company(self.company_id)
            .with_context(lang="en_US")
            ._field_to_sql(Model._table, self.unique_field_id.name, query)
        )
        if self.unique_field_id.ttype == "char":
            return SQL("NULLIF(lower(trim(%s)), '')", value)
        return SQL("%s::varchar", value)

    def _count_keys_left_out(self, query, key):
        """Count the matching records left out for their uniqueness value:
        empty, or the same as another matching record's (only the first
        one enters), in one query."""
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FILTER (WHERE key IS NULL),
                          count(key) - count(DISTINCT key)
                   FROM (%s) keyed""",
                query.select(SQL("%s AS key", key)),
            )
        )
        empty, duplicates = self.env.cr.fetchone()
        # Bookkeeping of the engine, allowed to users who may only run flows.
        self.sudo().write({"empty_key_count": empty, "duplicate_key_count": duplicates})
