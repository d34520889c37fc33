// Fetch a CID with @helia/verified-fetch from one trustless gateway and nothing else.
//
//   node tests/ipfs/verified_fetch.mjs GATEWAY CID OUTPUT [SECONDS]
//
// The Helia node under verified-fetch has no libp2p transports, no peer discovery and no
// delegated router: its one block source is GATEWAY (asked for ?format=raw blocks, each
// checked against its CID before use) and its one router names only GATEWAY. The bytes go to
// OUTPUT; the last line printed is JSON: {"status", "bytes"} or {"status", "bytes", "error"}
// when the fetch or the body's stream failed (a block that does not match its CID ends it).
//
// No published @helia/verified-fetch runs on Node.js 20 as it is: 2.x and 3.x do not install
// (a native WebRTC module whose prebuilt binary is downloaded from GitHub), 4.x and later use
// Promise.withResolvers (Node.js 22) in the locks of Helia's block storage (mortice). The
// standard function is added here when missing, before those modules load.

import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((yes, no) => { resolve = yes; reject = no })
    return { promise, resolve, reject }
  }
}
// Six connections to a host at most, as a browser opens: Helia asks for every block under a
// node at once, and the suite's test server (Django's, a listen backlog of 10) drops
// connections beyond its backlog where a production server (gunicorn: 2048) queues them.
const { Agent, setGlobalDispatcher } = await import('undici')
setGlobalDispatcher(new Agent({ connections: 6 }))
const { trustlessGateway } = await import('@helia/block-brokers')
const { createHeliaHTTP } = await import('@helia/http')
const { httpGatewayRouting } = await import('@helia/routers')
const { createVerifiedFetch } = await import('@helia/verified-fetch')

const [gateway, cid, output, seconds = '60'] = process.argv.slice(2)
const signal = AbortSignal.timeout(Number(seconds) * 1000)

const helia = await createHeliaHTTP({
  libp2p: { services: {} }, // without the default delegated router (delegated-ipfs.dev)
  blockBrokers: [trustlessGateway({ allowInsecure: true, allowLocal: true })],
  routers: [httpGatewayRouting({ gateways: [gateway] })]
})
const verifiedFetch = await createVerifiedFetch(helia)

let status = 0
let bytes = 0
let error = null
try {
  const response = await verifiedFetch(`ipfs://${cid}`, { signal })
  status = response.status
  if (response.body != null) {
    const counted = Readable.fromWeb(response.body)
    counted.on('data', (piece) => { bytes += piece.length })
    await pipeline(counted, createWriteStream(output))
  }
} catch (err) {
  error = `${err.name}: ${err.message}`
} finally {
  await verifiedFetch.stop()
  await helia.stop()
}
console.log(JSON.stringify(error == null ? { status, bytes } : { status, bytes, error }))
process.exit(0)
