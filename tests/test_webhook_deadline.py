# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .. import webhook_transport
from ..engine import webhook
from ..models.automation_flow_step_webhook import ALLOWED_NETWORKS_PARAM
from .common import NOW, AutomationFlowCase
from .test_step_webhook import allow_this_server, url_of

TIMEOUT = 2
# Far below the 30 s the slow receivers take, far above the 2 s timeout:
# robust on a loaded machine, and fails if the receiver sets the pace.
ENDED_WITHIN = 15
GIB = 1 << 30
# What the kernel's socket buffers hold between the two ends: the most a
# receiver sends before the caller's close reaches it (the caller itself
# reads a few kilobytes).
BUFFERED = 64 << 20
HEADERS = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"


def quick_answer():
    """An answer at once."""
    yield HEADERS + b"ok", 0


def drip_body():
    """Headers at once, then a byte a second for 30 seconds."""
    yield HEADERS, 0
    for _second in range(30):
        yield b"x", 1


def drip_headers():
    """The status line, then a byte of a header every half second for
    30 seconds: no answer before its headers end."""
    yield b"HTTP/1.0 200 OK\r\n", 0
    for _half_second in range(60):
        yield b"X", 0.5


def silent():
    """Nothing for 30 seconds, then the answer."""
    yield b"", 30
    yield HEADERS + b"late", 0


