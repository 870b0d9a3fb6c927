"""States of flows, enrollments and tasks, defined once.

>>> TASK_PENDING
('waiting', 'scheduled')
>>> FLOW_RUNNING
('periodic', 'on_demand')
>>> ENROLLMENT_ACTIVE
('running', 'paused')

A task moves only along ``TASK_TRANSITIONS``: the ORM writers go through
``task._transition()``, which refuses any other move; the set-based SQL
writers select their rows with ``sources_of``.

>>> may_move(TASK_WAITING, TASK_SCHEDULED), may_move(TASK_DONE, TASK_SCHEDULED)
(True, False)
>>> sources_of(TASK_EXPIRED)
('waiting',)
>>> may_move(TASK_RUNNING, TASK_SCHEDULED), may_move(TASK_RUNNING, TASK_CANCELLED)
(True, False)
>>> sources_of(TASK_CANCELLED)
('waiting', 'scheduled')
>>> sources_of(TASK_SKIPPED)
('waiting', 'scheduled')
"""

FLOW_DRAFT = "draft"
FLOW_PERIODIC = "periodic"
FLOW_ON_DEMAND = "on_demand"
FLOW_DONE = "done"
FLOW_RUNNING = (FLOW_PERIODIC, FLOW_ON_DEMAND)

ENROLLMENT_RUNNING = "running"
ENROLLMENT_DONE = "done"
ENROLLMENT_EXITED = "exited"
ENROLLMENT_CANCELLED = "cancelled"
# The record reached the flow's goal.
ENROLLMENT_CONVERTED = "converted"
# Held by a user: the scheduler takes none of its tasks and its waiting tasks
# do not expire until it is resumed.
ENROLLMENT_PAUSED = "paused"
# The states of a journey under way: a record has at most one enrollment in
# these states per flow (a partial unique index), whatever the flow's
# re-enrollment policy. Events, the goal, the sweeps and the end of the flow
# act on them; only running ones have their tasks run.
ENROLLMENT_ACTIVE = (ENROLLMENT_RUNNING, ENROLLMENT_PAUSED)

TASK_WAITING = "waiting"
TASK_SCHEDULED = "scheduled"
# Its effect leaves the database (a webhook): marked and committed before the
# call, so that a crash during the call is found and retried.
TASK_RUNNING = "running"
TASK_DONE = "done"
TASK_SKIPPED = "skipped"
TASK_EXPIRED = "expired"
TASK_CANCELLED = "cancelled"
TASK_ERROR = "error"
TASK_PENDING = (TASK_WAITING, TASK_SCHEDULED)
# The tasks an enrollment still waits for before it is finished.
TASK_UNFINISHED = (*TASK_PENDING, TASK_RUNNING)
# The states counted per step in statistics, in the order they are shown.
TASK_COUNTED = (
    TASK_SCHEDULED,
    TASK_RUNNING,
    TASK_WAITING,
    TASK_DONE,
    TASK_SKIPPED,
    TASK_EXPIRED,
    TASK_CANCELLED,
    TASK_ERROR,
)

# The moves a task may make. A waiting task is woken (scheduled), expires, is
# cancelled or skipped by a user (or, for a wait-until, is done when its
# condition holds); a
# scheduled one runs (done, skipped, error), is cancelled, is scheduled again
# (retry later, a date moved) or waits (a wait-until not met yet); a done
# email that could not be sent ends in error; a task in error is retried, or
# fails again when its email is resent from the mail queue. The other ends
# are final.
TASK_TRANSITIONS = {
    TASK_WAITING: (
        TASK_SCHEDULED,
        TASK_DONE,
        TASK_EXPIRED,
        TASK_CANCELLED,
        TASK_SKIPPED,
    ),
    TASK_SCHEDULED: (
        TASK_SCHEDULED,
        TASK_WAITING,
        TASK_RUNNING,
        TASK_DONE,
        TASK_SKIPPED,
        TASK_CANCELLED,
        TASK_ERROR,
    ),
    TASK_RUNNING: (TASK_DONE, TASK_ERROR, TASK_SCHEDULED),
    TASK_DONE: (TASK_ERROR,),
    TASK_ERROR: (TASK_SCHEDULED, TASK_ERROR),
    TASK_SKIPPED: (),
    TASK_EXPIRED: (),
    TASK_CANCELLED: (),
}


def may_move(source, target):
    """Whether a task in ``source`` may move to ``target``."""
    return target in TASK_TRANSITIONS[source]


def sources_of(target):
    """The states from which a task may move to ``target``, for SQL writers."""
    return tuple(
        source for source, targets in TASK_TRANSITIONS.items() if target in targets
    )
