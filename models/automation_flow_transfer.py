# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Flows as JSON documents: export, import and the report of an import.

How it works: a flow, its steps (as a tree: ``children``) and the records
its steps own (update lines, assignment rules, pause dates: the one2many
fields marked ``copy=True``) are written field by field, **generically**:
every stored field Odoo would copy when duplicating the record (``copy``:
configuration, not state or counters; nor ``readonly``: the engine's) is
written, except the links to the parent and the company, and only when it
differs from the field's default (the name, model, type and trigger are
always written).
A step type added later (in this module or another one) is exported and
imported with no change here.

Values: plain JSON for scalars (dates as ISO strings); a translated field
whose translations differ is a ``{lang: value}`` object. Links to other
records are written so that another database can find them again:

- a model by its name, a field as ``[model, field]``, a selection value
  as ``[model, field, value]``;
- an email template or a saved filter (``EMBEDDED``) by its xmlid, name and
  values: found by xmlid, else by name with the same values, else created;
- any other record by ``{"xmlid": …, "name": …}``: found by xmlid, else by
  name (activity types and tags are created when missing, ``BY_NAME``),
  else left empty and reported.

The import creates everything in one savepoint: any error (a file that is
not a flow, a step type this database does not have, a reference a step
cannot do without) undoes it all and says what to fix.
"""

import json

import psycopg2
from markupsafe import Markup, escape

from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.models import MAGIC_COLUMNS

FORMAT = "automation_flow"
VERSION = 1
# Records a flow embeds (its own configuration, copied when missing).
EMBEDDED = ("mail.template", "automation.flow.filter")
# Records created from their name alone when missing.
BY_NAME = ("mail.activity.type", "automation.flow.tag")
# Links written structurally, or belonging to the target database.
SKIPPED = {*MAGIC_COLUMNS, "company_id", "parent_path", "flow_id", "parent_id"}
# Written even when they hold the default: what a reader looks for first.
ALWAYS = {"name", "model_id", "step_type", "trigger"}


class AutomationFlowTransfer(models.AbstractModel):
    _name = "automation.flow.transfer"
    _description = "Automation Flow Export and Import"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------

    @api.model
    def _transfer_fields(self, model_name, skip=()):
        """The fields of ``model_name`` that an export writes, by name."""
        Model = self.env[model_name]
        return [
            field
            for name, field in sorted(Model._fields.items())
            if field.store
            and field.copy
            and not field.readonly
            and not field.compute
            and not field.related
            and field.type != "binary"
            # Restricted fields (a secret…) only for those who may read them.
            and (not field.groups or self.env.user.has_groups(field.groups))
            and name not in SKIPPED
            and name not in skip
        ]

    @api.model
    def _installed_langs(self):
        return [code for code, _name in self.env["res.lang"].get_installed()]

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------

    @api.model
    def _export_document(self, flows):
        """The JSON-ready document of ``flows``."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "flows": [self._encode_flow(flow) for flow in flows],
        }

    @api.model
    def _export_json(self, flows):
        return json.dumps(
            self._export_document(flows), indent=1, sort_keys=True, ensure_ascii=False
        )

    def _encode_flow(self, flow):
        values = self._encode_record(flow)
        values["steps"] = [
            self._encode_step(step) for step in flow.step_ids if not step.parent_id
        ]
        return values

    def _encode_step(self, step):
        values = self._encode_record(step)
        values["children"] = [self._encode_step(child) for child in step.child_ids]
        return values

    def _encode_record(self, record, skip=()):
        fields_ = self._transfer_fields(record._name, skip)
        empty = record.browse()
        defaults = {
            name: record._fields[name].convert_to_record(
                record._fields[name].convert_to_cache(value, empty), empty
            )
            for name, value in record.default_get([f.name for f in fields_]).items()
        }
        values = {}
        for field in fields_:
            if field.name in ALWAYS:
                pass
            elif field.name in defaults:
                if record[field.name] == defaults[field.name]:
                    continue
            elif not record[field.name]:
                continue
            values[field.name] = self._encode_value(record, field)
        return values

    def _encode_value(self, record, field):
        value = record[field.name]
        if field.type == "many2one":
            return self._encode_ref(value) if value else False
        if field.type == "many2many":
            return [self._encode_ref(line) for line in value]
        if field.type == "one2many":
            return [
                self._encode_record(line, skip={field.inverse_name}) for line in value
            ]
        if field.type == "many2one_reference":
            model = record[field.model_field]
            if not (value and model):
                return False
            return {"model": model, **self._encode_ref(self.env[model].browse(value))}
        if field.type in ("date", "datetime"):
            return field.to_string(value) if value else False
        if field.translate is True and value:
            langs = self._installed_langs()
            translations = {
                lang: record.with_context(lang=lang)[field.name] for lang in langs
            }
            if len(set(translations.values())) > 1:
                return translations
        return value

    def _encode_ref(self, record):
        # The references name records the exporting user may not read (a
        # server action, for an Automation User): only their name and xmlid
        # are written, which the step's form shows them anyway.
        record = record.sudo()
        if record._name == "ir.model":
            return record.model
        if record._name == "ir.model.fields":
            return [record.model, record.name]
        if record._name == "ir.model.fields.selection":
            return [record.field_id.model, record.field_id.name, record.value]
        ref = {
            "xmlid": record.get_external_id().get(record.id) or False,
            "name": record.display_name,
        }
        if record._name in EMBEDDED:
            ref["values"] = self._encode_record(record)
        return ref

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    @api.model
    def _import_json(self, content):
        """Create the flows of a document (``bytes`` or ``str``).

        Returns the flows and the report: a list of ``(kind, what)`` where
        kind is ``created``, ``found``, ``unresolved`` or ``ignored``.
        """
        try:
            document = json.loads(content)
        except (ValueError, UnicodeDecodeError) as error:
            raise UserError(
                _("The file is not valid JSON: %(error)s", error=error)
            ) from error
        if not (
            isinstance(document, dict)
            and document.get("format") == FORMAT
            and isinstance(document.get("flows"), list)
        ):
            raise UserError(
                _('The file is not an export of automation flows (no "flows" list).')
            )
        if document.get("version") != VERSION:
            raise UserError(
                _(
                    "The file was exported in format version %(found)s; this "
                    "database reads version %(version)s.",
                    found=document.get("version"),
                    version=VERSION,
                )
            )
        if not document["flows"]:
            raise UserError(_("The file holds no flow."))
        report = []
        flows = self.env["automation.flow"]
        try:
            with self.env.cr.savepoint():
                for index, flow_values in enumerate(document["flows"], start=1):
                    flows |= self._decode_flow(flow_values, index, report)
                self.env.flush_all()
        except (ValidationError, UserError) as error:
            missing = [what for kind, what in report if kind == "unresolved"]
            message = _("Nothing was imported: %(error)s", error=error.args[0])
            if missing:
                message += "\n" + _(
                    "Not found in this database: %(missing)s",
                    missing="; ".join(missing),
                )
            raise UserError(message) from error
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            psycopg2.Error,
        ) as error:
            # A value of the wrong kind (text for a list, an unknown choice…):
            # the file was changed by hand or is damaged.
            raise UserError(
                _(
                    "Nothing was imported: the file holds a value this database "
                    "cannot use (%(error)s).",
                    error=error,
                )
            ) from error
        return flows, report

    def _decode_flow(self, values, index, report):
        if not isinstance(values, dict) or not isinstance(values.get("model_id"), str):
            raise UserError(_("Flow %(index)s of the file has no model.", index=index))
        values = dict(values)
        steps = values.pop("steps", [])
        model = values["model_id"]
        if model not in self.env or not self.env["ir.model"]._get(model):
            raise UserError(
                _(
                    "The flow %(flow)s runs on the model %(model)s, which is not "
                    "installed in this database.",
                    flow=values.get("name", index),
                    model=model,
                )
            )
        Flow = self.env["automation.flow"].with_context(automation_flow_model=model)
        vals, translations = self._decode_record(Flow, values, report)
        flow = Flow.create(vals)
        self._set_translations(flow, translations)
        report.append(("created", _("Flow %s", flow.name)))
        self._decode_steps(flow, self.env["automation.flow.step"], steps, report)
        return flow

    def _decode_steps(self, flow, parent, steps, report):
        if not isinstance(steps, list):
            raise UserError(_("The steps of the flow %s are not a list.", flow.name))
        Step = self.env["automation.flow.step"].with_context(
            automation_flow_model=flow.model
        )
        known_types = dict(Step._fields["step_type"]._description_selection(self.env))
        for values in steps:
            if not isinstance(values, dict):
                raise UserError(_("A step of the flow %s is not an object.", flow.name))
            values = dict(values)
            children = values.pop("children", [])
            step_type = values.get("step_type")
            if step_type not in known_types:
                raise UserError(
                    _(
                        "The step %(step)s is of type %(type)s, which this "
                        "database does not have: install the module that "
                        "provides it.",
                        step=values.get("name", "?"),
                        type=step_type,
                    )
                )
            vals, translations = self._decode_record(Step, values, report)
            vals.update(flow_id=flow.id, parent_id=parent.id)
            step = Step.create(vals)
            self._set_translations(step, translations)
            self._decode_steps(flow, step, children, report)

    def _decode_record(self, Model, values, report, skip=()):
        """``create`` values and translations of a record of ``Model``."""
        known = {
            field.name: field for field in self._transfer_fields(Model._name, skip)
        }
        vals, translations = {}, {}
        label = values.get("name") or Model._description
        if isinstance(label, dict):
            label = next(iter(label.values()), "")
        for name, value in values.items():
            field = known.get(name)
            if not field:
                report.append(
                    (
                        "ignored",
                        _(
                            "%(record)s: the field %(field)s is unknown here",
                            record=label,
                            field=name,
                        ),
                    )
                )
                continue
            if isinstance(value, dict) and field.translate is True:
                translations[name] = value
                value = value.get("en_US") or next(iter(value.values()), False)
            vals[name] = self._decode_value(Model, field, value, label, report)
        return vals, translations

    def _set_translations(self, record, translations):
        installed = set(self._installed_langs())
        for name, values in translations.items():
            record.update_field_translations(
                name, {lang: text for lang, text in values.items() if lang in installed}
            )

    def _decode_value(self, Model, field, value, label, report):
        if field.type == "many2one":
            comodel = self.env[field.comodel_name]
            return value and self._decode_ref(comodel, value, label, report).id
        if field.type == "many2many":
            comodel = self.env[field.comodel_name]
            records = comodel.browse()
            for ref in value or []:
                records |= self._decode_ref(comodel, ref, label, report)
            return [Command.set(records.ids)]
        if field.type == "one2many":
            comodel = self.env[field.comodel_name]
            commands = []
            for line in value or []:
                vals, _translations = self._decode_record(
                    comodel, line, report, skip={field.inverse_name}
                )
                commands.append(Command.create(vals))
            return commands
        if field.type == "many2one_reference":
            if not value:
                return False
            if value.get("model") not in self.env:
                report.append(("unresolved", self._describe(value, label)))
                return False
            comodel = self.env[value["model"]]
            return self._decode_ref(comodel, value, label, report).id
        return value

    def _describe(self, ref, label):
        name = ref.get("name") if isinstance(ref, dict) else ref
        xmlid = ref.get("xmlid") if isinstance(ref, dict) else False
        what = f"{name} ({xmlid})" if xmlid else f"{name}"
        return _("%(what)s, for %(record)s", what=what, record=label)

    def _decode_ref(self, comodel, ref, label, report):
        """The record of ``comodel`` a reference names (empty when not found)."""
        name = comodel._name
        if name == "ir.model":
            return comodel._get(ref) if isinstance(ref, str) else comodel
        if name == "ir.model.fields":
            found = (
                comodel._get(*ref) if isinstance(ref, list) and len(ref) == 2 else None
            )
            if not found:
                report.append(
                    ("unresolved", self._describe(".".join(map(str, ref)), label))
                )
            return found or comodel
        if name == "ir.model.fields.selection":
            found = comodel.browse()
            if isinstance(ref, list) and len(ref) == 3:
                found = comodel.search(
                    [
                        ("field_id.model", "=", ref[0]),
                        ("field_id.name", "=", ref[1]),
                        ("value", "=", ref[2]),
                    ],
                    limit=1,
                )
            if not found:
                report.append(
                    ("unresolved", self._describe(".".join(map(str, ref)), label))
                )
            return found
        if not isinstance(ref, dict):
            raise UserError(
                _("%(record)s: %(value)r is not a reference.", record=label, value=ref)
            )
        record = comodel.browse()
        if ref.get("xmlid"):
            record = self.env.ref(ref["xmlid"], raise_if_not_found=False) or record
            if record._name != name:
                record = comodel.browse()
        if name in EMBEDDED:
            return record or self._decode_embedded(comodel, ref, label, report)
        if not record and ref.get("name"):
            record = self._find_by_name(comodel, ref["name"])
        if not record and name in BY_NAME and ref.get("name"):
            if comodel.has_access("create"):
                record = comodel.create({"name": ref["name"]})
                report.append(
                    (
                        "created",
                        _(
                            "%(kind)s %(name)s",
                            kind=self._kind(comodel),
                            name=ref["name"],
                        ),
                    )
                )
        if not record:
            report.append(("unresolved", self._describe(ref, label)))
        return record

    def _kind(self, comodel):
        """The model's name in the user's language (Email Templates…)."""
        return self.env["ir.model"]._get(comodel._name).name or comodel._description

    def _find_by_name(self, comodel, name):
        candidates = comodel.search([(comodel._rec_name or "name", "=", name)])
        model = self.env.context.get("automation_flow_model")
        if len(candidates) > 1 and model and "model_id" in comodel._fields:
            candidates = (
                candidates.filtered(lambda record: record.model_id.model == model)
                or candidates
            )
        return candidates[:1]

    def _decode_embedded(self, comodel, ref, label, report):
        """An email template or saved filter: the one of this database with
        the same name and values, else a new one."""
        values = ref.get("values") or {}
        for candidate in comodel.search(
            [(comodel._rec_name or "name", "=", ref.get("name"))]
        ):
            if self._encode_record(candidate) == values:
                report.append(
                    (
                        "found",
                        _(
                            "%(kind)s %(name)s",
                            kind=self._kind(comodel),
                            name=candidate.display_name,
                        ),
                    )
                )
                return candidate
        vals, translations = self._decode_record(comodel, values, report)
        record = comodel.create(vals)
        self._set_translations(record, translations)
        report.append(
            (
                "created",
                _(
                    "%(kind)s %(name)s",
                    kind=self._kind(comodel),
                    name=record.display_name,
                ),
            )
        )
        return record

    # ------------------------------------------------------------------
    # Report
    # ------------------------------------------------------------------

    @api.model
    def _report_html(self, report):
        titles = {
            "created": _("Created"),
            "found": _("Found"),
            "unresolved": _("Not found: choose them in the steps before starting"),
            "ignored": _("Ignored: unknown in this database"),
        }
        html = Markup()
        for kind, title in titles.items():
            lines = [what for what_kind, what in report if what_kind == kind]
            if lines:
                html += Markup("<h4>%s</h4><ul>%s</ul>") % (
                    title,
                    Markup().join(
                        Markup("<li>%s</li>") % escape(line) for line in lines
                    ),
                )
        return html


class AutomationFlow(models.Model):
    _inherit = "automation.flow"  # pylint: disable=consider-merging-classes-inherited

    def action_export(self):
        """The export wizard, its file ready to download."""
        wizard = self.env["automation.flow.export"].create(
            {"flow_ids": [Command.set(self.ids)]}
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Export as a file"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }
