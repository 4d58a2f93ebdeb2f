"""Pickled messages over a stream socket, each framed by its length: the lanes' wire
(:mod:`service.lanes`).

A post's lane runs from the event loop to a reader's process, from there to the writer's
process, and back the same way. Each end reads without blocking (``MSG_DONTWAIT``) and keeps
what it has of a message until the rest comes. A reader's process also sends to the writer
without blocking, keeping what the socket would not take: the writer sends its answers
blocking, and two processes that each wait for the other to read would wait forever. The
loop's end is an :class:`asyncio.Protocol` (:class:`FrameProtocol`), whose writes the loop
buffers itself.

Only processes of one service talk over these sockets (a socketpair, or a Unix socket in a
directory only the service's user can enter), and only values they built themselves cross.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct("!Q")
#: Bytes read from a socket at most in one call.
_CHUNK = 1 << 18


def frame(message: object) -> bytes:
    """``message`` pickled, after its length."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


class _Unframer:
    """Bytes in, whole messages out."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def messages(self, data: bytes) -> list[Any]:
        buffer = self._buffer
        buffer += data
        found: list[Any] = []
        start, size = 0, len(buffer)
        while size - start >= _HEADER.size:
            (length,) = _HEADER.unpack_from(buffer, start)
            end = start + _HEADER.size + length
            if end > size:
                break
            found.append(pickle.loads(memoryview(buffer)[start + _HEADER.size : end]))
            start = end
        if start:
            del buffer[:start]
        return found


class Framed:
    """One end of a lane in a child process: a stream socket of framed messages."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._unframer = _Unframer()
        self._out = bytearray()

    def fileno(self) -> int:
        return self.sock.fileno()

    def receive(self) -> list[Any]:
        """The whole messages that have come (maybe none); :class:`EOFError` once the other
        end has closed and every message is read."""
        found: list[Any] = []
        while True:
            try:
                data = self.sock.recv(_CHUNK, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return found
            except ConnectionResetError:
                data = b""
            if not data:
                if found:
                    return found  # the end is seen again on the next call
                raise EOFError("the lane's other end closed")
            found.extend(self._unframer.messages(data))
            if len(data) < _CHUNK:
                return found

    def send(self, message: object) -> None:
        """Send ``message``, waiting for room in the socket if need be."""
        if self._out:  # what was queued goes first
            self._out += frame(message)
            self.sock.sendall(self._out)  # the socket blocks but for MSG_DONTWAIT calls
            self._out.clear()
        else:
            self.sock.sendall(frame(message))

    def queue(self, message: object) -> None:
        """Send ``message`` as far as the socket takes it now; :meth:`flush` the rest when
        it is writable (:attr:`pending`)."""
        self._out += frame(message)
        self.flush()

    def flush(self) -> None:
        """Send what is queued as far as the socket takes it now."""
        while self._out:
            try:
                sent = self.sock.send(self._out, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            del self._out[:sent]

    @property
    def pending(self) -> bool:
        """Whether queued bytes wait for room in the socket."""
        return bool(self._out)

    def close(self) -> None:
        self.sock.close()


class FrameProtocol(asyncio.Protocol):
    """The event loop's end of a lane: ``received(message)`` for each message that comes,
    ``lost(error)`` once when the connection ends."""

    def __init__(
        self, received: Callable[[Any], None], lost: Callable[[Exception | None], None]
    ) -> None:
        self._received = received
        self._lost = lost
        self._unframer = _Unframer()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        for message in self._unframer.messages(data):
            self._received(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._lost(exc)

    def send(self, message: object) -> bool:
        """Write ``message`` (buffered by the loop); False if the connection is gone."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        transport.write(frame(message))
        return True
