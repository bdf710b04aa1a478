#!/usr/bin/python3
"""Every committed suite (suites/*.json, examples/*/suite.json) is valid: l2obench plans it.

`l2obench slurm SUITE --out DIR` parses the suite with every optimizer's and problem's config,
expands the tuning grids and plans the training and cell stages without running them, so a suite
with a misspelt field, a refused grid value or a missing data set fails here, not hours into a run.

    /usr/bin/python3 tests/committed_suites.py build/harness/l2obench
"""

import glob
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = None


def committed_suites():
    paths = sorted(glob.glob(os.path.join(ROOT, "suites", "*.json")))
    paths += sorted(glob.glob(os.path.join(ROOT, "examples", "*", "suite.json")))
    return paths


def plan(binary, suite, out):
    return subprocess.run([binary, "slurm", suite, "--out", out], cwd=ROOT, capture_output=True,
                          text=True)


class CommittedSuites(unittest.TestCase):
    def test_there_are_suites(self):
        self.assertGreater(len(committed_suites()), 10)

    def test_every_committed_suite_is_planned(self):
        with tempfile.TemporaryDirectory() as tmp:
            for suite in committed_suites():
                name = os.path.relpath(suite, ROOT)
                with self.subTest(suite=name):
                    out = os.path.join(tmp, name.replace(os.sep, "_"))
                    result = plan(BINARY, suite, out)
                    self.assertEqual(result.returncode, 0, result.stderr)
                    self.assertTrue(os.path.isfile(os.path.join(out, "slurm", "submit.sh")))

    def test_a_broken_suite_is_refused(self):
        # The check above could not fail if planning accepted anything.
        with tempfile.TemporaryDirectory() as tmp:
            suite = os.path.join(tmp, "broken.json")
            with open(os.path.join(ROOT, "suites", "smoke.json")) as f:
                text = f.read()
            with open(suite, "w") as f:
                f.write(text.replace('"name": "gd"', '"name": "gd", "no_such_field": 1', 1))
            result = plan(BINARY, suite, os.path.join(tmp, "out"))
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("no_such_field", result.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: committed_suites.py L2OBENCH_BINARY")
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main()
