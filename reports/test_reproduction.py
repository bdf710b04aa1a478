#!/usr/bin/python3
"""Tests of the reproduction page (reports/reproduction.py) on hand-made reports whose verdicts are
known, and of the shipped-model reader.

    /usr/bin/python3 reports/test_reproduction.py
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reproduction  # noqa: E402


def cell(problem, optimizer, repetition, losses, seconds=None, cpu_seconds=None):
    c = {"id": f"{problem}.{optimizer}.r{repetition}", "repetition": repetition,
         "problem": {"label": problem, "family": problem.split("-")[0]},
         "optimizer": {"label": optimizer, "name": optimizer},
         "eval": {"loss": {"mean": losses, "median": losses, "q10": losses, "q90": losses},
                  "log10_mean_loss": [None if v is None else __import__("math").log10(v) for v in losses],
                  "final": {"loss_mean": losses[-1]}}}
    if seconds is not None:
        c["train"] = {"seconds": seconds, "checkpoint": f"cache/{optimizer}-{problem}.json"}
        if cpu_seconds is not None:
            c["train"]["cpu_seconds"] = cpu_seconds
    return c


def report(suite, cells):
    return {"schema_version": 1, "suite": {"name": suite, "steps": 3}, "cells": cells,
            "context": {"git_commit": "0123456789abcdef", "host": "test", "threads": 2}}


# Two repetitions each: a mean of (a + b) / 2 at every step.
QUICK = report("s", [cell("p", "fast", 0, [4.0, 2.0, 1.0, 0.5], seconds=36.0, cpu_seconds=27.0),
                     cell("p", "fast", 1, [4.0, 2.0, 1.0, 0.7], seconds=36.0, cpu_seconds=27.0),
                     cell("p", "slow", 0, [4.0, 3.0, 2.5, 2.0]),
                     cell("p", "slow", 1, [4.0, 3.0, 2.5, 2.2])])

VALUES = {"values": [
    {"suite": "s", "problem": "p", "optimizer": "fast", "step": 3, "metric": "loss_mean", "value": 0.62,
     "tolerance": {"relative": 0.1}, "source": "Paper A, Table 1"},
    {"suite": "s", "problem": "p", "optimizer": "slow", "step": 3, "metric": "loss_mean", "value": 1.0,
     "tolerance": {"relative": 0.1}, "source": "Paper A, Table 1"},
    {"kind": "ordering", "suite": "s", "metric": "loss_mean", "better": "lower",
     "terms": [{"problem": "p", "optimizer": "fast", "step": 1}, {"problem": "p", "optimizer": "slow", "step": 3}],
     "tolerance": {"margin": 0}, "source": "Paper A, Sec. 2"},
    {"kind": "ordering", "suite": "s", "metric": "loss_mean", "better": "lower",
     "terms": [{"problem": "p", "optimizer": "slow", "step": 1}, {"problem": "p", "optimizer": "fast", "step": 1}],
     "tolerance": {"margin": 0}, "source": "Paper A, Sec. 2"},
    {"kind": "ratio_bound", "suite": "s", "metric": "loss_mean", "aggregate": "max",
     "pairs": [{"numerator": {"problem": "p", "optimizer": "slow", "step": 3},
                "denominator": {"problem": "p", "optimizer": "fast", "step": 3}}],
     "bound": {"min": 3}, "value": 3.5, "tolerance": {"relative": 0}, "source": "Paper A, Fig. 1"},
    {"suite": "s", "problem": "p", "optimizer": "missing", "step": 3, "metric": "loss_mean", "value": 1.0,
     "tolerance": {"relative": 0.1}, "source": "Paper A, Table 1"},
    {"suite": "other", "problem": "p", "optimizer": "fast", "step": 3, "metric": "loss_mean", "value": 1.0,
     "tolerance": {"relative": 0.1}, "source": "Paper B, Table 2"},
]}


class TrainingSeconds(unittest.TestCase):
    def test_a_model_is_named_by_its_key_whether_it_came_from_the_cache_or_from_models(self):
        cached = cell("p", "fast", 0, [4.0, 2.0, 1.0, 0.5], seconds=36.0)
        shipped = cell("q", "fast", 0, [4.0, 2.0, 1.0, 0.5], seconds=36.0)
        cached["train"]["checkpoint"] = "out/cache/fast-0123abcd.json"
        shipped["train"]["checkpoint"] = "models/fast-0123abcd.safetensors"
        block = reproduction.block_from_report(report("s", [cached, shipped]), [])
        self.assertEqual(block["models"], {"fast-0123abcd": 36.0})


class Verdicts(unittest.TestCase):
    def judge(self, index):
        entry = VALUES["values"][index]
        block = reproduction.block_from_report(QUICK, VALUES["values"])
        return reproduction.JUDGES[entry.get("kind", "value")](entry, block)

    def test_a_value_within_its_tolerance_is_reproduced_with_a_t_interval(self):
        ours, ratio, verdict, reason = self.judge(0)
        # mean 0.6, sample sd 0.1414, t(1) 12.706: half-width 12.706 * 0.1414 / sqrt(2) = 1.2706
        self.assertEqual(ours, "0.6 [-0.6706, 1.871]")
        self.assertEqual(ratio, "0.968")
        self.assertEqual((verdict, reason), ("reproduced", ""))

    def test_a_value_outside_is_not_reproduced_and_says_by_how_much(self):
        _, _, verdict, reason = self.judge(1)
        self.assertEqual(verdict, "not reproduced")
        self.assertIn("110 % above", reason)  # 2.1 against 1.0
        self.assertIn("±10 %", reason)

    def test_orderings_hold_or_name_the_pair_that_breaks_them(self):
        self.assertEqual(self.judge(2)[2], "ordering holds")  # 2.0 at step 1 < 2.1 at step 3
        _, _, verdict, reason = self.judge(3)
        self.assertEqual(verdict, "ordering fails")
        self.assertIn("slow on p @1 (3) is not below fast on p @1 (2)", reason)

    def test_an_ordering_says_whether_the_paired_repetitions_settle_it(self):
        # fast @1 is 2.0 in both repetitions, slow @3 2.0 and 2.2: a gap of 0 and 0.2, mean 0.1,
        # half-width 12.706 * 0.1414 / sqrt(2) = 1.2706, so the interval includes 0.
        _, _, verdict, reason = self.judge(2)
        self.assertEqual(verdict, "ordering holds")
        self.assertEqual(reason, "on the means only; fast on p @1 against slow on p @3: the paired gap over "
                                 "the 2 repetitions, 0.1 [-1.171, 1.371], includes 0")
        # slow @1 is 3.0 and fast @1 2.0 in both: a gap of -1 with no spread, a settled reversal.
        _, _, verdict, reason = self.judge(3)
        self.assertEqual(verdict, "ordering fails")
        self.assertTrue(reason.endswith("the paired gap over the 2 repetitions, -1 [-1, -1], excludes 0"), reason)

    def test_the_paired_gap_pairs_repetitions_not_report_order(self):
        # The same values as QUICK with one term's cells listed in the opposite order.
        shuffled = report("s", [QUICK["cells"][1], QUICK["cells"][0], *QUICK["cells"][2:]])
        entry = {"kind": "ordering", "suite": "s", "metric": "loss_mean", "better": "lower",
                 "terms": [{"problem": "p", "optimizer": "fast", "step": 3},
                           {"problem": "p", "optimizer": "slow", "step": 3}], "tolerance": {"margin": 0}}
        block = reproduction.block_from_report(shuffled, [entry])
        # Gaps 2.0 - 0.5 and 2.2 - 0.7: both 1.5, so no spread; paired wrongly they would differ.
        self.assertEqual(reproduction.judge_ordering(entry, block), ("0.6 < 2.1", "", "ordering holds", ""))

    def test_an_ordering_is_paired_over_the_instances_where_the_cells_log_them(self):
        # Two repetitions of 40 instances: "fast" is below "slow" by 0.1 on every instance but the
        # repetitions' means differ by 1, so the repetitions alone cannot settle what the instances do.
        rng = __import__("numpy").random.default_rng(3)
        cells = []
        for rep in (0, 1):
            base = rng.uniform(1.0, 2.0, 40) + rep
            for name, losses in (("fast", base), ("slow", base + 0.1)):
                c = cell("p", name, rep, [4.0, float(losses.mean())])
                c["seeds"] = {"instances": 10 + rep, "initial_points": 20 + rep}
                c["eval"]["per_instance"] = {"steps": [0, 1], "loss": [[4.0] * 40, list(losses)]}
                cells.append(c)
        entry = {"kind": "ordering", "suite": "s", "metric": "loss_mean", "better": "lower",
                 "terms": [{"problem": "p", "optimizer": "fast", "step": 1},
                           {"problem": "p", "optimizer": "slow", "step": 1}], "tolerance": {"margin": 0}}
        block = reproduction.block_from_report(report("s", cells), [entry])
        gap = block["instance_gaps"]["p|fast|1|loss_mean vs p|slow|1|loss_mean"]
        self.assertEqual((gap["instances"], gap["repetitions"]), (80, 2))
        self.assertAlmostEqual(gap["mean"], 0.1, places=12)  # the difference of the means
        self.assertAlmostEqual(gap["interval"][0], 0.1, places=12)  # no spread: every resample is 0.1
        self.assertEqual(reproduction.judge_ordering(entry, block)[2:], ("ordering holds", ""))
        # Reversed, the step fails and the reason gives the gap over the instances.
        reverse = dict(entry, terms=entry["terms"][::-1])
        _, _, verdict, reason = reproduction.judge_ordering(
            reverse, reproduction.block_from_report(report("s", cells), [reverse]))
        self.assertEqual(verdict, "ordering fails")
        self.assertTrue(reason.endswith("the paired gap over the 80 test instances (2 repetitions, bootstrap 95 %), "
                                        "-0.1 [-0.1, -0.1], excludes 0"), reason)
        # Cells that do not pair up by instance get the repetitions' gap instead: other instances,
        # the same seeds but other starts, no step 0 logged, a loss that is not finite.
        import copy

        def unpaired(change):
            broken = copy.deepcopy(cells)
            change(broken[1])
            block = reproduction.block_from_report(report("s", broken), [reverse])
            self.assertEqual(block["instance_gaps"], {})
            self.assertIn("the paired gap over the 2 repetitions", reproduction.judge_ordering(reverse, block)[3])

        unpaired(lambda c: c["seeds"].update(instances=99))
        unpaired(lambda c: c["seeds"].pop("initial_points"))
        unpaired(lambda c: c["eval"]["per_instance"]["loss"][0].__setitem__(5, 4.5))
        unpaired(lambda c: c["eval"]["per_instance"].update(steps=[2, 1]))
        unpaired(lambda c: c["eval"]["per_instance"]["loss"][1].__setitem__(0, None))

    def test_a_resample_whose_metric_is_not_finite_leaves_the_instances_unpaired(self):
        # log10 of a mean loss: one instance at -9 and the rest near 1 make some resamples' mean
        # negative, so the bootstrap has no interval; the page falls back to the repetitions.
        losses = [-9.0] + [1.0 + i / 100 for i in range(19)]
        cells = []
        for rep in (0, 1):
            for name, shift in (("fast", 0.0), ("slow", 0.5)):
                c = cell("p", name, rep, [4.0, 1.0 + shift])
                c["seeds"] = {"instances": rep, "initial_points": rep}
                c["eval"]["per_instance"] = {"steps": [0, 1], "loss": [[4.0] * 20, [v + shift for v in losses]]}
                cells.append(c)
        self.assertIsNone(reproduction.instance_gap(cells[0::2], cells[1::2], 1, 1, "log10_mean_loss", True))
        self.assertIsNotNone(reproduction.instance_gap(cells[0::2], cells[1::2], 1, 1, "loss_mean", True))

    def test_the_instance_gap_recomputes_each_metric_as_the_harness_does(self):
        import numpy as np
        f0, f, f_star = np.array([5.0, 9.0, 0.5, 4.0]), np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.0, 1.0, 0.5, 2.0])
        metrics = reproduction.INSTANCE_METRICS
        self.assertEqual(metrics["loss_mean"](f, f0, f_star), 1.625)
        self.assertAlmostEqual(metrics["log10_mean_loss"](f, f0, f_star), np.log10(1.625), places=15)
        # (f - f*) / (f0 - f*): 0.2, 0.125, 0 (a start at f*: 0 / 1e-300), 0.5; median 0.1625
        self.assertAlmostEqual(metrics["normalized_gap_median"](f, f0, f_star), 0.1625, places=15)

    def test_a_ratio_bound(self):
        ours, _, verdict, reason = self.judge(4)  # 2.1 / 0.6 = 3.5 >= 3
        self.assertEqual((ours, verdict, reason), ("3.5", "reproduced", ""))

    def test_a_cell_the_report_lacks_is_incomplete(self):
        self.assertEqual(self.judge(5)[2], "incomplete")


def write_inputs(tmp):
    """A runs folder with QUICK as s's quick report, and VALUES: (runs, values path, page folder)."""
    runs = os.path.join(tmp, "runs")
    os.makedirs(os.path.join(runs, "s-quick"))
    with open(os.path.join(runs, "s-quick", "report.json"), "w") as f:
        json.dump(QUICK, f)
    values = os.path.join(tmp, "values.json")
    with open(values, "w") as f:
        json.dump(VALUES, f)
    return runs, values, os.path.join(tmp, "page")


