"""Webhooks: what a call sends, how it is signed, what its answer means.

How to use
==========

The webhook step (``models/automation_flow_step_webhook.py``) builds the body
with ``body`` and the headers with ``headers``, posts them, then reads the
answer with ``verdict``. A receiver checks the signature as ``signature``
computes it (see ``readme/USAGE.md``).

How it works
============

The body is JSON with sorted keys and no spaces, so that the bytes signed are
the bytes sent:

>>> body({"values": {"name": "Ann"}, "flow": {"id": 1}})
b'{"flow":{"id":1},"values":{"name":"Ann"}}'

The signature is HMAC-SHA256 with the flow's secret over the timestamp, a
dot and the body: a receiver that refuses old timestamps refuses a call
replayed later, and a body cannot be moved to another timestamp.

>>> signature("s3cret", 1767225600, b'{"a":1}')
'sha256=7d4120fcebf444efab10ba7cd6c651bf463cefb039db5fad37ff9f7231ac8a4a'
>>> signed = signature("s3cret", 1767225600, b'{"a":1}')
>>> verify("s3cret", 1767225600, b'{"a":1}', signed)
True
>>> verify("s3cret", 1767225600, b'{"a":2}', signed)
False
>>> verify("another secret", 1767225600, b'{"a":1}', signed)
False

The idempotency key names the task in its database: every attempt of a task
(a retry, a call again after a crash) carries the same key, two tasks or two
databases never share one.

>>> key = idempotency_key("db-uuid", 42)
>>> key == idempotency_key("db-uuid", 42), key == idempotency_key("db-uuid", 43)
(True, False)
>>> key == idempotency_key("another-db", 42)
False
>>> sorted(headers("s3cret", b"{}", key, 1767225600))
['Content-Type', 'Idempotency-Key', 'User-Agent', 'X-Automation-Flow-Signature', \
'X-Automation-Flow-Timestamp']

An answer is *done* (2xx), to be tried again later (*retry*: 5xx, 408
Request Timeout, 429 Too Many Requests; no answer at all: timeout or
connection error) or a refusal that another try would not change (*error*:
other 4xx, and redirections, which a POST must not follow):

>>> [verdict(code) for code in (200, 204, 301, 400, 404, 408, 429, 500, 503)]
['done', 'done', 'error', 'error', 'error', 'retry', 'retry', 'retry', 'retry']
>>> verdict(None)  # no answer
'retry'

A receiver may say when to come back (``Retry-After`` in seconds, bounded):

>>> retry_after("120"), retry_after("junk"), retry_after(None), retry_after("999999")
(120, None, None, 86400)

Values of the record become JSON: a many2one as ``[id, name]``, dates in ISO
8601 (datetimes in UTC, as Odoo stores them), empty values as ``null`` (Odoo
reads them as ``False``):

>>> json_value(datetime.date(2026, 3, 2))
'2026-03-02'
>>> json_value(datetime.datetime(2026, 3, 2, 9, 0))
'2026-03-02T09:00:00+00:00'
>>> json_value(False, "char"), json_value(False, "boolean"), json_value((7, "Ann"))
(None, False, [7, 'Ann'])
>>> excerpt("x" * 600)[-3:], len(excerpt("x" * 600)), excerpt(None)
('...', 500, '')

Only the start of an answer is read, enough for its excerpt (4 bytes at most
per character in UTF-8) and the blank lines ``excerpt`` strips: a receiver
answering gigabytes sends them to a closed connection.

>>> 4 * EXCERPT_LENGTH < READ_BYTES
True

A call ends within its timeout whatever the receiver does: the timeout is a
deadline for the whole call, not for each read of the socket (a receiver
sending a byte a second would otherwise hold the scheduler as long as it
likes). Each part of the call (connecting, sending, each read of the answer)
waits at most the time left (``webhook_transport.py``); none is left once
the deadline passed:

>>> clock = iter([100.0, 101.5, 102.0, 103.0]).__next__
>>> deadline = Deadline(2, clock)
>>> deadline.remaining(), deadline.remaining(), deadline.remaining()
(0.5, 0.0, 0.0)

A webhook only calls public addresses: not the server itself, its private
network or the cloud's metadata service, which a flow manager could
otherwise reach and read answers from. An administrator allows internal
receivers by network:

>>> [callable_address(a) for a in ("93.184.216.34", "2606:4700::1111")]
[True, True]
>>> [callable_address(a) for a in ("127.0.0.1", "10.1.2.3", "192.168.0.9",
...     "169.254.169.254", "0.0.0.0", "::1", "::ffff:127.0.0.1", "fe80::1%eth0",
...     "224.0.0.1")]
[False, False, False, False, False, False, False, False, False]
>>> networks = allowed_networks("10.0.0.0/8, 127.0.0.1  fd00::/8")
>>> networks
[IPv4Network('10.0.0.0/8'), IPv4Network('127.0.0.1/32'), IPv6Network('fd00::/8')]
>>> [callable_address(a, networks) for a in ("10.1.2.3", "127.0.0.1", "127.0.0.2")]
[True, True, False]
>>> allowed_networks(""), allowed_networks(None)
([], [])
>>> allowed_networks("10.0.0.0/8, intranet")
Traceback (most recent call last):
...
ValueError: intranet

A host named in a URL is checked when the step is saved if it is an address
or ``localhost``; any other name is checked where it matters, on the address
each call connects to (``webhook_transport.py``):

>>> [literal_address(h) for h in ("127.0.0.1", "LocalHost", "api.localhost",
...     "::1", "example.com")]
['127.0.0.1', '127.0.0.1', '127.0.0.1', '::1', None]
"""

