# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The HTTP session of webhook calls: it connects only to addresses a
webhook may call (``engine/webhook.py``, ``callable_address``), and each
call ends within its timeout (``post``).

Every address the host's name resolves to is checked before connecting (an
internal service never sees the call, and the caller does not learn whether
its port is open), then the address the socket did connect to (a name that
resolved to a public address a moment before: DNS rebinding). Through an HTTP
proxy taken from the environment, the proxy's address is the one checked
(allow it if it is internal); a SOCKS proxy connects on its own and is not
checked. Redirections are never followed, and their body is not read.

requests and urllib3 give each connection attempt and each read of the
socket the whole timeout: a receiver sending a byte a second, or an endless
answer, would hold the call (and the scheduler) as long as it likes. Here a
call has one deadline (``webhook.Deadline``), which the session's
connections read from a context variable set for the call: each address
tried, the TLS handshake, each send and each read of the answer (status
line, headers, body) waits at most the time left, and none starts once it
passed. Only the start of the answer is read (``webhook.READ_BYTES``). The
lookup of the host's name waits at most the time left too: the system's
resolver cannot be interrupted, so it runs in a thread of its own, left to
end unseen when the call gives up on it.
"""

import contextvars
import http.client
import io
import socket
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import connection as urllib3_connection

from .engine import webhook

# The deadline of the call under way in this thread (``post``).
_DEADLINE = contextvars.ContextVar("automation_flow_webhook_deadline", default=None)


class RefusedAddress(Exception):
    """A webhook call was about to connect to an address it may not call.

    Not an ``OSError``: urllib3 and requests let it through unwrapped, so
    the step tells it apart from a receiver that does not answer.
    """

    def __init__(self, host, address):
        super().__init__(host, address)
        self.host, self.address = host, address


class TimedOut(Exception):
    """A webhook call did not end within its timeout and was cut off.

    ``status`` is the answer's HTTP status when its headers came in time
    (and the rest of the answer did not), else ``None``.
    """

    def __init__(self, status=None):
        super().__init__(status)
        self.status = status


def _time_left():
    """The seconds left to the call under way, ``None`` outside a call.
    Raises ``TimeoutError`` (a socket timeout, as urllib3 expects) once none
    is left: a timeout of 0 would make a socket non-blocking."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return None
    seconds = deadline.remaining()
    if not seconds:
        raise TimeoutError("the webhook call's time is over")
    return seconds


def _lookup(host, port):
    """The addresses of ``host`` (``socket.getaddrinfo``), looked up within
    the time left to the call; ``TimeoutError`` when the resolver takes
    longer."""
    seconds = _time_left()
    if seconds is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    outcome = {}

    def look_up():
        try:
            outcome["addresses"] = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            outcome["error"] = error

    thread = threading.Thread(
        target=look_up, name="automation_flow webhook lookup", daemon=True
    )
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"the lookup of {host} took longer than the time left")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["addresses"]


def _bound(sock):
    """Give the next operation on ``sock`` the time left to the call."""
    seconds = _time_left()
    if seconds is not None:
        sock.settimeout(seconds)


class _BoundedReader(io.RawIOBase):
    """The reads of a socket, each within the time left to the call."""

    def __init__(self, sock):
        super().__init__()
        self._sock = sock
        # A file of the socket keeps it open while the response reads it,
        # after http.client closed the connection's reference.
        self._file = sock.makefile("rb", buffering=0)

    def readable(self):
        return True

    def readinto(self, buffer):
        _bound(self._sock)
        return self._file.readinto(buffer)

    def fileno(self):
        return self._file.fileno()

    def close(self):
        self._file.close()
        return super().close()