def page_text(runs, values, out, extra=()):
    reproduction.main(["--runs", runs, "--paper-values", values, "--out", out, *extra])
    with open(os.path.join(out, "README.md")) as f:
        return f.read()


class Page(unittest.TestCase):
    def test_the_page_has_a_row_per_value_marks_what_was_not_run_and_is_deterministic(self):
        with tempfile.TemporaryDirectory() as tmp:
            runs, values, out = write_inputs(tmp)
            first = page_text(runs, values, out)
            self.assertEqual(page_text(runs, values, out), first)
        # The table's rows end with their source; the per-suite summary's do not.
        rows = [line for line in first.splitlines()
                if (line.startswith("| s ") or line.startswith("| other ")) and "Paper " in line]
        self.assertEqual(len(rows), len(VALUES["values"]))
        # No paper-budget report: every row says so and gives the quick verdict.
        self.assertTrue(all("not run" in row for row in rows))
        self.assertIn("not run at the paper budget; quick: reproduced", rows[0])
        self.assertIn("quick: not run (no quick-budget report of other)", rows[-1])
        self.assertIn("commit 0123456789ab", first)
        self.assertIn("Training at the quick budget: 1 models, 0.01 h of wall clock in all", first)
        self.assertIn("CPU time of the training thread, recorded for 1 of them: 0.01 h", first)

    def test_a_line_per_suite_counts_its_verdicts_at_the_paper_budget(self):
        with tempfile.TemporaryDirectory() as tmp:
            runs, values, out = write_inputs(tmp)
            os.makedirs(os.path.join(runs, "s-paper"))
            with open(os.path.join(runs, "s-paper", "report.json"), "w") as f:
                json.dump(QUICK, f)
            text = page_text(runs, values, out, ["--profiles", "quick paper"])
        self.assertIn("| suite | rows | incomplete | not reproduced | not run | ordering fails | ordering holds "
                      "| reproduced |", text)
        self.assertIn("| s | 6 | 1 | 1 | 0 | 1 | 1 | 2 |", text)
        self.assertIn("| other | 1 | 0 | 0 | 1 | 0 | 0 | 0 |", text)

    def test_a_budget_not_run_again_keeps_its_column(self):
        with tempfile.TemporaryDirectory() as tmp:
            runs, values, out = write_inputs(tmp)
            first = page_text(runs, values, out)
            empty = os.path.join(tmp, "no-runs")
            os.makedirs(empty)
            self.assertEqual(page_text(empty, values, out), first)

    def test_a_budget_left_out_of_profiles_keeps_its_column_even_with_a_report_in_runs(self):
        with tempfile.TemporaryDirectory() as tmp:
            runs, values, out = write_inputs(tmp)
            first = page_text(runs, values, out)
            # An older quick report left in the runs folder: read only when its budget is asked for.
            older = json.loads(json.dumps(QUICK))
            older["cells"][0]["eval"]["loss"]["mean"][-1] = 9.0
            with open(os.path.join(runs, "s-quick", "report.json"), "w") as f:
                json.dump(older, f)
            self.assertEqual(page_text(runs, values, out, ["--profiles", "paper"]), first)
            self.assertNotEqual(page_text(runs, values, out, ["--profiles", "quick paper"]), first)
            with self.assertRaises(SystemExit):
                reproduction.main(["--runs", runs, "--paper-values", values, "--out", out, "--profiles", "fast"])


