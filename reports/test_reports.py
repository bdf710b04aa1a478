#!/usr/bin/python3
"""Tests of the figure and table generator, on a smoke run made by the real l2obench binary.

    /usr/bin/python3 reports/test_reports.py path/to/l2obench
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import l2o_report  # noqa: E402

BINARY = None


class ReportsFromSmokeRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        run = os.path.join(cls.tmp.name, "run")
        subprocess.run([BINARY, "run", os.path.join(HERE, "..", "suites", "smoke.json"), "--out", run, "--quiet"],
                       check=True, capture_output=True)
        cls.report_path = os.path.join(run, "report.json")
        with open(cls.report_path) as f:
            cls.report = json.load(f)
        cls.paper = os.path.join(cls.tmp.name, "paper.json")
        with open(cls.paper, "w") as f:
            json.dump({"values": [{"suite": "smoke", "problem": "lasso-n10", "optimizer": "adam", "step": 10,
                                   "metric": "loss_mean", "value": 1.5, "source": "a test"}]}, f)
        cls.out = os.path.join(cls.tmp.name, "figures")
        cls.written = l2o_report.build([cls.report_path], cls.out, cls.paper)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_figure_and_table_exists_and_is_not_empty(self):
        for name in ["smoke-loss.png", "smoke-loss.svg", "smoke-ecdf.png", "smoke-ecdf.svg", "smoke-final.md",
                     "smoke-final.tex", "smoke-paper.md", "smoke-paper.tex", "REPORT.md", "index.html"]:
            path = os.path.join(self.out, name)
            self.assertTrue(os.path.exists(path), name)
            self.assertGreater(os.path.getsize(path), 100, name)
        self.assertEqual(sorted(self.written), sorted(set(self.written)))

    def test_pages_show_every_figure_with_its_context(self):
        with open(os.path.join(self.out, "index.html")) as f:
            page = f.read()
        self.assertIn("smoke-loss.svg", page)
        self.assertIn("smoke-ecdf.svg", page)
        self.assertIn(self.report["context"]["git_commit"][:12], page)
        with open(os.path.join(self.out, "REPORT.md")) as f:
            md = f.read()
        self.assertIn("![smoke-loss.png](smoke-loss.png)", md)
        self.assertIn("threads", md)

    def test_markdown_table_matches_the_report(self):
        with open(os.path.join(self.out, "smoke-final.md")) as f:
            lines = [line for line in f.read().splitlines() if line.startswith("|")]
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        self.assertEqual(header, ["problem", "gd", "adam"])
        rows = {r[0]: r[1:] for r in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])}
        self.assertEqual(sorted(rows), ["lasso-n10", "quadratic-n10", "rastrigin-n2"])
        for cell in self.report["cells"]:
            shown = rows[cell["problem"]["label"]][header.index(cell["optimizer"]["label"]) - 1]
            expected = cell["eval"]["final"]["loss_mean"]  # one repetition: the mean is the value
            self.assertAlmostEqual(float(shown.split()[0]), expected, delta=abs(expected) * 1e-3)

    def test_paper_table_puts_the_papers_number_next_to_ours(self):
        with open(os.path.join(self.out, "smoke-paper.md")) as f:
            row = [c.strip() for c in f.read().splitlines()[2].strip("|").split("|")]
        ours = [c for c in self.report["cells"]
                if c["problem"]["label"] == "lasso-n10" and c["optimizer"]["label"] == "adam"][0]
        value = ours["eval"]["loss"]["mean"][10]
        self.assertEqual(row[:5], ["lasso-n10", "adam", "10", "loss_mean", "1.5"])
        self.assertAlmostEqual(float(row[5]), value, delta=abs(value) * 1e-3)
        self.assertAlmostEqual(float(row[6]), value - 1.5, delta=abs(value) * 1e-3 + 1e-3)

    def test_bootstrap_interval_brackets_the_mean_and_is_deterministic(self):
        values = [1.0, 2.0, 3.0, 4.0]
        lo, hi = l2o_report.bootstrap_ci(values)
        self.assertLessEqual(lo, 2.5)
        self.assertGreaterEqual(hi, 2.5)
        self.assertEqual(l2o_report.bootstrap_ci(values), (lo, hi))
        self.assertIsNone(l2o_report.bootstrap_ci([1.0]))

    def test_latex_escapes_labels(self):
        tex = l2o_report.latex(["problem", "a_b"], [["x_1", "50%"]])
        self.assertIn(r"a\_b", tex)
        self.assertIn(r"50\%", tex)
        self.assertTrue(tex.startswith(r"\begin{tabular}"))


class ReportsWithExtraMetrics(unittest.TestCase):
    """Families' own metrics (the MLP's test loss and accuracy): a figure and a table when present."""

    def test_extra_metrics_get_a_figure_and_a_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = os.path.join(tmp, "run")
            subprocess.run([BINARY, "run", os.path.join(HERE, "..", "suites", "smoke.json"), "--out", run, "--quiet"],
                           check=True, capture_output=True)
            with open(os.path.join(run, "report.json")) as f:
                report = json.load(f)
            # What the runner writes for a family with evaluation_metrics, on one problem only.
            for k, cell in enumerate(c for c in report["cells"] if c["problem"]["label"] == "lasso-n10"):
                accuracy = [0.1 + 0.01 * k * step for step in range(len(cell["eval"]["loss"]["mean"]))]
                cell["eval"]["extra"] = {"test_accuracy": {w: accuracy for w in ("mean", "median", "q10", "q90")}}
                cell["eval"]["final"]["test_accuracy_mean"] = accuracy[-1]
            path = os.path.join(tmp, "report.json")
            with open(path, "w") as f:
                json.dump(report, f)
            out = os.path.join(tmp, "figures")
            written = l2o_report.build([path], out, None)
            self.assertIn(os.path.join(out, "smoke-extra.png"), written)
            with open(os.path.join(out, "smoke-extra.md")) as f:
                rows = [[c.strip() for c in line.strip("|").split("|")] for line in f.read().splitlines()]
            self.assertEqual(rows[0], ["problem", "optimizer", "test_accuracy"])
            expected = {(c["optimizer"]["label"]): c["eval"]["final"]["test_accuracy_mean"]
                        for c in report["cells"] if "extra" in c["eval"]}
            self.assertEqual(sorted(r[1] for r in rows[2:]), sorted(expected))
            for row in rows[2:]:
                self.assertEqual(row[0], "lasso-n10")
                self.assertAlmostEqual(float(row[2]), expected[row[1]], delta=1e-3)
            with open(os.path.join(out, "index.html")) as f:
                self.assertIn("smoke-extra.svg", f.read())

    def test_iterations_to_target_table_has_a_column_per_scenario(self):
        report = {"suite": {"steps": 50, "target": 1e-3}, "cells": []}
        for label, scenario, median, never in [("p", {"kind": "none"}, 12.0, 0.0),
                                               ("p/objective+10", {"kind": "objective", "value": 10}, 30.0, 0.25),
                                               ("p/start-20", {"kind": "start", "value": -20}, None, 0.75)]:
            report["cells"].append({"problem": {"label": label, "scenario": scenario},
                                    "optimizer": {"label": "ista"},
                                    "eval": {"to_target": {"median": median, "never": never}}})
        header, rows = l2o_report.to_target_table(report)
        self.assertEqual(header, ["problem", "optimizer", "in-distribution", "objective+10", "start-20"])
        self.assertEqual(rows, [["p", "ista", "12", "30 (25% never)", ">50 (75% never)"]])

    def test_no_extra_metrics_no_extra_figure(self):
        self.assertEqual(l2o_report.extra_figure({"cells": [], "suite": {}}, "/nonexistent", "x"), [])


class CurvesAgainstEvaluationsAndSeconds(unittest.TestCase):
    """The x axes of the curves: iterations, weighted evaluations (eval.cost), seconds."""

    @staticmethod
    def cell(function, gradient, seconds_per_step, network=None):
        cost = {"function": function, "gradient": gradient}
        if network is not None:
            cost["network"] = network
        return {"problem": {"label": "p"}, "optimizer": {"label": "o"},
                "eval": {"loss": {"mean": [3.0, 2.0, 1.0]}, "cost": cost, "seconds_per_step": seconds_per_step,
                         "final": {"loss_mean": 1.0}}}

    def test_each_axis_on_a_hand_computed_cell(self):
        cells = [self.cell([1, 3, 4], [1, 2, 3], 0.5, network=[0, 1, 2])]
        self.assertEqual(list(l2o_report.x_values(cells, "iterations")), [0, 1, 2])
        self.assertEqual(list(l2o_report.x_values(cells, "seconds")), [0, 0.5, 1.0])
        # Default weighting: f + grad, the network not counted.
        self.assertEqual(list(l2o_report.x_values(cells, "evaluations")), [2, 5, 7])
        weights = l2o_report.parse_evaluation_weights("gradient=2,network=1")
        self.assertEqual(list(l2o_report.x_values(cells, "evaluations", weights)), [3, 8, 12])
        self.assertEqual(l2o_report.axis_label("evaluations", weights),
                         "evaluations per instance (function + 2 gradient + hessian-vector + network)")

    def test_repetitions_are_averaged_and_a_cell_without_costs_has_no_evaluations(self):
        cells = [self.cell([0, 1, 2], [1, 2, 3], 0.5), self.cell([0, 3, 4], [1, 2, 3], 1.5)]
        self.assertEqual(list(l2o_report.x_values(cells, "evaluations")), [1, 4, 6])
        self.assertEqual(list(l2o_report.x_values(cells, "seconds")), [0, 1, 2])
        del cells[1]["eval"]["cost"]
        self.assertIsNone(l2o_report.x_values(cells, "evaluations"))

    def test_bad_weights_name_the_kind_and_what_is_allowed(self):
        with self.assertRaises(SystemExit) as refused:
            l2o_report.parse_evaluation_weights("hessian=1")
        self.assertIn("unknown kind \"hessian\"; allowed: function, gradient, hessian_vector, network",
                      str(refused.exception))
        with self.assertRaises(SystemExit) as refused:
            l2o_report.parse_evaluation_weights("gradient=-1")
        self.assertIn("gradient: expected kind=weight with a number >= 0", str(refused.exception))
        result = subprocess.run([sys.executable, os.path.join(HERE, "make_report.py"), "--out", "/nonexistent",
                                 "--evaluation-weights", "gradient=x"], capture_output=True, text=True)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--evaluation-weights: gradient", result.stderr)

    def test_every_axis_of_a_real_run_gets_its_figure(self):
        with tempfile.TemporaryDirectory() as tmp:
            suite = {"name": "axes", "steps": 8, "test_instances": 8,
                     "problems": [{"family": "lasso", "dim": 5}],
                     "optimizers": [{"name": "gd"}, {"name": "bfgs"}]}
            path = os.path.join(tmp, "suite.json")
            with open(path, "w") as f:
                json.dump(suite, f)
            run = os.path.join(tmp, "run")
            subprocess.run([BINARY, "run", path, "--out", run, "--quiet"], check=True, capture_output=True)
            out = os.path.join(tmp, "figures")
            subprocess.run([sys.executable, os.path.join(HERE, "make_report.py"), os.path.join(run, "report.json"),
                            "--out", out, "--x-axis", "all"], check=True, capture_output=True)
            for stem in ("axes-loss", "axes-loss-vs-evaluations", "axes-loss-vs-seconds"):
                self.assertGreater(os.path.getsize(os.path.join(out, stem + ".png")), 1000, stem)
            with open(os.path.join(run, "report.json")) as f:
                cells = {c["optimizer"]["label"]: c for c in json.load(f)["cells"]}
            # GD: one gradient per step, so its evaluations are its iterations; BFGS: more.
            self.assertEqual(list(l2o_report.x_values([cells["gd"]], "evaluations")), list(range(9)))
            bfgs = l2o_report.x_values([cells["bfgs"]], "evaluations")
            self.assertTrue(all(b - a >= 2 for a, b in zip(bfgs, bfgs[1:])))
            with open(os.path.join(out, "axes-cost.md")) as f:
                rows = [[c.strip() for c in line.strip("|").split("|")] for line in f.read().splitlines()]
            self.assertEqual(rows[0], ["problem", "optimizer", "function (per step)", "gradient (per step)"])
            self.assertEqual(rows[2][1:], ["gd", "0 (0)", "8 (1)"])


class ReportsWithRepetitionsAndTraining(unittest.TestCase):
    """A suite with a learned optimizer and two repetitions: averaging, intervals, training table."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        suite = {"name": "reps", "steps": 20, "test_instances": 16, "repetitions": 2,
                 "problems": [{"family": "quadratic", "dim": 5}],
                 "optimizers": [{"name": "gd"},
                                {"name": "l2o-dm", "train": {"epochs": 2, "batch": 8, "steps": 20,
                                                             "validation_instances": 8}}]}
        path = os.path.join(cls.tmp.name, "suite.json")
        with open(path, "w") as f:
            json.dump(suite, f)
        run = os.path.join(cls.tmp.name, "run")
        subprocess.run([BINARY, "run", path, "--out", run, "--cache", os.path.join(cls.tmp.name, "cache"), "--quiet"],
                       check=True, capture_output=True)
        with open(os.path.join(run, "report.json")) as f:
            cls.report = json.load(f)
        cls.out = os.path.join(cls.tmp.name, "figures")
        l2o_report.build([os.path.join(run, "report.json")], cls.out, None)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def rows(self, name):
        with open(os.path.join(self.out, name)) as f:
            lines = [line for line in f.read().splitlines() if line.startswith("|")]
        return [[c.strip() for c in line.strip("|").split("|")] for line in lines]

    def test_final_table_averages_repetitions_with_an_interval(self):
        header, row = self.rows("reps-final.md")[0], self.rows("reps-final.md")[2]
        for optimizer in ("gd", "l2o-dm"):
            values = [c["eval"]["final"]["loss_mean"] for c in self.report["cells"]
                      if c["optimizer"]["label"] == optimizer]
            self.assertEqual(len(values), 2)
            shown = row[header.index(optimizer)]
            mean, interval = shown.split(" ", 1)
            self.assertAlmostEqual(float(mean), sum(values) / 2, delta=abs(sum(values) / 2) * 1e-3)
            lo, hi = (float(x) for x in interval.strip("[]").split(","))
            self.assertLessEqual(lo, float(mean) * (1 + 1e-3))
            self.assertGreaterEqual(hi, float(mean) * (1 - 1e-3))
            # Two values: the resampled means lie between them.
            self.assertGreaterEqual(lo, min(values) * (1 - 1e-3))
            self.assertLessEqual(hi, max(values) * (1 + 1e-3))

    def test_training_table_and_ecdf(self):
        rows = self.rows("reps-training.md")
        self.assertEqual(rows[0][:4], ["problem", "optimizer", "training seconds", "epochs"])
        self.assertEqual(rows[2][:2], ["quadratic-n5", "l2o-dm"])
        self.assertEqual(rows[2][3], "2")
        self.assertGreater(os.path.getsize(os.path.join(self.out, "reps-ecdf.png")), 1000)

    def test_another_schema_version_is_refused_with_a_message(self):
        other = os.path.join(self.out, "other-schema.json")
        with open(other, "w") as f:
            json.dump(dict(self.report, schema_version=99), f)
        with self.assertRaises(SystemExit) as refused:
            l2o_report.load(other)
        self.assertIn("schema_version 99 is not supported", str(refused.exception))
        report = l2o_report.load(os.path.join(self.tmp.name, "run", "report.json"))
        self.assertEqual(report["schema_version"], l2o_report.SCHEMA_VERSION)

    def test_a_summary_is_refused_with_a_message(self):
        summary = os.path.join(self.tmp.name, "summary.json")
        subprocess.run([BINARY, "summarize", os.path.join(self.tmp.name, "run", "report.json"), "--out", summary],
                       check=True, capture_output=True)
        with self.assertRaises(SystemExit) as refused:
            l2o_report.load(summary)
        self.assertIn("summary without per-step series", str(refused.exception))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_reports.py path/to/l2obench")
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
