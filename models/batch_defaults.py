# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Default values computed once per batch, for the records the steps create.

``create`` completes each record's values with the defaults of the fields
they leave out (``_add_missing_default_values``: the context, ``ir.default``,
the fields' defaults, the parents' of ``_inherits``), one record at a time,
even when no field is left to default: for the thousands of messages, mails
and activities of a scheduler batch, it was a tenth of the time. Under the
context key ``BATCH_DEFAULTS`` (``with_batch_defaults``), these models (and
the followers the activities subscribe)
compute them once per environment and set of given fields, and give each
record the same.
"""

from odoo import api, models

BATCH_DEFAULTS = "automation_flow_batch_defaults"


class BatchDefaults:
    """The default values of one batch's creates. (Hashable by identity, as
    a value of the context must be.)"""

    def __init__(self):
        # {(environment, model, given fields): defaults, or None when a
        # default is not the same twice in a row}
        self.defaults = {}

    def complete(self, model, values, add_missing):
        """``values`` completed as ``add_missing`` (the model's
        ``_add_missing_default_values``) completes it.

        A default that is not the same twice in a row (a unique value, a
        time finer than the second) is not shared: the values of that set of
        fields are then completed record by record, as Odoo does.
        """
        key = (model.env, model._name, frozenset(values))
        if key not in self.defaults:
            first = add_missing(dict(values))
            second = add_missing(dict(values))
            shared = {
                name: value for name, value in first.items() if name not in values
            }
            stable = all(
                name in second
                and second[name] == value
                # A properties field's default depends on the record's
                # values (its definition's parent).
                and model._fields[name].type != "properties"
                for name, value in shared.items()
            )
            self.defaults[key] = shared if stable else None
        shared = self.defaults[key]
        if shared is None:
            return add_missing(values)
        return {**shared, **values}


def with_batch_defaults(model):
    """``model`` creating its records with the defaults computed once."""
    return model.with_context(**{BATCH_DEFAULTS: BatchDefaults()})


class AutomationFlowBatchDefaults(models.AbstractModel):
    """What the messages, mails, activities and followers the steps create
    inherit:
    under ``BATCH_DEFAULTS``, their default values once per batch."""

    _name = "automation.flow.batch.defaults"
    _description = "Default values computed once per batch"

    @api.model
    def _add_missing_default_values(self, values):
        add_missing = super()._add_missing_default_values
        batch = self.env.context.get(BATCH_DEFAULTS)
        if batch is None:
            return add_missing(values)
        return batch.complete(self, values, add_missing)


class MailMessage(models.Model):
    _name = "mail.message"
    _inherit = ["mail.message", "automation.flow.batch.defaults"]


class MailMail(models.Model):
    _name = "mail.mail"
    _inherit = ["mail.mail", "automation.flow.batch.defaults"]


class MailActivity(models.Model):
    _name = "mail.activity"
    _inherit = ["mail.activity", "automation.flow.batch.defaults"]


class MailFollowers(models.Model):
    _name = "mail.followers"
    _inherit = ["mail.followers", "automation.flow.batch.defaults"]
