// A Hocuspocus server (@hocuspocus/server), in memory: no extensions, no
// persistence (onStoreDocument is the default no-op), no auth hook (every
// token is accepted, but the protocol's auth step still runs).
//
// This is what Hocuspocus's own `Server` class does (an http server, a `ws`
// WebSocketServer in noServer mode, `hocuspocus.handleConnection`), minus
// one bug: Server.listen() passes `{ port, address }` to http.listen, which
// ignores `address` and binds every interface (and treats port 0 as 80).
//   node hocuspocus-server.mjs [PORT] [HOST]   -> prints "listening on HOST:PORT"
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { Hocuspocus } from '@hocuspocus/server'

const port = parseInt(process.argv[2] ?? '0', 10)
const host = process.argv[3] ?? '127.0.0.1'
const hocuspocus = new Hocuspocus({ quiet: true })
const wss = new WebSocketServer({ noServer: true })
wss.on('connection', (incoming, request) => {
  incoming.setMaxListeners(Number.POSITIVE_INFINITY)
  incoming.on('error', (error) => console.error('websocket error:', error))
  hocuspocus.handleConnection(incoming, request)
})
const server = http.createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('Welcome to Hocuspocus!') })
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
})
server.listen(port, host, () => console.log(`listening on ${host}:${server.address().port}`))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0))
