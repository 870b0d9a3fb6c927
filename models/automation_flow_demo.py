# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import states
from ..reasons import Reason

# The story of the enrollment of rank i of the demo flow, by i modulo each:
# one in OPENED is not opened, one in CLICKED clicks, one in REPLIED replies.
OPENED, CLICKED, REPLIED = 4, 3, 5


class AutomationFlow(models.Model):
    _inherit = "automation.flow"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_run_with_history(self, flow, days=21):
        """Start the demo ``flow`` (an email, then an activity when it is not
        replied to) and give it ``days`` of history, so that its statistics,
        journeys and designer counters show something on the first login.

        The engine's own paths do the work: the enrollment, the scheduler
        (the emails rendered, their messages posted on the contacts'
        chatter) and the events (sent, opened, clicked, replied, an email
        that failed, an activity done). Nothing is sent: the queued mails
        are deleted before anything sends them (their messages stay on the
        chatter). The history is then moved back in time in one statement
        per table, each enrollment starting on its own day of the last
        ``days`` days, and the events are recorded at their moments of
        that past, one call per day and event. Runs once, from the demo
        data (``<function>``), on a draft flow without enrollments.
        """
        flow = self.browse(flow)
        if flow.state != states.FLOW_DRAFT or flow.enrollment_ids:
            return False
        # Started as the Start button does, without asking: nobody is there.
        flow.state = states.FLOW_PERIODIC
        enrollments = flow._enroll().sorted("id")
        if not enrollments:
            return False
        Task = self.env["automation.flow.task"]
        Task._process_due_tasks()
        emails = Task.search(
            [("enrollment_id", "in", enrollments.ids), ("step_type", "=", "email")]
        )
        emails.mail_mail_id.unlink()
        now = fields.Datetime.now()
        start_of = {
            enrollment.id: now
            - timedelta(days=days - rank * days // len(enrollments), hours=rank % 7)
            for rank, enrollment in enumerate(enrollments)
        }
        self._demo_move_back(enrollments, emails, start_of)
        events = defaultdict(lambda: Task)
        # In the order of ``start_of``, the oldest first (enrollments sort
        # newest first): the story of the newest contact, who started a day
        # ago and has not replied, is still going, its call due tomorrow.
        ranked = emails.sorted(lambda email: email.enrollment_id.id)
        for rank, email in enumerate(ranked):
            start = start_of[email.enrollment_id.id]
            if rank == 1:
                # What a newcomer met on an unconfigured server, as they read it.
                email._set_error(
                    Reason(
                        "smtp_refused",
                        server="smtp.example.com:25",
                        detail="111 Connection refused",
                    )
                )
                events["failed", start + timedelta(minutes=1)] |= email
                continue
            events["sent", start + timedelta(minutes=1)] |= email
            if rank % OPENED != OPENED - 1:
                events["opened", start + timedelta(hours=2)] |= email
            if rank % CLICKED == 0:
                events["clicked", start + timedelta(hours=3)] |= email
            if rank % REPLIED == 0:
                events["replied", start + timedelta(days=1)] |= email
        for event in ("failed", "sent", "opened", "clicked", "replied"):
            for (name, at), tasks in sorted(events.items()):
                if name == event:
                    tasks._on_event(name, at=at)
        # The calls of the emails not replied to within two days.
        Task._process_due_tasks()
        calls = Task.search(
            [
                ("enrollment_id", "in", enrollments.ids),
                ("step_type", "=", "activity"),
                ("state", "=", "done"),
            ]
        )
        self.env.cr.execute(
            SQL(
                "UPDATE automation_flow_task SET done_at = scheduled_at "
                "WHERE id = ANY(%s)",
                calls.ids,
            )
        )
        calls.invalidate_recordset(["done_at"])
        for call in calls.sorted("id")[:2]:
            call.activity_id.action_feedback(feedback="Called: interested.")
        return True

    @api.model
    def _demo_move_back(self, enrollments, tasks, start_of):
        """Move ``enrollments`` and their ``tasks`` (and the tasks' messages)
        back in time: each enrollment starts at ``start_of[id]``."""
        self.env.flush_all()
        ids = list(start_of)
        starts = [start_of[id_] for id_ in ids]
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_enrollment enrollment
                   SET date_start = past.at
                   FROM unnest(%s::int[], %s::timestamp[]) past(id, at)
                   WHERE enrollment.id = past.id""",
                ids,
                starts,
            )
        )
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_task task
                   SET scheduled_at = past.at, done_at = past.at,
                       create_date = past.at
                   FROM unnest(%s::int[], %s::timestamp[]) past(id, at)
                   WHERE task.enrollment_id = past.id AND task.id = ANY(%s)""",
                ids,
                starts,
                tasks.ids,
            )
        )
        self.env.cr.execute(
            SQL(
                """UPDATE mail_message message
                   SET date = task.done_at
                   FROM automation_flow_task task
                   WHERE task.id = ANY(%s)
                     AND message.message_id = task.email_message_id""",
                tasks.ids,
            )
        )
        self.env.invalidate_all()
