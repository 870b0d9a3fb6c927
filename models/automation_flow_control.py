# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Per-record control: what a user does to one record's journey.

On enrollments: remove from the flow, pause, resume, skip the current step,
run the current step now; on tasks: cancel, skip, run now. Whoever may read
the rows (automation users and managers of their company, on records they may
read) may act on them, as they may retry a task: the buttons check the
caller, then what they act on, then write as the engine (nobody else writes
tasks and enrollments). Each action stores a reason naming the user, which
the journey shows.
"""

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..engine import states, triggers
from ..reasons import Reason, moment, reason_values, render


class AutomationFlowEnrollment(models.Model):
    _inherit = "automation.flow.enrollment"  # pylint: disable=consider-merging-classes-inherited

    def _check_control(self, allowed_states, refusal):
        """Refuse unless the user may act on all these enrollments: read
        access (group, company, record), a state among ``allowed_states``
        (else ``refusal``, a sentence with ``%(records)s``), rows that belong
        to their flow. Return them to be written as the engine."""
        self.check_access("read")
        wrong = self.filtered(lambda enrollment: enrollment.state not in allowed_states)
        if wrong:
            raise UserError(
                refusal % {"records": ", ".join(wrong.mapped("display_name"))}
            )
        self._check_flow()
        # Enrollments are the engine's rows, written by nobody else: the
        # checks above are what the user may do with them.
        return self.sudo()

    def _user_reason(self, code, **params):
        return Reason(code, user=self.env.user.name, **params)

    def _now_moment(self):
        """Now, shown in the time zone of the user acting."""
        return moment(fields.Datetime.now(), self.env.user.tz or "UTC")

    def action_remove_from_flow(self):
        """End these enrollments (exited) and cancel their pending tasks."""
        enrollments = self._check_control(
            states.ENROLLMENT_ACTIVE,
            _(
                "Only running or paused enrollments can be removed from their "
                "flow; these have already ended: %(records)s."
            ),
        )
        enrollments._set_state(
            states.ENROLLMENT_EXITED, self._user_reason("removed_by")
        )
        return True

    def action_pause(self):
        """Hold these enrollments: the scheduler runs none of their tasks
        and their waiting tasks do not expire until they are resumed."""
        enrollments = self._check_control(
            (states.ENROLLMENT_RUNNING,),
            _("Only running enrollments can be paused; these are not: %(records)s."),
        )
        enrollments.write(
            {
                "state": states.ENROLLMENT_PAUSED,
                **reason_values(
                    self._user_reason("paused_by", date=self._now_moment())
                ),
            }
        )
        return True

    def action_resume(self):
        """Run these paused enrollments again: the tasks that fell due
        meanwhile run at once, the waiting ones whose time passed expire."""
        enrollments = self._check_control(
            (states.ENROLLMENT_PAUSED,),
            _("Only paused enrollments can be resumed; these are not: %(records)s."),
        )
        enrollments.write(
            {
                "state": states.ENROLLMENT_RUNNING,
                **reason_values(
                    self._user_reason("resumed_by", date=self._now_moment())
                ),
            }
        )
        self.env["automation.flow"]._trigger_cron(
            "automation_flow.cron_process_due_tasks"
        )
        return True

    def _current_tasks(self):
        """The step each enrollment is at: its scheduled tasks due first,
        or, when none is scheduled, those waiting (for an event, a
        condition)."""
        current = self.env["automation.flow.task"]
        for enrollment in self:
            pending = enrollment.task_ids.filtered(
                lambda task: task.state in states.TASK_PENDING
            )
            scheduled = pending.filtered(
                lambda task: task.state == states.TASK_SCHEDULED
            )
            if scheduled:
                first = min(scheduled.mapped("scheduled_at"))
                current |= scheduled.filtered(lambda t, f=first: t.scheduled_at == f)
            else:
                current |= pending
        return current

    def _current_tasks_checked(self):
        self._check_control(
            states.ENROLLMENT_ACTIVE,
            _(
                "These enrollments have ended, they have no step to skip or to "
                "run: %(records)s."
            ),
        )
        tasks = self._current_tasks()
        idle = self - tasks.enrollment_id
        if idle:
            raise UserError(
                _(
                    "These enrollments have no scheduled or waiting step: %(records)s.",
                    records=", ".join(idle.mapped("display_name")),
                )
            )
        return tasks

    def action_skip_step(self):
        """Skip the step each enrollment is at (see ``task.action_skip``)."""
        return self._current_tasks_checked().action_skip()

    def action_run_step_now(self):
        """Run the step each enrollment is at now (see
        ``task.action_run_now``)."""
        return self._current_tasks_checked().action_run_now()


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    def _check_control(self):
        """Refuse unless the user may act on all these tasks: read access
        (group, company, record), pending, of a running flow (or a test) and
        of an enrollment still in it, belonging together. Return them to be
        written as the engine."""
        self.check_access("read")
        ended = self.filtered(lambda task: task.state not in states.TASK_PENDING)
        if ended:
            raise UserError(
                _(
                    "Only scheduled or waiting tasks can be cancelled, skipped "
                    "or run now; these are not: %(tasks)s.",
                    tasks=", ".join(
                        f"{task.step_id.name} ({task.record_name})" for task in ended
                    ),
                )
            )
        for reason, _tasks in self._mismatches():
            raise UserError(
                _(
                    "This task cannot be changed: %(reason)s",
                    reason=render(self.env, reason.code, reason.params),
                )
            )
        stopped = self.filtered(
            lambda task: (
                (not task.is_test and task.flow_id.state not in states.FLOW_RUNNING)
                or task.enrollment_id.state not in states.ENROLLMENT_ACTIVE
            )
        )
        if stopped:
            raise UserError(
                _(
                    "The flow %(flow)s is not running or the record %(record)s "
                    "has left it: its steps cannot be changed.",
                    flow=stopped[0].flow_id.name,
                    record=stopped[0].record_name,
                )
            )
        # Tasks are the engine's rows, written by nobody else: the checks
        # above are what the user may do with them.
        return self.sudo()

    def _user_reason(self, code):
        return Reason(code, user=self.env.user.name)

    def action_cancel(self):
        """Cancel these pending tasks: their step will not run."""
        self._check_control()._set_cancelled(self._user_reason("cancelled_by"))
        return True

    def action_skip(self):
        """Skip these pending tasks and go on with the flow: the steps that
        follow them "after the previous step" are scheduled as if they were
        done now. Those that wait for an event of the step (an open, an
        activity done) or follow a decision's outcome get no task: what
        they wait for will not happen."""
        tasks = self._check_control()
        tasks._set_skipped(self._user_reason("skipped_by"))
        tasks.step_id._create_child_tasks(tasks, kinds=(triggers.AFTER,))
        self.env["automation.flow"]._wake_scheduler(tasks.enrollment_id)
        return True

    def action_run_now(self):
        """Run these pending tasks now, through the scheduler's own path
        (``_execute``, with its checks of the flow, the record and the
        domains), as the scheduler's user."""
        tasks = self._check_control()
        paused = tasks.enrollment_id.filtered(
            lambda enrollment: enrollment.state == states.ENROLLMENT_PAUSED
        )
        if paused:
            raise UserError(
                _(
                    "Resume the enrollments first; they are paused: %(records)s.",
                    records=", ".join(paused.mapped("display_name")),
                )
            )
        reason = self._user_reason("run_now_by")
        # Writing the tasks locks their rows until this transaction ends: a
        # scheduler run meanwhile skips them (SKIP LOCKED); one that took them
        # first makes this write fail, the request is replayed and refused
        # because they have ended. Either way they run once.
        tasks._transition(
            states.TASK_SCHEDULED,
            {
                "scheduled_at": fields.Datetime.now(),
                "done_at": False,
                **reason_values(reason),
            },
        )
        cron_user = self._scheduler_cron().user_id
        tasks.with_user(cron_user).with_context(automation_flow_run_now=True)._execute()
        # Done clears the reason: the journey says who ran it ahead of time.
        tasks.filtered(lambda task: task.state == states.TASK_DONE).write(
            reason_values(reason)
        )
        self.env["automation.flow"]._wake_scheduler(tasks.enrollment_id)
        return True
