"""A minimal, bounds-checked flatbuffer reader (only what the TFLite schema needs).

Every read is checked against the buffer so that a truncated or corrupt file raises
`FlatbufferError` instead of returning garbage or an IndexError deep inside a pass.
"""
from __future__ import annotations

import struct

import numpy as np


class FlatbufferError(ValueError):
    pass


class Table:
    """One flatbuffer table: fields are addressed by their index in the schema."""

    def __init__(self, buf: bytes, pos: int):
        self.buf = buf
        self.pos = pos
        vtable = pos - self._read("<i", pos)
        self._vtable = vtable
        self._vtable_len = self._read("<H", vtable)
        if self._vtable_len < 4 or vtable + self._vtable_len > len(buf):
            raise FlatbufferError(f"corrupt vtable at offset {vtable}")

    def _read(self, fmt: str, pos: int):
        size = struct.calcsize(fmt)
        if pos < 0 or pos + size > len(self.buf):
            raise FlatbufferError(f"read past the end of the file at offset {pos}")
        return struct.unpack_from(fmt, self.buf, pos)[0]

    def _field_pos(self, index: int) -> int | None:
        entry = 4 + 2 * index
        if entry >= self._vtable_len:
            return None
        offset = self._read("<H", self._vtable + entry)
        return self.pos + offset if offset else None

    def scalar(self, index: int, fmt: str, default=0):
        pos = self._field_pos(index)
        return default if pos is None else self._read("<" + fmt, pos)

    def _indirect(self, index: int) -> int | None:
        pos = self._field_pos(index)
        return None if pos is None else pos + self._read("<I", pos)

    def table(self, index: int) -> Table | None:
        pos = self._indirect(index)
        return None if pos is None else Table(self.buf, pos)

    def _vector(self, index: int) -> tuple[int, int] | None:
        pos = self._indirect(index)
        if pos is None:
            return None
        return pos + 4, self._read("<I", pos)

    def string(self, index: int, default: str = "") -> str:
        vec = self._vector(index)
        if vec is None:
            return default
        start, length = vec
        if start + length > len(self.buf):
            raise FlatbufferError(f"string past the end of the file at offset {start}")
        return self.buf[start:start + length].decode("utf-8", errors="replace")

    def array(self, index: int, dtype: str) -> np.ndarray | None:
        """A vector of scalars as a numpy array (little-endian `dtype`), or None if absent."""
        vec = self._vector(index)
        if vec is None:
            return None
        start, length = vec
        item = np.dtype(dtype).itemsize
        if start + length * item > len(self.buf):
            raise FlatbufferError(f"vector of {length} items runs past the end of the file")
        return np.frombuffer(self.buf, dtype=dtype, count=length, offset=start)

    def tables(self, index: int) -> list[Table]:
        vec = self._vector(index)
        if vec is None:
            return []
        start, length = vec
        if start + 4 * length > len(self.buf):
            raise FlatbufferError(f"vector of {length} tables runs past the end of the file")
        return [Table(self.buf, start + 4 * i + self._read("<I", start + 4 * i)) for i in range(length)]


def root_table(buf: bytes, identifier: bytes | None = None) -> Table:
    if len(buf) < 8:
        raise FlatbufferError(f"only {len(buf)} bytes, too short for a flatbuffer")
    if identifier is not None and buf[4:8] != identifier:
        raise FlatbufferError(f"file identifier is {buf[4:8]!r}, expected {identifier!r}")
    return Table(buf, struct.unpack_from("<I", buf, 0)[0])
