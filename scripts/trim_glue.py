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
SHORT_PASS_STRING = """function passStringToWasm0(arg) {
    const buf = cachedTextEncoder.encode(arg);
    const ptr = wasm.__wbindgen_malloc(buf.length, 1) >>> 0;
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
    module's `malloc` and `realloc`, which is checked, so the function calls the
    module's `malloc` itself."""
    calls = re.findall(r"(?<!function )passStringToWasm0\(([^()]*)\)", js)
    want = "wasm.__wbindgen_malloc, wasm.__wbindgen_realloc"
    if not calls or any(not c.endswith(", " + want) for c in calls):
        sys.exit(f"trim_glue: a passStringToWasm0 call with other arguments: {calls}")
    js, count = PASS_STRING.subn(lambda m: SHORT_PASS_STRING, js)
    if count != 1:
        sys.exit("trim_glue: passStringToWasm0 not found as expected")
    js = js.replace(", " + want, "")
    return js


def after(js):
    """The import shims without `const obj = arg1;` aliases and without `+ 4 * 0`,
    and the steps below."""
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
    for step in (direct_keys, option_shims, no_destroy_into_raw, same_view_test, take_inlined, short_fields,
                 lazy_decoder, fresh_views):
        js = step(js)
    return js


# Functions an import shim may be replaced by: none reads `this`, and each takes
# exactly the shim's arguments (the module passes no others).
# (`setTimeout`, `clearTimeout` and `queueMicrotask`, called without `this`, act on the global
# object, as the shims' plain calls do.)
AS_THEY_ARE = ("Object.entries", "Date.now", "Math.random", "getStringFromWasm0", "setTimeout")


def direct_keys(js):
    """`x: Date.now` instead of `x: () => { const ret = Date.now(); return ret; }`."""
    def one(m):
        return m.group(1) + m.group(3) + "," if m.group(2) == m.group(4) else m.group(0)
    shim = re.compile(r"(\n        [\w$]+: )\(([^)]*)\) => \{\n(?:            //[^\n]*\n)?"
                      r"            const ret = (" + "|".join(map(re.escape, AS_THEY_ARE)) +
                      r")\(([^)]*)\);\n            return ret;\n        \},")
    js, count = shim.subn(one, js)
    if count != len(AS_THEY_ARE):
        sys.exit(f"trim_glue: {count} shims of {len(AS_THEY_ARE)} found to pass as they are")
    js, count = re.subn(r"(\n        [\w$]+: )\(arg0\) => \{\n            (clearTimeout|queueMicrotask)\(arg0\);\n        \},", r"\1\2,", js)
    if count != 2:
        sys.exit("trim_glue: the clearTimeout and queueMicrotask shims not found")
    return js


OPTION_SHIMS = {
    """            const ret = typeof(arg1) === 'number' ? arg1 : undefined;
            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32((arg0 >>> 0), !isLikeNone(ret), true);
""": """            const is = typeof arg1 == 'number';
            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8, is ? arg1 : 0, true);
            getDataViewMemory0().setInt32((arg0 >>> 0), is, true);
""",
    """            const ret = typeof(arg1) === 'string' ? arg1 : undefined;
            var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret);""": """            var ptr1 = typeof arg1 != 'string' ? 0 : passStringToWasm0(arg1);""",
}


def option_shims(js):
    """`JsValue::as_f64` and `as_string` without `isLikeNone` (the value is tested
    by its type once)."""
    for old, new in OPTION_SHIMS.items():
        if js.count(old) != 1:
            sys.exit("trim_glue: an as_f64/as_string shim changed: " + old.strip()[:60])
        js = js.replace(old, new)
    if len(re.findall(r"\bisLikeNone\b", js)) != 1:
        sys.exit("trim_glue: isLikeNone is still used")
    return js


def no_destroy_into_raw(js):
    """`free()` without `__destroy_into_raw()`, its only caller."""
    destroy = re.compile(r"\n    __destroy_into_raw\(\) \{\n        const ptr = this\.__wbg_ptr;\n"
                         r"        this\.__wbg_ptr = 0;\n        (\w+)\.unregister\(this\);\n        return ptr;\n    \}"
                         r"\n    free\(\) \{\n        const ptr = this\.__destroy_into_raw\(\);\n")
    js, count = destroy.subn(lambda m: "\n    free() {\n        const ptr = this.__wbg_ptr;\n        this.__wbg_ptr = 0;\n"
                             f"        {m.group(1)}.unregister(this);\n", js)
    if count != 2 or "__destroy_into_raw" in js:
        sys.exit("trim_glue: __destroy_into_raw is used elsewhere than free()")
    return js


