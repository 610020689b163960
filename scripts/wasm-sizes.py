#!/usr/bin/env python3
"""Where the bytes of a wasm module go: code size per crate, from the name section.

Usage: scripts/wasm-sizes.py [--top N] path/to/module.wasm
(a build that still has its name section: wasm-bindgen without --remove-name-section,
then wasm-opt -g). `--top N` also lists the N largest function bodies.
"""
import collections
import re
import sys

sys.dont_write_bytecode = True  # no scripts/__pycache__ from the import below
from wasm_binary import leb  # noqa: E402


def crate_of(name):
    m = re.match(r"_ZN(\d+)", name)
    if m:  # legacy mangling: _ZN<len><crate>...
        n = int(m.group(1))
        first = name[m.end():m.end() + n]
        if first.startswith("_$LT$"):
            inner = re.search(r"_\$LT\$([a-z_][a-z0-9_]*)", first + name[m.end() + n:])
            return inner.group(1) if inner else first
        return first
    m = re.search(r"Cs[0-9a-zA-Z]*_(\d+)([a-z_][a-z0-9_]*)", name)
    if m:  # v0 mangling: the first crate path component
        return m.group(2)[: int(m.group(1))]
    m = re.match(r"<?([a-z_][a-z0-9_]*)::", name)
    return m.group(1) if m else name[:40]


def main(path, top=0):
    b = open(path, "rb").read()
    i = 8
    imported = 0
    bodies = []
    names = {}
    sections = collections.Counter()
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        end = j + size
        if sid == 2:  # imports: count imported functions (they come first in the index space)
            n, k = leb(b, j)
            for _ in range(n):
                for _ in range(2):
                    ln, k = leb(b, k)
                    k += ln
                kind = b[k]
                k += 1
                if kind == 0:
                    _, k = leb(b, k)
                    imported += 1
                elif kind == 1:
                    k += 1
                    flags, k = leb(b, k)
                    _, k = leb(b, k)
                    if flags & 1:
                        _, k = leb(b, k)
                elif kind == 2:
                    flags, k = leb(b, k)
                    _, k = leb(b, k)
                    if flags & 1:
                        _, k = leb(b, k)
                elif kind == 3:
                    k += 2
        if sid == 10:
            n, k = leb(b, j)
            for _ in range(n):
                ln, k2 = leb(b, k)
                bodies.append(k2 - k + ln)
                k = k2 + ln
        if sid == 0:
            ln, k = leb(b, j)
            name = b[k:k + ln].decode()
            sections["custom:" + name] += size
            if name == "name":
                k += ln
                while k < end:
                    sub = b[k]
                    sl, k2 = leb(b, k + 1)
                    if sub == 1:
                        n, m = leb(b, k2)
                        for _ in range(n):
                            idx, m = leb(b, m)
                            nl, m = leb(b, m)
                            names[idx] = b[m:m + nl].decode(errors="replace")
                            m += nl
                    k = k2 + sl
        else:
            sections[{1: "type", 2: "import", 3: "function", 5: "memory", 6: "global", 7: "export", 10: "code", 11: "data"}.get(sid, str(sid))] += size
        i = end
    by_crate = collections.Counter()
    for n, size in enumerate(bodies):
        name = names.get(n + imported, "?")
        crate = crate_of(name)
        by_crate[crate] += size
    total = sum(bodies)
    print(f"sections: {dict(sections)}")
    print(f"code: {total} bytes in {len(bodies)} functions")
    for crate, size in by_crate.most_common(25):
        print(f"  {size:8d}  {100 * size / total:5.1f} %  {crate}")
    if top:
        print(f"largest {top} functions:")
        ranked = sorted(enumerate(bodies), key=lambda x: -x[1])[:top]
        for n, size in ranked:
            print(f"  {size:8d}  {names.get(n + imported, '?')[:150]}")


args = sys.argv[1:]
top = 0
if args[:1] == ["--top"]:
    top, args = int(args[1]), args[2:]
main(args[0], top)
