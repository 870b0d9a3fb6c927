# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..engine.triggers import EVENT, NEGATIVE, Event, StepType, Trigger
from .batch_defaults import with_batch_defaults


def _rounds_of_distinct(res_ids):
    """Split the positions of ``res_ids`` into rounds where each id appears
    at most once: the first occurrence of each id, then the second…

    ``mail.activity.create`` subscribes the assignees to the records in one
    insert per create: the same record twice in one create (a real and a test
    enrollment of it) would insert its follower twice and break the unique
    key of ``mail_followers``. E.g. ``[7, 8, 7, 9, 7]`` gives
    ``[[0, 1, 3], [2], [4]]``.
    """
    rounds, seen = [], {}
    for index, res_id in enumerate(res_ids):
        occurrence = seen.get(res_id, 0)
        seen[res_id] = occurrence + 1
        if occurrence == len(rounds):
            rounds.append([])
        rounds[occurrence].append(index)
    return rounds


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    # The first time of each event of the activities (see ``_get_step_types``).
    activity_done_at = fields.Datetime("Activity done on", readonly=True)
    activity_cancelled_at = fields.Datetime("Activity cancelled on", readonly=True)


class AutomationFlowTaskReport(models.Model):
    _inherit = "automation.flow.task.report"  # pylint: disable=consider-merging-classes-inherited

    # The columns of the activity events (``<event>_count``), and the
    # activities still open after their deadline.
    activity_done_count = fields.Integer("Activities done", readonly=True)
    activity_cancelled_count = fields.Integer("Activities cancelled", readonly=True)
    activity_overdue_count = fields.Integer(
        "Activities overdue",
        readonly=True,
        help="Activities of the tasks still open after their deadline.",
    )

    def _report_get_request_select_events(self):
        # A done activity is deleted, or archived when its type keeps done
        # activities: only active ones can be overdue.
        return super()._report_get_request_select_events() + [
            SQL(
                """count(activity.id) FILTER (
                       WHERE activity.active AND activity.date_deadline < current_date
                   ) AS activity_overdue_count"""
            )
        ]

    def _report_get_request_from_items(self):
        return super()._report_get_request_from_items() + [
            SQL("LEFT JOIN mail_activity activity ON activity.id = task.activity_id")
        ]


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("activity", "Schedule an activity")],
        ondelete={"activity": "cascade"},
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity type",
        domain="['|', ('res_model', '=', False), ('res_model', '=', model)]",
    )
    activity_summary = fields.Char("Summary", translate=True)
    activity_note = fields.Html("Note", translate=True)
    activity_deadline_days = fields.Integer(
        "Deadline (days)",
        required=True,
        default=0,
        help="Days between the step and the activity's deadline.",
    )
    activity_user_type = fields.Selection(
        [("fixed", "A user"), ("field", "A user of the record")],
        string="Assign to",
        default="fixed",
    )
    activity_user_id = fields.Many2one(
        "res.users",
        string="Assignee",
        compute="_compute_activity_user_id",
        store=True,
        readonly=False,
        precompute=True,
        help="With 'A user of the record', the user when the record has none. "
        "By default, the flow's responsible.",
    )
    activity_user_field_id = fields.Many2one(
        "ir.model.fields",
        string="User field",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('relation', '=', 'res.users'), "
        "('ttype', '=', 'many2one')]",
        help="E.g. the salesperson of the record.",
    )
    activity_user_warning = fields.Char(
        "Records without assignee",
        compute="_compute_activity_user_warning",
        help="How many records matching the flow lack the user field, so that "
        "their activity goes to the assignee above.",
    )
    activity_notify = fields.Boolean(
        "Notify the assignee",
        help="Email each assignee about the new activity. It costs one "
        "notification per activity: leave it off for large flows.",
    )

    activity_done_count = fields.Integer(
        "Activities done", compute="_compute_activity_counters"
    )
    activity_cancelled_count = fields.Integer(
        "Activities cancelled", compute="_compute_activity_counters"
    )

    activity_overdue_count = fields.Integer(
        "Activities overdue",
        compute="_compute_activity_overdue_count",
        help="Activities of the step still open after their deadline.",
    )

    @api.depends("step_type", "flow_id")
    def _compute_activity_user_id(self):
        """The flow's responsible (else the current user) takes the
        activities no user of the record can take."""
        for step in self.filtered(
            lambda s: s.step_type == "activity" and not s.activity_user_id
        ):
            step.activity_user_id = (step.flow_id.user_id | self.env.user).filtered(
                "active"
            )[:1]

    @api.depends(
        "step_type",
        "activity_user_type",
        "activity_user_field_id",
        "activity_user_id",
        "domain",
        "flow_id.domain",
        "flow_id.filter_id",
    )
    def _compute_activity_user_warning(self):
        for step in self:
            step.activity_user_warning = step._activity_user_warning()

    def _activity_user_warning(self):
        """'11 of the 13 records…' when matching records lack the user field,
        counted among the records the current user can read."""
        self.ensure_one()
        field = self.activity_user_field_id
        if (
            self.step_type != "activity"
            or self.activity_user_type != "field"
            or not field
            or not self.flow_id.model_id
            or not self.env[self.model].has_access("read")
        ):
            return False
        Model = self.env[self.model]
        try:
            domain = self._get_domain()
            missing = Model.search_count(domain + [(field.name, "=", False)])
            total = Model.search_count(domain) if missing else 0
        except Exception:  # noqa: BLE001
            # A domain being edited may not be valid yet: the constraints of
            # the flow and the step say what is wrong with it at save.
            return False
        if not missing:
            return False
        if not self.activity_user_id:
            return _(
                "%(missing)s of the %(total)s records matching the flow have no "
                "%(field)s: choose who takes their activities.",
                missing=missing,
                total=total,
                field=field.field_description,
            )
        return _(
            "%(missing)s of the %(total)s records matching the flow have no "
            "%(field)s: their activities go to %(user)s.",
            missing=missing,
            total=total,
            field=field.field_description,
            user=self.activity_user_id.name,
        )

    @api.model
    def _get_step_types(self):
        """Children of an activity wait for it to be done or cancelled, or
        follow when it was not done within their delay. Once done or
        cancelled, it can be neither any more; a cancelled one is still "not
        done"."""
        return {
            **super()._get_step_types(),
            "activity": StepType(
                # Not the clock of the schedule line of the designer's cards.
                icon="fa-tasks",
                triggers=[
                    Trigger(
                        "activity_done",
                        EVENT,
                        "activity_done",
                        _("Activity done"),
                        (
                            _("As soon as the activity is done"),
                            _("%(delay)s after the activity is done"),
                        ),
                    ),
                    Trigger(
                        "activity_cancelled",
                        EVENT,
                        "activity_cancelled",
                        _("Activity cancelled"),
                        (
                            _("As soon as the activity is cancelled"),
                            _("%(delay)s after the activity is cancelled"),
                        ),
                    ),
                    Trigger(
                        "activity_not_done",
                        NEGATIVE,
                        "activity_done",
                        _("Activity not done"),
                        (
                            _("If the activity is not done at once"),
                            _("If the activity is not done within %(delay)s"),
                        ),
                    ),
                ],
                events=[
                    Event(
                        "activity_done",
                        "activity_done_at",
                        closes=(EVENT,),
                        label=_("Activity done"),
                        icon="fa-check",
                        cancel_reason=_("The activity of the previous step was done."),
                    ),
                    Event(
                        "activity_cancelled",
                        "activity_cancelled_at",
                        closes=(EVENT,),
                        label=_("Activity cancelled"),
                        icon="fa-ban",
                        cancel_reason=_(
                            "The activity of the previous step was cancelled."
                        ),
                    ),
                ],
            ),
        }

    @api.depends("task_ids.activity_done_at", "task_ids.activity_cancelled_at")
    def _compute_activity_counters(self):
        # Every record of the step, as the flow's counters count them.
        counts = {
            step.id: (done, cancelled)
            for step, done, cancelled in self.env["automation.flow.task"]
            .sudo()
            ._read_group(
                [("step_id", "in", self.ids), ("is_test", "=", False)],
                ["step_id"],
                ["activity_done_at:count", "activity_cancelled_at:count"],
            )
        }
        for step in self:
            step.activity_done_count, step.activity_cancelled_count = counts.get(
                step.id, (0, 0)
            )

    def _compute_activity_overdue_count(self):
        """No dependency: an activity becomes overdue as days pass."""
        today = fields.Date.context_today(self)
        # The step's counter counts all its activities, not only those the
        # user may read (mail.activity's _search filters them one by one);
        # done activities are deleted or archived, so left out.
        counts = self._count_tasks([("activity_id.date_deadline", "<", today)])
        for step in self:
            step.activity_overdue_count = counts.get(step._origin, 0)

    def _designer_summary(self):
        """ "Call for Ann", "To-Do: Check the order for the Salesperson"."""
        if self.step_type != "activity":
            return super()._designer_summary()
        what = self.activity_type_id.name or ""
        if self.activity_summary:
            what = _("%(type)s: %(summary)s", type=what, summary=self.activity_summary)
        if self.activity_user_type == "field" and self.activity_user_field_id:
            return _(
                "%(activity)s for the %(field)s",
                activity=what,
                field=self.activity_user_field_id.field_description,
            )
        return _(
            "%(activity)s for %(user)s", activity=what, user=self.activity_user_id.name
        )

    def _designer_events(self):
        """Done and cancelled activities, and those overdue."""
        if self.step_type != "activity":
            return super()._designer_events()
        return [
            self._designer_event(event, label, count, icon=icon)
            for event, label, count, icon in (
                ("activity_done", _("Done"), self.activity_done_count, None),
                (
                    "activity_cancelled",
                    _("Cancelled"),
                    self.activity_cancelled_count,
                    None,
                ),
                (
                    "activity_overdue",
                    _("Overdue"),
                    self.activity_overdue_count,
                    "fa-hourglass-end",
                ),
            )
            if count
        ]

    @api.constrains(
        "step_type",
        "activity_type_id",
        "activity_user_type",
        "activity_user_id",
        "activity_user_field_id",
        "flow_id",
    )
    def _check_activity(self):
        for step in self.filtered(lambda s: s.step_type == "activity"):
            if not step.activity_type_id:
                raise ValidationError(
                    _("Choose the activity type the step %s schedules.", step.name)
                )
            model = step.activity_type_id.res_model
            if model and model != step.model:
                step._raise_wrong_model(_("activity type"), step.activity_type_id)
            if step.activity_user_type == "field":
                field = step.activity_user_field_id
                if not field:
                    raise ValidationError(
                        _("Choose the user field of the step %s.", step.name)
                    )
                if field.model_id != step.model_id:
                    step._raise_wrong_model(_("user field"), field)
                if not step.activity_user_id:
                    raise ValidationError(
                        _(
                            "Choose the assignee of the step %s for the records "
                            "that have no user in the chosen field.",
                            step.name,
                        )
                    )
            elif not step.activity_user_id:
                raise ValidationError(
                    _("Choose the user the step %s assigns.", step.name)
                )

    def _execute_activity(self, tasks):
        """Schedule one activity per task, in one ``create`` per round (one
        round unless the batch holds several tasks of the same record)."""
        self.ensure_one()
        # The records' names are read for the batch by the activities' create
        # (``mail_activity.py``).
        assignees = self._activity_assignees(tasks._records())
        deadline = fields.Date.context_today(self) + relativedelta(
            days=self.activity_deadline_days
        )
        res_model_id = self.env["ir.model"]._get_id(self.model)
        values_list = []
        for task in tasks:
            user = assignees.get(task.res_id)
            if not user:
                raise UserError(
                    _(
                        "The record %(record)s has no %(field)s to assign the "
                        "activity to, and the step %(step)s names no user.",
                        record=task.record_name,
                        field=self.activity_user_field_id.field_description,
                        step=self.name,
                    )
                )
            values_list.append(
                {
                    "res_model_id": res_model_id,
                    "res_id": task.res_id,
                    "activity_type_id": self.activity_type_id.id,
                    "summary": self.activity_summary or False,
                    "note": self.activity_note or False,
                    "date_deadline": deadline,
                    "user_id": user,
                    "automated": True,
                }
            )
        # Activities belong to the flow, not to whoever runs the scheduler.
        # Their default values are computed once for the batch, not per
        # activity (batch_defaults.py).
        Activity = with_batch_defaults(self.env["mail.activity"].sudo())
        if not self.activity_notify:
            Activity = Activity.with_context(mail_activity_quick_update=True)
        activity_ids = [None] * len(values_list)
        for indexes in _rounds_of_distinct(tasks.mapped("res_id")):
            activities = Activity.create([values_list[index] for index in indexes])
            for index, activity in zip(indexes, activities, strict=True):
                activity_ids[index] = activity.id
        tasks._write_links(activity_id=activity_ids)

    def _activity_assignees(self, records):
        """``{res_id: user id}`` of the activity of each record."""
        if self.activity_user_type != "field":
            return dict.fromkeys(records.ids, self.activity_user_id.id)
        field_name = self.activity_user_field_id.name
        # The assignee is read for the flow, whatever the runner may read.
        return {
            record.id: record[field_name].id or self.activity_user_id.id
            for record in records.sudo()
        }
