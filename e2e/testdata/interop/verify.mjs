// verify.mjs verifies a Gatehouse API key the way the portal's "Node.js (jose)" snippet
// (handlers/key_snippets.go) tells developers to, and prints the payload as JSON.
//
//	node verify.mjs PORTAL_URL AUDIENCE API_KEY
//
// It exits 0 with the payload on stdout, 1 with the reason on stderr when the key does
// not verify, and 2 on a usage error. jose must be resolvable from the script's
// directory (a node_modules beside it): ESM imports ignore NODE_PATH.
import { createRemoteJWKSet, jwtVerify } from 'jose'

const [base, aud, apiKey] = process.argv.slice(2)
if (!base || !aud || !apiKey) {
  console.error('usage: node verify.mjs PORTAL_URL AUDIENCE API_KEY')
  process.exit(2)
}

try {
  // From here on, the snippet as the portal shows it ({{BASE}} and {{AUD}} filled in).
  const jwks = createRemoteJWKSet(new URL(base + '/.well-known/jwks.json'))
  const { payload } = await jwtVerify(apiKey, jwks, {
    issuer: base,
    audience: aud,
    typ: 'apikey+jwt',
    algorithms: ['ES256', 'EdDSA', 'RS256'],
  })
  // payload.sub is the project's client_id, payload.scope its scopes.
  console.log(JSON.stringify(payload))
} catch (err) {
  console.error(`verify.mjs: ${err.code ?? err.name}: ${err.message}`)
  process.exit(1)
}
