"""Verify a Gatehouse API key the way the portal's "Python (PyJWT)" snippet
(handlers/key_snippets.go) tells developers to, and print the claims as JSON.

    python3 verify.py PORTAL_URL AUDIENCE API_KEY

Exits 0 with the claims on stdout, 1 with the reason on stderr when the key does not
verify, and 2 on a usage error. Needs PyJWT with cryptography (pip install
"pyjwt[crypto]", or Debian's python3-jwt and python3-cryptography).
"""

import json
import sys

import jwt


def verify(base, audience, api_key):
    # The snippet as the portal shows it ({{BASE}} and {{AUD}} filled in).
    jwks = jwt.PyJWKClient(base + "/.well-known/jwks.json")
    signing_key = jwks.get_signing_key_from_jwt(api_key)
    if jwt.get_unverified_header(api_key).get("typ") != "apikey+jwt":
        raise PermissionError("not an API key")
    claims = jwt.decode(
        api_key, signing_key.key,
        algorithms=["ES256", "EdDSA", "RS256"],
        audience=audience, issuer=base,
    )
    # claims["sub"] is the project's client_id, claims["scope"] its scopes.
    return claims


def main(argv):
    if len(argv) != 4:
        print("usage: python3 verify.py PORTAL_URL AUDIENCE API_KEY", file=sys.stderr)
        return 2
    try:
        claims = verify(argv[1], argv[2], argv[3])
    except Exception as err:  # every failure is a rejection: say why, exit 1
        print("verify.py: %s: %s" % (type(err).__name__, err), file=sys.stderr)
        return 1
    print(json.dumps(claims))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
