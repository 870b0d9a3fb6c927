# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Query budgets of the engine's hot paths: the counts the benchmark relies on
(readme/DEVELOP.md, Benchmark). Each budget is per batch or per event, the
same whatever the number of records: a query per record fails here first.
``assertQueryCount`` fails above the budget and only logs below it: a change
that needs more queries on purpose raises the budget here, and says why."""

from odoo.tests import HttpCase, TransactionCase, freeze_time, tagged, warmup

from .common import HOUR, NOW, AutomationFlowCase, AutomationFlowEventCase

# One enrollment batch of a flow with three root steps: one SELECT of the
# candidates (the flow's domain and the "not enrolled yet" check in one
# statement), one INSERT ... SELECT of the enrollments (the same checks on
# the batch's records, by primary key) that also inserts the tasks of the
# root steps, whatever their number (one INSERT per root step before: 6),
# and the flow's date of last enrollment.
ENROLL_BUDGET = 3
# One scheduler batch running an email, an activity and a server action step,
# the check that its tasks belong together and the progress reported to the
# cron included, and the wait-until part of the run (the sweep's select and
# the timeout's update, once per run), the recovery of interrupted webhook
# calls (its select, once per run) and the moves the opens since the last
# run left (their select, once per run: none here). The consent of the
# email's marketing flow adds 2: the read of the recipients' addresses
# before the body is rendered and the check of the batch's addresses
# against the blacklist and the opt-outs (tests/test_contact_caps.py: the
# caps add 1 more, when set).
# 59 before the steps' results were written with the tasks' end (one UPDATE
# less per step) and the activities inserted whole (no UPDATE after them).
EXECUTE_BUDGET = 57
# Opening the email (the tracking pixel), first time and again: one
# statement that stamps the open and, the first time, adds the row that
# leaves the move of the children to the scheduler (4 when the request moved
# them: the move, and the scheduler's trigger its first open added). The
# route is ``auth="none"``: no public user lookup, no savepoint (the open is
# the transaction's only change). A forged token or a bot costs nothing of
# the module's.
OPEN_BUDGET = 1
REOPEN_BUDGET = 1
IGNORED_OPEN_BUDGET = 0
# The scheduler moving the children of the opens since its last run: the
# rows' SELECT and DELETE, and per second in which opens happened the move
# in its savepoint (3), whatever the number of opens in that second; the
# scheduler's trigger for the earliest child woken adds 2 (Odoo's
# ``_trigger``), once.
DEFERRED_MOVE_BUDGET = 2 + 3 + 2
# A reply through the mail gateway: Odoo's routing and message_post, plus the
# lookup of the task by Message-Id, the event's UPDATEs and their savepoint.
REPLY_BUDGET = 44


@tagged("post_install", "-at_install")
class TestQueryBudgetEngine(AutomationFlowCase):
    def flow_on(self, partners):
        flow = self.create_flow(domain=repr([("id", "in", partners.ids)]))
        self.add_step(flow, "email")
        self.add_step(flow, "activity")
        self.add_step(flow, "action")
        return self.start(flow)

    @warmup
    def test_enroll_one_batch(self):
        for size in (2, 6):
            flow = self.flow_on(self.partners[:size])
            with self.subTest(records=size), self.assertQueryCount(ENROLL_BUDGET):
                flow._enroll()
            self.assertEqual(len(flow.enrollment_ids), size)

    @warmup
    def test_enroll_again_one_batch(self):
        """Enrolling again after the previous journeys ended costs the same:
        the policy is a condition of the same statement."""
        for size in (2, 6):
            flow = self.flow_on(self.partners[:size])
            flow.reenroll_policy = "after_end"
            flow._enroll()
            self.run_due()
            # Warm the caches the scheduler's run emptied, enrolling nobody.
            flow._enroll(res_ids=[])
            flow.step_ids.mapped("parent_id")
            self.env.flush_all()
            with self.subTest(records=size), self.assertQueryCount(ENROLL_BUDGET):
                flow._enroll()
            self.assertEqual(len(flow.enrollment_ids), 2 * size)

    def test_an_event_is_one_statement(self):
        """An open is one statement, whether the email's step has a child it
        concerns or not: the stamp, the move of the children and the
        scheduler's next run together."""
        flow = self.flow_on(self.partners[:2])
        email_step = flow.step_ids.filtered(lambda step: step.step_type == "email")
        flow._enroll()
        self.run_due()
        alone, followed = self.tasks_of(email_step)
        self.env["automation.flow.step"]._step_catalogue()
        self.env.flush_all()
        with self.assertQueryCount(1):
            alone._on_event("opened")
        self.assertTrue(alone.opened_at)
        self.add_step(flow, parent=email_step, trigger="email_opened")
        self.env.flush_all()
        with self.assertQueryCount(1):
            followed._on_event("opened")
        self.assertTrue(followed.opened_at)

    @warmup
    def test_execute_one_batch(self):
        # The budget is a batch's. A task pending elsewhere (the demo flow's
        # call due tomorrow) adds the trigger of the scheduler's next run
        # for it (`_schedule_next_run`), one query whatever the batch.
        self.env.cr.execute(
            "UPDATE automation_flow_task SET state = 'cancelled'"
            " WHERE state IN ('scheduled', 'waiting')"
        )
        for size in (2, 6):
            flow = self.flow_on(self.partners[:size])
            flow._enroll()
            with self.subTest(records=size), self.assertQueryCount(EXECUTE_BUDGET):
                self.run_due()
            for step in flow.step_ids:
                self.assertTasks(step, self.partners[:size], "done")


