# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""When a flow may contact people: send windows, time zones, pause dates.

A flow has a send window (days of the week and hours, or a working calendar
with its public holidays) that its steps contacting a person (email,
activity) keep to; a step may have its own window instead, whatever its type.
Windows are read in the recipient's time zone. Pause dates hold every task of
the flow. The scheduler checks them per batch (``task._hold_for_window``): a
task due outside stays scheduled, moved to when it may go, with the reason.
Delays may be counted in working days: the days the window opens on.

The arithmetic is ``engine/windows.py``; this file reads the configuration
into it.
"""

import json
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import schedule, triggers, windows
from ..reasons import moment

WINDOW_MODES = [
    ("always", "Any time"),
    ("hours", "Days and hours"),
    ("calendar", "Working calendar"),
]
WEEKDAY_FIELDS = (
    "window_monday",
    "window_tuesday",
    "window_wednesday",
    "window_thursday",
    "window_friday",
    "window_saturday",
    "window_sunday",
)
# A task held by a window or a pause: its reason, which says until when.
HELD_REASONS = ("send_window", "flow_paused")
# The trigger kinds whose due time the engine computes in Python (at
# enrollment, when the parent is done): the only ones that may count working
# days. Events move their children in SQL, which counts calendar days only.
WORKING_DAY_KINDS = (triggers.START, triggers.AFTER, triggers.BRANCH)


class AutomationFlowWindowMixin(models.AbstractModel):
    """A send window: the days and hours when steps may contact a person."""

    _name = "automation.flow.window.mixin"
    _description = "Automation Flow Send Window"

    window_mode = fields.Selection(
        WINDOW_MODES,
        string="Send window",
        default="always",
        required=True,
        help="When the steps may contact a person, in the person's time zone: "
        "a task due outside waits for the window's next opening.",
    )
    window_monday = fields.Boolean("Monday", default=True)
    window_tuesday = fields.Boolean("Tuesday", default=True)
    window_wednesday = fields.Boolean("Wednesday", default=True)
    window_thursday = fields.Boolean("Thursday", default=True)
    window_friday = fields.Boolean("Friday", default=True)
    window_saturday = fields.Boolean("Saturday")
    window_sunday = fields.Boolean("Sunday")
    window_hour_from = fields.Float("From", default=9.0)
    window_hour_to = fields.Float("To", default=18.0)
    window_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working calendar",
        domain="[('company_id', 'in', [company_id, False])]",
        help="Its working hours, and its public holidays, when nothing goes out.",
    )

    @api.constrains(
        "window_mode",
        "window_hour_from",
        "window_hour_to",
        "window_calendar_id",
        *WEEKDAY_FIELDS,
    )
    def _check_window(self):
        for record in self:
            name = record.display_name
            if record.window_mode == "hours":
                if not any(record[field] for field in WEEKDAY_FIELDS):
                    raise ValidationError(
                        self.env._(
                            "The send window of %(name)s has no day of the week: "
                            "tick the days when it may send.",
                            name=name,
                        )
                    )
                if not (0 <= record.window_hour_from < record.window_hour_to <= 24):
                    raise ValidationError(
                        self.env._(
                            "The send window of %(name)s must open before it "
                            "closes, between 00:00 and 24:00: set 'From' "
                            "earlier than 'To'.",
                            name=name,
                        )
                    )
            elif record.window_mode == "calendar":
                if not record.window_calendar_id:
                    raise ValidationError(
                        self.env._(
                            "Choose the working calendar of the send window of "
                            "%(name)s.",
                            name=name,
                        )
                    )
                if not record.window_calendar_id._automation_flow_attendances():
                    raise ValidationError(
                        self.env._(
                            "The working calendar %(calendar)s of %(name)s has "
                            "no working hours: give it some, or choose another.",
                            calendar=record.window_calendar_id.display_name,
                            name=name,
                        )
                    )

    def _window(self):
        """The ``windows.Window`` of this setting, or ``None`` (any time)."""
        self.ensure_one()
        if self.window_mode == "hours":
            days = [day for day, field in enumerate(WEEKDAY_FIELDS) if self[field]]
            return windows.weekly(days, self.window_hour_from, self.window_hour_to)
        if self.window_mode == "calendar":
            return self.window_calendar_id._automation_flow_window()
        return None


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _automation_flow_attendances(self):
        """``(weekday, from, to)`` of the working hours (both weeks of a
        two-week calendar count; lunch breaks and section lines do not)."""
        self.ensure_one()
        return [
            (int(line.dayofweek), line.hour_from, line.hour_to)
            for line in self.attendance_ids
            if line.day_period != "lunch" and not line.display_type
        ]

    def _automation_flow_window(self):
        """The send window of this calendar: its hours and the dates of its
        public holidays to come (read in the calendar's zone)."""
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(days=1)
        leaves = [
            (leave.date_from, leave.date_to)
            for leave in self.global_leave_ids
            if leave.date_to >= since
        ]
        zone = windows.zone_name(self.tz, "UTC")
        return windows.from_attendances(
            self._automation_flow_attendances(), windows.leave_dates(leaves, zone)
        )


class AutomationFlowPause(models.Model):
    _name = "automation.flow.pause"
    _description = "Automation Flow Pause Dates"
    _order = "date_from"

    flow_id = fields.Many2one(
        "automation.flow", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="flow_id.company_id", store=True)
    name = fields.Char("Why", help="E.g. the Christmas week.")
    date_from = fields.Date("From", required=True)
    date_to = fields.Date("To", required=True, help="Included.")

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for pause in self:
            if pause.date_from > pause.date_to:
                raise ValidationError(
                    self.env._(
                        "The pause from %(date_from)s to %(date_to)s of the flow "
                        "%(flow)s ends before it starts: set its last day on or "
                        "after its first.",
                        date_from=pause.date_from,
                        date_to=pause.date_to,
                        flow=pause.flow_id.name,
                    )
                )


class AutomationFlow(models.Model):
    _name = "automation.flow"
    _inherit = ["automation.flow", "automation.flow.window.mixin"]

    window_tz_field_id = fields.Many2one(
        "ir.model.fields",
        string="Time zone from",
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ['char', 'selection'])]",
        help="A field of the record holding the person's time zone (e.g. "
        "Europe/Madrid). Empty: the time zone of the contact (the record, or "
        "its partner), else the company's.",
    )
    # Copied with the flow, as its window: a copy keeps to the same calendar.
    pause_ids = fields.One2many(
        "automation.flow.pause", "flow_id", "Pause dates", copy=True
    )
    # Stored, so that the scheduler knows without a query whether a flow
    # has pauses to come: flows without any pay nothing.
    pause_end = fields.Date(compute="_compute_pause_end", store=True)

    @api.depends("pause_ids.date_to")
    def _compute_pause_end(self):
        for flow in self:
            flow.pause_end = max(flow.pause_ids.mapped("date_to"), default=False)

    @api.constrains("window_tz_field_id", "model_id")
    def _check_window_tz_field(self):
        for flow in self.filtered("window_tz_field_id"):
            if flow.window_tz_field_id.model_id != flow.model_id:
                raise ValidationError(
                    self.env._(
                        "The time zone field %(field)s of the flow %(flow)s is "
                        "not a field of %(model)s: choose one of its fields.",
                        field=flow.window_tz_field_id.field_description,
                        flow=flow.name,
                        model=flow.model_id.name,
                    )
                )

    def get_step_tree(self):
        """Each step's card also counts its tasks deferred by the window or a
        pause (one grouped count for the flow's steps)."""
        tree = super().get_step_tree()
        Step = self.env["automation.flow.step"]
        deferred = {step.id: step.window_deferred_count for step in self.step_ids}
        for card in tree["steps"]:
            if count := deferred.get(card["id"]):
                card["events"].append(
                    Step._designer_event(
                        "deferred", self.env._("Deferred"), count, icon="fa-clock-o"
                    )
                )
        return tree

    def _pauses(self, now):
        """The pauses not over at ``now`` (a day of margin for the zones
        ahead of UTC), as ``(from, to)`` dates; no query without any."""
        self.ensure_one()
        if not self.pause_end or self.pause_end < (now - timedelta(days=1)).date():
            return []
        return [
            (pause.date_from, pause.date_to)
            for pause in self.pause_ids
            if pause.date_to >= (now - timedelta(days=1)).date()
        ]

    def _company_zone(self):
        return windows.zone_name(self.company_id.partner_id.tz, "UTC")

    def _recipient_zone_path(self):
        """The path, from the record, to the person's time zone, or ``None``."""
        self.ensure_one()
        if self.window_tz_field_id:
            return [self.window_tz_field_id.name]
        if self.model == "res.partner":
            return ["tz"]
        partner = self.env[self.model]._fields.get("partner_id")
        if (
            partner
            and partner.type == "many2one"
            and partner.comodel_name == ("res.partner")
        ):
            return ["partner_id", "tz"]
        return None

    def _recipient_zones(self, res_ids):
        """``{res_id: IANA zone}``: the person's, else the company's, else
        UTC (one read per field of the path for the batch)."""
        self.ensure_one()
        default = self._company_zone()
        path = self._recipient_zone_path()
        if not path:
            return dict.fromkeys(res_ids, default)
        zones = {}
        # The engine reads the time zones for the flow, whoever runs it.
        for record in self.env[self.model].sudo().browse(res_ids):
            value = record
            for name in path:
                value = value[name]
            zones[record.id] = windows.zone_name(value, default)
        return zones


