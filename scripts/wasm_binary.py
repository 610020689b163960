"""Pieces of the wasm binary format that the build's module scripts
(`short-imports.py`, `order-functions.py`, `wasm-sizes.py`) share: LEB128
numbers, and the walk over an import's descriptor."""


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


def skip_import(b, k):
    """The offset after the import descriptor at `b[k]` (its kind byte first);
    `ValueError` for a kind this does not know."""
    kind = b[k]
    k += 1
    if kind == 0:  # function: type index
        _, k = leb(b, k)
    elif kind == 1:  # table: reftype, limits
        k += 1
        flags, k = leb(b, k)
        _, k = leb(b, k)
        if flags & 1:
            _, k = leb(b, k)
    elif kind == 2:  # memory: limits
        flags, k = leb(b, k)
        _, k = leb(b, k)
        if flags & 1:
            _, k = leb(b, k)
    elif kind == 3:  # global: valtype, mutability
        k += 2
    elif kind == 4:  # tag
        k += 1
        _, k = leb(b, k)
    else:
        raise ValueError(f"unknown import kind {kind}")
    return k
