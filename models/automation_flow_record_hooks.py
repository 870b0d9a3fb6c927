# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How flows react to writes and deletions of the records they run on.

How it works: like ``base_automation``, ``_register_hook`` patches, once, the
``unlink`` of every model a flow that is not done runs on, and the ``write``
of the models whose steps count from one of their dates ("5 minutes before
the meeting"):

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


def _make_write(anchors):
    """A ``write`` that moves the tasks of the steps counting from a written
    date: ``anchors`` maps each such field name to the ids of its steps."""

    def write(self, vals):
        result = write.origin(self, vals)
        step_ids = [
            step_id
            for field_name, ids in anchors.items()
            if field_name in vals
            for step_id in ids
        ]
        if step_ids and self:
            # The flows follow the date whoever moves it. The steps may have
            # been deleted by a transaction this worker has not reloaded for.
            steps = self.env["automation.flow.step"].sudo().browse(step_ids).exists()
            steps._follow_anchor_dates(self)
        return result

    write.automation_flow_anchors = anchors
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

    # Changing these may change which models and dates are watched.
    RECORD_HOOK_FIELDS = {"state", "model_id"}

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
        """What the patches must watch: ``{model: {date field: {step ids}}}``
        for each model a flow that is not done runs on."""
        # Every flow counts, whoever changed one; archived flows still run.
        flows = (
            self.sudo()
            .with_context(active_test=False)
            .search([("state", "!=", states.FLOW_DONE)])
        )
        hooks = {flow.model: {} for flow in flows if flow.model in self.env}
        for step in flows.step_ids.filtered("date_field_id"):
            field_name = step.date_field_id.name
            if step.model in hooks and field_name in self.env[step.model]._fields:
                anchors = hooks[step.model]
                anchors[field_name] = anchors.get(field_name, frozenset()) | {step.id}
        return hooks

    @api.model
    def _installed_record_hooks(self):
        """What the patches in place watch, in the shape of ``_record_hooks``."""
        hooks = {}
        for model, model_class in self.env.registry.items():
            if _our_patch(model_class, "unlink"):
                write = _our_patch(model_class, "write")
                hooks[model] = write.automation_flow_anchors if write else {}
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
        for model, anchors in hooks.items():
            model_class = self.env.registry[model]
            _patch(model_class, "unlink", _make_unlink())
            if anchors:
                _patch(model_class, "write", _make_write(anchors))

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

    # Changing these may change which dates are watched.
    RECORD_HOOK_FIELDS = {"date_field_id", "flow_id"}

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        if steps.filtered("date_field_id"):
            self.env["automation.flow"]._update_record_hooks()
        return steps

    def write(self, vals):
        result = super().write(vals)
        if self.RECORD_HOOK_FIELDS.intersection(vals):
            self.env["automation.flow"]._update_record_hooks()
        return result

    def unlink(self):
        anchored = self.filtered("date_field_id")
        result = super().unlink()
        if anchored:
            self.env["automation.flow"]._update_record_hooks()
        return result
