"""Signatures of the links the emails carry, made with a key read once.

How to use: ``sign(secret, scope, message)`` with ``secret`` the database's
``database.secret`` and ``message`` any value whose ``repr`` is stable (a
tuple of ids and strings).

How it works: it is Odoo's ``tools.hmac`` (HMAC-SHA256 of
``repr((scope, message))`` keyed with the secret), given the secret instead
of reading it from ``ir.config_parameter`` for each signature: a batch of
marketing emails signs two links per task, and the parameter reads (two per
signature, secret and uuid) cost more than the HMAC itself
(``tests/test_email_tracking.py`` checks that both give the same signature).

>>> sign("secret", "scope", ("uuid", 7))
'a0aa60d6c0d03e43166f6aceb562f8976f2ca9a33a37907e5364bf56a978f379'
>>> sign("secret", "scope", ("uuid", 7)) != sign("secret", "scope", ("uuid", 8))
True
"""

import hashlib
import hmac


def sign(secret, scope, message):
    """The HMAC-SHA256 of ``(scope, message)`` keyed with ``secret``, in hex:
    what ``odoo.tools.hmac`` gives for the same secret."""
    if not scope:
        raise ValueError("Non-empty scope required")
    return hmac.new(
        secret.encode(), repr((scope, message)).encode(), hashlib.sha256
    ).hexdigest()
