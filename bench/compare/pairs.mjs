// Alternates tandem-trace and one other library on one trace, round after
// round, and prints the ratio of each round's pair. On a shared machine the
// speed drifts (another tenant on the sibling hyperthread slows everything
// by a third for minutes at a time): a ratio taken from two runs minutes
// apart can be off by that much either way, one taken from adjacent runs
// is not. Local figures only (apply, encode, decode).
//
//   node bench/compare/pairs.mjs --tandem-trace PATH --deps DIR --lib NAME
//        [--rounds K] [--runs N] TRACE
//
// --deps is the folder bench/compare/run installed the npm packages into
// (build/compare). Prints one line per round and, at the end, the median
// ratio (lib / tandem: above 1 means Tandem is faster) and in how many rounds
// Tandem was faster, for each figure.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIGURES = ['apply_ms', 'encode_ms', 'decode_ms'];

function parseArgs(argv) {
  const o = { rounds: 5, runs: 7, trace: null, lib: null, tandem: null, deps: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--tandem-trace') o.tandem = path.resolve(value());
    else if (a === '--deps') o.deps = path.resolve(value());
    else if (a === '--lib') o.lib = value();
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--runs') o.runs = Number(value());
    else if (a.startsWith('--')) die(`unknown option ${a}`);
    else o.trace = path.resolve(a);
  }
  if (!o.tandem || !o.deps || !o.lib || !o.trace) die('--tandem-trace, --deps, --lib and a trace are required');
  for (const k of ['rounds', 'runs']) if (!Number.isInteger(o[k]) || o[k] < 1) die(`--${k} must be a positive integer`);
  return o;
}

function die(msg) {
  console.error(`pairs.mjs: ${msg}`);
  process.exit(2);
}

// Runs a command that prints JSON lines; returns the last one, parsed.
function lastJson(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) die(`${path.basename(cmd)} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  if (!j.ok) die(`${path.basename(cmd)} reports a wrong result: ${JSON.stringify(j)}`);
  return j;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const o = parseArgs(process.argv.slice(2));
const ratios = Object.fromEntries(FIGURES.map((f) => [f, []]));
const fmt = (x) => (x === null || x === undefined ? '-' : x.toFixed(2));
for (let r = 1; r <= o.rounds; r++) {
  const t = lastJson(o.tandem, ['--only', 'apply', '--runs', String(o.runs), o.trace]);
  const l = lastJson(process.execPath, ['--expose-gc', path.join(HERE, 'replay.mjs'), '--deps', o.deps,
    '--runs', String(o.runs), '--lib', o.lib, '--only', 'local', o.trace]);
  const cells = FIGURES.map((f) => {
    const ratio = l[f] / t[f];
    ratios[f].push(ratio);
    return `${f} ${fmt(t[f])} vs ${fmt(l[f])} (${fmt(ratio)}x)`;
  });
  console.log(`round ${r}: tandem vs ${o.lib}: ${cells.join(', ')}`);
}
for (const f of FIGURES) {
  const wins = ratios[f].filter((x) => x > 1).length;
  console.log(`${f}: median ${o.lib}/tandem ${fmt(median(ratios[f]))}x ` +
    `(min ${fmt(Math.min(...ratios[f]))}, max ${fmt(Math.max(...ratios[f]))}); Tandem faster in ${wins} of ${o.rounds} rounds`);
}
