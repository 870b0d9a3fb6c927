# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The HTTP session of webhook calls: it connects only to addresses a
webhook may call (``engine/webhook.py``, ``callable_address``).

Every address the host's name resolves to is checked before connecting (an
internal service never sees the call, and the caller does not learn whether
its port is open), then the address the socket did connect to (a name that
resolved to a public address a moment before: DNS rebinding). Through an HTTP
proxy taken from the environment, the proxy's address is the one checked
(allow it if it is internal); a SOCKS proxy connects on its own and is not
checked. Redirections are never followed (``allow_redirects=False``).
"""

import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .engine import webhook


class RefusedAddress(Exception):
    """A webhook call was about to connect to an address it may not call.

    Not an ``OSError``: urllib3 and requests let it through unwrapped, so
    the step tells it apart from a receiver that does not answer.
    """

    def __init__(self, host, address):
        super().__init__(host, address)
        self.host, self.address = host, address


class _CheckedConnection:
    """Checks the peer of each new connection (mixed into urllib3's)."""

    allowed_networks = ()

    def _new_conn(self):
        try:
            resolved = socket.getaddrinfo(
                self._dns_host, self.port, type=socket.SOCK_STREAM
            )
        except OSError:
            resolved = []  # urllib3 reports the failed lookup itself
        for *_info, sockaddr in resolved:
            self._check(sockaddr[0])
        sock = super()._new_conn()
        try:
            self._check(sock.getpeername()[0])
        except RefusedAddress:
            sock.close()
            raise
        return sock

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


def checked_session(allowed_networks=()):
    """A ``requests`` session whose connections go only to public addresses
    and to ``allowed_networks``."""
    session = requests.Session()
    adapter = CheckedAdapter(allowed_networks)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
