# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from lxml import etree

from odoo import models

# Context key of the email step: render an inline template for a batch of
# records with one compilation.
COMPILE_ONCE = "automation_flow_compile_once"


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """Compile an inline template once per transaction, not per record.

        Mail templates render their body with QWeb from a fresh element per
        record, and QWeb caches only what comes from views: compiling was
        most of the cost of an email step. The compiled functions depend on
        the source and the rendering context alone, so they are kept on the
        cursor under both.
        """
        if not (
            self.env.context.get(COMPILE_ONCE) and isinstance(template, etree._Element)
        ):
            return super()._compile(template)
        key = (
            COMPILE_ONCE,
            etree.tostring(template),
            repr(sorted(self.env.context.items())),
        )
        cache = self.env.cr.cache
        if key not in cache:
            cache[key] = super()._compile(template)
        return cache[key]
