"""The catalogue of step types: their triggers and their events.

How to use
==========

Each step type declares a ``StepType``: its icon, the triggers of the steps
that may hang under it and the events that may happen to its tasks. The
model hook ``automation.flow.step._get_step_types()`` gathers them (each type
file extends it through ``super()``) and ``_step_catalogue()`` builds the
``Catalogue`` the functions below take as their first argument. Nothing here
is module-level data: every database has the types of its installed modules.

Each trigger belongs to a *kind*:

* ``start``: a root step, due at enrollment + delay;
* ``after``: due when its parent task is done + delay;
* ``event``: created waiting with its parent, woken by ``event`` (due at event
  time + delay), expired when its expiry passes;
* ``negative``: created scheduled at parent time + delay, cancelled if
  ``event`` happens first;
* ``branch``: the child of a decision (a condition…): created, due at parent
  time + delay, only for the parent tasks that took its ``outcome``.

The triggers of ``ANY`` fit under every step (and at the root, for
``start``). An event names the task column stamped with its first time
(declared by the type's file), the events it implies, the kinds of pending
children it closes and whether the children count from it.

How it works
============

A small catalogue (the real one holds labels, icons and phrases too):

>>> catalogue = Catalogue({
...     ANY: StepType(triggers=[Trigger("start", START), Trigger("after_step", AFTER)]),
...     "email": StepType(
...         triggers=[
...             Trigger("email_opened", EVENT, "opened"),
...             Trigger("email_not_opened", NEGATIVE, "opened"),
...             Trigger("email_clicked", EVENT, "clicked"),
...             Trigger("email_bounced", EVENT, "bounced"),
...         ],
...         events=[
...             Event("sent", "sent_at", reschedules=True),
...             Event("failed", "failed_at", closes=(AFTER, EVENT, NEGATIVE)),
...             Event("opened", "opened_at"),
...             Event("clicked", "clicked_at", implies=("opened",)),
...             Event("bounced", "bounced_at", closes=(EVENT, NEGATIVE)),
...         ],
...     ),
...     "activity": StepType(
...         triggers=[
...             Trigger("activity_done", EVENT, "activity_done"),
...             Trigger("activity_cancelled", EVENT, "activity_cancelled"),
...             Trigger("activity_not_done", NEGATIVE, "activity_done"),
...         ],
...         events=[
...             Event("activity_done", "activity_done_at", closes=(EVENT,)),
...             Event("activity_cancelled", "activity_cancelled_at", closes=(EVENT,)),
...         ],
...     ),
... })
>>> catalogue.triggers["email_not_opened"].parent_type
'email'
>>> sorted(t.key for t in triggers_for_parent(catalogue, "activity"))
['activity_cancelled', 'activity_done', 'activity_not_done', 'after_step']
>>> sorted(t.key for t in triggers_for_parent(catalogue, None))
['start']
>>> fits(catalogue, "email_opened", "activity")
False
>>> fits(catalogue, "after_step", "action")
True
>>> events_implied(catalogue, "clicked")
('clicked', 'opened')
>>> [waits_for_event(catalogue, key) for key in ("email_opened", "email_not_opened")]
[True, False]

When a parent task gets an event, its pending children move:

>>> sorted(woken_by(catalogue, "opened"))
['email_opened']
>>> sorted(cancelled_by(catalogue, "opened"))
['email_not_opened']
>>> sorted(cancelled_by(catalogue, "bounced"))  # nothing else can happen to that email
['email_clicked', 'email_not_opened', 'email_opened']
>>> sorted(cancelled_by(catalogue, "activity_cancelled"))  # "not done" still holds
['activity_done']
>>> sorted(cancelled_by(catalogue, "activity_done"))
['activity_cancelled', 'activity_not_done']
>>> "after_step" in cancelled_by(catalogue, "failed")  # the step did not happen
True
>>> sorted(disproved_by(catalogue, "opened"))  # only if it happens before they are due
['email_not_opened']
>>> disproved_by(catalogue, "bounced")
set()

The children of an email count from the moment it left: the send moves the
due time of the "not …" ones and the expiry of the waiting ones, so that an
"opened within 2 days" and a "not opened within 2 days" share their deadline.

>>> sorted(rescheduled_by(catalogue, "sent"))
['email_bounced', 'email_clicked', 'email_not_opened', 'email_opened']
>>> rescheduled_by(catalogue, "opened")
set()

A task whose step has no child of these triggers has nothing to move: the
event is only stamped on it.

>>> sorted(moved_by(catalogue, "clicked"))
['email_clicked']

A decision's children hang under one outcome each:

>>> decisions = Catalogue({
...     "condition": StepType(triggers=[
...         Trigger("condition_yes", BRANCH, outcome="yes"),
...         Trigger("condition_no", BRANCH, outcome="no"),
...     ]),
... })
>>> outcome_of(decisions, "condition_no"), waits_for_event(decisions, "condition_no")
('no', False)
>>> outcome_of(catalogue, "after_step") is None  # every parent task
True

A trigger waiting for an event its type does not declare is refused:

>>> Catalogue({"sms": StepType(triggers=[Trigger("sms_read", EVENT, "read")])})
Traceback (most recent call last):
...
ValueError: The trigger sms_read waits for the event read, which the step type \
sms does not declare.
"""

