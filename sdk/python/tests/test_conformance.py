"""Every case of sdk/conformance/vectors.json (format: sdk/conformance/README.md)
against gatehouse_verify: a new Verifier per case, built with the case's options, whose
fetch answers from the file's documents (404 for anything else) and whose clock reads
the file's now."""

import json
import os
import re
import unittest
from typing import Any, Dict, List, Tuple

from . import _issuer  # noqa: F401  (puts src on sys.path)

import gatehouse_verify as gv
from gatehouse_verify._http import error_response

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.normpath(os.path.join(HERE, "..", "..", "conformance", "vectors.json"))


def load_vectors() -> Dict[str, Any]:
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


class Web:
    """The documents of the vectors file as the only web there is. Records every URL;
    a URL outside the issuer, or inside it but neither the metadata, the JWKS nor a
    status list directly under the prefix, is a violation (and fails)."""

    def __init__(self, vectors: Dict[str, Any]):
        self.issuer = vectors["issuer"]
        self.documents = vectors["documents"]
        meta_url = self.issuer + "/.well-known/oauth-authorization-server"
        meta = json.loads(self.documents[meta_url]["body"])
        self.allowed_exact = {meta_url, meta["jwks_uri"]}
        self.prefix = meta.get("status_list_uri_prefix") or self.issuer + "/statuslists/"
        self.requests: List[str] = []
        self.violations: List[str] = []

    def allowed(self, url: str) -> bool:
        if not url.startswith(self.issuer + "/"):
            return False
        if url in self.allowed_exact:
            return True
        if url.startswith(self.prefix):
            name = url[len(self.prefix) :]
            return bool(name) and not any(c in name for c in "/?#\\")
        return False

    def fetch(self, url: str, accept: str, timeout: float) -> Tuple[int, Dict[str, str], bytes]:
        self.requests.append(url)
        if not self.allowed(url):
            self.violations.append(url)
            raise AssertionError("the verifier requested %s, which it must never fetch" % url)
        doc = self.documents.get(url)
        if doc is None:
            return 404, {"content-type": "text/plain"}, b"404 page not found\n"
        return doc["status"], {"content-type": doc["content_type"], "cache-control": "max-age=300"}, doc["body"].encode("utf-8")


def verifier_for(vectors: Dict[str, Any], web: Web, options: Dict[str, Any]) -> gv.Verifier:
    kw: Dict[str, Any] = {
        "audience": options["audience"],
        "fetch": web.fetch,
        "now": lambda: float(vectors["now"]),
        "refresh_interval": None,  # one verification per case: no background thread
    }
    if options.get("accept") is not None:
        kw["accept"] = options["accept"]
    if options.get("algorithms") is not None:
        kw["algorithms"] = options["algorithms"]
    if options.get("leeway_seconds") is not None:
        kw["leeway"] = options["leeway_seconds"]
    if options.get("projects") is not None:
        kw["projects"] = options["projects"]
    if options.get("teams") is not None:
        kw["teams"] = options["teams"]
    if options.get("fail_open") is not None:
        kw["fail_open"] = options["fail_open"]
    if options.get("resource_metadata") is not None:
        kw["resource_metadata"] = options["resource_metadata"]
    return gv.Verifier(vectors["issuer"], **kw)


def outcome(v: gv.Verifier, token: str) -> Tuple[str, Any]:
    try:
        p = v.verify(token)
    except gv.VerifyError as e:
        return "error", e.code
    return "valid", {
        "kind": p.kind,
        "api": p.api,
        "subject_type": p.subject_type,
        "subject": p.subject,
        "project": p.project,
        "service_account": p.service_account,
        "team": p.team,
        "scopes": list(p.scopes),
        "key_id": p.key_id,
        "auth_time": None if p.auth_time is None else int(p.auth_time),
        "acr": p.acr,
        "amr": list(p.amr),
        "actors": [{"sub": a.subject, "sub_type": a.subject_type} for a in p.actors],
    }


def expected_principal(want: Dict[str, Any]) -> Dict[str, Any]:
    """The case's principal, with a null amr or scopes, and absent actors, as the empty
    list it means."""
    return dict(want, scopes=want.get("scopes") or [], amr=want.get("amr") or [], actors=want.get("actors") or [])


def auth_params(h: str) -> Dict[str, str]:
    """Parses `Bearer k="v", k="v"` (quoted values without escapes, as the SDK writes them)."""
    assert h.startswith("Bearer "), h
    return dict(re.findall(r'([a-z_]+)="([^"]*)"(?:, |$)', h[len("Bearer ") :]))


def challenge_of(v: gv.Verifier, err: BaseException) -> Tuple[int, Dict[str, str]]:
    """err answered as v's middleware and wsgi.error_response do: (status, auth-params
    of the challenge other than error_description)."""
    status, headers, _ = error_response(v.audience, err, v.resource_metadata)
    params = auth_params(dict(headers)["WWW-Authenticate"])
    params.pop("error_description", None)
    return status, params


def step_up_outcome(vectors: Dict[str, Any], case: Dict[str, Any], v: gv.Verifier, p: Any) -> Any:
    """Applies the case's step-up requirement to p on the file's clock and answers the
    error as v does: None when met, else (status, auth-params other than
    error_description)."""
    r = case["require"]
    try:
        if r["max_age_seconds"] is not None:
            p.check_auth_time(float(vectors["now"]), r["max_age_seconds"])
        else:
            p.check_acr(*r["acr_values"])
    except gv.InsufficientUserAuthenticationError as e:
        return challenge_of(v, e)
    return None


class ConformanceTest(unittest.TestCase):
    def test_vectors(self):
        if not os.path.exists(VECTORS):
            self.fail("%s is missing: generate it with `make vectors` (go run ./sdk/conformance/gen)" % VECTORS)
        vectors = load_vectors()
        self.assertEqual(vectors["version"], 1)
        cases = vectors["cases"]
        self.assertGreater(len(cases), 100)
        self.assertEqual(len({c["name"] for c in cases}), len(cases), "case names must be unique")
        for case in cases:
            with self.subTest(case["name"]):
                web = Web(vectors)
                v = verifier_for(vectors, web, case["options"])
                try:
                    want = case["expect"]
                    got = outcome(v, case["token"])
                    if want["valid"]:
                        self.assertEqual(got, ("valid", expected_principal(want["principal"])))
                        if case.get("require") is not None:
                            challenge = want.get("challenge")
                            self.assertEqual(
                                step_up_outcome(vectors, case, v, v.verify(case["token"])),
                                None if challenge is None else (401, challenge),
                                "require %r" % case["require"],
                            )
                    else:
                        self.assertEqual(got, ("error", want["error"]))
                        if want.get("challenge") is not None:
                            with self.assertRaises(gv.VerifyError) as caught:
                                v.verify(case["token"])
                            self.assertEqual(challenge_of(v, caught.exception), (401, want["challenge"]))
                    # The same answer a second time (rejections are never remembered;
                    # an accepted credential comes back from the cache after its re-checks).
                    self.assertEqual(outcome(v, case["token"]), got, "second verification")
                    self.assertEqual(web.violations, [], "URLs that must never be fetched")
                finally:
                    v.close()


if __name__ == "__main__":
    unittest.main()
