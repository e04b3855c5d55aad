"""The open connections of :mod:`hwd.server`: a cap, a deadline per request, a graceful stop.

``http.server`` gives each connection a thread and each read a timeout.  That leaves two gaps:
a client that sends one byte a second never trips the timeout, and a thousand such clients
hold a thousand threads.  And on stop, keep-alive connections keep being served until the
process dies under them.  This module closes those gaps:

* :class:`Link` is the socket reader of one connection.  Every read of a request counts
  against one deadline, from the request's first byte to its last; between requests only the
  idle timeout applies.  It knows the connection's phase: ``idle`` (waiting for a request),
  ``reading`` (a request has begun) or ``answering`` (the request is in, the answer is being
  made and sent).
* :class:`Links` keeps the open connections.  At most ``limit`` are open: a new connection
  takes the place of the one that has been idle or reading the longest, so a client that
  sends its request at once is served even while slow clients fill every place; only when
  every connection is being answered is a new one turned away (503).
* :meth:`Links.stop` stops the server's side gracefully: idle keep-alive connections are
  closed, requests in flight are finished (their answers say ``Connection: close``), and
  whatever is still open when the grace period ends is closed without an answer (never in
  the middle of one that fits the socket buffer, which every API answer does).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

IDLE, READING, ANSWERING = "idle", "reading", "answering"
CHUNK = 64 * 1024  # bytes asked of the socket per read


class Link:
    """One client connection, read through a per-request deadline (a file-like ``rfile``)."""

    def __init__(self, sock: socket.socket, links: Links) -> None:
        self.sock, self.links = sock, links
        self.buffer = bytearray()
        self.lines: list[bytes] = []  # the lines of the current request's head, as read
        self.phase, self.since = IDLE, time.monotonic()
        self.deadline = 0.0  # monotonic time by which the request being read must be complete
        self.dropped = False  # closed by the server (evicted, or left open at the end of a stop)
        self.closed = False

    # --- the phases -------------------------------------------------------------------------

    def next_request(self) -> bool:
        """Wait for the next request (idle); False if the server is stopping."""
        with self.links.lock:
            if self.links.stopping or self.dropped:
                return False
            self.lines.clear()
            self._enter(READING if self.buffer else IDLE)  # a pipelined request has begun
        return True

    def answering(self) -> None:
        """The request is in (or refused): from now on the connection is not taken away."""
        with self.links.lock:
            self._enter(ANSWERING)
        self.sock.settimeout(self.links.timeout)  # sendall's total time for each write

    def _enter(self, phase: str) -> None:
        """Change phase (with the lock held); a request starts its deadline."""
        self.phase, self.since = phase, time.monotonic()
        if phase == READING:
            self.deadline = self.since + self.links.deadline

    def drop(self) -> None:
        """Close the connection under its thread (with the lock held): reads see the end."""
        self.dropped = True
        with contextlib.suppress(OSError):  # already closed by the client
            self.sock.shutdown(socket.SHUT_RDWR)

    # --- reading ----------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Read more bytes into the buffer; False at the end of the stream.

        Raises TimeoutError when the client stays silent for the idle timeout, or when the
        request being read is not complete by its deadline.
        """
        if self.phase == READING:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request deadline passed")
            self.sock.settimeout(min(self.links.timeout, left))
        else:
            self.sock.settimeout(self.links.timeout)
        try:
            data = self.sock.recv(CHUNK)
        except OSError:
            if self.dropped:
                return False
            raise
        if data and self.phase == IDLE:
            with self.links.lock:
                self._enter(READING)
        self.buffer += data
        return bool(data)

    def readline(self, limit: int = -1) -> bytes:
        """A line up to and including ``\\n`` (or ``limit`` bytes, or what came before the end)."""
        line = self._line(limit)
        self.lines.append(line)
        return line

    def _line(self, limit: int) -> bytes:
        searched = 0
        while True:
            end = self.buffer.find(b"\n", searched)
            if end >= 0 and (limit < 0 or end < limit):
                return self._take(end + 1)
            if 0 <= limit <= len(self.buffer):
                return self._take(limit)
            searched = len(self.buffer)
            if not self._fill():
                return self._take(len(self.buffer))

    def read(self, size: int) -> bytes:
        """``size`` bytes, or fewer if the stream ends first."""
        while len(self.buffer) < size and self._fill():
            pass
        return self._take(min(size, len(self.buffer)))

    def _take(self, count: int) -> bytes:
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def close(self) -> None:
        """Part of the file interface ``http.server`` expects of ``rfile``."""
        self.closed = True


class Links:
    """The open connections of a server, at most ``limit``, and its stop."""

    def __init__(self, limit: int, timeout: float, deadline: float) -> None:
        self.limit, self.timeout, self.deadline = limit, timeout, deadline
        self.lock = threading.Condition()
        self.open: dict[socket.socket, Link] = {}
        self.stopping = False
        self.evicted = 0  # connections closed to make room, since the start

    def admit(self, sock: socket.socket) -> Link | None:
        """A link for a new connection, making room if needed; None to turn it away."""
        with self.lock:
            if self.stopping:
                return None
            if len(self.open) >= self.limit:
                victim = min((link for link in self.open.values() if link.phase != ANSWERING),
                             key=lambda link: link.since, default=None)
                if victim is None:
                    return None
                self._forget(victim)
                victim.drop()
                self.evicted += 1
            link = self.open[sock] = Link(sock, self)
            return link

    def get(self, sock: socket.socket) -> Link:
        """The link of an admitted connection (one evicted before its thread began is dropped)."""
        with self.lock:
            link = self.open.get(sock)
        if link is None:
            link = Link(sock, self)
            link.dropped = True
        return link

    def release(self, sock: socket.socket) -> None:
        """The connection's thread is done with it."""
        with self.lock:
            link = self.open.get(sock)
            if link is not None:
                self._forget(link)

    def _forget(self, link: Link) -> None:
        del self.open[link.sock]
        self.lock.notify_all()

    def stop(self, grace: float) -> int:
        """Close idle connections, wait up to ``grace`` s for the rest; the number cut off."""
        with self.lock:
            self.stopping = True
            for link in list(self.open.values()):
                if link.phase == IDLE and not link.buffer and not readable(link.sock):
                    self._forget(link)
                    link.drop()
            self.lock.wait_for(lambda: not self.open, grace)
            left = list(self.open.values())
            for link in left:
                self._forget(link)
                link.drop()
            return len(left)


def readable(sock: socket.socket) -> bool:
    """True if bytes (or the end of the stream) are waiting on ``sock``; poll works for any fd."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
