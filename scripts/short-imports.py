#!/usr/bin/env python3
"""Shortens the names of the imports wasm-bindgen's glue gives the module.

Usage: scripts/short-imports.py dist/pkg   (after wasm-bindgen, before wasm-opt)

wasm-bindgen names each import `__wbg_<name>_<16 hex digits>`: about 1.6 KB
of the gzipped package (.wasm and glue) that compress badly. This renames
the imports of module `./s3lift_bg.js` to `a`, `b`, … in `s3lift_bg.wasm`
and the same keys in `s3lift.js`. Imports from the snippets keep their
names (they are the snippet's exports). Fails loudly when a name is not
found exactly once as a key of the glue's import object.

It also renames every export but the memory, which the glue alone calls:
the closure calls (`wasm_bindgen__convert__closures_____invoke__h<16 hex
digits>` each), the `__wbindgen_*`/`__externref_*` runtime, and the API's
(`uploader_new`, `upload_pause`, `__wbg_upload_free`…, which the glue's
classes call). They become `ca`, `cb`, … in the module, in the glue (where
each may only appear as `wasm.<name>`, or it fails) and in the two type
files' lists of raw exports.

The glue is trimmed where a bundler cannot see that code is dead or plain
forwarding (each step checks its pattern, or fails): the snippet's functions
the module imports as they are become keys of the glue's own import object
(no `import * as` namespace of the snippet), strings are passed as
`scripts/trim_glue.py` writes it, the import shims become arrow functions,
closures are made with the module's call export instead of a JS wrapper,
and `wasmModule`/`wasmInstance`, set and never read, go. Every import names
one module, `a`, the glue's import object. wasm-bindgen's init functions
become a shorter equivalent (`COMPACT_INIT`, checked against the text it
replaces); the `encodeInto` and `FinalizationRegistry` fallbacks for browsers
without WebAssembly reference types (which the module needs) go.
"""
import re
import sys

sys.dont_write_bytecode = True  # no scripts/__pycache__ from the import below
import trim_glue  # noqa: E402
from wasm_binary import leb, skip_import, uleb  # noqa: E402


def short(n):
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    s = ""
    while True:
        s = letters[n % 52] + s
        n //= 52
        if n == 0:
            return s
        n -= 1


