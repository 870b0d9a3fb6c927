# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged
from odoo.tools import hmac

from ..models.automation_flow_consent import UNSUBSCRIBE_TOKEN_SCOPE
from ..models.automation_flow_task import TRACKING_TOKEN_SCOPE
from .common import HOUR, MINUTE, NOW, OFFER_URL, AutomationFlowEventCase


@tagged("post_install", "-at_install")
class TestEmailTracking(AutomationFlowEventCase, HttpCase):
    """Opens and clicks arrive as real HTTP requests on the public routes."""

    def setUp(self):
        super().setUp()
        self.tasks = self.queue_emails()
        self.task = self.tasks[0]
        self.pixel, self.links = self.tracking_paths(self.task)
        self.other_links = self.tracking_paths(self.tasks[1])[1]
        self.send_emails(self.tasks)

    def test_tokens_signed_with_the_key_read_once_are_odoos_hmac(self):
        """A batch signs its links with the database's secret read once
        (``engine/signing.py``): the signatures ``tools.hmac`` makes."""
        Task = self.env["automation.flow.task"]
        env = self.env(su=True)
        database = env["ir.config_parameter"].get_param("database.uuid")
        key = Task._signing_key()
        for task in self.tasks:
            self.assertEqual(
                Task._tracking_token(task.id, key),
                hmac(env, TRACKING_TOKEN_SCOPE, (database, task.id)),
            )
            self.assertEqual(
                Task._unsubscribe_token(task.id, 7, "ann@example.com", key),
                hmac(
                    env,
                    UNSUBSCRIBE_TOKEN_SCOPE,
                    (database, task.id, 7, "ann@example.com"),
                ),
            )
        self.assertEqual(
            Task._tracking_token(self.task.id), Task._tracking_token(self.task.id, key)
        )

    def test_sent_email_carries_pixel_and_tracked_links(self):
        task = self.task
        token = self.env["automation.flow.task"]._tracking_token(task.id)
        self.assertEqual(
            self.pixel, f"/automation_flow/open/{task.id}/{token}/blank.gif"
        )
        self.assertEqual(len(self.links), 2, "both web links are tracked")
        for link in self.links:
            self.assertRegex(link, rf"^/r/\w+/af/{task.id}/{token}$")
        # One link tracker per distinct link, shared by the emails of the batch.
        trackers = self.env["link.tracker"].search(
            [("url", "in", [OFFER_URL, "https://shop.example.com/terms"])]
        )
        self.assertEqual(len(trackers), 2)
        self.assertNotEqual(self.other_links, self.links, "each email signs its task")
        # The copy on the contact's chatter keeps the plain links.
        message = self.env["mail.message"].search(
            [("message_id", "=", task.email_message_id)]
        )
        self.assertIn(OFFER_URL.replace("&", "&amp;"), message.body)
        self.assertNotIn("blank.gif", message.body)
        self.assertEqual(task.email_state, "sent")
        self.assertEqual(task.sent_at, NOW)

    def test_open(self):
        response = self.open_path(self.pixel)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertEqual(self.task.opened_at, NOW + HOUR)
        # The children move at the scheduler's next run, as of the open.
        self.assertEqual(self.deferred_moves(), [(self.task.id, "opened", NOW + HOUR)])
        self.assertChildren(
            self.task, {"email_opened": "waiting", "email_not_opened": "scheduled"}
        )
        self.run_scheduler(NOW + HOUR + 5 * MINUTE)
        self.assertEqual(self.deferred_moves(), [])
        self.assertChildren(
            self.task,
            {
                "email_opened": ("scheduled", NOW + 2 * HOUR),
                "email_not_opened": "cancelled",
                "email_clicked": "waiting",
                "email_not_clicked": ("scheduled", NOW + 3 * HOUR),
                "email_replied": "waiting",
                "email_not_replied": "scheduled",
            },
        )
        self.assertChildren(self.tasks[1], {"email_opened": "waiting"})
        cron = self.env.ref("automation_flow.cron_process_due_tasks")
        self.assertTrue(
            self.env["ir.cron.trigger"].search_count(
                [("cron_id", "=", cron.id), ("call_at", "=", NOW + 2 * HOUR)]
            ),
            "the scheduler is called when the woken step falls due",
        )

        # A second open counts nothing more: the first time stays.
        self.open_path(self.pixel, at=NOW + 90 * MINUTE)
        self.assertEqual(self.task.opened_at, NOW + HOUR)
        self.assertEqual(self.deferred_moves(), [], "nothing more to move")
        self.assertChildren(self.task, {"email_opened": ("scheduled", NOW + 2 * HOUR)})

        # The woken step runs when due.
        self.run_scheduler(NOW + 2 * HOUR)
        self.assertChildren(self.task, {"email_opened": "done"})
        self.assertEqual(self.partners[0].ref, "followed up")

    def test_open_in_time_moved_after_the_deadline(self):
        """The open came before the "not opened" child was due, the scheduler
        runs after: the children move as of the open before any is taken, so
        the "opened" branch runs and the "not opened" one does not."""
        self.open_path(self.pixel, at=NOW + 2 * HOUR)
        self.run_scheduler(NOW + 4 * HOUR)
        self.assertChildren(
            self.task, {"email_opened": "done", "email_not_opened": "cancelled"}
        )
        self.assertEqual(self.child(self.task, "email_opened").done_at, NOW + 4 * HOUR)
        self.assertChildren(
            self.tasks[1], {"email_opened": "waiting", "email_not_opened": "done"}
        )

    def test_open_in_time_moved_after_the_expiry(self):
        """An open before the "opened" child's expiry wakes it, however late
        the scheduler runs; one after it does not."""
        self.open_path(self.pixel, at=NOW + 47 * HOUR)
        self.open_path(self.pixel_of(self.tasks[1]), at=NOW + 49 * HOUR)
        self.run_scheduler(NOW + 50 * HOUR)
        self.assertChildren(self.task, {"email_opened": "done"})
        self.assertChildren(self.tasks[1], {"email_opened": "expired"})

    def test_deferred_move_failure_spares_the_others(self):
        """A move that fails (here an event no step type knows any more) is
        logged and dropped; the other opens' children move."""
        self.open_path(self.pixel)
        self.env.cr.execute(
            """INSERT INTO automation_flow_deferred_move (task_id, event, at)
               VALUES (%s, 'no_such_event', %s)""",
            [self.tasks[1].id, NOW + HOUR],
        )
        with self.assertLogs(
            "odoo.addons.automation_flow.models.automation_flow_deferred_move",
            "WARNING",
        ) as logs:
            self.run_scheduler(NOW + 2 * HOUR)
        self.assertIn(
            f"Could not move the children of tasks [{self.tasks[1].id}]", logs.output[0]
        )
        self.assertEqual(self.deferred_moves(), [])
        self.assertChildren(self.task, {"email_opened": "done"})
        self.assertChildren(self.tasks[1], {"email_opened": "waiting"})

    def pixel_of(self, task):
        token = self.env["automation.flow.task"]._tracking_token(task.id)
        return f"/automation_flow/open/{task.id}/{token}/blank.gif"

    def deferred_moves(self):
        self.env.cr.execute(
            "SELECT task_id, event, at FROM automation_flow_deferred_move ORDER BY id"
        )
        return self.env.cr.fetchall()

    def test_open_creates_no_session(self):
        """The open route neither needs nor creates a session."""
        response = self.open_path(self.pixel)
        self.assertNotIn("session_id", response.headers.get("Set-Cookie", ""))
        self.assertEqual(self.task.opened_at, NOW + HOUR)

    def test_open_signed_in(self):
        """A person signed in to Odoo in the same browser opens the email:
        it counts, as the public user's open."""
        self.authenticate("admin", "admin")
        response = self.open_path(self.pixel)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.task.opened_at, NOW + HOUR)
        self.run_scheduler(NOW + HOUR)
        self.assertChildren(self.task, {"email_opened": ("scheduled", NOW + 2 * HOUR)})

    def test_open_forged_token(self):
        forged = self.pixel.replace("/blank.gif", "0/blank.gif")
        response = self.open_path(forged)
        self.assertEqual(response.status_code, 200, "the image is served anyway")
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        other_task_pixel = self.pixel.replace(
            f"/{self.task.id}/", f"/{self.tasks[1].id}/"
        )
        self.assertEqual(self.open_path(other_task_pixel).status_code, 200)
        self.assertEqual(self.tasks.mapped("opened_at"), [False, False])
        self.assertChildren(self.task, {"email_opened": "waiting"})

    def test_open_unknown_task(self):
        Task = self.env["automation.flow.task"]
        unknown_id = Task.search([], order="id desc", limit=1).id + 1000
        token = Task._tracking_token(unknown_id)
        response = self.open_path(
            f"/automation_flow/open/{unknown_id}/{token}/blank.gif"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.tasks.mapped("opened_at"), [False, False])

    def test_click(self):
        response = self.open_path(self.links[0])
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], OFFER_URL)
        click = self.env["link.tracker.click"].search(
            [("automation_flow_task_id", "=", self.task.id)]
        )
        self.assertEqual(len(click), 1)
        self.assertEqual(click.link_id.url, OFFER_URL)
        self.assertEqual(self.task.clicked_at, NOW + HOUR)
        self.assertEqual(self.task.opened_at, NOW + HOUR, "a click implies an open")
        self.assertChildren(
            self.task,
            {
                "email_clicked": ("scheduled", NOW + 2 * HOUR),
                "email_opened": ("scheduled", NOW + 2 * HOUR),
                "email_not_clicked": "cancelled",
                "email_not_opened": "cancelled",
                "email_not_replied": "scheduled",
                "email_bounced": "waiting",
            },
        )
        # Every click is recorded, the task's first click time stays.
        self.open_path(self.links[1], at=NOW + 2 * HOUR)
        self.assertEqual(len(self.task.link_click_ids), 2)
        self.assertEqual(self.task.clicked_at, NOW + HOUR)

    def test_click_forged_token(self):
        forged = self.links[0][:-1] + ("0" if self.links[0][-1] != "0" else "1")
        response = self.open_path(forged)
        self.assertEqual(response.status_code, 302, "the visitor still gets the page")
        self.assertEqual(response.headers["Location"], OFFER_URL)
        self.assertFalse(self.task.clicked_at)
        self.assertFalse(self.task.opened_at)
        self.assertFalse(
            self.env["link.tracker.click"].search_count(
                [("automation_flow_task_id", "!=", False)]
            )
        )
        self.assertChildren(self.task, {"email_clicked": "waiting"})

    def test_click_unknown_task_or_link(self):
        Task = self.env["automation.flow.task"]
        unknown_id = Task.search([], order="id desc", limit=1).id + 1000
        code = self.links[0].split("/")[2]
        response = self.open_path(
            f"/r/{code}/af/{unknown_id}/{Task._tracking_token(unknown_id)}"
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], OFFER_URL)
        token = Task._tracking_token(self.task.id)
        response = self.open_path(f"/r/no-such-code/af/{self.task.id}/{token}")
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.task.clicked_at)

    def test_event_after_expiry(self):
        """A waiting step whose expiry passed is expired, not woken."""
        self.open_path(self.pixel, at=NOW + 49 * HOUR)
        self.assertEqual(self.task.opened_at, NOW + 49 * HOUR)
        self.run_scheduler(NOW + 49 * HOUR)
        self.assertChildren(self.task, {"email_opened": "expired"})

    def test_event_of_ended_flow(self):
        """The flow is done: the open is counted, nothing runs."""
        self.flow.action_done()
        self.open_path(self.pixel)
        self.assertEqual(self.task.opened_at, NOW + HOUR)
        self.assertEqual(self.email_step.email_opened_count, 1)
        self.assertEqual(set(self.task.child_ids.mapped("state")), {"cancelled"})