class ReproduceScriptRefusesBadOptions(unittest.TestCase):
    """scripts/reproduce: one line naming the option and what is allowed, exit status 2, nothing run."""

    def test_each_bad_option_gets_one_clear_error(self):
        if BINARY is None:
            self.fail("give the l2obench binary as the first argument")
        script = os.path.join(os.path.dirname(HERE), "scripts", "reproduce")
        env = {**os.environ, "BUILD": os.path.dirname(os.path.dirname(BINARY))}  # <build>/harness/l2obench
        with tempfile.TemporaryDirectory() as tmp:
            for args, expected in ((["--profiles", "huge"], '--profiles: unknown budget "huge" (allowed: quick, paper)'),
                                   (["--fast"], "unknown option --fast (allowed: --profiles LIST"),
                                   (["--wait"], "--wait goes with --slurm"),
                                   (["--paper-values", os.path.join(tmp, "none.json")], "none.json: no such file")):
                done = subprocess.run([script, "--out", os.path.join(tmp, "out"), *args],
                                      capture_output=True, text=True, env=env)
                with self.subTest(args=args):
                    self.assertEqual(done.returncode, 2, done.stderr)
                    self.assertEqual(done.stderr.count("\n"), 1, done.stderr)
                    self.assertIn(expected, done.stderr)
                    self.assertFalse(os.path.exists(os.path.join(tmp, "out")))