def endless_body(status=b"200 OK", headers=b""):
    """A body of a gibibyte, sent as fast as the caller takes it."""
    yield (
        b"HTTP/1.0 %s\r\nContent-Length: %d\r\n%s\r\n" % (status, GIB, headers),
        0,
    )
    chunk = b"y" * (1 << 16)
    for _chunk in range(GIB // len(chunk)):
        yield chunk, 0


def blackhole(case, address, port=0):
    """A port of ``address`` that accepts no connection: its listener's
    queue is full, and the kernel drops the next connection requests."""
    listener = socket.socket()
    listener.bind((address, port))
    listener.listen(0)
    case.addCleanup(listener.close)
    for _filler in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        case.addCleanup(filler.close)
    return listener.getsockname()[1]


class SlowReceiver(BaseHTTPRequestHandler):
    """Reads the call, then writes the answer of its server's ``answer``
    (``(bytes, pause before the next)``), counting what it sent and whether
    the caller closed the connection before the end."""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        try:
            for data, pause in server.answer():
                self.wfile.write(data)
                server.sent += len(data)
                if pause and server.stopping.wait(pause):
                    return
            server.completed = True
        except OSError:
            server.cut_off = True
        finally:
            server.finished.set()

    def log_message(self, *args):
        """Quiet: the tests read the server's counters."""


@tagged("post_install", "-at_install")
class TestWebhookDeadline(AutomationFlowCase):
    """A webhook call ends within the step's timeout whatever the receiver
    does: the timeout bounds the whole call, not each read of the socket;
    and only the start of an answer is read. Real receivers on 127.0.0.1,
    called by the scheduler."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
        cls.server.daemon_threads = True
        cls.server.stopping = threading.Event()
        thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(thread.join, 5)
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        # The slow answers stop at once when the class is done.
        cls.addClassCleanup(cls.server.stopping.set)
        allow_this_server(cls.env)
        cls.contact = cls.partners[0]
        cls.flow = cls.create_flow(
            name="Deadline flow", domain=repr([("id", "=", cls.contact.id)])
        )
        cls.step = cls.add_step(
            cls.flow,
            "webhook",
            name="Tell the slow shop",
            webhook_url=url_of(cls.server),
            webhook_timeout=TIMEOUT,
        )
        cls.after = cls.add_step(cls.flow, "action", parent=cls.step, name="After")
        cls.start(cls.flow)

    def call(self, answer):
        """Enroll the contact and run the scheduler once against a receiver
        answering ``answer``; return the webhook's task and the seconds the
        run took (real time: the clock is frozen inside)."""
        server = self.server
        server.answer, server.sent = answer, 0
        server.cut_off = server.completed = False
        server.finished = threading.Event()
        started = time.monotonic()
        with freeze_time(NOW), mute_logger("urllib3.connectionpool"):
            self.flow._enroll()
            self.run_due()
        elapsed = time.monotonic() - started
        return self.tasks_of(self.step), elapsed

    def assertCutOff(self):
        """The receiver found its connection closed before it had sent its
        whole answer."""
        self.assertTrue(self.server.finished.wait(ENDED_WITHIN), "receiver still on")
        self.assertTrue(self.server.cut_off)
        self.assertFalse(self.server.completed)

    def test_a_slow_drip_answer_is_cut_off_at_the_timeout(self):
        task, elapsed = self.call(drip_body)
        self.assertLess(elapsed, ENDED_WITHIN)
        # As a call without an answer: tried again later, same key.
        self.assertEqual(task.state, "scheduled")
        self.assertGreater(task.scheduled_at, NOW)
        self.assertFalse(task.webhook_status)
        self.assertIn("Attempt 1 failed", task.error_message)
        self.assertIn(
            "answered HTTP 200 but did not finish its answer within the step's "
            "timeout of 2 seconds",
            task.error_message,
        )
        self.assertFalse(self.tasks_of(self.after), "not delivered")
        self.assertCutOff()
        self.assertLess(self.server.sent, len(HEADERS) + 30)

    def test_headers_dripped_past_the_timeout_are_no_answer(self):
        task, elapsed = self.call(drip_headers)
        self.assertLess(elapsed, ENDED_WITHIN)
        self.assertEqual(task.state, "scheduled")
        self.assertFalse(task.webhook_status)
        self.assertIn("No answer within 2 seconds", task.error_message)
        self.assertCutOff()

    def test_headers_later_than_the_timeout_are_no_answer(self):
        task, elapsed = self.call(silent)
        self.assertLess(elapsed, ENDED_WITHIN)
        self.assertEqual(task.state, "scheduled")
        self.assertIn("No answer within 2 seconds", task.error_message)

    def test_a_huge_answer_is_read_only_for_its_start(self):
        task, elapsed = self.call(endless_body)
        self.assertLess(elapsed, ENDED_WITHIN)
        self.assertEqual(
            (task.state, task.outcome, task.webhook_status),
            ("done", "delivered", 200),
        )
        self.assertEqual(
            task.webhook_response, "y" * (webhook.EXCERPT_LENGTH - 3) + "..."
        )
        self.assertTasks(self.after, self.contact, "done")
        # The caller closed after the start: the receiver could only fill
        # the sockets' buffers, not send its gibibyte.
        self.assertCutOff()
        self.assertLess(self.server.sent, BUFFERED)

    def test_a_redirection_with_a_huge_body_is_not_read(self):
        """requests reads the whole body of a redirection it could follow,
        even when told not to follow it: the session does not."""
        task, elapsed = self.call(
            lambda: endless_body(
                b"301 Moved Permanently", b"Location: https://example.com/\r\n"
            )
        )
        self.assertLess(elapsed, ENDED_WITHIN)
        self.assertEqual((task.state, task.outcome), ("error", "failed"))
        self.assertIn("a redirection to https://example.com/", task.error_message)
        self.assertCutOff()
        self.assertLess(self.server.sent, BUFFERED)

    def test_a_receiver_that_does_not_accept_is_no_answer(self):
        """The connection itself waits at most the time left."""
        port = blackhole(self, "127.0.0.1")
        self.step.webhook_url = f"http://127.0.0.1:{port}/hook"
        task, elapsed = self.call(quick_answer)
        self.assertLess(elapsed, ENDED_WITHIN)
        self.assertEqual(task.state, "scheduled")
        self.assertIn("No answer within 2 seconds", task.error_message)

    def test_the_addresses_of_a_name_share_the_time(self):
        """A name resolving to several addresses, the first dropping
        connections: each attempt has its share of the time left, and the
        next address answers within the timeout (urllib3 gives each address
        the whole timeout: a call of twice its timeout, or more)."""
        self.env["ir.config_parameter"].set_param(ALLOWED_NETWORKS_PARAM, "127.0.0.0/8")
        receiver = ThreadingHTTPServer(("127.0.0.2", 0), SlowReceiver)
        receiver.daemon_threads = True
        receiver.stopping = threading.Event()
        receiver.answer, receiver.sent = quick_answer, 0
        receiver.cut_off = receiver.completed = False
        receiver.finished = threading.Event()
        thread = threading.Thread(target=receiver.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(receiver.server_close)
        self.addCleanup(receiver.shutdown)
        port = blackhole(self, "127.0.0.1", receiver.server_address[1])
        lookup, attempts = socket.getaddrinfo, []
        connect = webhook_transport.urllib3_connection.create_connection

        def resolve(host, *args, **kwargs):
            if host == "localhost":
                return lookup("127.0.0.1", *args, **kwargs) + lookup(
                    "127.0.0.2", *args, **kwargs
                )
            return lookup(host, *args, **kwargs)

        def attempt(address, timeout, **kwargs):
            attempts.append((address[0], timeout))
            return connect(address, timeout, **kwargs)

        self.step.webhook_url = f"http://localhost:{port}/hook"
        with (
            patch.object(socket, "getaddrinfo", resolve),
            patch.object(
                webhook_transport.urllib3_connection, "create_connection", attempt
            ),
        ):
            task, elapsed = self.call(quick_answer)
        self.assertLess(elapsed, ENDED_WITHIN)
        self.assertEqual((task.state, task.webhook_response), ("done", "ok"))
        self.assertTrue(receiver.finished.wait(ENDED_WITHIN))
        self.assertTrue(receiver.completed)
        self.assertEqual(
            [address for address, _t in attempts], ["127.0.0.1", "127.0.0.2"]
        )
        self.assertLessEqual(attempts[0][1], TIMEOUT / 2)
        self.assertLessEqual(sum(timeout for _a, timeout in attempts), TIMEOUT)

    def test_a_name_the_resolver_does_not_answer_for_is_no_answer(self):
        """The lookup of the receiver's name waits at most the time left: a
        resolver that hangs does not hold the call (or the scheduler)."""
        released = threading.Event()
        self.addCleanup(released.set)
        lookup = socket.getaddrinfo

        def hanging(host, port, *args, **kwargs):
            # Only this receiver's name (Odoo's tests call no other host).
            if (host, port) == ("localhost", 9):
                released.wait(30)
            return lookup(host, port, *args, **kwargs)

        self.step.webhook_url = "http://localhost:9/hook"
        with patch.object(socket, "getaddrinfo", hanging):
            task, elapsed = self.call(quick_answer)
        self.assertLess(elapsed, ENDED_WITHIN)
        self.assertEqual(task.state, "scheduled")
        self.assertIn("No answer within 2 seconds", task.error_message)
