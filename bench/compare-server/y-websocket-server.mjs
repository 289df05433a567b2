// The y-websocket reference server (@y/websocket-server), in memory: no
// YPERSISTENCE, no callback. Its own src/server.js binds `localhost`; this
// is the same code (ws server + setupWSConnection) bound to HOST:PORT.
//   node y-websocket-server.mjs [PORT] [HOST]   -> prints "listening on HOST:PORT"
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

const port = parseInt(process.argv[2] ?? '0', 10)
const host = process.argv[3] ?? '127.0.0.1'
const wss = new WebSocketServer({ noServer: true })
const server = http.createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('okay') })
wss.on('connection', setupWSConnection)
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
})
server.listen(port, host, () => console.log(`listening on ${host}:${server.address().port}`))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0))