class _BoundedResponse(http.client.HTTPResponse):
    """http.client's response, whose status line, headers and body are read
    within the time left to the call."""

    def __init__(self, sock, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp.close()
        self.fp = io.BufferedReader(_BoundedReader(sock))


class _CheckedConnection:
    """Checks the peer of each new connection and keeps each operation
    within the time left to the call (mixed into urllib3's)."""

    allowed_networks = ()
    response_class = _BoundedResponse

    def _new_conn(self):
        try:
            resolved = _lookup(self._dns_host, self.port)
        except TimeoutError as timeout:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out: {timeout}"
            ) from timeout
        except OSError:
            resolved = []  # urllib3 reports the failed lookup itself
        for *_info, sockaddr in resolved:
            self._check(sockaddr[0])
        sock = self._connect(resolved) if resolved else super()._new_conn()
        try:
            self._check(sock.getpeername()[0])
            # The TLS handshake and the first send within the time left.
            _bound(sock)
        except (RefusedAddress, OSError):
            sock.close()
            raise
        return sock

    def _connect(self, resolved):
        """Connect to the first of the checked addresses that accepts, each
        attempt within an equal share of the time left to the call, the
        last one all of it (urllib3 gives each address the whole timeout;
        the first taking all of it would leave none for a working second
        one, e.g. an IPv4 address after a dead IPv6 one)."""
        error = None
        for index, (*_info, sockaddr) in enumerate(resolved):
            try:
                seconds = _time_left()
                return urllib3_connection.create_connection(
                    (sockaddr[0], self.port),
                    self.timeout
                    if seconds is None
                    else seconds / (len(resolved) - index),
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as timeout:
                error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out: {timeout}"
                )
            except OSError as refused:
                error = NewConnectionError(
                    self, f"Failed to establish a new connection: {refused}"
                )
        raise error

    def send(self, data):
        if self.sock is not None:
            _bound(self.sock)
        return super().send(data)

    def _check(self, address):
        if not webhook.callable_address(address, self.allowed_networks):
            raise RefusedAddress(self.host, address)


class CheckedAdapter(HTTPAdapter):
    """urllib3 pools whose connections check their peer."""

    def __init__(self, allowed_networks=()):
        # Set before HTTPAdapter.__init__, which builds the pool manager.
        self._pool_classes = {
            scheme: type(
                pool.__name__,
                (pool,),
                {
                    "ConnectionCls": type(
                        connection.__name__,
                        (_CheckedConnection, connection),
                        {"allowed_networks": tuple(allowed_networks)},
                    )
                },
            )
            for scheme, pool, connection in (
                ("http", HTTPConnectionPool, HTTPConnection),
                ("https", HTTPSConnectionPool, HTTPSConnection),
            )
        }
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        result = super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes
        return result

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = self._pool_classes
        return manager


class _CheckedSession(requests.Session):
    def get_redirect_target(self, resp):
        """None: redirections are not followed, and requests reads the whole
        body of one it could follow, even with ``allow_redirects=False``."""
        return None


def checked_session(allowed_networks=()):
    """A ``requests`` session whose connections go only to public addresses
    and to ``allowed_networks``."""
    session = _CheckedSession()
    adapter = CheckedAdapter(allowed_networks)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def post(session, url, data, headers, timeout):
    """POST ``data`` once over a ``checked_session`` and read the start of
    the answer; return ``(response, text)``: the response, closed, and the
    text of the first ``webhook.READ_BYTES`` of its body.

    The whole call ends within ``timeout`` seconds (the lookup of the host's
    name aside), else raises ``TimedOut``. Also raises ``RefusedAddress``
    and requests' errors (no connection).
    """
    deadline = webhook.Deadline(timeout)
    token = _DEADLINE.set(deadline)
    try:
        try:
            response = session.post(
                url,
                data=data,
                # Not compressed: a few kilobytes are read, as they come.
                headers={**headers, "Accept-Encoding": "identity"},
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as error:
            if isinstance(error, requests.Timeout) or not deadline.remaining():
                raise TimedOut() from error
            raise
        # Closed without reading the rest: the connection is not reused.
        with response:
            try:
                start = response.raw.read(webhook.READ_BYTES, decode_content=True)
            except (Urllib3Error, OSError) as error:
                if not deadline.remaining():
                    raise TimedOut(response.status_code) from error
                # The status is the answer; its body is only shown.
                start = b""
    finally:
        _DEADLINE.reset(token)
    return response, start.decode(response.encoding or "utf-8", errors="replace")
