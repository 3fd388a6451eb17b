"""The DPoP cases of sdk/conformance/vectors.json (RFC 9449): each on a new verifier,
its requests in order through verify_request, on the file's clock."""

import unittest

import gatehouse_verify as gv

from .test_conformance import Web, load_vectors, verifier_for


def run_request_cases(test, cases, make_verifier, send, got_valid, want_valid):
    """Runs request cases (dpop_cases, mtls_cases): each on make_verifier(case), its
    requests in order through send(verifier, case, request); an accepted request's
    got_valid(principal) must be want_valid(expect), a refused one's code expect's."""
    for case in cases:
        with test.subTest(case["name"]):
            v = make_verifier(case)
            try:
                for i, r in enumerate(case["requests"]):
                    try:
                        got = ("valid",) + got_valid(send(v, case, r))
                    except gv.VerifyError as e:
                        got = ("error", e.code)
                    want = r["expect"]
                    test.assertEqual(got, ("valid",) + want_valid(want) if want["valid"] else ("error", want["error"]), "request %d" % i)
            finally:
                v.close()


class DPoPConformanceTest(unittest.TestCase):
    def test_dpop_vectors(self):
        vectors = load_vectors()
        cases = vectors.get("dpop_cases") or []
        self.assertGreater(len(cases), 0)

        def send(v, case, r):
            headers = [("Authorization", "%s %s" % (r["scheme"], case["token"]))]
            headers += [("DPoP", p) for p in r["dpop"] or []]
            return v.verify_request(r["method"], r["url"], headers)

        run_request_cases(
            self, cases, lambda case: verifier_for(vectors, Web(vectors), case["options"], require_dpop=case["require_dpop"]), send,
            lambda p: (p.dpop_thumbprint, p.dpop_bound),
            lambda want: (want.get("dpop_thumbprint", ""), want.get("dpop_thumbprint", "") != ""),
        )


if __name__ == "__main__":
    unittest.main()
