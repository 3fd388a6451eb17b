"""The DPoP cases of sdk/conformance/vectors.json (RFC 9449): each on a new verifier,
its requests in order through verify_request, on the file's clock."""

import unittest

import gatehouse_verify as gv

from .test_conformance import Web, load_vectors, verifier_for


class DPoPConformanceTest(unittest.TestCase):
    def test_dpop_vectors(self):
        vectors = load_vectors()
        cases = vectors.get("dpop_cases") or []
        self.assertGreater(len(cases), 0)
        for case in cases:
            with self.subTest(case["name"]):
                v = verifier_for(vectors, Web(vectors), case["options"], require_dpop=case["require_dpop"])
                try:
                    for i, r in enumerate(case["requests"]):
                        headers = [("Authorization", "%s %s" % (r["scheme"], case["token"]))]
                        headers += [("DPoP", p) for p in r["dpop"] or []]
                        try:
                            p = v.verify_request(r["method"], r["url"], headers)
                            got = ("valid", p.dpop_thumbprint, p.dpop_bound)
                        except gv.VerifyError as e:
                            got = ("error", e.code)
                        want = r["expect"]
                        if want["valid"]:
                            thumb = want.get("dpop_thumbprint", "")
                            self.assertEqual(got, ("valid", thumb, thumb != ""), "request %d" % i)
                        else:
                            self.assertEqual(got, ("error", want["error"]), "request %d" % i)
                finally:
                    v.close()


if __name__ == "__main__":
    unittest.main()