def main(out):
    wasm_path, js_path = f"{out}/s3lift_bg.wasm", f"{out}/s3lift.js"
    b = open(wasm_path, "rb").read()
    js = trim_glue.before_exports(open(js_path).read())
    i = 8
    renames = {}
    internal = {}
    snippets = {}
    result = bytearray(b[:8])
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        end = j + size
        if sid == 7:
            result += exports(b, j, end, internal, js)
            i = end
            continue
        if sid != 2:
            result += b[i:end]
            i = end
            continue
        n, k = leb(b, j)
        body = bytearray(uleb(n))
        for _ in range(n):
            ml, k = leb(b, k)
            module = b[k:k + ml].decode()
            k += ml
            fl, k = leb(b, k)
            field = b[k:k + fl].decode()
            k += fl
            d = k
            try:
                k = skip_import(b, k)
            except ValueError as e:
                sys.exit(f"short-imports: {e}")
            if module == "./s3lift_bg.js":
                field = renames.setdefault(field, short(len(renames)))
            elif module.startswith("./snippets/"):
                # A snippet's function imported as it is: one of the glue's imports
                # too (no `import * as` namespace object, no module path per import).
                snippets[field] = new_name = short(len(renames))
                renames[new_name] = new_name
                field = new_name
            else:
                sys.exit(f"short-imports: an import from module {module}")
            # Every import's module is the glue's one import object, `a` (one_module_name).
            module = "a"
            body += uleb(len(module)) + module.encode() + uleb(len(field)) + field.encode() + b[d:k]
        result += bytes([2]) + uleb(len(body)) + body
        i = end
    js = snippet_imports(js, snippets)
    js = arrow_shims(js)
    for old, new in renames.items():
        if old in snippets.values():
            continue
        # The import object's keys: `old: function(` or `old: (`.
        pattern = re.compile(r"(?<![\w$])" + re.escape(old) + r"(?=\s*:)")
        js, count = pattern.subn(new, js)
        if count != 1:
            sys.exit(f"short-imports: {old} found {count} times as a key in {js_path}")
    dropped = sorted(old for old, new in internal.items() if new is None)
    internal = {old: new for old, new in internal.items() if new is not None}
    for old, new in internal.items():
        every = len(re.findall(r"(?<![\w$])" + re.escape(old) + r"(?![\w$])", js))
        js, count = re.subn(r"(?<=\bwasm\.)" + re.escape(old) + r"\b", new, js)
        # A closure call's name is also its JS wrapper's (which the bundler renames).
        if count != every and not INVOKE.fullmatch(old):
            sys.exit(f"short-imports: {old} found elsewhere than wasm.{old} in {js_path}")
    js = direct_closure_calls(js)
    js = no_unread_globals(js)
    js = compact_init(js)
    js = no_old_browser_paths(js)
    js = one_module_name(js)
    js = trim_glue.after(js)
    for dts in (f"{out}/s3lift.d.ts", f"{out}/s3lift_bg.wasm.d.ts"):
        text = open(dts).read()
        for old in dropped:
            # `readonly old: …;` (InitOutput) or `export const old: …;`, a line each.
            text, count = re.subn(r"\n[^\n]*\b" + re.escape(old) + r":[^\n]*;(?=\n)", "", text)
            if count > 1:
                sys.exit(f"short-imports: {old} found {count} times in {dts}")
        for old, new in internal.items():
            text = re.sub(r"\b" + re.escape(old) + r"(?=:)", new, text)
        open(dts, "w").write(text)
    open(wasm_path, "wb").write(bytes(result))
    open(js_path, "w").write(js)
    print(f"short-imports: {len(renames)} imports and {len(internal)} exports renamed, {len(dropped)} unused exports dropped")


def snippet_imports(js, snippets):
    """The glue without `import * as importN from './snippets/…'` and its keys in the
    import object: the snippet's functions the module imports as they are become keys
    of the glue's own import object (`./s3lift_bg.js`), under their short names."""
    if not snippets:
        return js
    js, count = re.subn(r"\nimport \* as import\d+ from \"\./snippets/[^\"]+\"", "", js)
    if count == 0:
        sys.exit("short-imports: no `import * as` of a snippet in the glue")
    js, count = re.subn(r"\n\s*\"\./snippets/[^\"]+\": import\d+,", "", js)
    if count == 0:
        sys.exit("short-imports: no snippet module in the glue's import object")
    named = re.search(r"^import \{ ([^}]*) \} from '\./snippets/[^']+';$", js, re.M)
    if not named:
        sys.exit("short-imports: no named import of the snippet in the glue")
    names = sorted(set(named.group(1).split(", ")) | set(snippets))
    js = js[:named.start(1)] + ", ".join(names) + js[named.end(1):]
    keys = "".join(f"\n        {new}: {old}," for old, new in snippets.items())
    js, count = re.subn(r"(const import0 = \{\n        __proto__: null,)", lambda m: m.group(1) + keys, js)
    if count != 1:
        sys.exit("short-imports: the glue's import object not found")
    return js


def arrow_shims(js):
    """The import object's shims as arrow functions (`a: (arg0) => {`), which a
    minifier shortens further (`a:t=>...`); none of them uses `this` or
    `arguments`, which is checked."""
    start = js.index("const import0 = {")
    end = js.index("\n    };\n", start)
    body = js[start:end]
    if re.search(r"\b(this|arguments)\b", re.sub(r"//[^\n]*", "", body)):
        sys.exit("short-imports: an import shim uses `this` or `arguments`")
    body, count = re.subn(r"(?m)^(        [\w$]+): function\(([^)]*)\) \{$", r"\1: (\2) => {", body)
    if count == 0:
        sys.exit("short-imports: no import shim found")
    return js[:start] + body + js[end:]


