"""The trigger catalogue: when a child task is created, due, or cancelled.

Each trigger belongs to a *kind*:

* ``start``: a root step, due at enrollment + delay;
* ``after``: due when its parent task is done + delay;
* ``event``: created waiting with its parent, woken by ``event`` (due at event
  time + delay), expired when its expiry passes;
* ``negative``: created scheduled at parent time + delay, cancelled if
  ``event`` happens first.

>>> TRIGGERS["email_not_opened"].kind, TRIGGERS["email_not_opened"].event
('negative', 'opened')
>>> sorted(t.key for t in triggers_for_parent("activity"))
['activity_cancelled', 'activity_done', 'activity_not_done', 'after_step']
>>> sorted(t.key for t in triggers_for_parent(None))
['start']
>>> fits("email_opened", "activity")
False
>>> fits("after_step", "action")
True
>>> events_implied("clicked")
('clicked', 'opened')

When a parent task gets an event, its pending children move:

>>> sorted(woken_by("opened"))
['email_opened']
>>> sorted(cancelled_by("opened"))
['email_not_opened']
>>> sorted(cancelled_by("bounced"))  # nothing else can happen to that email
['email_clicked', 'email_not_clicked', 'email_not_opened', 'email_not_replied', \
'email_opened', 'email_replied']
>>> sorted(cancelled_by("activity_cancelled"))  # "not done" still holds
['activity_done']
>>> sorted(cancelled_by("activity_done"))
['activity_cancelled', 'activity_not_done']
>>> "after_step" in cancelled_by("failed")  # the step did not happen
True
>>> sorted(disproved_by("opened"))  # only if it happens before they are due
['email_not_opened']
>>> disproved_by("bounced")
set()

The children of an email count from the moment it left: the send moves the
due time of the "not …" ones and the expiry of the waiting ones, so that an
"opened within 2 days" and a "not opened within 2 days" share their deadline.

>>> sorted(rescheduled_by("sent"))
['email_bounced', 'email_clicked', 'email_not_clicked', 'email_not_opened', \
'email_not_replied', 'email_opened', 'email_replied']
>>> rescheduled_by("opened")
set()
"""

from collections import namedtuple

Trigger = namedtuple("Trigger", "key kind parent_type event")

START = "start"
AFTER = "after"
EVENT = "event"
NEGATIVE = "negative"

TRIGGERS = {
    trigger.key: trigger
    for trigger in (
        Trigger("start", START, None, None),
        Trigger("after_step", AFTER, "*", None),
        Trigger("email_opened", EVENT, "email", "opened"),
        Trigger("email_not_opened", NEGATIVE, "email", "opened"),
        Trigger("email_clicked", EVENT, "email", "clicked"),
        Trigger("email_not_clicked", NEGATIVE, "email", "clicked"),
        Trigger("email_replied", EVENT, "email", "replied"),
        Trigger("email_not_replied", NEGATIVE, "email", "replied"),
        Trigger("email_bounced", EVENT, "email", "bounced"),
        Trigger("activity_done", EVENT, "activity", "activity_done"),
        Trigger("activity_cancelled", EVENT, "activity", "activity_cancelled"),
        Trigger("activity_not_done", NEGATIVE, "activity", "activity_done"),
    )
}

# A click or a reply proves the email was opened.
IMPLIED_EVENTS = {"clicked": ("opened",), "replied": ("opened",)}

# Events after which their parent can produce no other event: its pending
# children of these kinds are cancelled, unless this very event wakes them.
# A bounce or a refused email is never opened, clicked or replied; a failed
# email did not happen at all, so nothing follows it until it is retried.
CLOSING_EVENTS = {
    "bounced": (EVENT, NEGATIVE),
    "failed": (AFTER, EVENT, NEGATIVE),
    "activity_done": (EVENT,),
    "activity_cancelled": (EVENT,),
}

# The type of step each event happens to. "sent" and "failed" wake no
# trigger: they tell whether the email left.
EVENT_STEP_TYPES = dict(
    {t.event: t.parent_type for t in TRIGGERS.values() if t.event},
    sent="email",
    failed="email",
)

# The children of an email count from the moment it left, not from when it
# was queued: the send moves the due time of the "not …" children and the
# expiry of the waiting ones.
RESCHEDULING_EVENTS = ("sent",)


def fits(trigger_key, parent_type):
    """Whether a step with this trigger may hang under a parent of this type.

    ``parent_type`` is ``None`` for a root step.
    """
    trigger = TRIGGERS[trigger_key]
    if parent_type is None:
        return trigger.kind == START
    return trigger.parent_type in ("*", parent_type)


def triggers_for_parent(parent_type):
    """The triggers offered to a new child of a step of ``parent_type``."""
    return [trigger for trigger in TRIGGERS.values() if fits(trigger.key, parent_type)]


def events_implied(event):
    """The event itself followed by the events it implies."""
    return (event,) + IMPLIED_EVENTS.get(event, ())


def waits_for_event(trigger_key):
    """Tasks of these triggers are created waiting, with no due time."""
    return TRIGGERS[trigger_key].kind == EVENT


def woken_by(event):
    """Triggers of the waiting children that ``event`` makes due."""
    return {t.key for t in TRIGGERS.values() if t.kind == EVENT and t.event == event}


def cancelled_by(event):
    """Triggers of the pending children that ``event`` cancels (those of
    ``disproved_by`` only when it happens before they are due)."""
    closed_kinds = CLOSING_EVENTS.get(event, ())
    return {
        t.key
        for t in TRIGGERS.values()
        if t.parent_type in ("*", EVENT_STEP_TYPES[event])
        and (
            (t.kind == NEGATIVE and t.event == event)
            or (t.kind in closed_kinds and t.event != event)
        )
    }


def disproved_by(event):
    """Triggers of the "not …" children that ``event`` proves wrong.

    A "not opened within 2 days" child due at D holds once D is reached: an
    open at D or later no longer cancels it, even when the scheduler has not
    run it yet, so that the branch taken never depends on the scheduler's
    latency.
    """
    return {t.key for t in TRIGGERS.values() if t.kind == NEGATIVE and t.event == event}


def rescheduled_by(event):
    """Triggers of the pending children whose time counts from ``event``: the
    due time of the "not …" ones, the expiry of the waiting ones."""
    if event not in RESCHEDULING_EVENTS:
        return set()
    return {
        t.key
        for t in TRIGGERS.values()
        if t.kind in (EVENT, NEGATIVE) and t.parent_type == EVENT_STEP_TYPES[event]
    }
