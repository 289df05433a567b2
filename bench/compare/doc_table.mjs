#!/usr/bin/env node
// Formats the JSON lines of tandem-doc-bench and doc_bench.mjs as one markdown table per
// workload, each competitor figure followed by its ratio to Tandem (lib / tandem: above
// 1× Tandem is better, below 1× Tandem loses). Lists every figure where Tandem loses.
//
//   node doc_table.mjs [--note TEXT]... FILE...

import { readFileSync } from 'node:fs';

const COLUMNS = {
  whiteboard: [
    ['build_ms', 'ms'], ['encode_ms', 'ms'], ['snapshot_bytes', 'B'], ['decode_ms', 'ms'],
    ['update_encode_ms', 'ms'], ['update_bytes', 'B'], ['update_apply_ms', 'ms'], ['mem_bytes', 'B'],
  ],
  mapwrites: [['gen_ms', 'ms'], ['update_bytes', 'B'], ['apply_ms', 'ms'], ['snapshot_bytes', 'B'], ['mem_bytes', 'B']],
};
// Informational, no verdict: measured differently on each side.
const INFO = ['rss_bytes'];

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const fmt = (x, unit) => (unit === 'B' ? Math.round(x).toLocaleString('en-US') : x < 10 ? x.toFixed(2) : x.toFixed(1));
const fmtRatio = (r) => `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;

const notes = [];
const files = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--note') notes.push(argv[++i]);
  else files.push(argv[i]);
}

const rows = [];
for (const f of files) {
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const r = JSON.parse(t);
      if (typeof r.workload === 'string') rows.push({ ...r, lib: r.lib ?? 'tandem' });
    } catch {
      // not a result line
    }
  }
}

const losses = [];
for (const [workload, cols] of Object.entries(COLUMNS)) {
  const wrows = rows.filter((r) => r.workload === workload);
  if (!wrows.length) continue;
  const tandem = wrows.find((r) => r.lib === 'tandem');
  const others = wrows.filter((r) => r.lib !== 'tandem');
  const keys = [...cols, ...INFO.map((k) => [k, 'B'])];
  console.log(`### ${workload}\n`);
  console.log(`| lib | ok | ${keys.map(([k]) => k).join(' | ')} |`);
  console.log(`| :- | :-: | ${keys.map(() => '-:').join(' | ')} |`);
  for (const r of tandem ? [tandem, ...others] : others) {
    const cells = keys.map(([k, unit]) => {
      const v = r[k];
      if (!isNum(v)) return '–';
      const base = tandem && r !== tandem ? tandem[k] : undefined;
      if (!isNum(base) || base <= 0) return fmt(v, unit);
      const ratio = v / base;
      const lose = ratio < 1 && !INFO.includes(k);
      if (lose) losses.push(`${workload}.${k}: ${r.lib} ${fmt(v, unit)} vs tandem ${fmt(base, unit)} (${fmtRatio(ratio)})`);
      return `${fmt(v, unit)} (${lose ? '**' : ''}${fmtRatio(ratio)}${lose ? '**' : ''})`;
    });
    const name = r.version ? `${r.lib} ${r.version}` : r.lib;
    console.log(`| ${name} | ${r.ok === true ? '✓' : '✗'} | ${cells.join(' | ')} |`);
  }
  const hashes = new Set(wrows.map((r) => r.workload_hash));
  console.log(hashes.size === 1 ? `\nworkload_hash ${[...hashes][0]} on every row (same workload).\n` : `\n**workload_hash differs between rows: ${[...hashes].join(', ')}**\n`);
  for (const r of wrows) if (r.ok !== true) console.log(`(${r.lib} did not verify${r.error ? `: ${r.error}` : ''})`);
}
console.log(losses.length ? `Tandem loses (ratio < 1×):\n${losses.map((l) => `- ${l}`).join('\n')}` : 'Tandem is ahead on every figure.');
const methods = new Map();
for (const r of rows) if (r.mem_method && !methods.has(r.lib)) methods.set(r.lib, r.mem_method);
console.log('\nmem_bytes method:\n- tandem: Doc::MemoryUsage() (bytes its structures hold); rss_bytes: RSS growth across the first build (whiteboard only)');
for (const [lib, m] of methods) console.log(`- ${lib}: ${m}; rss_bytes: RSS growth in the same process`);
for (const n of notes) console.log(`NOTE: ${n}`);
