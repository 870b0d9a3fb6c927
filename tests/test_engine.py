# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import doctest
import importlib
import pkgutil

from odoo.tests import BaseCase, tagged

from .. import engine
from ..engine import triggers


def engine_modules():
    """Every module of engine/, found on disk: a new one's examples run too."""
    return [
        importlib.import_module(f"{engine.__name__}.{info.name}")
        for info in pkgutil.iter_modules(engine.__path__)
    ]


@tagged("post_install", "-at_install")
class TestEngineDoctests(BaseCase):
    """The pure engine documents itself with examples; they must hold.

    Odoo 18's test loader only collects TestCase classes (no load_tests), so
    the doctests run from here, one sub-test per module of engine/."""

    def test_doctests(self):
        modules = engine_modules()
        self.assertGreaterEqual(
            {module.__name__.rpartition(".")[2] for module in modules},
            {"domains", "retry", "schedule", "states", "triggers"},
        )
        for module in modules:
            with self.subTest(module=module.__name__):
                result = doctest.testmod(module)
                self.assertGreater(result.attempted, 0, "a module without examples")
                self.assertEqual(result.failed, 0)

    def test_waiting_and_negative_triggers_name_their_event(self):
        for trigger in triggers.TRIGGERS.values():
            if trigger.kind in (triggers.EVENT, triggers.NEGATIVE):
                self.assertTrue(trigger.event, trigger.key)
                self.assertIn(trigger.parent_type, ("email", "activity"))