@tagged("post_install", "-at_install")
class TestQueryBudgetOpen(AutomationFlowEventCase, HttpCase):
    @warmup
    def test_open(self):
        tasks = self.queue_emails()
        pixel = self.tracking_paths(tasks[0])[0]
        self.send_emails(tasks)
        for budget, at in ((OPEN_BUDGET, NOW + HOUR), (REOPEN_BUDGET, NOW + 2 * HOUR)):
            with freeze_time(at), self.assertQueryCount(budget):
                response = self.url_open(pixel)
            self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(tasks[0].opened_at, NOW + HOUR, "the first open counts")

    @warmup
    def test_deferred_moves(self):
        tasks = self.queue_emails()
        pixels = [self.tracking_paths(task)[0] for task in tasks]
        self.send_emails(tasks)
        for pixel in pixels:
            self.open_path(pixel)
        with freeze_time(NOW + HOUR), self.assertQueryCount(DEFERRED_MOVE_BUDGET):
            moved = self.env["automation.flow.deferred.move"]._move_children(100)
        self.assertEqual(moved, len(tasks))
        for task in tasks:
            self.assertChildren(task, {"email_opened": ("scheduled", NOW + 2 * HOUR)})

    @warmup
    def test_ignored_open(self):
        """A forged token and a bot's request cost none of the module's
        queries, and still get the image."""
        tasks = self.queue_emails()
        pixel = self.tracking_paths(tasks[0])[0]
        self.send_emails(tasks)
        forged = pixel.replace("/blank.gif", "0/blank.gif")
        for path, user_agent in ((forged, None), (pixel, "facebookexternalhit/1.1")):
            headers = {"User-Agent": user_agent} if user_agent else None
            with (
                self.subTest(path=path, user_agent=user_agent),
                freeze_time(NOW + HOUR),
                self.assertQueryCount(IGNORED_OPEN_BUDGET),
            ):
                response = self.url_open(path, headers=headers)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.env.invalidate_all()
        self.assertFalse(tasks[0].opened_at)


@tagged("post_install", "-at_install")
class TestQueryBudgetReply(AutomationFlowEventCase, TransactionCase):
    @warmup
    def test_reply(self):
        tasks = self.queue_emails()
        self.send_emails(tasks)
        with self.assertQueryCount(REPLY_BUDGET):
            self.reply(tasks[0], at=NOW + HOUR)
        self.assertEqual(tasks[0].replied_at, NOW + HOUR)