import datetime
import hashlib
import hmac
import ipaddress
import json
import time
import uuid

DONE = "done"
RETRY = "retry"
ERROR = "error"
# Statuses a receiver returns when it is busy or timed out: try again later.
RETRIED_STATUSES = (408, 429)
MAX_RETRY_AFTER = 86400
EXCERPT_LENGTH = 500
# The bytes of an answer's body read for its excerpt (and a margin).
READ_BYTES = 4096
SIGNATURE_HEADER = "X-Automation-Flow-Signature"
TIMESTAMP_HEADER = "X-Automation-Flow-Timestamp"
KEY_HEADER = "Idempotency-Key"
USER_AGENT = "Odoo automation_flow webhook"
# The namespace of the idempotency keys (a fixed, random UUID).
KEY_NAMESPACE = uuid.UUID("9c1f0e53-5d8e-4bb3-9f4e-3a5d2b7f6e01")


def body(payload):
    """The bytes sent for ``payload``: compact JSON, keys sorted."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def signature(secret, timestamp, data):
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of
    ``<timestamp>.<body>`` with ``secret``."""
    message = f"{int(timestamp)}.".encode() + data
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret, timestamp, data, received):
    """Whether ``received`` is the signature of ``data`` at ``timestamp``
    (constant-time), as a receiver checks it."""
    return hmac.compare_digest(signature(secret, timestamp, data), received or "")


def idempotency_key(database_uuid, task_id):
    """The key of every call of one task, stable across attempts."""
    return str(uuid.uuid5(KEY_NAMESPACE, f"{database_uuid}:{task_id}"))


def headers(secret, data, key, timestamp):
    """The headers of a call: content type, signature, timestamp, key."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secret, timestamp, data),
        TIMESTAMP_HEADER: str(int(timestamp)),
        KEY_HEADER: key,
    }


def verdict(status):
    """What an HTTP status means for the task: ``done``, ``retry`` or
    ``error``; ``None`` (no answer) is retried."""
    if status is None or status >= 500 or status in RETRIED_STATUSES:
        return RETRY
    if 200 <= status < 300:
        return DONE
    return ERROR


def retry_after(value):
    """Seconds of a ``Retry-After`` header in seconds, else ``None`` (an
    HTTP date is left to the step's retry pattern)."""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return min(max(seconds, 1), MAX_RETRY_AFTER)


def json_value(value, field_type=None):
    """A value as the ORM reads it (``read``), for JSON."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=datetime.timezone.utc).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if value is False and field_type != "boolean":
        return None
    return value


def excerpt(text):
    """The start of an answer or an error, short enough to keep on a task."""
    text = (text or "").strip()
    if len(text) > EXCERPT_LENGTH:
        return text[: EXCERPT_LENGTH - 3] + "..."
    return text


class Deadline:
    """The end of a call, ``seconds`` after it started."""

    # The real monotonic clock, bound when the module is imported: a call
    # takes real time, even under a test's frozen clock (freezegun).
    def __init__(self, seconds, clock=time.monotonic):
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self):
        """The seconds left before the deadline, 0 once it passed."""
        return max(self._end - self._clock(), 0.0)


def allowed_networks(text):
    """The networks an administrator allows besides public addresses:
    addresses or CIDR blocks separated by commas or spaces. Raises
    ``ValueError`` naming the first entry that is neither."""
    networks = []
    for entry in (text or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(entry) from None
    return networks


def callable_address(address, networks=()):
    """Whether a webhook may connect to ``address``: a public (global
    unicast) address, or one in ``networks``."""
    # A link-local IPv6 address carries its interface (fe80::1%eth0).
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in networks):
        return True
    return ip.is_global and not ip.is_multicast


def literal_address(host):
    """The address a URL's host names without a lookup (an IP address, or
    ``localhost`` and its subdomains, loopback by RFC 6761), else ``None``."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None
