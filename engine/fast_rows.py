"""Which models' rows a batch may insert without the ORM's ``create``.

How to use: ``fast_path_allowed(model name, MRO of the registry's class)``
says whether ``models/mail_rows.py`` may insert the rows of that model
itself (the MRO is read for each batch: another registry, another answer).

How it works: the fast path reproduces what the ``create`` (and
``_create``) of Odoo's ``BaseModel`` and of the modules listed in
``REPRODUCED`` do. Any other module defining one of those methods on the
model (``mass_mailing`` on ``mail.mail``, a customer's module) has an effect
the fast path would skip silently: its model is then created by the ORM, as
before.
"""

# The methods whose overrides the fast path skips: another module defining
# one of them on the model sends its batches through the ORM.
BYPASSED = ("create", "_create")
# {model: modules whose classes may define them: the fast path does what
# their code does for the values it accepts}. ``None``: Odoo's BaseModel.
REPRODUCED = {
    "mail.message": {None, "mail"},
    "mail.mail": {None, "mail"},
    # This module's own ``create`` of followers only chooses the fast path.
    "mail.followers": {None, "mail", "automation_flow"},
}


def creating_modules(classes, methods=BYPASSED):
    """The modules of ``classes`` (a model's MRO) that define one of
    ``methods`` (``None`` for Odoo's own ``BaseModel``).

    >>> class Base:
    ...     _module = None
    ...     def create(self): ...
    >>> class Mail(Base):
    ...     _module = "mail"
    ...     def create(self): ...
    >>> class Other(Mail):
    ...     _module = "other"
    ...     def write(self): ...
    >>> sorted(creating_modules(Other.__mro__), key=str)
    [None, 'mail']
    """
    return {
        getattr(cls, "_module", None)
        for cls in classes
        if any(method in vars(cls) for method in methods)
    }


def fast_path_allowed(model_name, classes):
    """Whether the rows of ``model_name`` may be inserted by ``create_rows``
    for a registry whose class of the model has the MRO ``classes``: only
    when every override of ``create`` is one it reproduces.

    >>> class Base:
    ...     _module = None
    ...     def _create(self): ...
    >>> class Mail(Base):
    ...     _module = "mail"
    ...     def create(self): ...
    >>> class MassMailing(Mail):
    ...     _module = "mass_mailing"
    ...     def create(self): ...
    >>> fast_path_allowed("mail.mail", Mail.__mro__)
    True
    >>> fast_path_allowed("mail.mail", MassMailing.__mro__)
    False
    >>> fast_path_allowed("res.partner", Mail.__mro__)
    False
    """
    reproduced = REPRODUCED.get(model_name)
    return reproduced is not None and creating_modules(classes) <= reproduced
