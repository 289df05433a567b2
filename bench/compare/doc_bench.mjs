#!/usr/bin/env node
// The document-model workloads of tandem-doc-bench (bench/doc/doc_bench.cc) in Yjs and
// Loro, drawn from the same generator with the same seeds, so both sides build the same
// shapes and make the same writes ("workload_hash" must equal tandem-doc-bench's). One
// JSON line per (library, workload) with tandem-doc-bench's field names plus "lib",
// "version" and the memory details.
//
//   node --expose-gc doc_bench.mjs [--deps DIR] [--runs N] [--lib yjs|loro]... [--only W]
//
// --deps DIR  folder holding node_modules and a copy of deps.mjs (default: this folder);
//             run-doc installs both into the build folder and passes it here.
// --only W    whiteboard | mapwrites (default: both).
//
// Like replay.mjs, the parent only orchestrates. Per (library, workload) one "bench"
// child does the N timed runs, then N "mem" children each build (or receive) the document
// once in a fresh process: a wasm linear memory never shrinks, so only a fresh instance
// shows what the document needs. The map-writes mem child reads the updates from a file
// the bench child wrote, so generating them does not pre-grow the wasm memory.
//
// Models (mirroring doc_bench.cc exactly):
//   whiteboard  root map "shapes" (Y: doc.getMap('shapes'); Loro: doc.getMap('shapes')),
//               per shape one transaction: a Map under its 10-char id with type, x, y,
//               color and a "points" list getting 50 points, each pushed as two doubles
//               (Y: pts.push([x, y]); Loro: pts.push(x); pts.push(y) — LoroList.push
//               takes one value).
//   mapwrites   10 docs (peers), each write its own transaction on the root map 'map'
//               (Y: doc.transact + 'update' event; Loro: map.set + commit() +
//               subscribeLocalUpdates), all updates applied in generation order to a
//               fresh doc.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ALL_LIBS = ['yjs', 'loro'];
const ALL_WORKLOADS = ['whiteboard', 'mapwrites'];

const SHAPES = 10000;
const POINTS_PER_SHAPE = 50;
const PEERS = 10;
const WRITES = 100000;
const KEY_SPACE = 1000;
const WHITEBOARD_SEED = 0x7a6e0001;
const MAP_SEED = 0x7a6e0002;
const TYPES = ['rect', 'ellipse', 'line', 'freehand'];
const COLORS = ['#1e1e1e', '#e03131', '#2f9e44', '#1971c2', '#f08c00', '#6741d9', '#0c8599', '#868e96'];
const ID_CHARS = '0123456789abcdefghijklmnopqrstuvwxyz';
const STR_CHARS = 'abcdefghijklmnopqrstuvwxyz';

// ---------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = { deps: path.dirname(SELF), runs: 5, libs: [], workloads: [], child: null, file: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--deps') opts.deps = path.resolve(value());
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--lib') opts.libs.push(value());
    else if (a === '--only') opts.workloads.push(value());
    else if (a === '--child') opts.child = value();
    else if (a === '--file') opts.file = value();
    else if (a === '-h' || a === '--help') {
      console.log('usage: node --expose-gc doc_bench.mjs [--deps DIR] [--runs N] [--lib yjs|loro]... [--only whiteboard|mapwrites]');
      process.exit(0);
    } else die(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) die('--runs must be a positive integer');
  if (opts.libs.length === 0) opts.libs = ALL_LIBS;
  if (opts.workloads.length === 0) opts.workloads = ALL_WORKLOADS;
  for (const l of opts.libs) if (!ALL_LIBS.includes(l)) die(`unknown library ${l}`);
  for (const w of opts.workloads) if (!ALL_WORKLOADS.includes(w)) die(`unknown workload ${w}`);
  return opts;
}

