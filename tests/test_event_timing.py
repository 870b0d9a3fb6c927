# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .common import HOUR, NOW, AutomationFlowEventCase

DAY = timedelta(days=1)
SENT = NOW + HOUR  # the mail queue sends an hour after the step queued it
DEADLINE = SENT + 2 * DAY


@tagged("post_install", "-at_install")
class TestEventTiming(AutomationFlowEventCase, HttpCase):
    """An "opened within 2 days" and a "not opened within 2 days" under one
    email count from the same moment, the send: whenever the email is opened
    and whenever the scheduler runs, exactly one of them runs."""

    email_children = {
        "email_opened": {"expiry": 2, "expiry_unit": "days"},
        "email_not_opened": {"delay": 2, "delay_unit": "days"},
    }

    def setUp(self):
        super().setUp()
        self.task = self.queue_emails()[0]
        self.pixel = self.tracking_paths(self.task)[0]
        self.send_emails(self.task, at=SENT)

    def assertOneBranch(self, opened_state, not_opened_state):
        # Long after every deadline, whatever the scheduler still had to do.
        self.run_scheduler(DEADLINE + DAY)
        self.assertChildren(
            self.task,
            {"email_opened": opened_state, "email_not_opened": not_opened_state},
        )
        self.assertEqual(self.partners[0].ref, "followed up", "one branch ran")

    def test_both_count_from_the_send(self):
        self.assertChildren(
            self.task,
            {"email_opened": "waiting", "email_not_opened": ("scheduled", DEADLINE)},
        )
        self.assertEqual(self.child(self.task, "email_opened").expires_at, DEADLINE)

    def test_open_before_the_deadline(self):
        """Opened at 2 days 30 minutes, the email having left an hour late."""
        self.open_path(self.pixel, at=NOW + 2 * DAY + HOUR / 2)
        self.assertOneBranch("done", "cancelled")

    def test_open_at_the_deadline(self):
        """At the deadline itself the email was not opened "within" it."""
        self.open_path(self.pixel, at=DEADLINE)
        self.assertOneBranch("expired", "done")

    def test_open_after_the_deadline_before_the_scheduler(self):
        """The scheduler is late: the "not opened" step still holds."""
        self.open_path(self.pixel, at=DEADLINE + HOUR)
        self.assertChildren(self.task, {"email_not_opened": "scheduled"})
        self.assertOneBranch("expired", "done")

    def test_open_after_the_scheduler_ran(self):
        self.run_scheduler(DEADLINE)
        self.open_path(self.pixel, at=DEADLINE + HOUR)
        self.assertOneBranch("expired", "done")

    def test_what_an_open_changes_is_read_fresh(self):
        """Values read before an open are not served from the cache after it:
        the event invalidates what its statement wrote (the stamp, the
        children's state, due time and end, the message of their reason),
        not the whole model."""
        opened = self.child(self.task, "email_opened")
        not_opened = self.child(self.task, "email_not_opened")
        # Read, and so cache, everything the open changes.
        self.assertFalse(self.task.opened_at)
        self.assertEqual(opened.state, "waiting")
        self.assertEqual(opened.scheduled_at, False)
        self.assertEqual(not_opened.state, "scheduled")
        self.assertFalse(not_opened.done_at)
        self.assertFalse(not_opened.error_message)
        at = SENT + DAY
        self.task._on_event("opened", at)
        self.assertEqual(self.task.opened_at, at)
        self.assertEqual((opened.state, opened.scheduled_at), ("scheduled", at))
        self.assertEqual(not_opened.state, "cancelled")
        self.assertTrue(not_opened.done_at)
        self.assertTrue(not_opened.error_message)
