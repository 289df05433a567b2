// Pre-generates real Yjs updates for tandem-loadgen's y-websocket and
// Hocuspocus modes: every client has its own Y.Doc and types into the shared
// root Y.Text "text", one character per transaction, appending at the end
// (like someone typing); each transaction's 'update' event is one update.
//
//   node gen-updates.mjs --clients C --per-client N --out FILE
//
// File (little-endian): u32 clients, then per client u32 count and
// count x (u32 length, update bytes). The loadgen sends client i's updates
// in order, so the server never holds one whose dependencies are missing.
import * as fs from 'node:fs'
import * as Y from 'yjs'

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), [])
)
const clients = parseInt(args.clients ?? '100', 10)
const perClient = parseInt(args['per-client'] ?? '100', 10)
const out = args.out
if (!out || !(clients > 0) || !(perClient > 0)) {
  console.error('usage: node gen-updates.mjs --clients C --per-client N --out FILE')
  process.exit(2)
}

const chunks = []
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b }
chunks.push(u32(clients))
let bytes = 0
for (let c = 0; c < clients; c++) {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  const updates = []
  doc.on('update', (u) => updates.push(u))
  for (let k = 0; k < perClient; k++) {
    text.insert(text.length, String.fromCharCode(97 + (k % 26)))
  }
  if (updates.length !== perClient) throw new Error(`expected ${perClient} updates, got ${updates.length}`)
  chunks.push(u32(updates.length))
  for (const u of updates) {
    chunks.push(u32(u.length), Buffer.from(u))
    bytes += u.length
  }
}
fs.writeFileSync(out, Buffer.concat(chunks))
console.error(`gen-updates: ${clients} clients x ${perClient} updates, mean ${(bytes / clients / perClient).toFixed(1)} bytes -> ${out}`)
