"""Hostile files, small to write and huge when decoded: zip bombs, PNG bombs, odd .npy headers.

Deflate streams of zeros are built from one compressed MiB repeated: a full flush makes
each copy byte-aligned and independent of what came before, so N copies inflate to N MiB.
"""

from __future__ import annotations

import struct
import zlib

MIB = 1 << 20


def zeros_deflated(mib: int) -> bytes:
    """A raw deflate stream that inflates to ``mib`` MiB of zero bytes (~1 KB per MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * mib + b"\x03\x00"  # an empty final block ends the stream


def zip_bytes(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of deflated members (name, raw deflate data, declared inflated size, crc32),
    written by hand so that the declared sizes can be anything."""
    local, directory = b"", b""
    for name, data, size, crc in members:
        encoded = name.encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size,
                             len(encoded), 0)
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                                 len(data), size, len(encoded), 0, 0, 0, 0, 0,
                                 len(local)) + encoded
        local += header + encoded + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                      len(directory), len(local), 0)
    return local + directory + end


def npy(header: str, data: bytes = b"") -> bytes:
    """An .npy (version 1.0) with this exact header text."""
    text = header.encode("latin1") + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


def png_bomb(side: int) -> bytes:
    """A valid side x side 8-bit grayscale PNG, all white: a tiny file, a huge image."""
    row = b"\0" + b"\xff" * side  # filter byte "none", then the pixels
    rows_per_block = max(1, MIB // len(row))
    full, rest = divmod(side, rows_per_block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(row * rows_per_block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(row * rest) + compressor.flush()
    adler = 1
    for _ in range(full):
        adler = zlib.adler32(row * rows_per_block, adler)
    adler = zlib.adler32(row * rest, adler)
    stream = b"\x78\xda" + block * full + tail + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream)
            + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
