# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How flows react to writes and deletions of the records they run on.

How it works: like ``base_automation``, ``_register_hook`` patches, once, the
``unlink`` of every model a flow that is not done runs on, and the ``write``
of the models whose steps count from one of their dates ("5 minutes before
the meeting") or wait until their records match a domain ("invoice paid"):

- ``unlink`` ends the records' enrollments and cancels their pending tasks
  (one statement per call), so a record whose tasks wait for an event does
  not stay running for ever;
- ``write`` of a date a step counts from moves the scheduled tasks of that
  step for those records, earlier or later (one statement per step and
  call). A write of any other field costs nothing: the patch only compares
  the written field names with the anchored ones.

Changing flows or steps refreshes the patches (``_update_record_hooks``) only
when the set of patched models or anchored fields changes; the registry is
then invalidated so that the other workers reload it, as base_automation
does. base_automation's ``_unregister_hook`` removes every patched
``write``/``unlink``, ours included: ``base.automation._update_registry``
puts ours back (see ``base_automation.py``).
"""

from odoo import api, models

from ..engine import states

# Marks the functions this module patches into models.
PATCH_MARK = "_automation_flow_patch"
PATCHED_METHODS = ("write", "unlink")


# Why a field is watched: a step counts from that date (step id), a
# wait-until's domain reads it (step id), a flow's goal reads it (flow id).
ANCHOR = "anchor"
WAIT = "wait"
GOAL = "goal"


def _make_write(watched):
    """A ``write`` that tells the steps and flows watching a written field:
    ``watched`` maps each such field name to ``{(why, step or flow id)}``."""

    def write(self, vals):
        result = write.origin(self, vals)
        reactions = {
            reaction
            for field_name, reactions in watched.items()
            if field_name in vals
            for reaction in reactions
        }
        if reactions and self:
            ids = {why: set() for why in (ANCHOR, WAIT, GOAL)}
            for why, record_id in reactions:
                ids[why].add(record_id)
            # The flows follow the records whoever writes them. The flows and
            # steps may have been deleted by a transaction this worker has not
            # reloaded for. The goal first: a converted record waits no more.
            env = self.env(su=True)
            env["automation.flow"].browse(ids[GOAL]).exists()._convert(self.ids)
            Step = env["automation.flow.step"]
            Step.browse(ids[ANCHOR]).exists()._follow_anchor_dates(self)
            Step.browse(ids[WAIT]).exists()._resume_waits(self)
        return result

    write.automation_flow_watched = watched
    return write


def _make_unlink():
    """An ``unlink`` that ends the enrollments of the deleted records."""

    def unlink(self):
        res_ids = self.ids
        result = unlink.origin(self)
        self.env["automation.flow.enrollment"]._end_deleted_records(self._name, res_ids)
        return result

    return unlink


def _patch_chain(model_class, name):
    """The functions patched over ``name`` on ``model_class``, outermost
    first, each with the one that wraps it: ``[(outer, function)]``."""
    outer, function = None, model_class.__dict__.get(name)
    while function is not None and hasattr(function, "origin"):
        yield outer, function
        outer, function = function, function.origin


def _our_patch(model_class, name):
    return next(
        (
            function
            for _outer, function in _patch_chain(model_class, name)
            if getattr(function, PATCH_MARK, False)
        ),
        None,
    )


def _patch(model_class, name, function):
    setattr(function, PATCH_MARK, True)
    function.origin = getattr(model_class, name)
    setattr(model_class, name, function)


def _unpatch(model_class, name):
    """Take our patch of ``name`` out of ``model_class``, wherever it is in
    the chain (another module may have wrapped it since)."""
    for outer, function in _patch_chain(model_class, name):
        if not getattr(function, PATCH_MARK, False):
            continue
        if outer:
            outer.origin = function.origin
        else:
            delattr(model_class, name)
            if getattr(model_class, name) is not function.origin:
                setattr(model_class, name, function.origin)
        return


class AutomationFlow(models.Model):
    _inherit = "automation.flow"  # pylint: disable=consider-merging-classes-inherited

    # Changing these may change which models and fields are watched.
    RECORD_HOOK_FIELDS = {"state", "model_id", "goal_domain"}

    @api.model_create_multi
    def create(self, vals_list):
        flows = super().create(vals_list)
        self._update_record_hooks()
        return flows

    def write(self, vals):
        result = super().write(vals)
        if self.RECORD_HOOK_FIELDS.intersection(vals):
            self._update_record_hooks()
        return result

    def unlink(self):
        result = super().unlink()
        self._update_record_hooks()
        return result

    @api.model
    def _record_hooks(self):
        """What the patches must watch: ``{model: {field: {(why, id)}}}`` for
        each model a flow that is not done runs on (``why``: ``ANCHOR`` for a
        date a step counts from, ``WAIT`` for a field a wait-until domain
        reads, with the step's id; ``GOAL`` for a field a flow's goal reads,
        with the flow's id)."""
        # Every flow counts, whoever changed one; archived flows still run.
        flows = (
            self.sudo()
            .with_context(active_test=False)
            .search([("state", "!=", states.FLOW_DONE)])
        )
        hooks = {flow.model: {} for flow in flows if flow.model in self.env}

        def watch(model, field_name, reaction):
            if model in hooks and field_name in self.env[model]._fields:
                watched = hooks[model]
                watched[field_name] = watched.get(field_name, frozenset()) | {reaction}

        for flow in flows:
            for field_name in flow._goal_fields():
                watch(flow.model, field_name, (GOAL, flow.id))
        for step in flows.step_ids:
            if step.date_field_id:
                watch(step.model, step.date_field_id.name, (ANCHOR, step.id))
            for field_name in step._wait_fields():
                watch(step.model, field_name, (WAIT, step.id))
        return hooks

    @api.model
    def _installed_record_hooks(self):
        """What the patches in place watch, in the shape of ``_record_hooks``."""
        hooks = {}
        for model, model_class in self.env.registry.items():
            if _our_patch(model_class, "unlink"):
                write = _our_patch(model_class, "write")
                hooks[model] = write.automation_flow_watched if write else {}
        return hooks

    def _register_hook(self):
        result = super()._register_hook()
        self._install_record_hooks(self._record_hooks())
        return result

    def _unregister_hook(self):
        result = super()._unregister_hook()
        self._remove_record_hooks()
        return result

    @api.model
    def _install_record_hooks(self, hooks):
        for model, watched in hooks.items():
            model_class = self.env.registry[model]
            _patch(model_class, "unlink", _make_unlink())
            if watched:
                _patch(model_class, "write", _make_write(watched))

    @api.model
    def _remove_record_hooks(self):
        for model_class in self.env.registry.values():
            for name in PATCHED_METHODS:
                _unpatch(model_class, name)

    @api.model
    def _update_record_hooks(self):
        """Patch the models again after flows or steps changed, if what must
        be watched changed; tell the other workers to reload the registry."""
        if not self.env.registry.ready:
            return
        hooks = self._record_hooks()
        if hooks != self._installed_record_hooks():
            self._remove_record_hooks()
            self._install_record_hooks(hooks)
            self.env.registry.registry_invalidated = True


class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    # Changing these may change which fields are watched.
    RECORD_HOOK_FIELDS = {"date_field_id", "flow_id", "step_type", "wait_domain"}

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        if steps.filtered(lambda s: s.date_field_id or s._wait_fields()):
            self.env["automation.flow"]._update_record_hooks()
        return steps

    def write(self, vals):
        result = super().write(vals)
        if self.RECORD_HOOK_FIELDS.intersection(vals):
            self.env["automation.flow"]._update_record_hooks()
        return result

    def unlink(self):
        watching = self.filtered(lambda s: s.date_field_id or s._wait_fields())
        result = super().unlink()
        if watching:
            self.env["automation.flow"]._update_record_hooks()
        return result
