# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, tagged

from ..models.automation_flow_step_webhook import ALLOWED_NETWORKS_PARAM
from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user
from .test_step_webhook import allow_this_server, start_receiver

PUBLIC_ONLY = "only call public addresses"


@tagged("post_install", "-at_install")
class TestWebhookAddresses(AutomationFlowCase):
    """A flow manager cannot make the server call itself, its private network
    or the cloud's metadata service, and read the answer on the task: only
    an administrator lets webhooks call an internal network."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = start_receiver(cls)
        cls.manager = new_flow_user(cls.env, "address_manager", AUTOMATION_MANAGER)
        cls.flow = cls.create_flow(
            name="Address flow",
            user_id=cls.manager.id,
            domain=repr([("id", "=", cls.partners[0].id)]),
        )

    def add_webhook(self, url):
        # As RPC does, as a manager without Settings: only required values.
        return (
            self.env["automation.flow.step"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Call",
                    "flow_id": self.flow.id,
                    "step_type": "webhook",
                    "webhook_url": url,
                }
            )
        )

    def test_internal_addresses_are_refused_when_saved(self):
        for url in (
            "http://127.0.0.1:8069/web/database/list",
            "http://localhost:5432/",
            "http://api.localhost/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://0.0.0.0:8069/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/hook",
            "http://192.168.1.1/",
        ):
            with (
                self.subTest(url=url),
                self.assertRefused(ValidationError, PUBLIC_ONLY),
            ):
                self.add_webhook(url)
        step = self.add_webhook("https://hooks.example.com/odoo")
        with self.assertRefused(ValidationError, ALLOWED_NETWORKS_PARAM):
            step.with_user(self.manager).webhook_url = "http://127.0.0.1/hook"
        self.assertEqual(step.webhook_url, "https://hooks.example.com/odoo")
        self.add_webhook("http://93.184.216.34/hook")

    def test_only_an_administrator_allows_a_network(self):
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(self.manager).set_param(
                ALLOWED_NETWORKS_PARAM, "10.0.0.0/8"
            )
        with self.assertRefused(ValidationError, "intranet is neither"):
            self.env["ir.config_parameter"].set_param(
                ALLOWED_NETWORKS_PARAM, "10.0.0.0/8, intranet"
            )
        self.env["ir.config_parameter"].set_param(
            ALLOWED_NETWORKS_PARAM, "10.0.0.0/8, fd00::/8"
        )
        self.add_webhook("http://10.0.0.5/hook")
        self.add_webhook("http://[fd00::5]/hook")
        with self.assertRefused(ValidationError, PUBLIC_ONLY):
            self.add_webhook("http://192.168.1.1/hook")

    def test_a_name_of_this_server_is_not_called(self):
        """A name is checked on what it resolves to when the call is made:
        here ``localhost``, allowed when the step was saved, no longer when
        it runs. Nothing reaches the receiver; the task waits in error with
        what to do, and runs once the network is allowed again."""
        allow_this_server(self.env)
        step = self.add_webhook(
            f"http://localhost:{self.server.server_address[1]}/hook"
        )
        self.start(self.flow)
        self.env["ir.config_parameter"].set_param(ALLOWED_NETWORKS_PARAM, False)
        with freeze_time(NOW):
            self.flow._enroll()
            self.run_due()
        task = self.tasks_of(step)
        self.assertEqual(task.state, "error")
        self.assertIn("Not called: localhost is", task.error_message)
        self.assertIn(PUBLIC_ONLY, task.error_message)
        self.assertEqual(self.server.received, [])
        allow_this_server(self.env)
        with freeze_time(NOW):
            task.with_user(self.manager).action_retry()
            self.run_due()
        self.assertEqual(task.state, "done")
        self.assertEqual(len(self.server.received), 1)
