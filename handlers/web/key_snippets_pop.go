package web

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// popKeySnippets are the calls with a key bound to a public key: each keeps the key in
// the environment (GATEHOUSE_API_KEY), reads the private key from a PEM file
// (GATEHOUSE_POP_KEY_FILE), signs a fresh DPoP proof for the request (htm, htu, iat, a
// new jti, ath = the key's hash) with the algorithm of the registered key, and calls
// the API on 127.0.0.1 with "Authorization: DPoP <key>". The tests run them as shown.
func popKeySnippets(key, publicKey string) []views.Snippet {
	pk, _ := models.ParsePoPKey(publicKey) // validated when the key was created
	env := "# Keep the key out of your code and shell history files, and say where the private key is:\n" +
		"export GATEHOUSE_API_KEY=" + views.ShellQuote(key) + "\n" +
		"export GATEHOUSE_POP_KEY_FILE=pop-key.pem  # the private key (PEM) of the public key you registered\n"
	r := strings.NewReplacer("{{ALG}}", pk.Alg)
	return []views.Snippet{
		{ID: "snippet-pop-env", Title: "Shell: the key and your private key", Code: env},
		{ID: "snippet-pop-node", Title: "Node.js (jose): call your API with a DPoP proof", Code: r.Replace(popNode)},
		{ID: "snippet-pop-python", Title: "Python (PyJWT): call your API with a DPoP proof", Code: r.Replace(popPython)},
	}
}

// popNode is the Node.js call (npm install jose; Node 18+), saved as call.mjs.
const popNode = `// call.mjs — npm install jose; node call.mjs
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

const apiKey = process.env.GATEHOUSE_API_KEY;
const privateKey = createPrivateKey(readFileSync(process.env.GATEHOUSE_POP_KEY_FILE));
const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
const url = ` + "`http://127.0.0.1:${process.env.PORT ?? 9090}/`" + `;

// A new proof for every request: its method and URL, now, a unique id, the key's hash.
const proof = await new SignJWT({
  htm: 'GET',
  htu: url,
  jti: randomUUID(),
  ath: createHash('sha256').update(apiKey).digest('base64url'),
})
  .setProtectedHeader({ typ: 'dpop+jwt', alg: '{{ALG}}', jwk })
  .setIssuedAt()
  .sign(privateKey);

const res = await fetch(url, { headers: { Authorization: ` + "`DPoP ${apiKey}`" + `, DPoP: proof } });
console.log(res.status, await res.text());
`

// popPython is the Python call (pip install "pyjwt[crypto]").
const popPython = `# call.py — pip install "pyjwt[crypto]"; python3 call.py
import base64, hashlib, json, os, time, urllib.request, uuid

import jwt
from cryptography.hazmat.primitives import serialization

api_key = os.environ["GATEHOUSE_API_KEY"]
with open(os.environ["GATEHOUSE_POP_KEY_FILE"], "rb") as f:
    private_key = serialization.load_pem_private_key(f.read(), password=None)
alg = jwt.get_algorithm_by_name("{{ALG}}")
jwk = json.loads(alg.to_jwk(private_key.public_key()))
url = "http://127.0.0.1:%s/" % os.environ.get("PORT", "9090")

# A new proof for every request: its method and URL, now, a unique id, the key's hash.
ath = base64.urlsafe_b64encode(hashlib.sha256(api_key.encode()).digest()).rstrip(b"=").decode()
proof = jwt.encode(
    {"htm": "GET", "htu": url, "iat": int(time.time()), "jti": str(uuid.uuid4()), "ath": ath},
    private_key, algorithm="{{ALG}}", headers={"typ": "dpop+jwt", "jwk": jwk},
)

req = urllib.request.Request(url, headers={"Authorization": "DPoP " + api_key, "DPoP": proof})
try:
    with urllib.request.urlopen(req) as res:
        print(res.status, res.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
`
