// Drives the npm openid-client package (v6), unmodified, against a running portal for
// handlers/openid_client_test.go. One JSON command on standard input, one JSON answer
// on standard output:
//
//   {"step": "start", ...}  discovery, PKCE S256, state (and nonce with scope openid),
//                           then the authorization URL, pushed first when "par" is set:
//                           {"url", "verifier", "state", "nonce"}
//   {"step": "finish", ...} the authorization code grant from the callback URL:
//                           {"access_token", "token_type", "scope", "expires_in",
//                            "id_token_claims", "userinfo"} (userinfo when asked,
//                           fetched with the access token for the ID token's sub)
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

const auth = {
  basic: () => client.ClientSecretBasic(cmd.client_secret),
  post: () => client.ClientSecretPost(cmd.client_secret),
  none: () => client.None(),
}[cmd.auth]();
const config = await client.discovery(new URL(cmd.server), cmd.client_id, undefined, auth, {
  algorithm: cmd.oidc ? 'oidc' : 'oauth2',
  execute: [client.allowInsecureRequests],
});

if (cmd.step === 'start') {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const params = {
    redirect_uri: cmd.redirect_uri,
    scope: cmd.scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  };
  if (cmd.resource) params.resource = cmd.resource;
  let nonce = '';
  if (cmd.oidc) {
    nonce = client.randomNonce();
    params.nonce = nonce;
  }
  const url = cmd.par
    ? await client.buildAuthorizationUrlWithPAR(config, params)
    : client.buildAuthorizationUrl(config, params);
  process.stdout.write(JSON.stringify({ url: url.href, verifier, state, nonce }));
} else {
  const tokens = await client.authorizationCodeGrant(config, new URL(cmd.callback), {
    pkceCodeVerifier: cmd.verifier,
    expectedState: cmd.state,
    expectedNonce: cmd.nonce || undefined,
    idTokenExpected: !!cmd.oidc,
  });
  const claims = tokens.claims() ?? null;
  const userinfo = cmd.userinfo ? await client.fetchUserInfo(config, tokens.access_token, claims.sub) : null;
  process.stdout.write(JSON.stringify({
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    scope: tokens.scope ?? '',
    expires_in: tokens.expires_in,
    id_token_claims: claims,
    userinfo,
  }));
}