def direct_closure_calls(js):
    """`makeClosure(a, b, wasm.cb)` instead of a JS function per closure type that
    only passes its arguments on to the module's export (`wasm.cb(arg0, …)`):
    `wasm` is read when a closure is made, after the module is instantiated."""
    wrapper = re.compile(r"\nfunction (" + INVOKE.pattern + r")\(([^)]*)\) \{\n    wasm\.(c\w+)\(\2\);\n\}\n")
    found = wrapper.findall(js)
    if not found:
        sys.exit("short-imports: no closure call wrapper found")
    js = wrapper.sub("\n", js)
    for name, _, export in found:
        js, count = re.subn(r"\b" + name + r"\b", "wasm." + export, js)
        if count != 1:
            sys.exit(f"short-imports: {name} used {count} times")
    return js


def no_unread_globals(js):
    """Without `wasmModule` and `wasmInstance`, which the glue sets at init and
    never reads (a bundler keeps the assignments)."""
    for name in ("wasmModule", "wasmInstance"):
        if len(re.findall(r"\b" + name + r"\b", js)) != 2:
            sys.exit(f"short-imports: {name} is read in the glue")
        js, a = re.subn(r"\n    " + name + r" = \w+;", "", js)
        js, b = re.subn(r"\b" + name + r", ", "", js)
        if (a, b) != (1, 1):
            sys.exit(f"short-imports: {name} not found as expected")
    return js


def no_old_browser_paths(js):
    """`FinalizationRegistry` without its stand-in (every browser with WebAssembly
    reference types has it), and the cached `DataView` renewed when the memory's
    buffer is another (what wasm-bindgen falls back to without `detached`)."""
    js, count = re.subn(r"\(typeof FinalizationRegistry === 'undefined'\)\n    \? \{ register: \(\) => \{\}, "
                        r"unregister: \(\) => \{\} \}\n    : new FinalizationRegistry", "new FinalizationRegistry", js)
    old = ("cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0"
           ".buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)")
    if count != 3 or js.count(old) != 1:
        sys.exit("short-imports: wasm-bindgen's FinalizationRegistry or DataView code changed")
    return js.replace(old, "cachedDataViewMemory0?.buffer !== wasm.memory.buffer")


def one_module_name(js):
    """The glue's one import object under the module name `a` (the module's imports
    all name it: 44 times `./s3lift_bg.js` in the import section before)."""
    js, count = re.subn(r'\n        "\./s3lift_bg\.js": import0,\n', "\n        a: import0,\n", js)
    if count != 1:
        sys.exit("short-imports: the glue's import object name not found")
    return js


