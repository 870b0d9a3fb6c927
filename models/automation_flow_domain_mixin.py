# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, fields, models
from odoo.exceptions import ValidationError

from ..engine import domains


class AutomationFlowDomainMixin(models.AbstractModel):
    """Records holding a domain written in the domain editor (flows, saved
    filters, steps).

    The domain is evaluated at each use with the names Odoo's web client
    gives to filters (``uid``, ``user``, ``context_today()``,
    ``relativedelta``… see ``engine/domains.py``), so that "created in the
    last month" moves with the calendar. Holders say how their domain is
    named in an error (``_domain_error``).
    """

    _name = "automation.flow.domain.mixin"
    _description = "Automation Flow Domain Holder"

    def _eval_domain(self, text, model_name, user=None):
        """The domain written in ``text``, evaluated now and checked against
        the fields of ``model_name``.

        :param user: whose ``uid``, ``user`` and day (in their timezone) the
            domain uses; the current user by default
        :raise ValidationError: a sentence naming the record and what to fix
        """
        self.ensure_one()
        if user:
            tz = user.tz
        else:
            user = self.env.user
            tz = self.env.context.get("tz") or user.tz
        context = domains.eval_context(
            fields.Date.context_today(self.with_context(tz=tz)),
            tz,
            uid=user.id,
            user=user,
        )
        try:
            domain = domains.evaluate(text, context)
        except domains.DomainError as error:
            raise ValidationError(
                self._domain_error(self._domain_error_reason(error))
            ) from error
        Model = self.env[model_name]
        try:
            # Checks fields and operators without running the query.
            Model._where_calc(domain)
        except Exception as error:
            raise ValidationError(
                self._domain_error(
                    _(
                        "it does not fit %(model)s (%(error)s). Choose the "
                        "fields again in the domain editor.",
                        model=Model._description,
                        error=error,
                    )
                )
            ) from error
        return domain

    def _check_model_readable(self, ir_model):
        """Who builds on a model must be allowed to read its records: the
        domain editor's live count and the enrollments would otherwise tell
        them what they may not read."""
        if not self.env[ir_model.model].has_access("read"):
            raise ValidationError(
                _(
                    "You are not allowed to read the records of %(model)s: "
                    "choose another model for %(record)s, or ask an "
                    "administrator for access to %(model)s.",
                    model=ir_model.name,
                    record=self.display_name,
                )
            )

    def _domain_error_reason(self, error):
        """Why the domain cannot be evaluated, as the end of a sentence."""
        if error.code == domains.UNKNOWN_NAME:
            return _(
                "it uses %(name)s, which is unknown. A domain may use uid, "
                "user, context_today(), today, datetime, time, relativedelta, "
                "timedelta and dateutil.",
                name=error.detail,
            )
        if error.code == domains.NOT_A_LIST:
            return _(
                "it must be a list of conditions such as [('name', 'ilike', "
                "'shop')], not %(value)s.",
                value=error.detail,
            )
        if error.code == domains.SYNTAX:
            return _(
                "it is not written correctly (%(error)s). Write it again with "
                "the domain editor.",
                error=error.detail,
            )
        return _(
            "it cannot be evaluated (%(error)s). Write it again with the "
            "domain editor.",
            error=error.detail,
        )

    def _domain_error(self, reason):
        """The whole sentence, naming the holder: e.g. "The domain of the
        flow X cannot be used: <reason>"."""
        raise NotImplementedError()
