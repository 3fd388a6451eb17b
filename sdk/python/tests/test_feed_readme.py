"""The README's revocation feed example, run exactly as shown (only the issuer URL
replaced) against the fake issuer over HTTP with the feed offered."""

import contextlib
import io
import os
import unittest

from ._issuer import wait_for
from .test_feed import Portal

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def readme_block(name: str) -> str:
    """The fenced block between <!-- name … --> and <!-- /name -->."""
    with open(README, encoding="utf-8") as f:
        s = f.read()
    start, end = s.find("<!-- " + name), s.find("<!-- /" + name + " -->")
    assert 0 <= start < end, "README.md: no block " + name
    block = s[start:end]
    body = block[block.index("\n", block.index("\n```") + 1) + 1 :]
    return body[: body.rindex("```")]


class ReadmeFeedTest(unittest.TestCase):
    def test_the_feed_example(self):
        portal = Portal()
        self.addCleanup(portal.close)
        code = readme_block("readme:python-feed")
        self.assertIn('"https://portal.example.com"', code, "the README example no longer names the issuer URL this test replaces")
        code = code.replace('"https://portal.example.com"', '"%s"' % portal.iss.url)
        ns: dict = {}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - the README's own example
        verifier, polling_only = ns["verifier"], ns["polling_only"]
        self.addCleanup(verifier.close)
        self.addCleanup(polling_only.close)
        self.assertRegex(out.getvalue(), r"^feed (up|down) 0 applied 0 rejected, lag None 0 reconnects 0 resets\n$")
        self.assertTrue(wait_for(lambda: verifier.stats().feed_connected))
        self.assertEqual(len(portal.conns), 1, "one connection: the verifier subscribed, polling_only did not")
        self.assertFalse(polling_only.stats().feed_connected)
        self.assertIsNone(polling_only._feed)


if __name__ == "__main__":
    unittest.main()