# wasm-bindgen 0.2's `__wbg_load`, `initSync`, `__wbg_init` and `__wbg_init_once`, as
# this glue has them after the steps above (sha-256 of the text from `async function
# __wbg_load` to the `export` line), and the `encodeInto` fallback for browsers older
# than the Web Locks and module workers the package needs anyway.
INIT_SHA256 = "7e02a31e63d8695290a16ed8ec74897b80b51db6500077b5da2b084c1ba55b76"
ENCODE_INTO_FALLBACK = """
if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}
"""
# The same API in less code: `init()` takes nothing, a URL, a string, a `Request`, a
# `Response` or a promise of one, bytes or a `WebAssembly.Module`, as such or as
# `{ module_or_path }`; `initSync()` takes bytes or a module, as such or as `{ module }`.
# A failed `init()` can be called again. A server that does not answer `application/wasm`
# still works (compiled from the bytes, with a warning). Gone: the warnings about the
# older argument forms (still accepted), and the path for browsers without
# `instantiateStreaming`. tests/e2e/init.test.mjs calls each form.
COMPACT_INIT = """async function __wbg_load(module, imports) {
    if (typeof Response == 'function' && module instanceof Response) {
        if (!module.ok) throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        try {
            return await WebAssembly.instantiateStreaming(module, imports);
        } catch (e) {
            if (!/^(basic|cors|default)$/.test(module.type) || module.headers.get('Content-Type') == 'application/wasm') throw e;
            console.warn('s3lift: the .wasm was not served as application/wasm; compiling it from its bytes', e);
        }
        return WebAssembly.instantiate(await module.arrayBuffer(), imports);
    }
    const instance = await WebAssembly.instantiate(module, imports);
    return instance instanceof WebAssembly.Instance ? { instance } : instance;
}

const plain = (o) => o != null && Object.getPrototypeOf(o) === Object.prototype;

function initSync(module) {
    if (wasm === undefined) {
        if (plain(module)) ({ module } = module);
        if (!(module instanceof WebAssembly.Module)) module = new WebAssembly.Module(module);
        __wbg_finalize_init(new WebAssembly.Instance(module, __wbg_get_imports()));
    }
    return wasm;
}

let __wbg_init_promise;
async function __wbg_init(m) {
    return wasm ?? (__wbg_init_promise ??= (async () => {
        if (plain(m)) ({ module_or_path: m } = m);
        if (m === undefined) m = new URL('s3lift_bg.wasm', import.meta.url);
        if (typeof m == 'string' || (typeof Request == 'function' && m instanceof Request) || m instanceof URL) m = fetch(m);
        return __wbg_finalize_init((await __wbg_load(await m, __wbg_get_imports())).instance);
    })().catch((e) => {
        __wbg_init_promise = undefined;
        throw e;
    }));
}
"""


def compact_init(js):
    """wasm-bindgen's init functions as COMPACT_INIT, and no `encodeInto` fallback."""
    import hashlib
    start = js.find("async function __wbg_load(module, imports) {")
    end = js.find("\nexport { initSync, __wbg_init as default };")
    if start < 0 or end < 0 or hashlib.sha256(js[start:end].encode()).hexdigest() != INIT_SHA256:
        sys.exit("short-imports: wasm-bindgen's init functions changed: check COMPACT_INIT against them")
    js = js[:start] + COMPACT_INIT + js[end:]
    if js.count(ENCODE_INTO_FALLBACK) != 1:
        sys.exit("short-imports: the encodeInto fallback not found")
    return js.replace(ENCODE_INTO_FALLBACK, "")


INVOKE = re.compile(r"wasm_bindgen__convert__closures_____invoke__h[0-9a-f]{16}")


def exports(b, j, end, internal, js):
    """The export section from `j` to `end`, wasm-bindgen's own exports renamed,
    and those of them the glue never names dropped (wasm-bindgen 0.2.130 exports
    `__wbindgen_free`, `__abort_handler` and `__instance_terminated` that our glue
    does not use; wasm-opt, which runs after this, then drops what only they kept)."""
    n, k = leb(b, j)
    entries = []
    for _ in range(n):
        fl, k = leb(b, k)
        name = b[k:k + fl].decode()
        k += fl
        d = k
        k += 1
        _, k = leb(b, k)
        entries.append((name, b[d:k]))
    # Every export but the memory: the API's (`uploader_new`, `upload_pause`,
    # `__wbg_upload_free`…) too, which the glue's classes alone call.
    own = [name for name, _ in entries if name != "memory"]
    unused = {name for name in own if not re.search(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])", js)}
    entries = [(name, desc) for name, desc in entries if name not in unused]
    taken = {name for name, _ in entries}
    body = bytearray(uleb(len(entries)))
    for name, desc in entries:
        if name in own:
            # `c…`: no JS keyword, and an identifier in the type files' `export const`.
            new = "c" + short(len(internal))
            if new in taken or new in ("case", "catch", "class", "const", "continue"):
                sys.exit(f"short-imports: cannot name an export {new}")
            internal[name] = new
            name = new
        body += uleb(len(name)) + name.encode() + desc
    for name in sorted(unused):
        internal[name] = None
    return bytes([7]) + uleb(len(body)) + body


main(sys.argv[1])
