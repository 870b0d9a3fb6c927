"""States of flows, enrollments and tasks, defined once.

>>> TASK_PENDING
('waiting', 'scheduled')
>>> FLOW_RUNNING
('periodic', 'on_demand')
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

TASK_WAITING = "waiting"
TASK_SCHEDULED = "scheduled"
TASK_DONE = "done"
TASK_SKIPPED = "skipped"
TASK_EXPIRED = "expired"
TASK_CANCELLED = "cancelled"
TASK_ERROR = "error"
TASK_PENDING = (TASK_WAITING, TASK_SCHEDULED)
# The states counted per step in statistics, in the order they are shown.
TASK_COUNTED = (
    TASK_SCHEDULED,
    TASK_WAITING,
    TASK_DONE,
    TASK_SKIPPED,
    TASK_EXPIRED,
    TASK_CANCELLED,
    TASK_ERROR,
)
