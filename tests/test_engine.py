# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import doctest
import importlib
import pkgutil
from unittest.mock import patch

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

    def test_built_once_per_registry_and_language(self):
        """The catalogue is built once per language and the event statement
        once per event, kept in the registry's cache: an open translates no
        label and composes no SQL. Emptying the cache (what a module install
        or update does) builds them again."""
        self.env["res.lang"]._activate_lang("es_ES")
        Step = type(self.env["automation.flow.step"])
        Task = self.env["automation.flow.task"].with_context(lang="en_US")
        original = Step._get_step_types
        built = []

        def counted(step):
            built.append(step.env.lang)
            return original(step)

        self.env.registry.clear_cache()
        # The catalogues built with the counted hook are not kept.
        self.addCleanup(self.env.registry.clear_cache)
        with patch.object(Step, "_get_step_types", counted):
            english = Task.env["automation.flow.step"]
            spanish = Task.with_context(lang="es_ES").env["automation.flow.step"]
            catalogue = english._step_catalogue()
            self.assertIs(english._step_catalogue(), catalogue)
            self.assertEqual(
                spanish._step_catalogue().triggers["start"].label, "En la inscripción"
            )
            self.assertEqual(catalogue.triggers["start"].label, "At enrollment")
            self.assertEqual(built, ["en_US", "es_ES"])
            (statement, moves, field), *implied = Task._event_statements("opened")
            self.assertTrue(moves)
            self.assertEqual(field, "opened_at")
            self.assertFalse(implied, "an open implies no other event")
            for placeholder in ("%(ids)s", "%(at)s", "%(now)s"):
                self.assertIn(placeholder, statement)
            self.assertIs(
                Task.with_context(lang="es_ES")._event_statements("opened")[0][0],
                statement,
                "one statement for every language",
            )
            self.assertEqual(built, ["en_US", "es_ES"], "nothing built again")
            self.env.registry.clear_cache()
            english._step_catalogue()
            self.assertEqual(built, ["en_US", "es_ES", "en_US"])