class ShippedModelsGiveThePagesNumbers(unittest.TestCase):
    """The committed page against a fresh evaluation: the Diff-L2O Table 4 suite at the paper budget
    run from the models (and tuning results) shipped in models/, into an empty cache, must train
    nothing and give every number measured.json holds for that column, bit for bit."""

    SUITE = "diff-l2o-table4"

    def test_a_fresh_evaluation_of_the_shipped_models_matches_the_page(self):
        if BINARY is None:
            self.fail("give the l2obench binary as the first argument")
        root = os.path.dirname(HERE)
        with tempfile.TemporaryDirectory() as tmp:
            cache, out = os.path.join(tmp, "cache"), os.path.join(tmp, "run")
            done = subprocess.run([BINARY, "run", os.path.join(root, "suites", f"{self.SUITE}.json"),
                                   "--train-profile", "paper", "--models", os.path.join(root, "models"),
                                   "--cache", cache, "--out", out, "--threads", "1", "--quiet"],
                                  capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertFalse(os.path.exists(cache), "a model was trained instead of loaded")
            with open(os.path.join(HERE, "paper_values.json")) as f:
                entries = [e for e in json.load(f)["values"] if e["suite"] == self.SUITE]
            with open(os.path.join(HERE, "reproduction", "measured.json")) as f:
                committed = json.load(f)[f"{self.SUITE}-paper"]
            fresh = reproduction.block_from_report(reproduction.l2o_report.load(os.path.join(out, "report.json")),
                                                   entries)
            self.assertTrue(committed["values"])
            self.assertEqual(fresh["values"], committed["values"])
            # A shipped model carries its training's seconds, under the same name as from the cache.
            self.assertEqual(fresh["models"], committed["models"])


BINARY = None

if __name__ == "__main__":
    if len(sys.argv) > 1:
        BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
