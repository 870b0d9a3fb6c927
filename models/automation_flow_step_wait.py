# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Wait until: a step whose task, once due, waits until its record matches a
domain ("invoice paid"), or times out.

When the step is due, the records already matching take the "Condition met"
branch at once; the tasks of the others move from scheduled to waiting, with
``expires_at`` from the step's expiry (the timeout). They keep their
``scheduled_at``: a waiting task with a due time is one whose step ran and
waits for its condition (a task waiting for an event has none).

A waiting task is completed (done, outcome "met", children created) by:

- the ORM write that makes the domain true: the record hooks watch the
  fields the domain reads (``automation_flow_record_hooks.py``) and call
  ``_resume_waits``;
- the scheduler's safety sweep, in batches, for writes done by SQL or to
  fields of related records.

Past its timeout, the scheduler expires it with the outcome "timed_out" and
creates the children of that branch.
"""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import domains, schedule, states
from ..engine.triggers import BRANCH, StepType, Trigger

MET = "met"
TIMED_OUT = "timed_out"


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("wait", "Wait until")],
        ondelete={"wait": "cascade"},
    )
    wait_domain = fields.Char(
        "Wait until",
        default="[]",
        help="When the step is due, the records that match it take the "
        "'Condition met' branch; the others wait until a change makes them "
        "match, or until the expiry of the step ('Timed out' branch; 0 waits "
        "forever).",
    )

    @api.model
    def _get_step_types(self):
        """A wait-until's children hang under "Condition met" or "Timed out"."""
        return {
            **super()._get_step_types(),
            "wait": StepType(
                icon="fa-hourglass-half",
                triggers=[
                    Trigger(
                        "wait_met",
                        BRANCH,
                        label=_("Condition met"),
                        phrases=(
                            _("As soon as the awaited condition holds"),
                            _("%(delay)s after the awaited condition holds"),
                        ),
                        outcome=MET,
                    ),
                    Trigger(
                        "wait_timed_out",
                        BRANCH,
                        label=_("Timed out"),
                        phrases=(
                            _("When the wait times out"),
                            _("%(delay)s after the wait times out"),
                        ),
                        outcome=TIMED_OUT,
                    ),
                ],
            ),
        }

    def _get_wait_domain(self):
        """The awaited domain, evaluated now as the flow's domains are (with
        the flow's responsible as ``uid``, ``user`` and day)."""
        self.ensure_one()
        return self.with_context(automation_flow_wait=True)._eval_domain(
            self.wait_domain, self.model, self.flow_id.user_id
        )

    def _wait_fields(self):
        """The fields of the step's model whose writes may make its domain
        true: the first name of each condition's path. Empty for the other
        step types."""
        self.ensure_one()
        if self.step_type != "wait":
            return set()
        try:
            domain = self._get_wait_domain()
        except ValidationError:
            # A field of the domain was removed since: the step reports it
            # when it runs; nothing to watch meanwhile.
            return set()
        return domains.fields_read(domain)

    def _domain_error(self, reason):
        if self.env.context.get("automation_flow_wait"):
            return _(
                "The awaited condition of the step %(step)s of the flow "
                "%(flow)s cannot be used: %(reason)s",
                step=self.name,
                flow=self.flow_id.name,
                reason=reason,
            )
        return super()._domain_error(reason)

    @api.constrains("step_type", "wait_domain", "flow_id")
    def _check_wait_domain(self):
        for step in self.filtered(lambda s: s.step_type == "wait"):
            step._get_wait_domain()

    def _matching_res_ids(self, tasks):
        """The records of ``tasks`` that match the awaited domain, in one
        search as the flow's responsible (as the flow's own domain)."""
        self.ensure_one()
        return set(
            self.flow_id._responsible_model()
            .search([("id", "in", tasks.mapped("res_id"))] + self._get_wait_domain())
            .ids
        )

    def _execute_wait(self, tasks):
        """The records already matching take "Condition met" now; the others
        wait, until their timeout if the step has one."""
        self.ensure_one()
        matching = self._matching_res_ids(tasks)
        met = tasks.filtered(lambda task: task.res_id in matching)
        met._write_links(outcome=[MET] * len(met))
        expires_at = (
            schedule.add_delay(fields.Datetime.now(), self.expiry, self.expiry_unit)
            if self.expiry
            else False
        )
        (tasks - met)._transition(states.TASK_WAITING, {"expires_at": expires_at})

    def _resume_waits(self, records):
        """Complete the tasks of these wait-until steps that wait for
        ``records`` and that now match: one query finds them, one search per
        step checks them."""
        if not self:
            return
        Task = self.env["automation.flow.task"]
        Task.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM automation_flow_task
                   WHERE step_id = ANY(%(steps)s) AND res_id = ANY(%(res_ids)s)
                     AND state = %(waiting)s AND scheduled_at IS NOT NULL""",
                steps=self.ids,
                res_ids=records.ids,
                waiting=states.TASK_WAITING,
            )
        )
        Task.browse(row[0] for row in self.env.cr.fetchall())._complete_met_waits()


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    def _complete_met_waits(self):
        """End as "met" the waiting tasks of wait-until steps whose record now
        matches, and create the children of that branch. The tasks are taken
        with their state still waiting, in one statement per step, so that a
        write and the sweep at the same time never complete one twice."""
        now = fields.Datetime.now()
        for step, tasks in self.grouped("step_id").items():
            matching = step._matching_res_ids(tasks)
            met = tasks.filtered(lambda task, m=matching: task.res_id in m)
            if not met:
                continue
            self.env.cr.execute(
                SQL(
                    """UPDATE automation_flow_task
                       SET state = %(done)s, outcome = %(met)s, done_at = %(now)s
                       WHERE id = ANY(%(ids)s) AND state = %(waiting)s
                       RETURNING id""",
                    done=states.TASK_DONE,
                    met=MET,
                    now=now,
                    ids=met.ids,
                    waiting=states.TASK_WAITING,
                )
            )
            completed = self.browse(row[0] for row in self.env.cr.fetchall())
            completed.invalidate_recordset(["state", "outcome", "done_at"])
            step._create_child_tasks(completed)

    @api.model
    def _end_waits(self, batch_size):
        """The scheduler's part of wait-until: complete the waiting tasks whose
        record matches now (the safety sweep, for writes the ORM did not see),
        batch after batch, then time out those past their expiry."""
        last_id = 0
        while True:
            self.flush_model()
            self.env.cr.execute(
                SQL(
                    """SELECT task.id FROM automation_flow_task task
                       JOIN automation_flow_step step ON step.id = task.step_id
                       WHERE step.step_type = 'wait' AND task.state = %(waiting)s
                         AND task.scheduled_at IS NOT NULL AND task.id > %(last)s
                       ORDER BY task.id LIMIT %(limit)s""",
                    waiting=states.TASK_WAITING,
                    last=last_id,
                    limit=batch_size,
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                break
            self.browse(ids)._complete_met_waits()
            last_id = ids[-1]
        self._time_out_waits()

    @api.model
    def _time_out_waits(self):
        """Expire, with the outcome "timed_out", the waiting tasks of
        wait-until steps past their timeout, and create the children of that
        branch. Runs before the generic expiry, which would end them with
        nothing after."""
        self.flush_model()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_task task
                   SET state = %(expired)s, outcome = %(timed_out)s,
                       done_at = %(now)s
                   FROM automation_flow_step step
                   WHERE step.id = task.step_id AND step.step_type = 'wait'
                     AND task.state = %(waiting)s AND task.scheduled_at IS NOT NULL
                     AND task.expires_at <= %(now)s AND %(not_paused)s
                   RETURNING task.id""",
                expired=states.TASK_EXPIRED,
                not_paused=self._not_paused_sql("task"),
                timed_out=TIMED_OUT,
                now=now,
                waiting=states.TASK_WAITING,
            )
        )
        timed_out = self.browse(row[0] for row in self.env.cr.fetchall())
        timed_out.invalidate_recordset(["state", "outcome", "done_at"])
        timed_out.step_id._create_child_tasks(timed_out)