class AutomationFlowStep(models.Model):
    _name = "automation.flow.step"
    _inherit = ["automation.flow.step", "automation.flow.window.mixin"]

    window_mode = fields.Selection(
        selection_add=[("flow", "As the flow"), ("always",)],
        ondelete={"flow": "set default"},
        default="flow",
        help="When this step may contact a person, in the person's time zone. "
        "'As the flow': the flow's send window, for the steps that contact a "
        "person (emails, activities).",
    )
    delay_unit = fields.Selection(
        selection_add=[("working_days", "Working days")],
        ondelete={"working_days": "set default"},
    )
    window_deferred_count = fields.Integer(
        "Deferred by window or pause",
        compute="_compute_window_deferred_count",
        help="Tasks of the step that waited for the send window or the end of "
        "a pause before running.",
    )

    def _compute_window_deferred_count(self):
        counts = self._count_tasks([("window_deferred_at", "!=", False)])
        for step in self:
            step.window_deferred_count = counts.get(step._origin, 0)

    @api.model
    def _window_step_types(self):
        """The step types that contact a person, which keep to the flow's
        send window. Step types of other modules extend it."""
        return {"email", "activity"}

    def _send_window(self):
        """The ``windows.Window`` the step's tasks keep to, or ``None``."""
        self.ensure_one()
        if self.window_mode != "flow":
            return self._window()
        if self.step_type in self._window_step_types():
            return self.flow_id._window()
        return None

    def _working_days_window(self):
        """The window whose days are the working days of the step's delay:
        its own, else its flow's, else Monday to Friday."""
        self.ensure_one()
        window = self.window_mode not in ("flow", "always") and self._window()
        return window or self.flow_id._window() or schedule.OFFICE_DAYS

    @api.constrains("delay_unit", "trigger", "date_field_id")
    def _check_working_days(self):
        catalogue = self._step_catalogue()
        for step in self.filtered(lambda s: s.delay_unit == schedule.WORKING_DAYS):
            trigger = catalogue.triggers.get(step.trigger)
            if step.date_field_id or (
                trigger and trigger.kind not in WORKING_DAY_KINDS
            ):
                raise ValidationError(
                    self.env._(
                        "The step %(step)s cannot count its delay in working "
                        "days: they count from the enrollment or the previous "
                        "step only, not from a date of the record nor from an "
                        "event. Choose days, or another trigger.",
                        step=step.name,
                    )
                )

    def _duration_in_words(self, amount, unit):
        if unit != schedule.WORKING_DAYS:
            return super()._duration_in_words(amount, unit)
        if amount == 1:
            return self.env._("%(count)s working day", count=amount)
        return self.env._("%(count)s working days", count=amount)

    def _due_dates(self, res_ids, base):
        if self.delay_unit != schedule.WORKING_DAYS:
            return super()._due_dates(res_ids, base)
        window = self._working_days_window()
        zones = self.flow_id._recipient_zones(res_ids)
        return [
            schedule.add_delay(
                base, self.delay, self.delay_unit, calendar=(window, zones[res_id])
            )
            for res_id in res_ids
        ]


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    window_deferred_at = fields.Datetime(
        "Deferred on",
        readonly=True,
        help="When the task first waited for the send window or a pause.",
    )

    def _hold_for_window(self, step):
        """Hold the tasks that may not run now (outside the send window of
        ``step``, or in a pause of its flow): they stay scheduled, due when
        they may go, with the reason saying until when, in one ``UPDATE`` for
        the batch. Return the tasks that may run.

        The arithmetic is done once per time zone of the batch. Test
        enrollments run at once: whoever tests a flow wants to see it now.
        """
        flow = step.flow_id
        now = fields.Datetime.now()
        window = step._send_window()
        pauses = flow._pauses(now)
        if window is None and not pauses:
            return self
        tasks = self.filtered(lambda task: not task.is_test)
        if not tasks:
            return self
        zones = flow._recipient_zones(tasks.mapped("res_id"))
        releases = {}
        held = defaultdict(list)
        for task in tasks:
            zone = zones[task.res_id]
            if zone not in releases:
                releases[zone] = _release(window, pauses, now, zone)
            code, at = releases[zone]
            if code:
                held[code, at, zone].append(task.id)
        if not held:
            return self
        rows = [
            (task_id, at, code, json.dumps(self._held_params(at, zone)))
            for (code, at, zone), ids in held.items()
            for task_id in ids
        ]
        self._hold_until(rows, "window_deferred_at")
        held_ids = {row[0] for row in rows}
        return self.filtered(lambda task: task.id not in held_ids)

    @api.model
    def _held_params(self, at, zone):
        """The reason's parameter: when the task goes, shown in the person's
        zone and the reader's language (``reasons._render_param``)."""
        return {"at": moment(at, zone)}


def _release(window, pauses, now, zone):
    """``(reason code, when)`` a task due ``now`` in ``zone`` may go, or
    ``(None, now)`` when it may go now. Pauses and the window are applied in
    turn until neither moves it (a pause may end outside the window)."""
    code, at = None, now
    for _round in range(10):
        released = windows.pause_release(pauses, at, zone)
        if released:
            code, at = code or "flow_paused", released
        opening = windows.next_opening(window, at, zone) if window else at
        if opening is None:
            # Closed for a whole year (holidays every day): the constraints
            # keep a window from never opening; wait a year, visibly.
            return code or "send_window", at + timedelta(days=windows.HORIZON_DAYS)
        if opening != at:
            code, at = code or "send_window", opening
        elif not released:
            break
    return code, at
