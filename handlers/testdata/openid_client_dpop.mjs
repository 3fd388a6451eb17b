// Drives the npm openid-client package (v6), unmodified, as a DPoP client (RFC 9449)
// for handlers/dpop_interop_test.go. One JSON command on standard input:
//   {"server", "client_id", "client_secret", "resource", "api_url"}
// It makes an ES256 DPoP key pair, gets a client-credentials token bound to it (its
// library retries a use_dpop_nonce answer with the nonce, as RFC 9449 §8 says), and
// calls the API twice with the token and a fresh proof each time. One JSON answer:
//   {"token_type", "access_token", "api": [{"status", "body"}, …]}
//
// openid-client is loaded from GATEHOUSE_TEST_NODE_MODULES (ES modules ignore
// NODE_PATH).
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const mods = process.env.GATEHOUSE_TEST_NODE_MODULES;
const require = createRequire(path.join(mods, 'gatehouse-test.js'));
const client = await import(pathToFileURL(require.resolve('openid-client')).href);

let input = '';
for await (const chunk of process.stdin) input += chunk;
const cmd = JSON.parse(input);

const config = await client.discovery(new URL(cmd.server), cmd.client_id, undefined, client.ClientSecretBasic(cmd.client_secret), {
  algorithm: 'oauth2',
  execute: [client.allowInsecureRequests],
});
const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
const tokens = await client.clientCredentialsGrant(config, { resource: cmd.resource }, { DPoP: dpop });
const api = [];
for (let i = 0; i < 2; i++) {
  const res = await client.fetchProtectedResource(config, tokens.access_token, new URL(cmd.api_url), 'GET', undefined, undefined, { DPoP: dpop });
  api.push({ status: res.status, body: await res.text() });
}
process.stdout.write(JSON.stringify({ token_type: tokens.token_type, access_token: tokens.access_token, api }));
