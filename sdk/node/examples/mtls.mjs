// An orders API on HTTPS that takes certificate-bound access tokens (RFC 8705).
//   GATEHOUSE_ISSUER=https://portal.example.com GATEHOUSE_AUDIENCE=orders-api \
//   TLS_CERT=server.pem TLS_KEY=server.key PORT=8443 node examples/mtls.mjs
import { readFileSync } from 'node:fs';
import https from 'node:https';
import express from 'express';
import { createVerifier } from '@gatehouse/verify';
import { gatehouse } from '@gatehouse/verify/express';

const verifier = await createVerifier(process.env.GATEHOUSE_ISSUER, {
  audience: process.env.GATEHOUSE_AUDIENCE,
  trustedProxies: ['10.0.0.0/8'], // TLS-terminating proxies whose Client-Cert header counts, if any
});
const app = express();
app.use(gatehouse(verifier)); // a certificate-bound token needs its certificate; others do not
app.get('/orders', (req, res) => {
  const { project, certBound, certThumbprint } = req.gatehouse;
  res.json({ project, certBound, certThumbprint });
});

// Ask for a client certificate without requiring one: the token decides.
const server = https.createServer({
  key: readFileSync(process.env.TLS_KEY),
  cert: readFileSync(process.env.TLS_CERT),
  requestCert: true,
  rejectUnauthorized: false,
}, app);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on https://127.0.0.1:${server.address().port}`);
});
process.once('SIGTERM', () => {
  server.close(() => verifier.close());
  server.closeAllConnections();
});
