"""More trimming of wasm-bindgen's glue, for scripts/short-imports.py (which
imports this file; each step checks its pattern, or fails).

`before_exports(js)` runs before the module's exports are renamed and those the
glue never names are dropped; `after(js)` on the finished glue.
"""
import re
import sys

PASS_STRING = re.compile(
    r"function passStringToWasm0\(arg, malloc, realloc\) \{\n.*?\n    WASM_VECTOR_LEN = offset;\n    return ptr;\n\}\n",
    re.S)
SHORT_PASS_STRING = """function passStringToWasm0(arg, malloc) {
    const buf = cachedTextEncoder.encode(arg);
    const ptr = malloc(buf.length, 1) >>> 0;
    getUint8ArrayMemory0().set(buf, ptr);
    WASM_VECTOR_LEN = buf.length;
    return ptr;
}
"""


def before_exports(js):
    """A string goes into the module encoded whole by `TextEncoder.encode` and copied
    into an allocation of its exact length, instead of an ASCII loop, an allocation
    grown for the rest and shrunk again: the module's `__wbindgen_realloc` export is
    then never named, so it is dropped (and what only it kept). Every call passes the
    module's `malloc` and `realloc`, which is checked."""
    calls = re.findall(r"(?<!function )passStringToWasm0\(([^()]*)\)", js)
    want = "wasm.__wbindgen_malloc, wasm.__wbindgen_realloc"
    if not calls or any(not c.endswith(", " + want) for c in calls):
        sys.exit(f"trim_glue: a passStringToWasm0 call with other arguments: {calls}")
    js, count = PASS_STRING.subn(lambda m: SHORT_PASS_STRING, js)
    if count != 1:
        sys.exit("trim_glue: passStringToWasm0 not found as expected")
    js = js.replace(want, "wasm.__wbindgen_malloc")
    return js


def after(js):
    """The import shims without `const obj = arg1;` aliases and without `+ 4 * 0`."""
    js, count = re.subn(r" \+ 4 \* 0\b", "", js)
    if count == 0:
        sys.exit("trim_glue: no `+ 4 * 0` in the glue")
    js = re.sub(r"\+ ([48]) \* 1\b", r"+ \1", js)
    alias = re.compile(r"\n( +)const (obj|val) = (arg\d+);\n((?:\1[^\n]*\n)*?\1(?:return|getDataView)[^\n]*\n)")
    def drop(m):
        return "\n" + re.sub(r"\b" + m.group(2) + r"\b", m.group(3), m.group(4))
    js, count = alias.subn(drop, js)
    if count == 0:
        sys.exit("trim_glue: no argument alias in the glue")
    return js
