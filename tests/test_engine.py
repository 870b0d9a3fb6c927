# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import doctest

from odoo.tests import BaseCase, tagged

from ..engine import schedule, states, triggers


@tagged("post_install", "-at_install")
class TestEngineDoctests(BaseCase):
    """The pure engine documents itself with examples; they must hold."""

    def test_doctests(self):
        for module in (schedule, states, triggers):
            with self.subTest(module=module.__name__):
                result = doctest.testmod(module)
                self.assertGreater(result.attempted, 0)
                self.assertEqual(result.failed, 0)

    def test_waiting_and_negative_triggers_name_their_event(self):
        for trigger in triggers.TRIGGERS.values():
            if trigger.kind in (triggers.EVENT, triggers.NEGATIVE):
                self.assertTrue(trigger.event, trigger.key)
                self.assertIn(trigger.parent_type, ("email", "activity"))
