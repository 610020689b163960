"""LEB128 numbers of the wasm binary format: what the build's module scripts
(`short-imports.py`, `order-functions.py`, `wasm-sizes.py`) read and write."""


def leb(b, i):
    """The unsigned LEB128 number at `b[i]`, and the offset after it."""
    result = shift = 0
    while True:
        byte = b[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def uleb(n):
    """`n` as unsigned LEB128, in as few bytes as it takes."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
