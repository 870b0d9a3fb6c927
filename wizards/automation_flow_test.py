# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import states, triggers
from ..models.automation_flow_task import TASK_STATES
from ..reasons import Reason


class AutomationFlowTest(models.TransientModel):
    """Send one chosen record through a flow, step by step.

    The record is enrolled in test mode (even in a draft flow, beside its real
    enrollment if any): its tasks are marked as tests and left out of the
    statistics. The steps really run: emails are sent, activities created.
    Events can be simulated on the test's tasks (an email opened, an
    activity done, a condition's Yes…) to walk any branch, through the
    engine's own ``_on_event``. A dry run goes through every step in a
    savepoint rolled back at the end: it keeps a report of what would
    happen (``automation.flow.test.line``) and nothing else.
    """

    _name = "automation.flow.test"
    _description = "Test an Automation Flow With a Record"

    flow_id = fields.Many2one("automation.flow", required=True, ondelete="cascade")
    model = fields.Char(related="flow_id.model")
    record_domain = fields.Char(compute="_compute_record_domain")
    res_id = fields.Many2oneReference(
        "Record", model_field="model", help="The record that goes through the flow."
    )
    simulate_task_id = fields.Many2one(
        "automation.flow.task",
        string="On the step",
        domain="[('enrollment_id', '=', enrollment_id)]",
        help="The test's task the event happens to.",
    )
    simulate_event = fields.Selection(
        selection="_selection_simulate_event",
        string="Simulate",
        help="What happens to the task: its next steps follow as if it were real.",
    )
    simulate_options = fields.Char(
        "Possible events", compute="_compute_simulate_options"
    )
    dry_run_line_ids = fields.One2many(
        "automation.flow.test.line", "test_id", string="Dry run", readonly=True
    )
    enrollment_id = fields.Many2one(
        "automation.flow.enrollment", readonly=True, ondelete="cascade"
    )
    enrollment_state = fields.Selection(related="enrollment_id.state")
    task_ids = fields.One2many(related="enrollment_id.task_ids")

    @api.depends("flow_id")
    def _compute_record_domain(self):
        for test in self:
            test.record_domain = test.flow_id._picker_domain() if test.flow_id else "[]"

    @api.model
    def _selection_simulate_event(self):
        """The events of the step catalogue and the branches of its
        decisions, as ``event:<key>`` and ``branch:<trigger>``."""
        catalogue = self.env["automation.flow.step"]._step_catalogue()
        return [
            (f"event:{event.key}", event.label)
            for event in catalogue.events.values()
            if event.label
        ] + [
            (f"branch:{trigger.key}", trigger.label)
            for trigger in catalogue.triggers.values()
            if trigger.kind == triggers.BRANCH
        ]

    def _simulations_of(self, task):
        """The values of ``simulate_event`` that fit ``task``'s step."""
        step_type = task.step_id.step_type
        catalogue = self.env["automation.flow.step"]._step_catalogue()
        keys = {f"event:{event.key}" for event in catalogue.events_of(step_type)} | {
            f"branch:{trigger.key}"
            for trigger in catalogue.triggers.values()
            if trigger.kind == triggers.BRANCH and trigger.parent_type == step_type
        }
        return [
            (key, label)
            for key, label in self._selection_simulate_event()
            if key in keys
        ]

    @api.depends("simulate_task_id")
    def _compute_simulate_options(self):
        for test in self:
            test.simulate_options = ", ".join(
                label for _key, label in test._simulations_of(test.simulate_task_id)
            )

    @api.onchange("res_id")
    def _onchange_res_id(self):
        self.enrollment_id = False
        self.dry_run_line_ids = False

    def _check_tester(self):
        self.ensure_one()
        # Testing runs the flow's steps: only who may configure the flow.
        self.flow_id.check_access("write")
        if not self.res_id:
            raise UserError(_("Choose the record to test the flow with."))
        # The test shows the record's journey: only a record the tester may
        # read (the flow enrolls with its responsible's rights).
        self.env[self.model].browse(self.res_id).check_access("read")

    def _enroll_test(self):
        enrollment = self.flow_id._enroll([self.res_id], is_test=True)
        if not enrollment:
            raise UserError(
                _(
                    "This record does not enter the flow %(flow)s: it does not "
                    "match the flow's domain or its company, or its "
                    "%(unique_field)s is empty.",
                    flow=self.flow_id.name,
                    unique_field=self.flow_id.unique_field_id.field_description
                    or _("uniqueness value"),
                )
            )
        return enrollment

    def action_enroll(self):
        self._check_tester()
        self.enrollment_id = self._enroll_test()
        self.dry_run_line_ids = False
        return self._reopen()

    def action_test_again(self):
        """Start over with a new test enrollment (the previous one stays in
        the record's journeys, marked as a test)."""
        self.ensure_one()
        self.write({"enrollment_id": False, "dry_run_line_ids": [(5,)]})
        return self._reopen()

    def _test_enrollment(self):
        """The wizard's test enrollment, once checked it is one."""
        self.ensure_one()
        self.flow_id.check_access("write")
        enrollment = self.enrollment_id
        if enrollment.flow_id != self.flow_id or not enrollment.is_test:
            raise UserError(
                _(
                    "Only a test enrollment in the flow %s can be run step by "
                    "step: enroll a record with this wizard first.",
                    self.flow_id.name,
                )
            )
        return enrollment

    def action_run_next(self):
        """Run the steps due now, or else the next scheduled one at once."""
        enrollment = self._test_enrollment()
        # Tasks are the engine's rows: the test runs them as the scheduler
        # does, once the checks above said the user may test this flow.
        tasks = enrollment.task_ids.sudo()
        scheduled = tasks.filtered(lambda t: t.state == states.TASK_SCHEDULED)
        if not scheduled:
            raise UserError(
                _(
                    "No step is scheduled: the record waits for an event (an "
                    "email opened, an activity done…) or went through the flow."
                )
            )
        now = fields.Datetime.now()
        due = scheduled.filtered(lambda t: t.scheduled_at <= now)
        if not due:
            due = scheduled.sorted(lambda t: (t.scheduled_at, t.id))[:1]
            due._set_scheduled(now)
        due._execute()
        self.env["automation.flow.enrollment"]._close_finished()
        self.invalidate_recordset(["task_ids", "enrollment_state"])
        return self._reopen()

    def action_simulate(self):
        """Make the chosen event happen to the chosen task of the test: an
        event through the engine's ``_on_event`` (its next steps wake, the
        others are cancelled, as for a real one), a decision's branch by
        ending its task with that outcome."""
        enrollment = self._test_enrollment()
        # The engine's rows, checked to be this test's (see action_run_next).
        task = self.simulate_task_id.sudo()
        if not task or task.enrollment_id != enrollment:
            raise UserError(
                _("Choose one of the test's steps to simulate an event on.")
            )
        options = dict(self._simulations_of(task))
        if self.simulate_event not in options:
            raise UserError(
                _(
                    "The step %(step)s cannot receive this event. Choose one of: "
                    "%(options)s.",
                    step=task.step_id.name,
                    options=", ".join(options.values()) or _("none"),
                )
            )
        kind, key = self.simulate_event.split(":", 1)
        if kind == "event":
            if task.state != states.TASK_DONE:
                raise UserError(
                    _(
                        "The step %s has not run yet: run it (Run next step now) "
                        "before simulating what happens to it.",
                        task.step_id.name,
                    )
                )
            task._on_event(key)
        else:
            if task.state != states.TASK_SCHEDULED:
                raise UserError(
                    _(
                        "The step %s is not scheduled: a decision's branch can be "
                        "chosen only before it runs.",
                        task.step_id.name,
                    )
                )
            catalogue = self.env["automation.flow.step"]._step_catalogue()
            task._write_links(outcome=[catalogue.triggers[key].outcome])
            task._set_done({task.id: Reason("simulated_by", user=self.env.user.name)})
            task.step_id._create_child_tasks(task)
        self.env["automation.flow.enrollment"]._close_finished()
        self.write({"simulate_task_id": False, "simulate_event": False})
        self.invalidate_recordset(["task_ids", "enrollment_state"])
        return self._reopen()

    def action_dry_run(self):
        """Go through every step for the record as far as no event is
        needed, in a savepoint rolled back at the end: nothing is sent or
        written but the report of what would happen (one line per task)."""
        self._check_tester()
        postcommit = self.env.cr.postcommit
        # What the run asks to do after the commit (send mails, wake crons)
        # goes with its rollback: keep only what was asked before it.
        before = (list(postcommit._funcs), dict(postcommit.data))
        # Rolled back at the end, whatever happens: the savepoint flushes
        # and runs the pre-commit hooks on entry, and clears them with the
        # caches when it rolls back.
        savepoint = self.env.cr.savepoint()
        try:
            enrollment = self._enroll_test()
            # Each round runs a level of the tree: as many rounds as steps
            # reach every step; a task retried again and again stops there.
            for _round in range(len(self.flow_id.step_ids) + 1):
                tasks = enrollment.task_ids.sudo().filtered(
                    lambda t: t.state == states.TASK_SCHEDULED
                )
                if not tasks:
                    break
                tasks._set_scheduled(fields.Datetime.now())
                tasks._execute()
            report = self._dry_run_report(enrollment.task_ids.sudo())
        finally:
            savepoint.close(rollback=True)
        postcommit.clear()
        postcommit._funcs.extend(before[0])
        postcommit.data.update(before[1])
        self.write({"enrollment_id": False, "dry_run_line_ids": [(5,)] + report})
        return self._reopen()

    def _dry_run_report(self, tasks):
        """``(0, 0, values)`` of the report lines of ``tasks``, in the order
        they were created."""
        catalogue = self.env["automation.flow.step"]._step_catalogue()
        lines = []
        for sequence, task in enumerate(tasks.sorted("id")):
            mail = task.mail_mail_id
            trigger = catalogue.triggers.get(task.step_id.trigger)
            detail = task.error_message or ""
            if task.state == states.TASK_WAITING and trigger:
                detail = _("Waits for: %s", trigger.label)
            lines.append(
                (
                    0,
                    0,
                    {
                        "sequence": sequence,
                        "step_id": task.step_id.id,
                        "state": task.state,
                        "detail": detail,
                        "email_subject": mail.subject,
                        "email_to": ", ".join(
                            filter(
                                None,
                                [mail.email_to, *mail.recipient_ids.mapped("email")],
                            )
                        ),
                    },
                )
            )
        return lines

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Test %s", self.flow_id.name),
        }


class AutomationFlowTestLine(models.TransientModel):
    """A line of a dry run's report: what one step would do for the record."""

    _name = "automation.flow.test.line"
    _description = "Dry Run of an Automation Flow Test"
    _order = "sequence"

    test_id = fields.Many2one("automation.flow.test", required=True, ondelete="cascade")
    sequence = fields.Integer()
    step_id = fields.Many2one("automation.flow.step", ondelete="cascade")
    state = fields.Selection(TASK_STATES)
    detail = fields.Char("Outcome")
    email_subject = fields.Char("Email subject")
    email_to = fields.Char("Email to")
