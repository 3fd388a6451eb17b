# The tests of gatehouse_verify. Run from the repository root:
#   /usr/bin/python3 -m unittest discover -s sdk/python/tests -t sdk/python

import logging

# The verifier logs fetch failures and fail-open decisions; tests that look at them use
# assertLogs. Keep the rest off the test output.
logging.getLogger("gatehouse_verify").addHandler(logging.NullHandler())
logging.getLogger("gatehouse_verify").propagate = False
