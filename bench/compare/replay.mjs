#!/usr/bin/env node
// Replays the editing traces (../shared/traces/*.json.gz, format in their README.md)
// in other CRDT libraries and prints one JSON line per (library, trace) with the same
// schema as tandem-trace, plus "lib", "version", "mem_method" and a few detail fields.
//
//   node --expose-gc replay.mjs [--deps DIR] [--runs N] [--lib NAME]... TRACE...
//
// --deps DIR  folder holding node_modules and a copy of deps.mjs (default: this folder);
//             bench/compare/run installs both into the build folder and passes it here.
// --lib NAME  yjs | automerge | loro | diamond-types (repeatable; default: all four).
// --only local  apply, encode and decode only: no remote replay, no memory children
//             (what pairs.mjs alternates with tandem-trace --only apply).
//
// The parent process only orchestrates: every measurement happens in child processes
// (re-invocations of this file with --child), so one library's garbage, JIT state and
// wasm heap never leak into another library's figures. Per (library, trace) there is
//   * one "bench" child doing R timed runs of apply/encode/decode/remote-apply, and
//   * R "mem" children, each building the document once in a fresh process, because
//     a wasm linear memory never shrinks: only a fresh instance shows the growth.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const SELF = fileURLToPath(import.meta.url);
const ALL_LIBS = ['yjs', 'automerge', 'loro', 'diamond-types'];

// ---------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = { deps: path.dirname(SELF), runs: 5, libs: [], traces: [], child: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--deps') opts.deps = path.resolve(value());
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--lib') opts.libs.push(value());
    else if (a === '--child') opts.child = value();
    else if (a === '--only') {
      opts.only = value();
      if (opts.only !== 'local') die('--only takes: local');
    }
    else if (a === '-h' || a === '--help') {
      console.log('usage: node --expose-gc replay.mjs [--deps DIR] [--runs N] [--lib NAME]... [--only local] TRACE...');
      process.exit(0);
    } else if (a.startsWith('--')) die(`unknown option ${a}`);
    else opts.traces.push(path.resolve(a));
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) die('--runs must be a positive integer');
  if (opts.libs.length === 0) opts.libs = ALL_LIBS;
  for (const l of opts.libs) if (!ALL_LIBS.includes(l)) die(`unknown library ${l} (known: ${ALL_LIBS.join(', ')})`);
  if (opts.traces.length === 0) die('no trace files given');
  return opts;
}