from collections import namedtuple

START = "start"
AFTER = "after"
EVENT = "event"
NEGATIVE = "negative"
BRANCH = "branch"
# The pseudo step type of the triggers that fit under any step.
ANY = "*"

# ``label``: the trigger's name in selections; ``phrases``: two whole
# sentences for the step's schedule in words, without a delay and with a
# ``%(delay)s``; ``parent_type`` is filled by the catalogue; ``outcome``: the
# outcome of the parent task a ``branch`` trigger follows.
Trigger = namedtuple(
    "Trigger",
    "key kind event label phrases parent_type outcome",
    defaults=(None, None, ("", ""), None, None),
)
# ``field``: the task column stamped with the event's first time, declared by
# the step type's file; ``implies``: the events it proves too (a click is an
# open); ``closes``: the kinds of pending children it cancels unless it wakes
# them; ``reschedules``: the "not …" and waiting children count from it;
# ``email_state``: the task's email state it leaves; ``cancel_reason``: the
# sentence of the children it cancels; ``step_type`` is filled by the
# catalogue.
Event = namedtuple(
    "Event",
    "key field implies closes reschedules email_state label icon cancel_reason "
    "step_type",
    defaults=((), (), False, None, None, "fa-circle", None, None),
)
StepType = namedtuple("StepType", "icon triggers events", defaults=(None, (), ()))


class Catalogue:
    """The triggers and events of every step type, by key."""

    def __init__(self, step_types):
        """:param step_types: ``{type key: StepType}``, ``ANY`` included"""
        self.step_types = step_types
        self.triggers = {}
        self.events = {}
        for type_key, step_type in step_types.items():
            for trigger in step_type.triggers:
                self.triggers[trigger.key] = trigger._replace(parent_type=type_key)
            for event in step_type.events:
                self.events[event.key] = event._replace(step_type=type_key)
        for trigger in self.triggers.values():
            event = self.events.get(trigger.event)
            if trigger.kind in (EVENT, NEGATIVE) and (
                not event or event.step_type != trigger.parent_type
            ):
                raise ValueError(
                    f"The trigger {trigger.key} waits for the event "
                    f"{trigger.event}, which the step type {trigger.parent_type} "
                    "does not declare."
                )

    def events_of(self, step_type):
        """The events that may happen to the tasks of ``step_type``."""
        return [event for event in self.events.values() if event.step_type == step_type]


def fits(catalogue, trigger_key, parent_type):
    """Whether a step with this trigger may hang under a parent of this type.

    ``parent_type`` is ``None`` for a root step.
    """
    trigger = catalogue.triggers[trigger_key]
    if parent_type is None:
        return trigger.kind == START
    return trigger.kind != START and trigger.parent_type in (ANY, parent_type)


def triggers_for_parent(catalogue, parent_type):
    """The triggers offered to a new child of a step of ``parent_type``."""
    return [
        t for t in catalogue.triggers.values() if fits(catalogue, t.key, parent_type)
    ]


def outcome_of(catalogue, trigger_key):
    """The outcome of the parent task a child of this trigger follows, or
    ``None`` when it follows every parent task."""
    trigger = catalogue.triggers[trigger_key]
    return trigger.outcome if trigger.kind == BRANCH else None


def events_implied(catalogue, event):
    """The event itself followed by the events it implies."""
    return (event,) + tuple(catalogue.events[event].implies)


def waits_for_event(catalogue, trigger_key):
    """Tasks of these triggers are created waiting, with no due time."""
    return catalogue.triggers[trigger_key].kind == EVENT


def woken_by(catalogue, event):
    """Triggers of the waiting children that ``event`` makes due."""
    return {
        t.key
        for t in catalogue.triggers.values()
        if t.kind == EVENT and t.event == event
    }


def cancelled_by(catalogue, event):
    """Triggers of the pending children that ``event`` cancels (those of
    ``disproved_by`` only when it happens before they are due)."""
    event = catalogue.events[event]
    return {
        t.key
        for t in catalogue.triggers.values()
        if t.parent_type in (ANY, event.step_type)
        and (
            (t.kind == NEGATIVE and t.event == event.key)
            or (t.kind in event.closes and t.event != event.key)
        )
    }


def disproved_by(catalogue, event):
    """Triggers of the "not …" children that ``event`` proves wrong.

    A "not opened within 2 days" child due at D holds once D is reached: an
    open at D or later no longer cancels it, even when the scheduler has not
    run it yet, so that the branch taken never depends on the scheduler's
    latency.
    """
    return {
        t.key
        for t in catalogue.triggers.values()
        if t.kind == NEGATIVE and t.event == event
    }


def rescheduled_by(catalogue, event):
    """Triggers of the pending children whose time counts from ``event``: the
    due time of the "not …" ones, the expiry of the waiting ones."""
    event = catalogue.events[event]
    if not event.reschedules:
        return set()
    return {
        t.key
        for t in catalogue.triggers.values()
        if t.kind in (EVENT, NEGATIVE) and t.parent_type == event.step_type
    }


def moved_by(catalogue, event):
    """Triggers of the children ``event`` may move: woken, cancelled or
    rescheduled."""
    return (
        woken_by(catalogue, event)
        | cancelled_by(catalogue, event)
        | rescheduled_by(catalogue, event)
    )
