#!/usr/bin/env python3
"""A local mail catcher for `make run`: an SMTP server on 127.0.0.1 that
delivers nothing and keeps every message it receives as a .eml file.

    python3 scripts/mail_catcher.py --port 1025 --dir .local/mails

Each message is written to DIR as <time>-<n>.eml (open it with any mail
client, or read it as text), and DIR/index.html lists them, newest first,
with their sender, recipients and subject. The server accepts any sender,
recipient and size, speaks enough ESMTP for Odoo (EHLO, MAIL, RCPT, DATA,
RSET, NOOP, QUIT; no authentication, no TLS) and needs nothing but Python's
standard library. Once listening it prints one line,
"listening on 127.0.0.1:<port>", then a line per message received; it stops
on SIGINT or SIGTERM.
"""

import argparse
import asyncio
import email
import email.policy
import html
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path

INDEX = "index.html"


class Mailbox:
    """The folder of received messages and its index page."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.write_index()

    def store(self, mail_from, rcpt_tos, data):
        self.count += 1
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{self.count:04d}.eml"
        path.write_bytes(data)
        message = email.message_from_bytes(data, policy=email.policy.default)
        print(
            f"received {path.name}: {message['subject']!s} -> {', '.join(rcpt_tos)}"
            f" (from {mail_from})",
            flush=True,
        )
        self.write_index()
        return path

    def write_index(self):
        rows = []
        for path in sorted(self.folder.glob("*.eml"), reverse=True):
            message = email.message_from_bytes(
                path.read_bytes(), policy=email.policy.default
            )
            cells = (
                message["date"],
                message["from"],
                message["to"],
                message["subject"],
            )
            rows.append(
                "<tr>"
                + "".join(f"<td>{html.escape(str(cell or ''))}</td>" for cell in cells)
                + f'<td><a href="{html.escape(path.name)}">{html.escape(path.name)}'
                "</a></td></tr>"
            )
        (self.folder / INDEX).write_text(
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            "<meta http-equiv='refresh' content='10'>"
            "<title>Mail catcher</title></head><body>"
            f"<h1>Mails received by the catcher ({len(rows)})</h1>"
            "<table border='1' cellpadding='4'><tr><th>Date</th><th>From</th>"
            "<th>To</th><th>Subject</th><th>File</th></tr>"
            + "".join(rows)
            + "</table></body></html>",
            encoding="utf-8",
        )


class SmtpSession:
    """One client connection, command by command (RFC 5321, the subset an
    SMTP client such as Python's smtplib uses)."""

    def __init__(self, mailbox, reader, writer):
        self.mailbox = mailbox
        self.reader = reader
        self.writer = writer
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpt_tos = []

    async def reply(self, line):
        self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()

    async def run(self):
        await self.reply("220 127.0.0.1 automation_flow mail catcher ESMTP")
        while line := await self.reader.readline():
            command, _sep, argument = (
                line.decode("utf-8", "replace").strip().partition(" ")
            )
            command = command.upper()
            if command == "EHLO":
                await self.reply("250-127.0.0.1")
                await self.reply("250-8BITMIME")
                await self.reply("250-SMTPUTF8")
                await self.reply("250 SIZE 104857600")
            elif command == "HELO":
                await self.reply("250 127.0.0.1")
            elif command == "MAIL":
                self.reset()
                self.mail_from = argument.partition(":")[2].split(" ")[0].strip("<>")
                await self.reply("250 OK")
            elif command == "RCPT":
                self.rcpt_tos.append(
                    argument.partition(":")[2].split(" ")[0].strip("<>")
                )
                await self.reply("250 OK")
            elif command == "DATA":
                if not self.rcpt_tos:
                    await self.reply("503 Error: need RCPT command")
                    continue
                await self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.mailbox.store(
                    self.mail_from, self.rcpt_tos, await self.read_data()
                )
                self.reset()
                await self.reply("250 OK: queued")
            elif command in ("RSET", "NOOP"):
                if command == "RSET":
                    self.reset()
                await self.reply("250 OK")
            elif command == "QUIT":
                await self.reply("221 Bye")
                break
            else:
                await self.reply(f"502 Error: command {command} not implemented")
        self.writer.close()

    async def read_data(self):
        lines = []
        while True:
            line = await self.reader.readline()
            if not line or line in (b".\r\n", b".\n"):
                break
            # Dot-stuffing: a leading dot was doubled by the client.
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


async def serve(host, port, mailbox):
    async def handle(reader, writer):
        try:
            await SmtpSession(mailbox, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()

    server = await asyncio.start_server(handle, host, port)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on {host}:{bound}, mails in {mailbox.folder}", flush=True)
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(
            signum, lambda: stop.done() or stop.set_result(None)
        )
    async with server:
        await stop


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025, help="0: any free port")
    parser.add_argument("--dir", default="mails", help="where to write the .eml files")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port, Mailbox(args.dir)))
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