function die(msg) {
  console.error(`replay.mjs: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Traces

function loadTrace(file) {
  const trace = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
  if (trace.startContent !== '') throw new Error(`${file}: non-empty startContent is not supported`);
  // All four libraries take UTF-16 (Yjs, Automerge-JS, Loro) or code-point (diamond-types)
  // positions; the trace gives code points. These agree unless a surrogate pair occurs,
  // which the two shipped traces never contain (see traces/README.md). Refuse rather than
  // silently mis-replay a future trace that has one.
  const surrogate = /[\uD800-\uDFFF]/;
  let patches = 0;
  for (const txn of trace.txns) {
    for (const p of txn.patches) {
      if (surrogate.test(p[2])) throw new Error(`${file}: astral code points need position conversion (not implemented)`);
      patches++;
    }
  }
  if (surrogate.test(trace.endContent)) throw new Error(`${file}: astral code points in endContent`);
  return {
    name: path.basename(file).replace(/\.json(\.gz)?$/, ''),
    txns: trace.txns.map((t) => t.patches), // drop the informational timestamps
    endContent: trace.endContent,
    patches,
  };
}

// ---------------------------------------------------------------------------
// Library adapters. Each one exposes the same operations so the measuring code is shared:
//   replay(txns) -> doc              local edits, one library transaction per trace txn
//   text(doc), length(doc)
//   encode(doc) -> Uint8Array        full state including history
//   decode(bytes) -> doc
//   capture(txns) -> Uint8Array[]    one incremental update per txn, from a local replay
//   applyRemote(updates) -> doc      fresh doc receiving those updates one at a time
//   free(doc)                        release wasm memory now instead of at finalisation

async function loadAdapter(name, deps) {
  const { loaders } = await import(pathToFileURL(path.join(deps, 'deps.mjs')).href);
  const load = (pkg) => loaders[pkg]();
  const version = (pkg) => JSON.parse(readFileSync(path.join(deps, 'node_modules', pkg, 'package.json'), 'utf8')).version;

  if (name === 'yjs') {
    const Y = await load('yjs');
    const replayInto = (doc, txns) => {
      const text = doc.getText('text');
      for (const patches of txns) {
        doc.transact(() => {
          for (const [pos, del, ins] of patches) {
            if (del > 0) text.delete(pos, del);
            if (ins !== '') text.insert(pos, ins);
          }
        });
      }
      return doc;
    };
    // Yjs picks a random 32-bit clientID, and every item's origin id in the encoding
    // carries it as a varint, so encoded_bytes would vary by ~10% from run to run. Fix it
    // to a value of typical size (random ids are >= 2^28, i.e. 5 varint bytes, 15/16 of
    // the time) so the figure is reproducible and representative.
    const fresh = () => {
      const doc = new Y.Doc();
      doc.clientID = 0x7a3c5e91;
      return doc;
    };
    return {
      pkg: 'yjs', version: version('yjs'),
      // Yjs's default gc=true drops the content of deleted items (their ids/structure stay);
      // kept as-is because that is how Yjs is deployed and benchmarked.
      replay: (txns) => replayInto(fresh(), txns),
      text: (doc) => doc.getText('text').toString(),
      length: (doc) => doc.getText('text').length,
      encode: (doc) => Y.encodeStateAsUpdate(doc),
      decode: (bytes) => { const d = new Y.Doc(); Y.applyUpdate(d, bytes); return d; },
      capture(txns) {
        const doc = fresh();
        const updates = [];
        doc.on('update', (u) => updates.push(u)); // fires once per transaction
        replayInto(doc, txns);
        doc.destroy();
        return updates;
      },
      applyRemote(updates) {
        const d = new Y.Doc();
        for (const u of updates) Y.applyUpdate(d, u);
        return d;
      },
      free: (doc) => doc.destroy(),
    };
  }

  if (name === 'automerge') {
    // Automerge 2.2.x, "next" flavour (strings are collaborative text, UTF-16 indexes).
    // Edits go through the document's Rust core (getBackend: splice/commit/applyChanges)
    // rather than Automerge.change(): change() re-materialises the JS view per call and
    // took ~510 s for one seph-blog1 replay here, ~100x the core's own cost, which would
    // measure the JS proxy layer instead of the CRDT. Loading uses the public load().
    const { next: A } = await load('@automerge/automerge');
    const fresh = () => {
      const core = A.getBackend(A.init());
      const text = core.putObject('_root', 'text', '');
      core.commit();
      return { core, text };
    };
    const step = (doc, patches) => {
      // splice(pos, del, ins) does both halves of a patch at once.
      for (const [pos, del, ins] of patches) doc.core.splice(doc.text, pos, del, ins);
      doc.core.commit();
    };
    return {
      pkg: '@automerge/automerge', version: version('@automerge/automerge'),
      replay(txns) {
        const doc = fresh();
        for (const patches of txns) step(doc, patches);
        return doc;
      },
      text: (doc) => doc.core.text(doc.text),
      length: (doc) => doc.core.length(doc.text),
      encode: (doc) => doc.core.save(),
      decode: (bytes) => {
        const loaded = A.load(bytes);
        const core = A.getBackend(loaded);
        return { core, text: core.get('_root', 'text'), loaded };
      },
      capture(txns) {
        const doc = fresh();
        // The change creating the "text" object is part of the history a peer needs.
        const updates = [doc.core.getLastLocalChange()];
        for (const patches of txns) {
          step(doc, patches);
          updates.push(doc.core.getLastLocalChange());
        }
        doc.core.free();
        return updates;
      },
      applyRemote(updates) {
        const core = A.getBackend(A.init());
        for (const u of updates) core.applyChanges([u]);
        return { core, text: core.get('_root', 'text') };
      },
      free: (doc) => doc.core.free(),
    };
  }

  if (name === 'loro') {
    const { LoroDoc } = await load('loro-crdt');
    const step = (doc, text, patches) => {
      for (const [pos, del, ins] of patches) {
        if (del > 0) text.delete(pos, del); // UTF-16 index (insertUtf8/deleteUtf8 exist too)
        if (ins !== '') text.insert(pos, ins);
      }
      doc.commit();
    };
    return {
      pkg: 'loro-crdt', version: version('loro-crdt'),
      replay(txns) {
        const doc = new LoroDoc();
        const text = doc.getText('text');
        for (const patches of txns) step(doc, text, patches);
        return doc;
      },
      text: (doc) => doc.getText('text').toString(),
      length: (doc) => doc.getText('text').length,
      encode: (doc) => doc.export({ mode: 'snapshot' }),
      decode: (bytes) => LoroDoc.fromSnapshot(bytes),
      capture(txns) {
        const doc = new LoroDoc();
        const text = doc.getText('text');
        const updates = [];
        for (const patches of txns) {
          const before = doc.oplogVersion();
          step(doc, text, patches);
          updates.push(doc.export({ mode: 'update', from: before }));
          before.free();
        }
        doc.free();
        return updates;
      },
      applyRemote(updates) {
        const doc = new LoroDoc();
        for (const u of updates) doc.import(u);
        return doc;
      },
      free: (doc) => doc.free(),
    };
  }

  if (name === 'diamond-types') {
    const dt = await load('diamond-types-node');
    // diamond-types has no transactions: each patch half is one op. Positions are in
    // Unicode scalar values ("chars"), which equals UTF-16 here (no surrogates).
    const step = (doc, patches) => {
      for (const [pos, del, ins] of patches) {
        if (del > 0) doc.del(pos, del);
        if (ins !== '') doc.ins(pos, ins);
      }
    };
    return {
      pkg: 'diamond-types-node', version: version('diamond-types-node'),
      replay(txns) {
        const doc = new dt.Doc('local');
        for (const patches of txns) step(doc, patches);
        return doc;
      },
      text: (doc) => doc.get(),
      length: (doc) => doc.len(),
      encode: (doc) => doc.toBytes(),
      decode: (bytes) => dt.Doc.fromBytes(bytes, 'reader'),
      capture(txns) {
        const doc = new dt.Doc('local');
        const updates = [];
        for (const patches of txns) {
          const before = doc.getLocalVersion();
          step(doc, patches);
          updates.push(doc.getPatchSince(before));
        }
        doc.free();
        return updates;
      },
      applyRemote(updates) {
        const doc = new dt.Doc('remote');
        for (const u of updates) doc.mergeBytes(u);
        return doc;
      },
      free: (doc) => doc.free(),
    };
  }
  throw new Error(`unknown library ${name}`);
}

// Methods used to fetch each library's incremental updates, reported in the output.
const REMOTE_METHOD = {
  'yjs': "Y.Doc 'update' event per transact(); Y.applyUpdate each",
  'automerge': 'core getLastLocalChange() per commit; core applyChanges([change]) each',
  'loro': "export({mode:'update', from: oplogVersion() before txn}); import each",
  'diamond-types': 'getPatchSince(getLocalVersion() before txn); mergeBytes each',
};

// ---------------------------------------------------------------------------
// Measurement helpers

const now = () => process.hrtime.bigint();
const msSince = (t0) => Number(now() - t0) / 1e6;

function fullGc() {
  // Two passes: the first can only queue finalizers (e.g. wasm-bindgen FinalizationRegistry
  // callbacks); the second collects what they released.
  global.gc();
  global.gc();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Wasm libraries allocate inside their own WebAssembly.Memory, invisible to heapUsed.
// None of the four packages documents access to it, so wrap the WebAssembly constructors
// before any library loads and remember every memory an instance exports.
const wasmMemories = new Set();
function hookWasmMemories() {
  const record = (instance) => {
    for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory) wasmMemories.add(v);
  };
  const Original = WebAssembly.Instance;
  WebAssembly.Instance = class extends Original {
    constructor(module, imports) {
      super(module, imports);
      record(this);
    }
  };
  const originalInstantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async function (...args) {
    const result = await originalInstantiate.apply(this, args);
    record(result.instance ?? result);
    return result;
  };
}
const wasmBytes = () => [...wasmMemories].reduce((sum, m) => sum + m.buffer.byteLength, 0);

// ---------------------------------------------------------------------------
// Child: timed runs

async function benchChild(opts) {
  const lib = await loadAdapter(opts.libs[0], opts.deps);
  const trace = loadTrace(opts.traces[0]);
  const want = trace.endContent;
  const samples = { apply_ms: [], encode_ms: [], decode_ms: [], remote_apply_ms: [] };
  const failures = new Set();
  let encodedBytes = 0;

  // Phase 1: local replay, encode, decode. Runs before any updates are captured so the
  // hundreds of thousands of update buffers do not sit in the heap and slow every GC.
  for (let r = 0; r < opts.runs; r++) {
    fullGc();
    let t0 = now();
    const doc = lib.replay(trace.txns);
    samples.apply_ms.push(msSince(t0));
    if (lib.text(doc) !== want) failures.add('local replay text differs from endContent');

    fullGc();
    t0 = now();
    const bytes = lib.encode(doc);
    samples.encode_ms.push(msSince(t0));
    encodedBytes = bytes.byteLength;
    lib.free(doc);

    fullGc();
    t0 = now();
    const loaded = lib.decode(bytes);
    const len = lib.length(loaded);
    samples.decode_ms.push(msSince(t0));
    if (len !== want.length || lib.text(loaded) !== want) failures.add('decoded text differs from endContent');
    lib.free(loaded);
  }

  // Phase 2: capture the per-txn updates once (untimed: the capturing replay carries
  // listener/export overhead that is not apply time), then time the remote replays.
  let updates = opts.only === 'local' ? [] : lib.capture(trace.txns);
  const updateCount = updates.length;
  const updateBytes = updates.reduce((s, u) => s + u.byteLength, 0);
  for (let r = 0; r < opts.runs && opts.only !== 'local'; r++) {
    fullGc();
    const t0 = now();
    const remote = lib.applyRemote(updates);
    samples.remote_apply_ms.push(msSince(t0));
    if (lib.text(remote) !== want) failures.add('remote replay text differs from endContent');
    lib.free(remote);
  }
  updates = null;

  const out = {
    trace: trace.name,
    edits: trace.patches,
    txns: trace.txns.length,
    ok: failures.size === 0,
    encoded_bytes: encodedBytes,
    update_count: updateCount,
    update_bytes: updateBytes,
    remote_method: REMOTE_METHOD[opts.libs[0]],
    version: lib.version,
  };
  for (const [k, xs] of Object.entries(samples)) out[k] = xs.length ? round(median(xs)) : null;
  if (failures.size) out.error = [...failures].join('; ');
  console.log(JSON.stringify(out));
}

// Child: one memory measurement in a fresh process.
async function memChild(opts) {
  hookWasmMemories();
  const lib = await loadAdapter(opts.libs[0], opts.deps);
  const trace = loadTrace(opts.traces[0]);
  // Touch the library once so lazily initialised module state is in the baseline, not
  // charged to the document.
  lib.free(lib.replay([[[0, 0, 'x']]]));

  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  const wasm0 = wasmBytes();
  const rss0 = process.memoryUsage().rss;
  const doc = lib.replay(trace.txns);
  fullGc();
  const heap1 = process.memoryUsage().heapUsed;
  const wasm1 = wasmBytes();
  const rss1 = process.memoryUsage().rss;
  const ok = lib.text(doc) === trace.endContent; // also keeps doc alive past the sample
  lib.free(doc);
  console.log(JSON.stringify({
    ok,
    heap_bytes: heap1 - heap0,
    wasm_bytes: wasm1 - wasm0,
    rss_bytes: rss1 - rss0,
    wasm_memories: wasmMemories.size,
  }));
}

const round = (x) => Math.round(x * 1000) / 1000;

// ---------------------------------------------------------------------------
// Parent: orchestrates children and merges their output.

function runChild(kind, lib, traceFile, opts) {
  const args = ['--expose-gc', SELF, '--child', kind, '--deps', opts.deps, '--runs', String(opts.runs), '--lib', lib, traceFile];
  if (opts.only) args.push('--only', opts.only);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop();
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(line));
      } catch (e) {
        resolve({ failed: `${kind} child for ${lib}: ${e.message}` });
      }
    });
  });
}

async function parent(opts) {
  for (const lib of opts.libs) {
    for (const file of opts.traces) {
      // Children run one at a time: concurrent runs would compete for the two cores.
      const bench = await runChild('bench', lib, file, opts);
      const mems = [];
      for (let r = 0; r < opts.runs && opts.only !== 'local'; r++) mems.push(await runChild('mem', lib, file, opts));

      const traceName = path.basename(file).replace(/\.json(\.gz)?$/, '');
      const errors = [bench.failed, ...mems.map((m) => m.failed)].filter(Boolean);
      const goodMems = mems.filter((m) => !m.failed);
      if (goodMems.some((m) => !m.ok)) errors.push('memory-run replay text differs from endContent');
      const isWasm = goodMems.some((m) => m.wasm_memories > 0);
      const heap = goodMems.length ? median(goodMems.map((m) => m.heap_bytes)) : null;
      const wasm = goodMems.length ? median(goodMems.map((m) => m.wasm_bytes)) : null;
      const rss = goodMems.length ? median(goodMems.map((m) => m.rss_bytes)) : null;

      const { failed, error, ...b } = bench;
      if (error) errors.push(error);
      const line = {
        lib,
        trace: traceName,
        edits: b.edits ?? null,
        ok: !failed && b.ok === true && errors.length === 0,
        apply_ms: b.apply_ms ?? null,
        encode_ms: b.encode_ms ?? null,
        encoded_bytes: b.encoded_bytes ?? null,
        decode_ms: b.decode_ms ?? null,
        remote_apply_ms: b.remote_apply_ms ?? null,
        mem_bytes: heap === null ? null : Math.round(heap + wasm),
        mem_method: isWasm
          ? 'fresh process: heapUsed delta after gc + growth of the wasm linear memory (high-water mark, includes freed transient allocations)'
          : 'fresh process: heapUsed delta after gc',
        mem_heap_bytes: heap === null ? null : Math.round(heap),
        mem_wasm_bytes: wasm,
        mem_rss_bytes: rss === null ? null : Math.round(rss),
        runs: opts.runs,
        version: b.version ?? null,
        txns: b.txns ?? null,
        update_count: b.update_count ?? null,
        update_bytes: b.update_bytes ?? null,
        remote_method: b.remote_method ?? REMOTE_METHOD[lib],
      };
      if (errors.length) line.error = errors.join('; ');
      console.log(JSON.stringify(line));
    }
  }
}

// ---------------------------------------------------------------------------

const opts = parseArgs(process.argv.slice(2));
if (opts.child && typeof global.gc !== 'function') die('run node with --expose-gc');
if (opts.child === 'bench') await benchChild(opts);
else if (opts.child === 'mem') await memChild(opts);
else if (opts.child) die(`unknown child kind ${opts.child}`);
else await parent(opts);
