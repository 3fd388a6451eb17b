// A tiny orders API that accepts Gatehouse credentials (Express).
//   GATEHOUSE_ISSUER=https://portal.example.com GATEHOUSE_AUDIENCE=orders-api PORT=8080 node examples/express.mjs
import express from 'express';
import { createVerifier } from '@gatehouse/verify';
import { gatehouse, requireScope } from '@gatehouse/verify/express';

const verifier = await createVerifier(process.env.GATEHOUSE_ISSUER, { audience: process.env.GATEHOUSE_AUDIENCE });
const app = express();
app.use(gatehouse(verifier));
app.get('/orders', (req, res) => {
  const { project, kind, scopes } = req.gatehouse;
  res.json({ project, kind, scopes });
});
app.post('/orders', requireScope('orders:write'), (req, res) => {
  res.status(201).json({ created: true, project: req.gatehouse.project });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.once('SIGTERM', () => {
  server.close(() => verifier.close());
  server.closeAllConnections();
});
