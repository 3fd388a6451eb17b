"""Benchmarks of gatehouse_verify against bare cryptography.

    PYTHONPATH=sdk/python/src /usr/bin/python3 sdk/python/bench/bench.py [-n 2000] [--rounds 5]

(a)  first sight: Verifier.verify of distinct, fresh ES256 API keys (their status list
     already cached), each seen once: parse, header rules, signature, strict claims,
     status bit, cache insert;
(b1) the baseline: cryptography's ECDSA P-256 verify of the same signatures over the
     same signing inputs, bare, with the DER signatures made beforehand
     (public_key.verify(der, data, ECDSA(SHA256())));
(b2) the same plus the R||S -> DER conversion a JWS verifier must do, with
     cryptography's encode_dss_signature;
(b3) the same signatures checked the way the SDK calls cryptography (its own R||S -> DER,
     a hashlib digest handed over Prehashed) but bare: (a) minus (b3) is the SDK's own
     cost;
(c)  seen before: Verifier.verify of a credential already in the cache.

The keys are timed in batches; each batch runs (a), (b1), (b2) and (b3) back to back on
the same signatures (in rotating order, GC off), so that all four see the same machine
state, and the figures are medians over the batches (ratios are medians of the
per-batch ratios). Targets: (a)/(b1) <= 1.3, (c) <= 20 us.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import cryptography  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature  # noqa: E402

import _issuer  # noqa: E402
from gatehouse_verify._jose import b64decode, raw_to_der  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=2000, help="distinct API keys per round for (a) and (b)")
    ap.add_argument("--batch", type=int, default=100, help="keys per timed batch")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cached", type=int, default=100000, help="verifications for (c)")
    args = ap.parse_args()
    n, rounds, batch = args.n, args.rounds, args.batch

    iss = _issuer.Issuer(clock=_issuer.Clock(time.time()))
    iss.lists["sl_1"] = bytearray(1 << 14)  # a portal-sized list (2^17 entries)
    # The real clock (time.time); the fake portal's fetch instead of the network.
    v = iss.verifier(cache_size=n * rounds + 10, now=time.time)
    v.verify(iss.key_on("sl_1", 1, jti="key_warm"))  # the status list is now cached
    verify = v.verify

    pub = iss.keys["es1"][1].public_key()
    alg = ec.ECDSA(hashes.SHA256())
    alg_pre = ec.ECDSA(Prehashed(hashes.SHA256()))
    sha256 = hashlib.sha256

    # Fresh keys for every round: every verify in (a) is a first sight.
    tokens = [iss.key_on("sl_1", 7 + i, jti="key_%d" % i) for i in range(n * rounds)]
    batches = [tokens[i : i + batch] for i in range(0, len(tokens), batch)]

    def split(b):
        out = []
        for tok in b:
            h, p, s = tok.encode().split(b".")
            out.append((h + b"." + p, b64decode(s)))
        return out

    def run_a(b, parts, ders):
        for tok in b:
            verify(tok)

    def run_b1(b, parts, ders):  # bare: DER ready
        for si, der in ders:
            pub.verify(der, si, alg)

    def run_b2(b, parts, ders):  # bare + cryptography's R||S -> DER
        for si, sig in parts:
            pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")), si, alg)

    def run_b3(b, parts, ders):  # bare, the way the SDK calls it: SDK's DER, hashlib digest, Prehashed
        for si, sig in parts:
            pub.verify(raw_to_der(sig), sha256(si).digest(), alg_pre)

    runs = {"a": run_a, "b1": run_b1, "b2": run_b2, "b3": run_b3}
    per_op = {k: [] for k in runs}
    ratios = {k: [] for k in runs if k != "a"}
    gc.collect()
    for i, b in enumerate(batches):
        parts = split(b)
        ders = [(si, raw_to_der(sig)) for si, sig in parts]
        order = list(runs)
        order = order[i % len(order) :] + order[: i % len(order)]  # rotate: no favourite slot
        took = {}
        gc.disable()
        try:
            for k in order:
                t = time.perf_counter()
                runs[k](b, parts, ders)
                took[k] = (time.perf_counter() - t) / len(b) * 1e6
        finally:
            gc.enable()
        for k, us in took.items():
            per_op[k].append(us)
        for k in ratios:
            ratios[k].append(took["a"] / took[k])
    stats = v.stats()
    assert stats.verified == 1 + n * rounds and stats.rejected == 0, stats

    cached_tok = tokens[0]
    m = args.cached
    c = float("inf")
    for _ in range(5):
        gc.disable()
        t = time.perf_counter()
        for _ in range(m):
            verify(cached_tok)
        c = min(c, (time.perf_counter() - t) / m * 1e6)
        gc.enable()
    v.close()

    med = statistics.median
    print("gatehouse_verify bench: Python %s, cryptography %s, %s; %d batches of %d fresh keys, medians"
          % (platform.python_version(), cryptography.__version__, platform.machine(), len(batches), batch))  # fmt: skip
    print("(a)  first sight, Verifier.verify (ES256 API key, list cached)  %7.1f us/op" % med(per_op["a"]))
    print("(b1) bare cryptography ECDSA verify, DER made beforehand       %7.1f us/op   (a)/(b1) %.2f  [target <= 1.30]"
          % (med(per_op["b1"]), med(ratios["b1"])))  # fmt: skip
    print("(b2) bare verify + encode_dss_signature(R||S -> DER)           %7.1f us/op   (a)/(b2) %.2f"
          % (med(per_op["b2"]), med(ratios["b2"])))  # fmt: skip
    print("(b3) bare verify as the SDK calls it (own DER, Prehashed)      %7.1f us/op   (a)/(b3) %.2f"
          % (med(per_op["b3"]), med(ratios["b3"])))  # fmt: skip
    print("     (a)/(b1) over the batches: min %.2f, max %.2f" % (min(ratios["b1"]), max(ratios["b1"])))
    print("(c)  seen before, Verifier.verify of a cached credential       %7.2f us/op   [target <= 20]" % c)


if __name__ == "__main__":
    main()
