#!/usr/bin/env python3
"""Orders the module's functions so that gzip finds more repeats.

Usage: scripts/order-functions.py FILE.wasm   (after the last wasm-opt run;
rewrites FILE.wasm in place)

Deflate finds a repeat only within the last 32 KB, and a near one costs fewer
bits than a far one, so which functions sit next to each other moves the
gzipped module by hundreds of bytes (binaryen's `--reorder-functions`, which
orders by call count, costs +380 B here). This finds an order of the code
section's bodies that deflates smaller and lays the module out in it:

- the search: for a few weights `a`, a greedy chain that appends, each time,
  the body whose deflated cost after the chain so far, less `a` times its
  length, is least; the best chain is then improved by moving one function or
  a run of them elsewhere, kept when the whole deflates smaller. Its steps are
  fixed (`S3LIFT_ORDER_STEPS`, 2000) and so is its seed: the same module gives
  the same order.
- the rewrite: the function and code sections in the new order, and every
  function index renumbered: `call` and `ref.func` in the bodies (each body is
  decoded instruction by instruction; an opcode this does not know stops the
  build), the exports, the start function, the element segments and the
  globals' initializers. Imported functions keep their indices.

Checks: renumbering with the identity gives the module back byte for byte; the
result has the same sections, functions and bodies (up to the indices' LEB
lengths); and the module is kept as it was unless the new one gzips smaller
(gzip -9, as build-client.sh measures it).
"""
import gzip
import os
import random
import sys
import zlib

sys.dont_write_bytecode = True  # no scripts/__pycache__ from the import below
from wasm_binary import leb, skip_import, uleb  # noqa: E402


class Unknown(Exception):
    pass


def skip_sleb(b, i):
    while b[i] & 0x80:
        i += 1
    return i + 1


def sections(b):
    """[(id, payload)] of the module's sections, in order."""
    if b[:8] != b"\0asm\1\0\0\0":
        raise Unknown("not a wasm module")
    out, i = [], 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        out.append((sid, b[j:j + size]))
        i = j + size
    return out


def module(secs):
    out = bytearray(b"\0asm\1\0\0\0")
    for sid, payload in secs:
        out += bytes([sid]) + uleb(len(payload)) + payload
    return bytes(out)


def imported_functions(b):
    count, i = leb(b, 0)
    funcs = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            n, i = leb(b, i)
            i += n
        funcs += b[i] == 0  # a function
        i = skip_import(b, i)
    return funcs


# Opcodes by their immediates (MVP, sign-ext, non-trapping conversions, bulk
# memory, reference types, multivalue: the features build-client.sh enables).
NO_IMMEDIATE = {0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1} | set(range(0x45, 0xC5))
ONE_INDEX = {0x0C, 0x0D, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26}
MEMARG = set(range(0x28, 0x3F))
CALL, REF_FUNC = 0x10, 0xD2


def expr(b, i, f, out):
    """Copies the instructions from `b[i]` through the `end` that closes them
    into `out`, function indices mapped by `f`; returns the offset after it."""
    depth = 0
    while True:
        op = b[i]
        start = i
        i += 1
        if op in NO_IMMEDIATE:
            if op == 0x0B:
                if depth == 0:
                    out += b[start:i]
                    return i
                depth -= 1
        elif op in (0x02, 0x03, 0x04):  # block, loop, if: a block type
            depth += 1
            i = skip_sleb(b, i) if b[i] not in (0x40, 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F) else i + 1
        elif op in ONE_INDEX:
            _, i = leb(b, i)
        elif op == 0x0E:  # br_table
            n, i = leb(b, i)
            for _ in range(n + 1):
                _, i = leb(b, i)
        elif op in (CALL, REF_FUNC):
            idx, i = leb(b, i)
            out += bytes([op]) + uleb(f(idx))
            continue
        elif op == 0x11:  # call_indirect: type, table
            _, i = leb(b, i)
            _, i = leb(b, i)
        elif op == 0x1C:  # select with types
            n, i = leb(b, i)
            i += n
        elif op in MEMARG:
            _, i = leb(b, i)
            _, i = leb(b, i)
        elif op in (0x3F, 0x40, 0xD0):  # memory.size/grow (memory 0), ref.null (a type)
            i += 1
        elif op in (0x41, 0x42):
            i = skip_sleb(b, i)
        elif op == 0x43:
            i += 4
        elif op == 0x44:
            i += 8
        elif op == 0xFC:
            sub, i = leb(b, i)
            if sub <= 7:  # saturating conversions
                pass
            elif sub in (8, 12, 14):  # memory.init, table.init, table.copy: two indices
                _, i = leb(b, i)
                _, i = leb(b, i)
            elif sub in (9, 11, 13, 15, 16, 17):  # one index
                _, i = leb(b, i)
            elif sub == 10:  # memory.copy: two memories
                _, i = leb(b, i)
                _, i = leb(b, i)
            else:
                raise Unknown(f"opcode 0xFC {sub}")
        else:
            raise Unknown(f"opcode {op:#x}")
        out += b[start:i]


def body(b, f):
    """A code section entry's body (locals, then instructions) mapped by `f`."""
    groups, i = leb(b, 0)
    for _ in range(groups):
        _, i = leb(b, i)
        i += 1
    out = bytearray(b[:i])
    if expr(b, i, f, out) != len(b):
        raise Unknown("a body continues after its end")
    return bytes(out)


