# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..engine import retry, schedule, states, triggers
from ..reasons import Reason

DELAY_UNITS = [
    ("minutes", "Minutes"),
    ("hours", "Hours"),
    ("days", "Days"),
    ("weeks", "Weeks"),
    ("months", "Months"),
]


class AutomationFlowStep(models.Model):
    """A node of a flow's tree of steps.

    Each step type lives in its own file (``automation_flow_step_<type>.py``):
    it adds its value to ``step_type``, its fields, its entry of the step
    catalogue (``_get_step_types``: icon, triggers, events) with the task
    column of each event, and a batch executor ``_execute_<type>(tasks)``
    that runs the step for all the tasks at once. The triggers, their
    phrases, the events' icons, columns and reasons, the reports and the
    designer all read the catalogue.
    """

    _name = "automation.flow.step"
    _description = "Automation Flow Step"
    _inherit = ["automation.flow.domain.mixin"]
    _order = "sequence, id"
    _parent_store = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(
        default=True,
        help="An archived step runs no more: its pending tasks are cancelled, "
        "its history and statistics stay.",
    )
    sequence = fields.Integer(default=10)
    flow_id = fields.Many2one(
        "automation.flow", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="flow_id.company_id", store=True)
    model_id = fields.Many2one(related="flow_id.model_id")
    model = fields.Char(related="flow_id.model", string="Model name")
    parent_id = fields.Many2one(
        "automation.flow.step",
        string="Parent step",
        ondelete="cascade",
        index=True,
        domain="[('flow_id', '=', flow_id)]",
    )
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many(
        "automation.flow.step", "parent_id", string="Next steps"
    )
    step_type = fields.Selection([], string="Type", required=True)
    parent_type = fields.Selection(related="parent_id.step_type", string="Parent type")
    trigger = fields.Selection(
        selection="_selection_trigger",
        required=True,
        default="start",
        help="When the step becomes due, relative to its parent step.",
    )
    # Numbers are NOT NULL with a default: a step created without them (RPC,
    # import, data file, code) must still compute its due times in SQL.
    delay = fields.Integer(
        required=True,
        default=0,
        help="How long after the trigger (or before/after the date below) the "
        "step runs.",
    )
    delay_unit = fields.Selection(DELAY_UNITS, default="hours", required=True)
    date_field_id = fields.Many2one(
        "ir.model.fields",
        string="Count from date",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ['date', 'datetime']), "
        "('store', '=', True)]",
        help="Count the delay from this date of the record instead of from the "
        "trigger: e.g. 5 minutes before the start of a meeting.",
    )
    date_direction = fields.Selection(
        [("before", "Before"), ("after", "After")], default="after", required=True
    )
    expiry = fields.Integer(
        required=True,
        default=0,
        help="A step waiting for an event that does not happen within this "
        "time is expired. 0 waits forever.",
    )
    expiry_unit = fields.Selection(DELAY_UNITS, default="days", required=True)
    domain = fields.Char(
        default="[]",
        help="Checked when the step is due, besides the flow's domain: records "
        "that do not match skip this step and the steps after it.",
    )
    max_attempts = fields.Integer(
        required=True,
        default=5,
        help="How many times a task of this step is tried when it asks to be "
        "retried later (a remote service is down…) before it ends in error.",
    )
    schedule_description = fields.Char(
        "When",
        compute="_compute_schedule_description",
        help="The trigger, delay and expiry of the step, in words.",
    )
    type_icon = fields.Char(compute="_compute_type_icon")
    waits_for_event = fields.Boolean(
        "Waits for an event",
        compute="_compute_waits_for_event",
        help="Tasks of the step wait for an event of the previous step's task.",
    )
    task_ids = fields.One2many("automation.flow.task", "step_id")
    task_scheduled_count = fields.Integer(compute="_compute_task_counters")
    task_running_count = fields.Integer(compute="_compute_task_counters")
    task_waiting_count = fields.Integer(compute="_compute_task_counters")
    task_done_count = fields.Integer(compute="_compute_task_counters")
    task_skipped_count = fields.Integer(compute="_compute_task_counters")
    task_expired_count = fields.Integer(compute="_compute_task_counters")
    task_cancelled_count = fields.Integer(compute="_compute_task_counters")
    task_error_count = fields.Integer(compute="_compute_task_counters")
    pending_notice = fields.Char(
        compute="_compute_pending_notice",
        help="The pending tasks a change of the step affects.",
    )

    @api.depends("task_ids.state")
    def _compute_task_counters(self):
        # Every record of the step, as the flow's counters count them.
        counts = {
            (step.id, state): count
            for step, state, count in self.env["automation.flow.task"]
            .sudo()
            ._read_group(
                [("step_id", "in", self.ids), ("is_test", "=", False)],
                ["step_id", "state"],
                ["__count"],
            )
        }
        for step in self:
            for state in states.TASK_COUNTED:
                step[f"task_{state}_count"] = counts.get((step.id, state), 0)

    def _count_tasks(self, domain):
        """``{step: count}`` of the tasks of these steps matching ``domain``,
        in one grouped query; tests left out."""
        # Every record of the step, as the flow's counters count them, not
        # only those the user may read.
        return dict(
            self.env["automation.flow.task"]
            .sudo()
            ._read_group(
                [("step_id", "in", self._origin.ids), ("is_test", "=", False)] + domain,
                ["step_id"],
                ["__count"],
            )
        )

    @api.depends("task_scheduled_count", "task_waiting_count")
    @api.depends_context("lang")
    def _compute_pending_notice(self):
        for step in self:
            if not (step.task_scheduled_count or step.task_waiting_count):
                step.pending_notice = False
                continue
            step.pending_notice = _(
                "Tasks pending at this step: %(scheduled)s scheduled, %(waiting)s "
                "waiting for an event. A change of what the step does applies to "
                "them when they run; a new delay applies to the tasks scheduled "
                "from now on.",
                scheduled=step.task_scheduled_count,
                waiting=step.task_waiting_count,
            )

    # ------------------------------------------------------------------
    # The step catalogue: types, triggers and events
    # ------------------------------------------------------------------

    @api.model
    def _get_step_types(self):
        """The step types of this database: ``{type: triggers.StepType}``.

        Each type file extends it through ``super()`` with its icon, the
        triggers of the steps that may hang under it (label and phrases) and
        the events of its tasks (column, icon, label, cancel reason…); see
        ``engine/triggers.py``. ``triggers.ANY`` holds the triggers that fit
        under any step.
        """
        return {
            triggers.ANY: triggers.StepType(
                triggers=[
                    triggers.Trigger(
                        "start",
                        triggers.START,
                        label=_("At enrollment"),
                        phrases=(_("At enrollment"), _("%(delay)s after enrollment")),
                    ),
                    triggers.Trigger(
                        "after_step",
                        triggers.AFTER,
                        label=_("After the previous step"),
                        phrases=(
                            _("Right after the previous step"),
                            _("%(delay)s after the previous step"),
                        ),
                    ),
                ]
            )
        }

    @api.model
    @tools.ormcache("self.env.lang")
    def _step_catalogue(self):
        """The catalogue of ``_get_step_types``, for ``engine/triggers.py``.

        Built once per registry and language (its labels and phrases are
        translated), then kept in the registry's cache, which a registry
        built after a module is installed or updated starts empty and
        ``registry.clear_cache()`` empties: every open would otherwise
        translate about a hundred labels it does not use, and the designer of
        100 steps rebuild it hundreds of times. Nobody may change the
        catalogue it returns (it is shared); a test that patches
        ``_get_step_types`` clears the cache before and after.
        """
        return triggers.Catalogue(self._get_step_types())

    @api.model
    def _selection_trigger(self):
        return [
            (trigger.key, trigger.label)
            for trigger in self._step_catalogue().triggers.values()
        ]

    @api.depends("trigger")
    def _compute_waits_for_event(self):
        catalogue = self._step_catalogue()
        for step in self:
            step.waits_for_event = bool(step.trigger) and triggers.waits_for_event(
                catalogue, step.trigger
            )

    @api.depends(
        "trigger",
        "delay",
        "delay_unit",
        "date_field_id",
        "date_direction",
        "expiry",
        "expiry_unit",
    )
    @api.depends_context("lang")
    def _compute_schedule_description(self):
        catalogue = self._step_catalogue()
        for step in self:
            trigger = catalogue.triggers.get(step.trigger)
            if not trigger:
                # A new step in the form, before its trigger is chosen.
                step.schedule_description = False
                continue
            at_once, after_delay = trigger.phrases
            delay = step._duration_in_words(step.delay, step.delay_unit)
            if step.date_field_id:
                description = step._date_schedule_in_words(at_once, delay)
            elif step.delay:
                description = after_delay % {"delay": delay}
            else:
                description = at_once
            if step.expiry and trigger.kind == triggers.EVENT:
                description = _(
                    "%(schedule)s (waits at most %(expiry)s)",
                    schedule=description,
                    expiry=step._duration_in_words(step.expiry, step.expiry_unit),
                )
            step.schedule_description = description

    def _duration_in_words(self, amount, unit):
        singular, plural = {
            "minutes": (_("%s minute"), _("%s minutes")),
            "hours": (_("%s hour"), _("%s hours")),
            "days": (_("%s day"), _("%s days")),
            "weeks": (_("%s week"), _("%s weeks")),
            "months": (_("%s month"), _("%s months")),
        }[unit]
        return (singular if amount == 1 else plural) % amount

    def _date_schedule_in_words(self, trigger_phrase, delay):
        """ "5 minutes before Start", preceded by the trigger when it is not the
        enrollment (the task is created by the trigger, due by the date)."""
        self.ensure_one()
        date = self.date_field_id.field_description
        before = self.date_direction == "before"
        if self.trigger == "start":
            if not self.delay:
                return _("On %(date)s", date=date)
            if before:
                return _("%(delay)s before %(date)s", delay=delay, date=date)
            return _("%(delay)s after %(date)s", delay=delay, date=date)
        if not self.delay:
            return _("%(trigger)s, due on %(date)s", trigger=trigger_phrase, date=date)
        if before:
            return _(
                "%(trigger)s, due %(delay)s before %(date)s",
                trigger=trigger_phrase,
                delay=delay,
                date=date,
            )
        return _(
            "%(trigger)s, due %(delay)s after %(date)s",
            trigger=trigger_phrase,
            delay=delay,
            date=date,
        )

    @api.depends("step_type")
    def _compute_type_icon(self):
        step_types = self._get_step_types()
        for step in self:
            step_type = step_types.get(step.step_type)
            step.type_icon = step_type and step_type.icon or "fa-circle-o"

    def _designer_events(self):
        """What people did with the step's tasks, for its card in the
        designer: ``[{"event", "label", "icon", "count", "rate"}]``, non-zero
        counts only, ``rate`` in percent or ``None``.

        By default, the tasks stamped with each event of the step's type and,
        for a decision, the tasks of each outcome (one grouped query each);
        types with rates or other counters override it.
        """
        self.ensure_one()
        catalogue = self._step_catalogue()
        events = catalogue.events_of(self.step_type)
        branches = [
            trigger
            for trigger in catalogue.triggers.values()
            if trigger.parent_type == self.step_type and trigger.kind == triggers.BRANCH
        ]
        if not (events or branches) or not self._origin.id:
            return []
        # Every record of the step, as its counters count them.
        Task = self.env["automation.flow.task"].sudo()
        domain = [("step_id", "=", self._origin.id), ("is_test", "=", False)]
        cards = []
        if events:
            counts = Task._read_group(
                domain, [], [f"{event.field}:count" for event in events]
            )[0]
            cards += [
                self._designer_event(event.key, event.label, count)
                for event, count in zip(events, counts, strict=True)
                if count
            ]
        if branches:
            outcomes = dict(Task._read_group(domain, ["outcome"], ["__count"]))
            icon = catalogue.step_types[self.step_type].icon
            cards += [
                self._designer_event(branch.key, branch.label, count, icon=icon)
                for branch in branches
                if (count := outcomes.get(branch.outcome))
            ]
        return cards

    def _designer_event(self, event, label, count, rate=None, icon=None):
        """:param icon: the event's icon in the catalogue by default"""
        return {
            "event": event,
            "label": label,
            "icon": icon or self._step_catalogue().events[event].icon,
            "count": count,
            "rate": rate,
        }

    @api.model
    def get_trigger_options(self, parent_type=False):
        """The triggers a new child of a ``parent_type`` step may have, as
        ``[(key, label)]`` (``parent_type`` empty: a root step)."""
        return [
            (trigger.key, trigger.label)
            for trigger in triggers.triggers_for_parent(
                self._step_catalogue(), parent_type or None
            )
        ]

    @api.onchange("parent_id")
    def _onchange_parent_id(self):
        if self.parent_id and self.trigger == "start":
            self.trigger = "after_step"
        elif not self.parent_id:
            self.trigger = "start"

    def write(self, vals):
        result = super().write(vals)
        if "flow_id" in vals:
            # Record rules checked the steps where they were: check the flow
            # they go to, so that nobody slips a step into another company's
            # flow.
            self.check_access("write")
        return result

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    @api.constrains("parent_id", "trigger", "step_type", "flow_id")
    def _check_trigger(self):
        labels = dict(self._fields["trigger"]._description_selection(self.env))
        types = dict(self._fields["step_type"]._description_selection(self.env))
        catalogue = self._step_catalogue()
        for step in self | self.child_ids:
            if step.parent_id and step.parent_id.flow_id != step.flow_id:
                raise ValidationError(
                    _("The step %s must belong to the flow of its parent.", step.name)
                )
            if not triggers.fits(
                catalogue, step.trigger, step.parent_id.step_type or None
            ):
                if not step.parent_id:
                    raise ValidationError(
                        _(
                            "The step %(step)s has no parent step: its trigger "
                            "must be 'At enrollment'.",
                            step=step.name,
                        )
                    )
                raise ValidationError(
                    _(
                        "The trigger '%(trigger)s' of the step %(step)s does not "
                        "fit under a step of type %(type)s. Choose a trigger "
                        "offered for that type.",
                        trigger=labels[step.trigger],
                        step=step.name,
                        type=types.get(step.parent_id.step_type),
                    )
                )

    @api.constrains("delay", "delay_unit", "expiry", "expiry_unit")
    def _check_delays(self):
        for step in self:
            if step.delay < 0 or step.expiry < 0:
                raise ValidationError(
                    _(
                        "The delay and the expiry of the step %s cannot be "
                        "negative. To run before a date, choose a date to count "
                        "from and 'Before'.",
                        step.name,
                    )
                )
            if schedule.too_long(step.delay, step.delay_unit):
                raise ValidationError(
                    _(
                        "The delay of the step %(step)s is too long: it can be "
                        "at most %(years)s years (%(limit)s). Shorten it.",
                        step=step.name,
                        years=schedule.MAX_DELAY_YEARS,
                        limit=step._duration_in_words(
                            schedule.MAX_DELAYS[step.delay_unit], step.delay_unit
                        ),
                    )
                )
            if schedule.too_long(step.expiry, step.expiry_unit):
                raise ValidationError(
                    _(
                        "The expiry of the step %(step)s is too long: it can be "
                        "at most %(years)s years (%(limit)s). Shorten it, or "
                        "set 0 to wait forever.",
                        step=step.name,
                        years=schedule.MAX_DELAY_YEARS,
                        limit=step._duration_in_words(
                            schedule.MAX_DELAYS[step.expiry_unit], step.expiry_unit
                        ),
                    )
                )

    @api.constrains("date_field_id", "domain", "flow_id")
    def _check_model_fields(self):
        for step in self:
            if step.date_field_id and step.date_field_id.model_id != step.model_id:
                raise ValidationError(
                    _(
                        "The date %(field)s of the step %(step)s is not a field "
                        "of %(model)s.",
                        field=step.date_field_id.field_description,
                        step=step.name,
                        model=step.model_id.name,
                    )
                )
            step._eval_domain(step.domain, step.model, step.flow_id.user_id)

    def _domain_error(self, reason):
        return _(
            "The domain of the step %(step)s of the flow %(flow)s cannot be "
            "used: %(reason)s",
            step=self.name,
            flow=self.flow_id.name,
            reason=reason,
        )

    def _retry_pattern(self):
        """Seconds before the next attempt, by attempt (see engine/retry.py).

        Step types may return their own pattern.
        """
        return retry.DEFAULT_PATTERN

    def _raise_wrong_model(self, what, record):
        """Shared message of the type constraints: ``record`` is for another model."""
        raise ValidationError(
            _(
                "The %(what)s %(name)s of the step %(step)s is for another model "
                "than the flow's (%(model)s). Choose one made for %(model)s.",
                what=what,
                name=record.display_name,
                step=self.name,
                model=self.model_id.name,
            )
        )

    # ------------------------------------------------------------------
    # Tree
    # ------------------------------------------------------------------

    def _copy_tree(self, flow, parent=None):
        for step in self:
            new_step = step.copy(
                {"flow_id": flow.id, "parent_id": parent and parent.id}
            )
            step.child_ids._copy_tree(flow, new_step)

    # ------------------------------------------------------------------
    # Task creation
    # ------------------------------------------------------------------

    def _get_domain(self):
        """The flow's domain and the step's, as one domain."""
        self.ensure_one()
        return expression.AND(
            [
                self.flow_id._get_records_domain(),
                self._eval_domain(self.domain, self.model, self.flow_id.user_id),
            ]
        )

    def _anchor_sql(self, alias):
        """SQL of the date the step counts from, on the record ``alias``.

        Odoo's own field-to-SQL reads the field as the ORM does: a
        company-dependent date is the one of the flow's company. The engine
        reads it for the flow, whatever the current user may read.
        """
        self.ensure_one()
        Model = self.env[self.model].sudo().with_company(self.flow_id.company_id)
        return Model._field_to_sql(alias, self.date_field_id.name)

    def _anchor_dates(self, res_ids):
        """The date each record counts from, ``{res_id: datetime or None}``."""
        self.ensure_one()
        table = self.env[self.model]._table
        return dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, %s FROM %s WHERE id = ANY(%s)",
                    self._anchor_sql(table),
                    SQL.identifier(table),
                    list(res_ids),
                )
            )
        )

    def _follow_anchor_dates(self, records):
        """Move the scheduled tasks of these steps for ``records`` to the
        records' dates: one statement per step, whatever the number of
        records. Called when the date a step counts from is written; a date
        made empty leaves the tasks as they are (skipped when due), a task
        waiting for its retry keeps its retry time.
        """
        Task = self.env["automation.flow.task"]
        Task.flush_model(["state", "scheduled_at", "attempt"])
        table = records._table
        scheduled = []
        for step in self:
            # '5 minutes', '1 months'…: PostgreSQL adds months on the
            # calendar, as engine/schedule.py does.
            due = SQL(
                "%s::timestamp %s CAST(%s AS interval)",
                step._anchor_sql("record"),
                SQL("-" if step.date_direction == "before" else "+"),
                f"{step.delay} {step.delay_unit}",
            )
            scheduled += self.env.execute_query(
                SQL(
                    """UPDATE automation_flow_task task
                       SET scheduled_at = moved.due
                       FROM automation_flow_enrollment enrollment,
                            (SELECT record.id, %(due)s AS due
                             FROM %(table)s record
                             WHERE record.id = ANY(%(ids)s)) moved
                       WHERE enrollment.flow_id = %(flow)s
                         AND enrollment.res_id = moved.id
                         AND task.enrollment_id = enrollment.id
                         AND task.step_id = %(step)s
                         AND task.state = %(scheduled)s
                         AND COALESCE(task.attempt, 0) = 0
                         AND moved.due IS NOT NULL
                         AND task.scheduled_at IS DISTINCT FROM moved.due
                       RETURNING task.scheduled_at, %(next_run)s""",
                    due=due,
                    table=SQL.identifier(table),
                    ids=records.ids,
                    flow=step.flow_id.id,
                    step=step.id,
                    scheduled=states.TASK_SCHEDULED,
                    next_run=Task._scheduler_next_run_sql(),
                )
            )
        if scheduled:
            Task.invalidate_model(["scheduled_at"])
            Task._wake_scheduler(scheduled)

    def _due_dates(self, res_ids, base):
        """Due datetime for each record (list), counted from ``base`` or the
        date; one datetime for all when the step counts from ``base``.

        A record whose anchor date is empty is due at once: the executor then
        skips it with the reason.
        """
        self.ensure_one()
        before = self.date_direction == "before"
        if not self.date_field_id:
            return schedule.add_delay(base, self.delay, self.delay_unit)
        anchors = self._anchor_dates(res_ids)
        return [
            schedule.add_delay(anchors.get(res_id), self.delay, self.delay_unit, before)
            or base
            for res_id in res_ids
        ]

    def _due_per_record(self):
        """Whether the step's tasks are due at a time each record's own date
        gives, rather than at the same time for all tasks created together."""
        self.ensure_one()
        return bool(self.date_field_id) and not self.waits_for_event

    def _task_values(self, enrollment_ids, res_ids, parent_ids, base, is_test):
        """Rows of new tasks of this step (see ``task._insert``)."""
        self.ensure_one()
        if self.waits_for_event:
            state = states.TASK_WAITING
            due_dates = None
            expires_at = (
                schedule.add_delay(base, self.expiry, self.expiry_unit)
                if self.expiry
                else None
            )
        else:
            state = states.TASK_SCHEDULED
            due_dates = self._due_dates(res_ids, base)
            expires_at = None
        return {
            "enrollment_id": enrollment_ids,
            "step_id": self.id,
            "parent_id": parent_ids,
            "res_id": res_ids,
            "state": state,
            "scheduled_at": due_dates,
            "expires_at": expires_at,
            "is_test": is_test,
        }

    def _create_root_tasks(self, enrollment_rows, is_test):
        """Insert the tasks of these root steps for new ``(enrollment_id, res_id)``."""
        enrollment_ids = [row[0] for row in enrollment_rows]
        res_ids = [row[1] for row in enrollment_rows]
        now = fields.Datetime.now()
        Task = self.env["automation.flow.task"]
        for step in self:
            Task._insert(
                step.flow_id,
                step._task_values(enrollment_ids, res_ids, None, now, is_test),
            )

    def _create_child_tasks(self, parent_tasks, kinds=None):
        """Insert the tasks of the children of these steps, one per parent task
        of ``parent_tasks``: scheduled, or waiting for their event; a child of
        a decision's branch only for the parent tasks of that outcome.

        :param kinds: only the children of these trigger kinds
            (``triggers.AFTER`` for a step a user skipped)
        """
        Task = self.env["automation.flow.task"]
        catalogue = self._step_catalogue()
        now = fields.Datetime.now()
        by_step = parent_tasks.grouped("step_id")
        for step in self:
            tasks = by_step.get(step)
            if not tasks:
                continue
            for child in step.child_ids:
                if kinds and catalogue.triggers[child.trigger].kind not in kinds:
                    continue
                outcome = triggers.outcome_of(catalogue, child.trigger)
                children_of = tasks
                if outcome is not None:
                    # Only the branch the decision took gets tasks.
                    children_of = tasks.filtered(lambda t, o=outcome: t.outcome == o)
                for is_test, group in children_of.grouped("is_test").items():
                    Task._insert(
                        step.flow_id,
                        child._task_values(
                            [task.enrollment_id.id for task in group],
                            group.mapped("res_id"),
                            group.ids,
                            now,
                            is_test,
                        ),
                    )

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _execution_error(self):
        """Why the step cannot run at all now (its configuration no longer
        holds), as a ``Reason`` (see ``reasons.py``), or ``False``. Step types
        extend it; the scheduler puts the due tasks in error with it."""
        self.ensure_one()
        return False

    def _designer_summary(self):
        """What the step does, in words, for its card in the designer
        ("Assign Ana, Luis as Salesperson by round robin"); types extend it."""
        self.ensure_one()
        return ""

    def _designer_branch(self, catalogue):
        """How the designer hangs the step under its parent: ``(kind,
        label)``, the kind of its trigger (``"after"`` continues the parent's
        chain) and the label of the branch it starts (*Opened*, *Yes*,
        *Approved*…); types extend the label (a split adds its percent)."""
        self.ensure_one()
        trigger = catalogue.triggers.get(self.trigger)
        if not trigger:
            return None, ""
        return trigger.kind, trigger.label

    def _launch_phrase(self):
        """What the step does and when, in the words of the designer's card
        and the catalogue ("“Welcome”: Send Welcome email — At enrollment"),
        for the confirmation of Start and Run now."""
        self.ensure_one()
        types = dict(self._fields["step_type"]._description_selection(self.env))
        return _(
            "“%(step)s”: %(what)s — %(when)s",
            step=self.name,
            what=self._designer_summary() or types[self.step_type],
            when=self.schedule_description,
        )

    def action_confirm_delete(self):
        """The dialog that deletes or archives the step (the designer's
        trash button)."""
        self.ensure_one()
        wizard = self.env["automation.flow.step.delete"].create({"step_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": _("Remove the step %s", self.name),
        }

    def _archive_with_tasks(self):
        """Archive these steps: their pending tasks are cancelled, saying who
        archived them (one statement); ended tasks and statistics stay."""
        self.write({"active": False})
        # The engine's statement: the write above checked the user may
        # configure these steps.
        self.env["automation.flow.task"].sudo()._cancel_pending(
            "step_id", self.ids, Reason("step_archived_by", user=self.env.user.name)
        )
        self.env["automation.flow.enrollment"].sudo()._close_finished()

    def _execute(self, tasks):
        """Run this step for ``tasks`` (all its own, records exist and match).

        :return: nothing, or what it did to each record, shown in the
            journeys: ``{task id: Reason}`` (see ``task._set_done``)
        """
        self.ensure_one()
        return getattr(self, f"_execute_{self.step_type}")(tasks)
