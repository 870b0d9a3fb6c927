# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Real SMTP for the tests: Odoo really sends, to servers on 127.0.0.1."""

import email
import email.policy
import logging
import socket
from unittest.mock import patch

from aiosmtpd.controller import Controller

from odoo import modules
from odoo.tools import config

# What logs a mail that could not be sent: Odoo's mail queue, and the
# scheduler's chunks (models/mail_mail.py).
MAIL_LOGGERS = (
    "odoo.addons.mail.models.mail_mail",
    "odoo.addons.automation_flow.models.mail_mail",
)

REFUSED = "bob@example.com"


class SmtpSink:
    """An SMTP server that keeps what it receives and refuses ``REFUSED``."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 <bob@example.com>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.SMTP)
        )
        return "250 OK"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def allow_real_smtp(cls):
    """Let Odoo really send in the test class ``cls`` (it stops short of
    SMTP under tests), only to the servers the tests create on 127.0.0.1:
    the command line's server is blanked. aiosmtpd's INFO log of every SMTP
    command is quieted."""
    cls.startClassPatcher(patch.object(modules.module, "current_test", False))
    cls.startClassPatcher(patch.dict(config.options, {"smtp_server": ""}))
    smtpd_logger = logging.getLogger("mail.log")
    cls.addClassCleanup(smtpd_logger.setLevel, smtpd_logger.level)
    smtpd_logger.setLevel(logging.WARNING)


def start_sink(cleanup, sink=None, **options):
    """Start an SMTP server on a free port of 127.0.0.1 handled by ``sink``
    (a new ``SmtpSink`` by default), stopped by ``cleanup`` (a test's
    ``addCleanup`` or a class's ``addClassCleanup``); return its controller."""
    controller = Controller(
        sink or SmtpSink(), hostname="127.0.0.1", port=free_port(), **options
    )
    controller.start()
    cleanup(controller.stop)
    return controller


def sink_server(env, port, **values):
    """An outgoing mail server record for the SMTP server on ``port``."""
    return env["ir.mail_server"].create(
        {
            "name": "Local sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_encryption": "none",
            **values,
        }
    )
