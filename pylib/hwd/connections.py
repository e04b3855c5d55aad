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
* :class:`Links` keeps the open connections, at most ``limit`` of them.
* :class:`Lobby` holds, without a thread, the connections that arrive while every place is
  taken.  One whose request head is in takes the place of the connection that has been idle
  or reading the longest, so a client that sends its request at once is served even while
  slow clients fill every place; any takes a place that frees up; one still waiting after a
  second is turned away (503).  A client that trickles its request head thus cannot push
  anyone out, and costs no thread while it waits.
* :meth:`Links.stop` stops the server's side gracefully: idle keep-alive connections are
  closed, requests in flight are finished (their answers say ``Connection: close``), and
  whatever is still open when the grace period ends is closed without an answer (never in
  the middle of one that fits the socket buffer, which every API answer does).
"""

from __future__ import annotations

import contextlib
import queue
import select
import selectors
import socket
import threading
import time
import traceback
from collections.abc import Callable

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

    def admit(self, sock: socket.socket, evict: bool = False) -> Link | None:
        """A link for a new connection if there is a place (or, with ``evict``, if one can be
        made by closing the connection idle or reading the longest); None otherwise."""
        with self.lock:
            if self.stopping:
                return None
            if len(self.open) >= self.limit:
                if not evict:
                    return None
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


HEAD_ENDS = (b"\r\n\r\n", b"\n\n")
PEEK = 64 * 1024  # bytes looked at for the end of a request head (a longer head gets 431)
RECHECK = 0.05  # seconds before looking again at a connection whose head is not all in


class Lobby:
    """Connections waiting, without a thread, for a place among the open ones (see above).

    The accepting thread hands arrivals in with :meth:`add`; the lobby's own thread watches
    them with a selector and calls ``start(sock, address)`` for one that gets a place, or
    ``refuse(sock)`` for one that waited ``wait`` seconds in vain (or when stopping).
    """

    def __init__(self, links: Links, start: Callable[[socket.socket, tuple], None],
                 refuse: Callable[[socket.socket], None], wait: float, size: int) -> None:
        self.links, self.start, self.refuse, self.wait, self.size = (
            links, start, refuse, wait, size)
        self.arrivals: queue.SimpleQueue = queue.SimpleQueue()
        self.waiting: dict[socket.socket, tuple[tuple, float]] = {}  # address, arrival time
        self.resting: dict[socket.socket, float] = {}  # head not all in: look again then
        self.selector = selectors.DefaultSelector()
        self.bell, self.ringer = socket.socketpair()
        self.bell.setblocking(False)
        self.ringer.setblocking(False)
        self.selector.register(self.bell, selectors.EVENT_READ)
        self.closing = False
        self.turned_away = 0  # connections that waited in vain, since the start
        self.thread = threading.Thread(target=self.run, name="hwd-lobby", daemon=True)
        self.thread.start()

    def add(self, sock: socket.socket, address: tuple) -> bool:
        """Let ``sock`` wait for a place; False if the lobby is full (turn it away)."""
        if self.closing or len(self.waiting) + self.arrivals.qsize() >= self.size:
            return False
        self.arrivals.put((sock, address))
        self._ring()
        return True

    def close(self) -> None:
        """Turn away everyone waiting and stop the lobby's thread."""
        self.closing = True
        self._ring()
        self.thread.join(5)

    def _ring(self) -> None:
        with contextlib.suppress(OSError):  # the bell is already ringing (its buffer is full)
            self.ringer.send(b"\0")

    def run(self) -> None:
        while not self.closing:
            try:
                self._turn()
            except Exception:  # a bug, or no thread to be had: the lobby must go on
                traceback.print_exc()
        for sock in list(self.waiting):
            self._leave(sock)
            self.refuse(sock)
        while not self.arrivals.empty():
            self.refuse(self.arrivals.get()[0])
        self.selector.close()
        self.bell.close()
        self.ringer.close()

    def _turn(self) -> None:
        """Take in arrivals, look at those that sent something, let time pass."""
        ready = [key.fileobj for key, _ in self.selector.select(RECHECK)]
        if self.bell in ready:
            with contextlib.suppress(OSError):
                self.bell.recv(4096)
        while not self.arrivals.empty():
            sock, address = self.arrivals.get()
            sock.setblocking(False)
            self.waiting[sock] = (address, time.monotonic())
            self.selector.register(sock, selectors.EVENT_READ)
        for sock in ready:
            if sock is not self.bell and sock in self.waiting:
                self._look(sock)
        self._pass_time()

    def _look(self, sock: socket.socket) -> None:
        """A waiting connection has sent something: is its request head all in?"""
        try:
            data = sock.recv(PEEK, socket.MSG_PEEK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._leave(sock)
            sock.close()
        elif any(end in data for end in HEAD_ENDS) or len(data) >= PEEK:
            self._enter(sock, evict=True)
        else:  # level-triggered: do not look again until more may have come
            self.selector.unregister(sock)
            self.resting[sock] = time.monotonic() + RECHECK

    def _pass_time(self) -> None:
        """Wake rested connections, give freed places away, turn away who waited too long."""
        now = time.monotonic()
        for sock, until in list(self.resting.items()):
            if now >= until:
                del self.resting[sock]
                self.selector.register(sock, selectors.EVENT_READ)
        while self.waiting:  # oldest first (dicts keep their order of arrival)
            sock, (_, since) = next(iter(self.waiting.items()))
            if len(self.links.open) < self.links.limit and self._enter(sock, evict=False):
                continue
            if now - since < self.wait:
                break
            self._leave(sock)
            self.turned_away += 1
            self.refuse(sock)

    def _enter(self, sock: socket.socket, evict: bool) -> bool:
        """Give ``sock`` a place among the open connections, if it can have one."""
        if self.links.admit(sock, evict) is None:
            return False
        address, _ = self._leave(sock)
        sock.setblocking(True)
        self.start(sock, address)
        return True

    def _leave(self, sock: socket.socket) -> tuple[tuple, float]:
        if sock in self.resting:
            del self.resting[sock]
        else:
            self.selector.unregister(sock)
        return self.waiting.pop(sock)
