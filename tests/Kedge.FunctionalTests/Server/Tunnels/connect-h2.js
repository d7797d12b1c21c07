// HTTP/2 CONNECT (RFC 9113 section 8.5) through kedge with Node's http2 client: sends SIZE bytes into the tunnel,
// half-closes, and prints the status and how many bytes came back as one JSON line.
// Usage: node connect-h2.js <port> <authority> <ca> <cert> <key> <proxy-authorization or -> <size>
'use strict';
const http2 = require('http2');
const fs = require('fs');

const [port, authority, ca, cert, key, proxyAuthorization, size] = process.argv.slice(2);
const client = http2.connect(`https://localhost:${port}`, {
  ca: fs.readFileSync(ca),
  cert: fs.readFileSync(cert),
  key: fs.readFileSync(key),
});
client.on('error', (e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(2); });
const headers = { ':method': 'CONNECT', ':authority': authority };
if (proxyAuthorization !== '-') {
  headers['proxy-authorization'] = proxyAuthorization;
}

const request = client.request(headers);
let status = 0;
let received = 0;
let errorType = '';
request.on('response', (h) => {
  status = h[':status'];
  errorType = h['x-kedge-error-type'] || '';
  if (status === 200) {
    const payload = Buffer.alloc(Number(size), 0x6b);
    request.end(payload);
  }
});
request.on('data', (chunk) => { received += chunk.length; });
request.on('end', () => {
  console.log(JSON.stringify({ status, received, errorType }));
  client.close();
});
request.on('error', (e) => { console.log(JSON.stringify({ status, received, errorType, error: String(e) })); client.close(); });
