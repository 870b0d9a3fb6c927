"""What went wrong when an email could not be sent, read from Odoo's text.

How to use: ``kind(failure_reason)`` with the ``failure_reason`` Odoo stored
on a failed ``mail.mail``; it returns the kind of failure a user can act on
(one of ``KINDS``), or ``None`` when the text is not one of them. The models
turn the kind into a sentence saying what to check (``reasons.py``,
``smtp_<kind>``) and keep the text as the technical detail
(``one_line``).

How it works: Odoo keeps no exception, only its text: a connection that
failed is stored as the exception's arguments one per line
(``tools.exception_to_unicode``), a refusal during the send as Odoo's own
"Mail delivery failed via SMTP server …" followed by the class of the
exception. The kind is found from the class names and the operating
system's messages, which are English whatever the user's language; refusals
of an address are tested first, since their text names the server too.

>>> kind("111\\nConnection refused")
'refused'
>>> kind("110\\nConnection timed out"), kind("timed out")
('timeout', 'timeout')
>>> kind("-2\\nName or service not known")
'unknown_host'
>>> kind("535\\nb'5.7.8 Authentication credentials invalid'")
'auth'
>>> kind("1\\n[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)")
'tls'
>>> kind("STARTTLS extension not supported by server.")
'tls'
>>> kind("Mail Delivery Failed\\nMail delivery failed via SMTP server 'x'.\\n"
...      "SMTPRecipientsRefused: {'bob@example.com': (550, b'5.1.1 unknown')}")
'recipient_refused'
>>> kind("SMTPSenderRefused: (553, b'5.7.1 Sender rejected', 'a@b.c')")
'sender_refused'
>>> kind("Connection unexpectedly closed") is None
True
>>> kind(False) is None
True
>>> one_line("111\\nConnection refused")
'111 Connection refused'
"""

import re

# The kinds, each a sentence of the reasons' catalogue (``smtp_<kind>``).
KINDS = (
    "recipient_refused",
    "sender_refused",
    "auth",
    "tls",
    "refused",
    "timeout",
    "unknown_host",
)
# In the order they are tested: the first that matches wins.
_PATTERNS = (
    ("recipient_refused", r"SMTPRecipientsRefused"),
    ("sender_refused", r"SMTPSenderRefused"),
    (
        "auth",
        r"SMTPAuthenticationError|^53[45]$|authentication (failed|credentials)"
        r"|Username and Password not accepted|AUTH extension not supported",
    ),
    ("tls", r"\[SSL|SSLError|STARTTLS|certificate verify failed|\bTLS\b"),
    ("refused", r"Connection refused|^111$|Errno 111"),
    ("timeout", r"timed out"),
    (
        "unknown_host",
        r"Name or service not known|Temporary failure in name resolution"
        r"|nodename nor servname|No address associated with hostname"
        r"|getaddrinfo failed",
    ),
)
_COMPILED = tuple(
    (name, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
    for name, pattern in _PATTERNS
)


def kind(failure_reason):
    """The kind of failure of ``failure_reason`` (one of ``KINDS``), or
    ``None``."""
    if not failure_reason:
        return None
    return next(
        (name for name, regex in _COMPILED if regex.search(failure_reason)), None
    )


def one_line(failure_reason):
    """``failure_reason`` on one line, as a detail at the end of a sentence."""
    return " ".join(str(failure_reason or "").split())