function die(msg) {
  console.error(`doc_bench.mjs: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Workloads: mulberry32 + FNV-1a over every draw, as in doc_bench.cc.

function rng(seed) {
  let a = seed | 0;
  const r = {
    hash: 2166136261,
    next() {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      t = (t ^ (t >>> 14)) >>> 0;
      r.hash = Math.imul(r.hash ^ t, 16777619) >>> 0;
      return t;
    },
    coord: () => (r.next() % 100000) / 100,
    chars(n, alphabet) {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[r.next() % alphabet.length];
      return s;
    },
  };
  return r;
}

function makeShapes() {
  const r = rng(WHITEBOARD_SEED);
  const shapes = [];
  for (let i = 0; i < SHAPES; i++) {
    const id = r.chars(10, ID_CHARS);
    const type = TYPES[r.next() % 4];
    const color = COLORS[r.next() % 8];
    const x = r.coord();
    const y = r.coord();
    const points = [];
    for (let k = 0; k < 2 * POINTS_PER_SHAPE; k++) points.push(r.coord());
    shapes.push({ id, type, color, x, y, points });
  }
  return { shapes, hash: r.hash };
}

function makeWrites() {
  const r = rng(MAP_SEED);
  const writes = [];
  for (let i = 0; i < WRITES; i++) {
    const peer = r.next() % PEERS;
    const key = `k${r.next() % KEY_SPACE}`;
    const value = r.next() % 2 === 0 ? r.next() % 1000000 : r.chars(8, STR_CHARS);
    writes.push({ peer, key, value });
  }
  return { writes, hash: r.hash };
}

// The same 64-bit peer ids as doc_bench.cc's PeerIdOf (splitmix64 of p + 1).
function peerIdOf(p) {
  const M = (1n << 64n) - 1n;
  let z = (BigInt(p + 1) * 0x9e3779b97f4a7c15n) & M;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
  return z ^ (z >> 31n);
}
const LOCAL_PEER = 0x5be0cd19137e2179n;

// JSON with sorted object keys: maps' iteration order differs between replicas.
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function expectedWhiteboard(shapes) {
  const o = {};
  for (const s of shapes) o[s.id] = { type: s.type, x: s.x, y: s.y, color: s.color, points: s.points };
  return canonical(o);
}

// ---------------------------------------------------------------------------
// Library adapters

async function loadAdapter(name, deps) {
  const { loaders } = await import(pathToFileURL(path.join(deps, 'deps.mjs')).href);
  const version = (pkg) => JSON.parse(readFileSync(path.join(deps, 'node_modules', pkg, 'package.json'), 'utf8')).version;

  if (name === 'yjs') {
    const Y = await loaders['yjs']();
    // Fixed clientIDs of typical (5-varint-byte) size, as in replay.mjs.
    const fresh = (id = 0x7a3c5e91) => {
      const doc = new Y.Doc();
      doc.clientID = id;
      return doc;
    };
    return {
      version: version('yjs'),
      build(shapes) {
        const doc = fresh();
        const root = doc.getMap('shapes');
        for (const s of shapes) {
          doc.transact(() => {
            const m = new Y.Map();
            root.set(s.id, m);
            m.set('type', s.type);
            m.set('x', s.x);
            m.set('y', s.y);
            m.set('color', s.color);
            const pts = new Y.Array();
            m.set('points', pts);
            const p = s.points;
            for (let k = 0; k < p.length; k += 2) pts.push([p[k], p[k + 1]]);
          });
        }
        return doc;
      },
      shapeJson: (doc) => canonical(doc.getMap('shapes').toJSON()),
      read(doc, lastId) {
        const m = doc.getMap('shapes');
        return { shapes: m.size, points: m.get(lastId)?.get('points')?.length ?? -1 };
      },
      encodeSnapshot: (doc) => Y.encodeStateAsUpdate(doc),
      decodeSnapshot: (bytes) => { const d = fresh(0x1f83d9ab); Y.applyUpdate(d, bytes); return d; },
      encodeUpdate: (doc) => Y.encodeStateAsUpdate(doc),
      applyUpdate: (bytes) => { const d = fresh(0x1f83d9ab); Y.applyUpdate(d, bytes); return d; },
      // Map writes
      peers() {
        const updates = [];
        const docs = [];
        for (let p = 0; p < PEERS; p++) {
          const doc = fresh(0x7a3c5e91 + p * 0x10001);
          doc.on('update', (u) => updates.push(u));
          docs.push({ doc, map: doc.getMap('map') });
        }
        return { docs, updates };
      },
      write(peer, key, value) {
        peer.doc.transact(() => peer.map.set(key, value));
      },
      receiver: () => fresh(0x1f83d9ab),
      receive: (doc, u) => Y.applyUpdate(doc, u),
      mapJson: (doc) => canonical(doc.getMap('map').toJSON()),
      mapSize: (doc) => doc.getMap('map').size,
      touch() {
        const d = fresh();
        d.getMap('m').set('a', 1);
        Y.encodeStateAsUpdate(d);
        d.destroy();
      },
      free: (doc) => doc.destroy(),
    };
  }

  if (name === 'loro') {
    const { LoroDoc, LoroMap, LoroList } = await loaders['loro-crdt']();
    const fresh = (peer = 0x1f83d9abfb41bd6bn) => {
      const doc = new LoroDoc();
      doc.setPeerId(peer);
      return doc;
    };
    return {
      version: version('loro-crdt'),
      build(shapes) {
        const doc = fresh(LOCAL_PEER);
        const root = doc.getMap('shapes');
        for (const s of shapes) {
          const m = root.setContainer(s.id, new LoroMap());
          m.set('type', s.type);
          m.set('x', s.x);
          m.set('y', s.y);
          m.set('color', s.color);
          const pts = m.setContainer('points', new LoroList());
          const p = s.points;
          for (let k = 0; k < p.length; k += 2) {
            pts.push(p[k]);
            pts.push(p[k + 1]);
          }
          doc.commit();
        }
        return doc;
      },
      shapeJson: (doc) => canonical(doc.getMap('shapes').toJSON()),
      read(doc, lastId) {
        const m = doc.getMap('shapes');
        const shape = m.get(lastId);
        return { shapes: m.size, points: shape ? shape.get('points').length : -1 };
      },
      encodeSnapshot: (doc) => doc.export({ mode: 'snapshot' }),
      decodeSnapshot: (bytes) => { const d = fresh(); d.import(bytes); return d; },
      encodeUpdate: (doc) => doc.export({ mode: 'update' }),
      applyUpdate: (bytes) => { const d = fresh(); d.import(bytes); return d; },
      peers() {
        const updates = [];
        const docs = [];
        for (let p = 0; p < PEERS; p++) {
          const doc = fresh(peerIdOf(p));
          doc.subscribeLocalUpdates((u) => updates.push(u)); // synchronous, one per commit
          docs.push({ doc, map: doc.getMap('map') });
        }
        return { docs, updates };
      },
      write(peer, key, value) {
        peer.map.set(key, value);
        peer.doc.commit();
      },
      receiver: () => fresh(),
      receive: (doc, u) => doc.import(u),
      mapJson: (doc) => canonical(doc.getMap('map').toJSON()),
      mapSize: (doc) => doc.getMap('map').size,
      touch() {
        const d = fresh();
        d.getMap('m').set('a', 1);
        d.commit();
        d.export({ mode: 'snapshot' });
        d.free();
      },
      free: (doc) => doc.free(),
    };
  }
  throw new Error(`unknown library ${name}`);
}

// ---------------------------------------------------------------------------
// Measurement helpers (as in replay.mjs)

const now = () => process.hrtime.bigint();
const msSince = (t0) => Number(now() - t0) / 1e6;
const round = (x) => Math.round(x * 1000) / 1000;

function fullGc() {
  global.gc();
  global.gc();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

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

// Updates file for the map-writes mem children: u32 count, then u32 length + bytes each.
function saveUpdates(file, updates) {
  const total = updates.reduce((s, u) => s + 4 + u.byteLength, 4);
  const buf = Buffer.alloc(total);
  let o = buf.writeUInt32LE(updates.length, 0);
  for (const u of updates) {
    o = buf.writeUInt32LE(u.byteLength, o);
    buf.set(u, o);
    o += u.byteLength;
  }
  writeFileSync(file, buf);
}

function loadUpdates(file) {
  const buf = readFileSync(file);
  const n = buf.readUInt32LE(0);
  const out = [];
  let o = 4;
  for (let i = 0; i < n; i++) {
    const len = buf.readUInt32LE(o);
    o += 4;
    out.push(new Uint8Array(buf.buffer, buf.byteOffset + o, len));
    o += len;
  }
  return out;
}

function generate(lib, writes) {
  const { docs, updates } = lib.peers();
  for (const w of writes) lib.write(docs[w.peer], w.key, w.value);
  return { docs, updates };
}

// ---------------------------------------------------------------------------
// Children

async function whiteboardBench(lib, opts) {
  const { shapes, hash } = makeShapes();
  const lastId = shapes[shapes.length - 1].id;
  const want = expectedWhiteboard(shapes);
  const failures = new Set();
  const s = { build_ms: [], encode_ms: [], decode_ms: [], update_encode_ms: [], update_apply_ms: [] };
  let snapshotBytes = 0;
  let updateBytes = 0;
  const readOk = (r) => r.shapes === SHAPES && r.points === 2 * POINTS_PER_SHAPE;
  for (let r = 0; r < opts.runs; r++) {
    fullGc();
    let t0 = now();
    const doc = lib.build(shapes);
    s.build_ms.push(msSince(t0));
    if (!readOk(lib.read(doc, lastId))) failures.add('built doc has the wrong shape/point count');

    fullGc();
    t0 = now();
    const snap = lib.encodeSnapshot(doc);
    s.encode_ms.push(msSince(t0));
    snapshotBytes = snap.byteLength;

    fullGc();
    t0 = now();
    const loaded = lib.decodeSnapshot(snap);
    const read = lib.read(loaded, lastId);
    s.decode_ms.push(msSince(t0));
    if (!readOk(read)) failures.add('decoded doc has the wrong shape/point count');

    fullGc();
    t0 = now();
    const update = lib.encodeUpdate(doc);
    s.update_encode_ms.push(msSince(t0));
    updateBytes = update.byteLength;

    fullGc();
    t0 = now();
    const applied = lib.applyUpdate(update);
    s.update_apply_ms.push(msSince(t0));
    if (!readOk(lib.read(applied, lastId))) failures.add('update-applied doc has the wrong shape/point count');

    if (r === 0) {
      if (lib.shapeJson(doc) !== want) failures.add('built doc differs from the workload');
      if (lib.shapeJson(loaded) !== want) failures.add('decoded doc differs from the workload');
      if (lib.shapeJson(applied) !== want) failures.add('update-applied doc differs from the workload');
    }
    lib.free(doc);
    lib.free(loaded);
    lib.free(applied);
  }
  const out = {
    workload: 'whiteboard', shapes: SHAPES, points_per_shape: POINTS_PER_SHAPE,
    ok: failures.size === 0, workload_hash: hash, runs: opts.runs,
    snapshot_bytes: snapshotBytes, update_bytes: updateBytes, version: lib.version,
  };
  for (const [k, xs] of Object.entries(s)) out[k] = round(median(xs));
  if (failures.size) out.error = [...failures].join('; ');
  return out;
}

async function mapwritesBench(lib, opts) {
  const { writes, hash } = makeWrites();
  const failures = new Set();
  const s = { gen_ms: [], apply_ms: [] };
  let snapshotBytes = 0;
  let updateBytes = 0;
  let saved = false;
  for (let r = 0; r < opts.runs; r++) {
    fullGc();
    let t0 = now();
    const { docs, updates } = generate(lib, writes);
    s.gen_ms.push(msSince(t0));
    if (updates.length !== WRITES) failures.add(`${updates.length} updates for ${WRITES} writes`);
    for (const d of docs) lib.free(d.doc);
    updateBytes = updates.reduce((sum, u) => sum + u.byteLength, 0);

    fullGc();
    const replica = lib.receiver();
    t0 = now();
    for (const u of updates) lib.receive(replica, u);
    s.apply_ms.push(msSince(t0));
    snapshotBytes = lib.encodeSnapshot(replica).byteLength;

    if (r === 0) {
      // Another delivery order (peer by peer) must converge.
      const other = lib.receiver();
      for (let p = 0; p < PEERS; p++) {
        for (let i = 0; i < writes.length; i++) if (writes[i].peer === p) lib.receive(other, updates[i]);
      }
      if (lib.mapJson(other) !== lib.mapJson(replica)) failures.add('delivery orders diverge');
      const keys = new Set(writes.map((w) => w.key)).size;
      if (lib.mapSize(replica) !== keys) failures.add('replica has the wrong key count');
      lib.free(other);
    }
    if (!saved && opts.file) {
      saveUpdates(opts.file, updates);
      saved = true;
    }
    lib.free(replica);
  }
  const out = {
    workload: 'mapwrites', peers: PEERS, writes: WRITES, keys: KEY_SPACE,
    ok: failures.size === 0, workload_hash: hash, runs: opts.runs,
    update_bytes: updateBytes, snapshot_bytes: snapshotBytes, version: lib.version,
  };
  for (const [k, xs] of Object.entries(s)) out[k] = round(median(xs));
  if (failures.size) out.error = [...failures].join('; ');
  return out;
}

async function benchChild(opts) {
  const lib = await loadAdapter(opts.libs[0], opts.deps);
  const out = opts.workloads[0] === 'whiteboard' ? await whiteboardBench(lib, opts) : await mapwritesBench(lib, opts);
  console.log(JSON.stringify(out));
}

// One memory sample in a fresh process: the workload input is in the heap before the
// baseline and stays alive past the second sample, so only the document is counted.
async function memChild(opts) {
  hookWasmMemories();
  const lib = await loadAdapter(opts.libs[0], opts.deps);
  let input;
  let build;
  if (opts.workloads[0] === 'whiteboard') {
    input = makeShapes().shapes;
    build = () => lib.build(input);
  } else {
    input = loadUpdates(opts.file);
    build = () => {
      const d = lib.receiver();
      for (const u of input) lib.receive(d, u);
      return d;
    };
  }
  lib.touch();
  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  const wasm0 = wasmBytes();
  const rss0 = process.memoryUsage().rss;
  const doc = build();
  fullGc();
  const heap1 = process.memoryUsage().heapUsed;
  const wasm1 = wasmBytes();
  const rss1 = process.memoryUsage().rss;
  const ok = opts.workloads[0] === 'whiteboard'
    ? lib.read(doc, input[input.length - 1].id).shapes === SHAPES
    : lib.mapSize(doc) > 0;
  lib.free(doc);
  console.log(JSON.stringify({ ok, heap_bytes: heap1 - heap0, wasm_bytes: wasm1 - wasm0, rss_bytes: rss1 - rss0, wasm_memories: wasmMemories.size, inputs: input.length }));
}

// ---------------------------------------------------------------------------
// Parent

function runChild(kind, lib, workload, opts, file) {
  const args = ['--expose-gc', SELF, '--child', kind, '--deps', opts.deps, '--runs', String(opts.runs), '--lib', lib, '--only', workload];
  if (file) args.push('--file', file);
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
        resolve({ failed: `${kind} child for ${lib}/${workload}: ${e.message}` });
      }
    });
  });
}

async function parent(opts) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tandem-doc-bench-'));
  try {
    for (const lib of opts.libs) {
      for (const workload of opts.workloads) {
        const file = workload === 'mapwrites' ? path.join(tmp, `${lib}.updates`) : null;
        const bench = await runChild('bench', lib, workload, opts, file);
        const mems = [];
        if (!bench.failed) for (let r = 0; r < opts.runs; r++) mems.push(await runChild('mem', lib, workload, opts, file));
        const errors = [bench.failed, bench.error, ...mems.map((m) => m.failed)].filter(Boolean);
        const good = mems.filter((m) => !m.failed);
        if (good.some((m) => !m.ok)) errors.push('memory-run document failed its check');
        const med = (k) => (good.length ? Math.round(median(good.map((m) => m[k]))) : null);
        const isWasm = good.some((m) => m.wasm_memories > 0);
        const { failed, error, ...b } = bench;
        const heap = med('heap_bytes');
        const wasm = med('wasm_bytes');
        const line = {
          lib,
          ...b,
          ok: !failed && b.ok === true && errors.length === 0,
          mem_bytes: heap === null ? null : heap + wasm,
          mem_heap_bytes: heap,
          mem_wasm_bytes: wasm,
          rss_bytes: med('rss_bytes'),
          mem_method: isWasm
            ? 'fresh process: heapUsed delta after gc + growth of the wasm linear memory (high-water mark)'
            : 'fresh process: heapUsed delta after gc',
        };
        if (errors.length) line.error = errors.join('; ');
        console.log(JSON.stringify(line));
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
if (opts.child && typeof global.gc !== 'function') die('run node with --expose-gc');
if (opts.child === 'bench') await benchChild(opts);
else if (opts.child === 'mem') await memChild(opts);
else if (opts.child) die(`unknown child kind ${opts.child}`);
else await parent(opts);