UINT8_VIEW = ("cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0",
              "cachedUint8ArrayMemory0?.buffer !== wasm.memory.buffer")


def same_view_test(js):
    """The cached `Uint8Array` of the memory renewed when the memory's buffer is
    another (a grown memory detaches the old one), the `DataView`'s test."""
    if js.count(UINT8_VIEW[0]) != 1:
        sys.exit("trim_glue: getUint8ArrayMemory0's test changed")
    return js.replace(*UINT8_VIEW)


TAKE = re.compile(r"\nfunction takeFromExternrefTable0\(idx\) \{\n    const value = (wasm\.\w+)\.get\(idx\);\n"
                  r"    (wasm\.\w+)\(idx\);\n    return value;\n\}\n")


def take_inlined(js):
    """`takeFromExternrefTable0` (the constructor's thrown error) written at its one
    call: the value read from the table, then its slot freed."""
    m = TAKE.search(js)
    call = "            throw takeFromExternrefTable0(ret[1]);\n"
    if not m or js.count("takeFromExternrefTable0") != 2 or js.count(call) != 1:
        sys.exit("trim_glue: takeFromExternrefTable0 not found as expected")
    js = js[:m.start()] + "\n" + js[m.end():]
    return js.replace(call, f"            const e = {m.group(1)}.get(ret[1]);\n            {m.group(2)}(ret[1]);\n"
                      "            throw e;\n")


FIELDS = {"__wbg_ptr": "__p", "_wbg_cb_unref": "__u", "__wrap": "__w"}


def short_fields(js):
    """The glue's own property names, which a minifier keeps: an object's pointer
    (`__wbg_ptr`), a closure's release (`_wbg_cb_unref`) and `Upload.__wrap`, each named by the glue alone."""
    for old, new in FIELDS.items():
        if not re.search(r"\b" + old + r"\b", js) or re.search(r"\b" + new + r"\b", js):
            sys.exit(f"trim_glue: {old} not found, or {new} taken")
        js = re.sub(r"\b" + old + r"\b", new, js)
    return js


DECODER = ("let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });\ncachedTextDecoder.decode();\n"
           "const MAX_SAFARI_DECODE_BYTES = 2146435072;\nlet numBytesDecoded = 0;\n",
           "const MAX_SAFARI_DECODE_BYTES = 2146435072;\n"
           "let cachedTextDecoder, numBytesDecoded = MAX_SAFARI_DECODE_BYTES;\n")


def lazy_decoder(js):
    """The text decoder made by `decodeText`'s own renewal at its first call (the count
    starts at the limit) instead of a second copy of that code at load."""
    if js.count(DECODER[0]) != 1 or js.count("new TextDecoder(") != 2:
        sys.exit("trim_glue: the text decoder's set-up changed")
    return js.replace(*DECODER)


VIEWS = [(f"let cached{v}Memory0 = null;\nfunction get{v}Memory0() {{\n"
          f"    if (cached{v}Memory0?.buffer !== wasm.memory.buffer) {{\n"
          f"        cached{v}Memory0 = new {t}(wasm.memory.buffer);\n    }}\n    return cached{v}Memory0;\n}}\n",
          f"function get{v}Memory0() {{\n    return new {t}(wasm.memory.buffer);\n}}\n",
          f"\n    cached{v}Memory0 = null;") for v, t in (("DataView", "DataView"), ("Uint8Array", "Uint8Array"))]


def fresh_views(js):
    """The memory's `DataView` and `Uint8Array` made at each use (a view of the
    current buffer, as the cached one renewed when the memory grew) instead of cached."""
    for cached, fresh, reset in VIEWS:
        if js.count(cached) != 1 or js.count(reset) != 1:
            sys.exit("trim_glue: a memory view's cache changed")
        js = js.replace(cached, fresh).replace(reset, "")
    return js
