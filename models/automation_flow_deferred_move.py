# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from collections import defaultdict

from odoo import fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from .automation_flow_task import MOVE_ONLY

_logger = logging.getLogger(__name__)


class AutomationFlowDeferredMove(models.Model):
    """An event stamped on a task whose children the scheduler moves later.

    How to use: ``task._on_event(event, move=MOVE_LATER)`` stamps the event
    and adds a row here in the same statement; the scheduler's next run
    (``_move_children``) moves the children as ``_on_event`` would have
    done, with the time the event happened, before it takes due tasks.

    Why: the open pixel is requested by the hundred thousand, and moving
    the children in the request was most of its cost (PostgreSQL plans that
    statement anew for each open: about 0.7 ms against 0.15 ms for a stamp
    and an insert here). The children's due times do not change, since they
    count from the open; what waits is a child due at once, until the
    scheduler's next run (every 5 minutes, or earlier at a trigger).
    """

    _name = "automation.flow.deferred.move"
    _description = "Automation Flow Deferred Move"
    _log_access = False
    _order = "id"

    # Not a Many2one: the open's insert would check the key, and a task
    # deleted since has no children left to move.
    task_id = fields.Integer(required=True)
    # A key of the step catalogue's events.
    event = fields.Char(required=True)
    at = fields.Datetime(
        string="Event time", required=True, help="When the event happened."
    )

    def _move_children(self, batch_size, commit=False):
        """Move the children of the tasks of the rows waiting here, batch
        after batch, and delete the rows; return how many rows were done.

        Rows another scheduler lane holds are skipped (SKIP LOCKED). One
        statement per event and time (``_on_event``): the opens of one
        second move together. A failure leaves the other rows' moves alone:
        a conflict with a concurrent transaction keeps the rows for the next
        run, any other failure is logged and its rows are dropped, as
        ``task._record_event`` drops an event it cannot record.
        """
        done = 0
        while True:
            self.env.cr.execute(
                SQL(
                    """SELECT id, task_id, event, at
                       FROM automation_flow_deferred_move
                       ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                    batch_size,
                )
            )
            rows = self.env.cr.fetchall()
            if not rows:
                return done
            groups = defaultdict(list)
            for row_id, task_id, event, at in rows:
                groups[event, at].append((row_id, task_id))
            kept = []
            for (event, at), group in groups.items():
                tasks = self.env["automation.flow.task"].browse(
                    task_id for _row_id, task_id in group
                )
                try:
                    with self.env.cr.savepoint():
                        tasks._on_event(event, at, move=MOVE_ONLY)
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    kept += [row_id for row_id, _task_id in group]
                except Exception:  # noqa: BLE001
                    _logger.warning(
                        "Could not move the children of tasks %s after the event %s.",
                        tasks.ids,
                        event,
                        exc_info=True,
                    )
            self.env.cr.execute(
                SQL(
                    "DELETE FROM automation_flow_deferred_move"
                    " WHERE id = ANY(%s) AND id != ALL(%s)",
                    [row[0] for row in rows],
                    kept,
                )
            )
            done += len(rows) - len(kept)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if kept or len(rows) < batch_size:
                # The rows kept are another transaction's for now.
                return done
