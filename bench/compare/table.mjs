#!/usr/bin/env node
// Formats the JSON lines of tandem-trace and replay.mjs as one markdown table per trace.
//
//   node table.mjs [--note TEXT]... FILE...
//
// Each FILE holds JSON lines (other lines are ignored). A line without "lib" comes from
// tandem-trace and becomes the "tandem" row. Every column is "lower is better"; for each
// competitor row the figure is followed by its ratio to tandem, e.g. `1234.5 (35.2×)`
// (so 0.5× means the competitor needs half of what tandem needs). --note lines (e.g. why
// tandem is missing) are printed under the tables.

import { readFileSync } from 'node:fs';

const COLUMNS = [
  { key: 'apply_ms', fmt: fmtMs },
  { key: 'encode_ms', fmt: fmtMs },
  { key: 'encoded_bytes', fmt: fmtBytes },
  { key: 'decode_ms', fmt: fmtMs },
  { key: 'remote_apply_ms', fmt: fmtMs },
  { key: 'mem_bytes', fmt: fmtBytes },
];

function fmtMs(x) {
  if (x < 1) return x.toFixed(3);
  if (x < 10) return x.toFixed(2);
  return x.toFixed(1);
}

function fmtBytes(x) {
  return Math.round(x).toLocaleString('en-US');
}

function fmtRatio(r) {
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

function parseArgs(argv) {
  const notes = [];
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--note') notes.push(argv[++i]);
    else files.push(argv[i]);
  }
  return { notes, files };
}

function readLines(files) {
  const rows = [];
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const t = line.trim();
      if (!t.startsWith('{')) continue;
      try {
        const row = JSON.parse(t);
        if (typeof row.trace !== 'string') continue;
        rows.push({ ...row, lib: row.lib ?? 'tandem' });
      } catch {
        // Not JSON after all (e.g. a log line starting with '{'): skip it.
      }
    }
  }
  return rows;
}

function tableFor(trace, rows) {
  // tandem first, then the competitors in the order they were run.
  const tandem = rows.find((r) => r.lib === 'tandem');
  const others = rows.filter((r) => r.lib !== 'tandem');
  const ordered = tandem ? [tandem, ...others] : others;

  const out = [];
  out.push(`### ${trace}`, '');
  out.push(`| lib | ok | ${COLUMNS.map((c) => c.key).join(' | ')} |`);
  out.push(`| :- | :-: | ${COLUMNS.map(() => '-:').join(' | ')} |`);
  for (const r of ordered) {
    const cells = COLUMNS.map(({ key, fmt }) => {
      const v = r[key];
      if (!isNum(v)) return '–';
      const base = tandem && r !== tandem ? tandem[key] : undefined;
      return isNum(base) && base > 0 ? `${fmt(v)} (${fmtRatio(v / base)})` : fmt(v);
    });
    const name = r.version ? `${r.lib} ${r.version}` : r.lib;
    out.push(`| ${name} | ${r.ok === true ? '✓' : '✗'} | ${cells.join(' | ')} |`);
  }
  out.push('');

  // Best competitor per column, only among rows whose replay verified: a fast wrong
  // answer is not a result.
  const valid = others.filter((r) => r.ok === true);
  const best = COLUMNS.map(({ key, fmt }) => {
    const cands = valid.filter((r) => isNum(r[key]));
    if (cands.length === 0) return `${key}: –`;
    const b = cands.reduce((a, r) => (r[key] < a[key] ? r : a));
    const base = tandem ? tandem[key] : undefined;
    const ratio = isNum(base) && base > 0 ? `, ${fmtRatio(b[key] / base)} tandem` : '';
    return `${key}: ${b.lib} (${fmt(b[key])}${ratio})`;
  });
  out.push(`Best competitor on ${trace} — ${best.join('; ')}`);
  if (!tandem) out.push(`(no tandem row for ${trace}: ratios omitted)`);
  const broken = rows.filter((r) => r.ok !== true);
  for (const r of broken) out.push(`(${r.lib} did not verify on ${trace}${r.error ? `: ${r.error}` : ''})`);
  out.push('');
  return out.join('\n');
}

const { notes, files } = parseArgs(process.argv.slice(2));
const rows = readLines(files);
const traces = [...new Set(rows.map((r) => r.trace))];
for (const t of traces) console.log(tableFor(t, rows.filter((r) => r.trace === t)));

// Memory is measured differently per library; say how, once per library.
const methods = new Map();
for (const r of rows) if (r.mem_method && !methods.has(r.lib)) methods.set(r.lib, r.mem_method);
if (methods.size) {
  console.log('mem_bytes method:');
  for (const [lib, m] of methods) console.log(`- ${lib}: ${m}`);
}
for (const n of notes) console.log(`NOTE: ${n}`);
