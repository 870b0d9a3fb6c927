# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import HttpCase, tagged
from odoo.tools import hmac

from ..models.automation_flow_task import LEGACY_TOKEN_DAYS, TRACKING_TOKEN_SCOPE
from .common import HOUR, NOW, OFFER_URL, AutomationFlowEventCase

# User agents Odoo's short-link route takes for bots (ir.http.is_a_bot).
LINK_SCANNER = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
PREVIEW_FETCHER = "facebookexternalhit/1.1"


@tagged("post_install", "-at_install")
class TestTrackingTrust(AutomationFlowEventCase, HttpCase):
    """What the tracking routes refuse to count: bots, and signatures that
    were not made by this database for this task."""

    def setUp(self):
        super().setUp()
        self.tasks = self.queue_emails()
        self.task = self.tasks[0]
        self.pixel, self.links = self.tracking_paths(self.task)
        self.send_emails(self.tasks)

    def clicks(self):
        return self.env["link.tracker.click"].search(
            [("automation_flow_task_id", "in", self.tasks.ids)]
        )

    def assertNothingRecorded(self, task):
        self.assertFalse(task.opened_at)
        self.assertFalse(task.clicked_at)
        self.assertFalse(self.clicks())
        self.assertFalse(self.env["automation.flow.deferred.move"].sudo().search([]))
        self.assertChildren(
            task,
            {
                "email_opened": "waiting",
                "email_clicked": "waiting",
                "email_not_opened": "scheduled",
            },
        )

    def test_bots_count_no_click_and_no_open(self):
        response = self.open_path(self.links[0], user_agent=LINK_SCANNER)
        self.assertEqual(response.status_code, 302, "the bot still gets the page")
        self.assertEqual(response.headers["Location"], OFFER_URL)
        response = self.open_path(self.pixel, user_agent=PREVIEW_FETCHER)
        self.assertEqual(response.status_code, 200, "the bot still gets the image")
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertNothingRecorded(self.task)

        # The person's own click, with a browser, counts.
        browser = (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        )
        self.open_path(self.links[0], at=NOW + 2 * HOUR, user_agent=browser)
        self.assertEqual(len(self.clicks()), 1)
        self.assertEqual(self.task.clicked_at, NOW + 2 * HOUR)

    def test_token_of_a_copied_database(self):
        """A copy of the database gets a new uuid (Odoo's duplicate and
        restore-as-copy do): the emails of the original count nothing there."""
        self.env["ir.config_parameter"].set_param(
            "database.uuid", "0b6c5a1e-0000-4000-8000-copy-of-the-db"
        )
        self.assertEqual(self.open_path(self.pixel).status_code, 200)
        self.assertEqual(self.open_path(self.links[0]).status_code, 302)
        self.assertNothingRecorded(self.task)

    def test_token_signed_with_another_database_uuid(self):
        Task = self.env["automation.flow.task"]
        token = hmac(
            self.env(su=True), TRACKING_TOKEN_SCOPE, ("other-uuid", self.task.id)
        )
        self.assertNotEqual(token, Task._tracking_token(self.task.id))
        self.open_path(f"/automation_flow/open/{self.task.id}/{token}/blank.gif")
        self.assertNothingRecorded(self.task)

    def test_legacy_token_within_its_window(self):
        """Emails sent before tokens named the database keep counting for
        ``LEGACY_TOKEN_DAYS`` days after they were sent, not later."""
        Task = self.env["automation.flow.task"]
        ann, bob = self.tasks
        ann_token = Task._legacy_tracking_token(ann.id)
        self.assertNotEqual(ann_token, Task._tracking_token(ann.id))
        response = self.open_path(
            f"/automation_flow/open/{ann.id}/{ann_token}/blank.gif", at=NOW + HOUR
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(ann.opened_at, NOW + HOUR)
        self.run_scheduler(NOW + HOUR)
        self.assertChildren(ann, {"email_opened": ("scheduled", NOW + 2 * HOUR)})

        code = self.links[0].split("/")[2]
        late = NOW + timedelta(days=LEGACY_TOKEN_DAYS, hours=1)
        bob_token = Task._legacy_tracking_token(bob.id)
        self.open_path(f"/r/{code}/af/{bob.id}/{bob_token}", at=late)
        self.open_path(f"/automation_flow/open/{bob.id}/{bob_token}/blank.gif", at=late)
        self.assertFalse(bob.opened_at, "too late for a legacy token")
        self.assertFalse(bob.clicked_at)
        self.assertFalse(self.clicks())
