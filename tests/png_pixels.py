"""Pixels of a PNG (8-bit RGB or RGBA, not interlaced), with the standard library only."""

import struct
import zlib


def pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, channels, rows of bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + best) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def rgb(data: bytes) -> "numpy.ndarray":  # noqa: F821
    """The PNG as an (height, width, 3) array of 0..255 (matplotlib's decoder when it is
    installed, which is fast; else the one above)."""
    import numpy as np

    try:
        from matplotlib.image import imread
    except ImportError:
        width, height, channels, rows = pixels(data)
        flat = np.frombuffer(b"".join(rows), dtype=np.uint8)
        return flat.reshape(height, width, channels)[:, :, :3].astype(int)
    import io

    return (imread(io.BytesIO(data), format="png")[:, :, :3] * 255).round().astype(int)


def count_unlike(data: bytes, background: tuple[int, int, int], tolerance: int = 24) -> int:
    """How many pixels differ from ``background`` by more than ``tolerance`` in a channel."""
    import numpy as np

    image = rgb(data)
    return int((np.abs(image - np.array(background)) > tolerance).any(axis=2).sum())
