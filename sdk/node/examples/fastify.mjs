// A tiny orders API that accepts Gatehouse credentials (Fastify).
//   GATEHOUSE_ISSUER=https://portal.example.com GATEHOUSE_AUDIENCE=orders-api PORT=8080 node examples/fastify.mjs
import Fastify from 'fastify';
import { createVerifier } from '@gatehouse/verify';
import { gatehouse, requireScope } from '@gatehouse/verify/fastify';

const verifier = await createVerifier(process.env.GATEHOUSE_ISSUER, { audience: process.env.GATEHOUSE_AUDIENCE });
const app = Fastify();
app.addHook('preHandler', gatehouse(verifier));
app.get('/orders', async (request) => {
  const { project, kind, scopes } = request.gatehouse;
  return { project, kind, scopes };
});
app.post('/orders', { preHandler: requireScope('orders:write') }, async (request, reply) => {
  reply.code(201);
  return { created: true, project: request.gatehouse.project };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening on http://127.0.0.1:${app.server.address().port}`);
process.once('SIGTERM', async () => {
  await app.close();
  await verifier.close();
});
