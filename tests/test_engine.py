# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import doctest
import importlib
import pkgutil

from odoo.tests import BaseCase, TransactionCase, tagged

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


@tagged("post_install", "-at_install")
class TestStepCatalogue(TransactionCase):
    """The catalogue the installed step types declare holds together."""

    def test_every_event_has_its_column_label_and_icon(self):
        Step = self.env["automation.flow.step"]
        catalogue = Step._step_catalogue()
        step_types = dict(Step._fields["step_type"]._description_selection(self.env))
        Task = self.env["automation.flow.task"]
        for event in catalogue.events.values():
            with self.subTest(event=event.key):
                self.assertIn(event.step_type, step_types)
                self.assertEqual(Task._fields[event.field].type, "datetime")
                self.assertTrue(event.label and event.icon)
        for trigger in catalogue.triggers.values():
            with self.subTest(trigger=trigger.key):
                self.assertTrue(trigger.label)
                self.assertEqual(len(trigger.phrases), 2)
                self.assertIn("%(delay)s", trigger.phrases[1])
        self.assertEqual(set(step_types), set(catalogue.step_types) - {triggers.ANY})
