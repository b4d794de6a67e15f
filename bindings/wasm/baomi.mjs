// baomi in the browser and Node: a thin wrapper over the raw exports of
// baomi_wasm.wasm (crates/baomi-wasm). No dependencies, no build step.
//
//   import { init, Scanner } from './baomi.mjs';
//   await init();                       // browser: fetches baomi_wasm.wasm next to this file
//   // Node: await init(readFileSync('baomi_wasm.wasm'))
//   const scanner = new Scanner();      // shipped rules; new Scanner(tomlText) for your own
//   const report = scanner.scan('本件机密★5年');
//   report.documents[0].verdict         // 'withhold' — the JSON of `baomi scan --format json`
//
// The text never leaves the page: scanning happens in this module.

let wasm = null;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Loads the module once. `source`: a URL (default: baomi_wasm.wasm beside
 * this file), a Response, a BufferSource, or a WebAssembly.Module.
 */
export async function init(source) {
  if (wasm) return;
  source ??= new URL('./baomi_wasm.wasm', import.meta.url);
  // The module's only import: the clock (the ID-card validator rejects
  // birth dates in the future; WebAssembly has no clock of its own).
  const imports = { baomi: { now_unix_seconds: () => Date.now() / 1000 } };
  let instance;
  if (source instanceof WebAssembly.Module) {
    instance = await WebAssembly.instantiate(source, imports);
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    ({ instance } = await WebAssembly.instantiate(source, imports));
  } else {
    const response = source instanceof Response ? source : await fetch(source);
    if (!response.ok) throw new Error(`baomi: cannot load ${response.url}: HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    ({ instance } = await WebAssembly.instantiate(bytes, imports));
  }
  wasm = instance.exports;
}

function exports() {
  if (!wasm) throw new Error('baomi: call `await init()` before creating a Scanner');
  return wasm;
}

/** Copies a JS string into a fresh module buffer: [ptr, len]. */
function put(s) {
  const bytes = encoder.encode(s);
  const ptr = exports().baomi_alloc(bytes.length);
  if (bytes.length) new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return [ptr, bytes.length];
}

/** Reads and frees a packed (ptr << 32 | len) result. */
function takeResult(packed) {
  const ptr = Number(BigInt.asUintN(64, packed) >> 32n);
  const len = Number(BigInt.asUintN(64, packed) & 0xffffffffn);
  const text = decoder.decode(new Uint8Array(wasm.memory.buffer, ptr, len));
  wasm.baomi_free(ptr, len);
  return text;
}

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((ptr) => wasm.baomi_scanner_free(ptr))
  : null;

export class Scanner {
  /** Shipped rules, or the text of one rule file (TOML). Throws on bad rules. */
  constructor(rulesToml) {
    const w = exports();
    if (rulesToml === undefined) {
      this.ptr = w.baomi_scanner_new();
    } else {
      const [p, n] = put(String(rulesToml));
      this.ptr = w.baomi_scanner_from_toml(p, n);
      if (!this.ptr) throw new Error(`baomi: ${takeResult(w.baomi_last_error())}`);
    }
    registry?.register(this, this.ptr, this);
  }

  /** The JSON report (a string) of `text` reviewed as a document `name`. */
  scanJson(text, name = 'text') {
    if (!this.ptr) throw new Error('baomi: this Scanner was freed');
    const [t, tn] = put(String(text));
    const [n, nn] = put(String(name));
    return takeResult(wasm.baomi_scan(this.ptr, t, tn, n, nn));
  }

  /** The JSON report as an object: `{documents: [{verdict, findings, …}]}`. */
  scan(text, name = 'text') {
    return JSON.parse(this.scanJson(text, name));
  }

  /** Frees the scanner now (otherwise when it is garbage-collected). */
  free() {
    if (this.ptr) {
      registry?.unregister(this);
      wasm.baomi_scanner_free(this.ptr);
      this.ptr = 0;
    }
  }
}