def elements(b, f):
    count, i = leb(b, 0)
    out = bytearray(uleb(count))
    for _ in range(count):
        flags, j = leb(b, i)
        out += b[i:j]
        i = j
        if flags & 2 and not flags & 1:  # a table index
            start = i
            _, i = leb(b, i)
            out += b[start:i]
        if not flags & 1:  # active: the offset
            i = expr(b, i, f, out)
        if flags & 3:  # an element kind or reftype
            out += b[i:i + 1]
            i += 1
        n, i = leb(b, i)
        out += uleb(n)
        for _ in range(n):
            if flags & 4:
                i = expr(b, i, f, out)
            else:
                idx, i = leb(b, i)
                out += uleb(f(idx))
    return bytes(out)


def exports(b, f):
    count, i = leb(b, 0)
    out = bytearray(uleb(count))
    for _ in range(count):
        n, j = leb(b, i)
        j += n
        out += b[i:j + 1]
        kind = b[j]
        idx, i = leb(b, j + 1)
        out += uleb(f(idx) if kind == 0 else idx)
    return bytes(out)


def globals_(b, f):
    count, i = leb(b, 0)
    out = bytearray(uleb(count))
    for _ in range(count):
        out += b[i:i + 2]  # valtype, mutability
        i = expr(b, i + 2, f, out)
    return bytes(out)


def code_bodies(b):
    count, i = leb(b, 0)
    out = []
    for _ in range(count):
        size, j = leb(b, i)
        out.append(b[j:j + size])
        i = j + size
    return out


def type_indices(b):
    count, i = leb(b, 0)
    out = []
    for _ in range(count):
        j = i
        _, i = leb(b, i)
        out.append(b[j:i])
    return out


def rewrite(original, order):
    """The module with its defined functions in `order` (a permutation of
    their positions) and every function index renumbered."""
    secs = sections(original)
    imports = next((imported_functions(p) for s, p in secs if s == 2), 0)
    rank = {k: r for r, k in enumerate(order)}

    def f(idx):
        return idx if idx < imports else imports + rank[idx - imports]

    out = []
    for sid, p in secs:
        if sid == 3:
            types = type_indices(p)
            p = uleb(len(types)) + b"".join(types[k] for k in order)
        elif sid == 10:
            bodies = [body(x, f) for x in code_bodies(p)]
            p = uleb(len(bodies)) + b"".join(uleb(len(bodies[k])) + bodies[k] for k in order)
        elif sid == 7:
            p = exports(p, f)
        elif sid == 8:
            p = uleb(f(leb(p, 0)[0]))
        elif sid == 9:
            p = elements(p, f)
        elif sid == 6:
            p = globals_(p, f)
        elif sid == 0:
            raise Unknown("a custom section (names?) would keep the old indices")
        out.append((sid, p))
    return module(out)


def deflated(code, order):
    return len(zlib.compress(b"".join(code[k] for k in order), 9))


def chain(code, weight):
    left, order = set(range(len(code))), []
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    while left:
        best = None
        for k in sorted(left):
            trial = z.copy()
            cost = len(trial.compress(code[k])) + len(trial.flush(zlib.Z_SYNC_FLUSH))
            key = (cost - weight * len(code[k]), k)
            if best is None or key < best:
                best = key
        k = best[1]
        order.append(k)
        left.remove(k)
        z.compress(code[k])
        z.flush(zlib.Z_SYNC_FLUSH)
    return order


def climb(code, order, steps, seed):
    rng = random.Random(seed)
    best, n = deflated(code, order), len(order)
    for _ in range(steps):
        i = rng.randrange(n)
        run = order[i:i + min(n - i, 1 + int(rng.expovariate(0.25)))]
        rest = order[:i] + order[i + len(run):]
        j = rng.randrange(len(rest) + 1)
        cand = rest[:j] + run + rest[j:]
        size = deflated(code, cand)
        if size < best:
            best, order = size, cand
    return order


def search(code, steps):
    chains = [list(range(len(code)))] + [chain(code, w) for w in (0.3, 0.35, 0.4)]
    return climb(code, min(chains, key=lambda o: deflated(code, o)), steps, seed=1)


def main():
    (path,) = sys.argv[1:]
    steps = int(os.environ.get("S3LIFT_ORDER_STEPS", "2000"))
    with open(path, "rb") as fh:
        original = fh.read()
    try:
        code = code_bodies(next(p for s, p in sections(original) if s == 10))
        same = list(range(len(code)))
        if rewrite(original, same) != original:
            raise Unknown("renumbering with the identity changes the module")
        order = search(code, steps)
        ordered = rewrite(original, order)
    except (Unknown, ValueError, IndexError, StopIteration) as e:
        raise SystemExit(f"order-functions: {path}: {e or type(e).__name__}; update scripts/order-functions.py")
    back = [0] * len(order)
    for r, k in enumerate(order):
        back[k] = r
    # Undo the order: the same module again, so nothing but the order changed.
    if rewrite(ordered, back) != original:
        raise SystemExit("order-functions: the reordered module does not map back to the original")
    before, after = (len(gzip.compress(m, 9, mtime=0)) for m in (original, ordered))
    if after < before:
        with open(path, "wb") as fh:
            fh.write(ordered)
        print(f"order-functions: {len(code)} functions reordered: {before} -> {after} B gz")
    else:
        print(f"order-functions: no order smaller than {before} B gz found; module unchanged")


if __name__ == "__main__":
    main()
