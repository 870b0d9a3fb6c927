"""The sender an SMTP session announces, in the form of the message's From.

How to use: ``session_sender(session_from, header_from)`` with the sender the
session was opened for (``smtp_from``) and the message's ``From`` header as
it reads; give the result to the session before ``send_email``.

How it works: Odoo opens a session for the mail's sender as
``email_split_and_format`` writes it, which always quotes the name
(``"Sales" <sales@example.com>``); the message's header reads without the
quotes the name does not need (``Sales <sales@example.com>``). Odoo's
``send_email`` compares the two strings, and when they differ it deletes the
header and parses the session's form into a new one: the same text, moved
after the other headers, at a cost of about a tenth of the building of a
message. When both name the same person and address, the header's own form
is the session's; otherwise (a notification address, another sender) the
session's form is kept and Odoo's rules apply as they are.

>>> session_sender('"Sales" <sales@example.com>', 'Sales <sales@example.com>')
'Sales <sales@example.com>'
>>> session_sender('"Sales Team" <s@example.com>', '"Sales Team" <s@example.com>')
'"Sales Team" <s@example.com>'
>>> session_sender('"Jöhn" <j@example.com>', 'Jöhn <j@example.com>')
'Jöhn <j@example.com>'
>>> session_sender('"Sales" <sales@example.com>', 'Other <sales@example.com>')
'"Sales" <sales@example.com>'
>>> session_sender('notifications@example.com', 'Sales <sales@example.com>')
'notifications@example.com'
>>> session_sender(False, 'Sales <sales@example.com>')
False
"""

from email.utils import getaddresses
from functools import lru_cache


@lru_cache(maxsize=256)
def session_sender(session_from, header_from):
    if not session_from or not header_from:
        return session_from
    named = getaddresses([session_from])
    if len(named) == 1 and named == getaddresses([header_from]):
        return header_from
    return session_from
