#!/usr/bin/python3
"""Tests of the figure and table generator, on a smoke run made by the real l2obench binary.

    /usr/bin/python3 reports/test_reports.py path/to/l2obench
"""

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fair_stats  # noqa: E402
import study_table  # noqa: E402
import l2o_report  # noqa: E402
import numpy as np  # noqa: E402

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


def smoke_report(folder):
    """The report.json of suites/smoke.json, run by the binary under test into folder/run."""
    run = os.path.join(folder, "run")
    subprocess.run([BINARY, "run", os.path.join(HERE, "..", "suites", "smoke.json"), "--out", run, "--quiet"],
                   check=True, capture_output=True)
    with open(os.path.join(run, "report.json")) as f:
        return json.load(f)


class FilesAreWrittenWholeOrNotAtAll(unittest.TestCase):
    def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "measured.json")
            with l2o_report.atomic_open(path) as f:
                f.write('{"kept": 1}\n')
            with self.assertRaises(KeyboardInterrupt):
                with l2o_report.atomic_open(path) as f:
                    f.write('{"half')
                    raise KeyboardInterrupt
            with open(path) as f:
                self.assertEqual(json.load(f), {"kept": 1})
            self.assertEqual(os.listdir(tmp), ["measured.json"])
            previous = os.umask(0o022)
            try:
                fresh = os.path.join(tmp, "page.md")
                with l2o_report.atomic_open(fresh) as f:
                    f.write("x")
                self.assertEqual(os.stat(fresh).st_mode & 0o777, 0o644)  # as open() would, not mkstemp's 0600
                os.chmod(fresh, 0o664)
                with l2o_report.atomic_open(fresh) as f:
                    f.write("y")
                self.assertEqual(os.stat(fresh).st_mode & 0o777, 0o664)  # a rewrite keeps the file's mode
            finally:
                os.umask(previous)


class ReportsWithExtraMetrics(unittest.TestCase):
    """Families' own metrics (the MLP's test loss and accuracy): a figure and a table when present."""

    def test_extra_metrics_get_a_figure_and_a_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            report = smoke_report(tmp)
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

    def test_paper_table_reads_family_metrics_and_leaves_claims_to_the_reproduction_page(self):
        with tempfile.TemporaryDirectory() as tmp:
            report = smoke_report(tmp)
        cell = [c for c in report["cells"] if c["problem"]["label"] == "lasso-n10" and c["optimizer"]["label"] == "adam"][0]
        accuracy = [0.5 + 0.001 * step for step in range(len(cell["eval"]["loss"]["mean"]))]
        cell["eval"]["extra"] = {"test_accuracy": {"mean": accuracy}}
        entries = [{"suite": "smoke", "problem": "lasso-n10", "optimizer": "adam", "step": 10,
                    "metric": "test_accuracy_mean", "value": 0.9, "source": "a test"},
                   {"kind": "ordering", "suite": "smoke", "metric": "loss_mean", "better": "lower",
                    "terms": [{"problem": "lasso-n10", "optimizer": "adam", "step": 10},
                              {"problem": "lasso-n10", "optimizer": "gd", "step": 10}],
                    "tolerance": {"margin": 0}, "source": "a test"}]
        header, rows = l2o_report.paper_table(report, entries)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][:5], ["lasso-n10", "adam", "10", "test_accuracy_mean", "0.9"])
        self.assertAlmostEqual(float(rows[0][5]), 0.51, delta=1e-3)
        with self.assertRaises(SystemExit) as refused:
            l2o_report.paper_table(report, [dict(entries[0], kind="guess")])
        self.assertIn('kind "guess" is not one of', str(refused.exception))

    def test_iterations_to_target_of_a_cell_that_mostly_never_gets_there_is_its_steps_plus_one(self):
        cells = [{"eval": {"steps": 300, "to_target": {"median": 26.0}}},
                 {"eval": {"steps": 300, "to_target": {"median": None}}}]
        self.assertEqual(l2o_report.paper_metric(cells, "iterations_to_target_median", 0), (26.0 + 301.0) / 2)
        self.assertTrue(math.isnan(l2o_report.paper_metric([{"eval": {"steps": 300}}],
                                                           "iterations_to_target_median", 0)))

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

    def test_shift_data_has_one_entry_per_base_problem_and_optimizer_name(self):
        report = {"suite": {"steps": 50}, "cells": []}
        for label, scenario, optimizer, medians in [
                ("p", {"kind": "none"}, "l2o-dm", [12.0, 14.0]),
                ("p/start+10", {"kind": "start", "value": 10}, "l2o-dm", [30.0, None]),
                ("q/start+10", {"kind": "start", "value": 10}, "l2o-dm-lr", [7.0])]:
            for median in medians:
                report["cells"].append({"problem": {"label": label, "scenario": scenario},
                                        "optimizer": {"label": optimizer, "name": "l2o-dm"},
                                        "eval": {"to_target": {"median": median}}})
        data = l2o_report.shift_data(report)
        self.assertEqual(list(data), ["p", "q"])
        self.assertEqual(list(data["p"]["scenarios"]), ["in-distribution", "start+10"])
        # One repetition never getting there makes the scenario's entry None, not a mean.
        self.assertEqual(data["p"]["medians"]["l2o-dm"], {"in-distribution": 13.0, "start+10": None})
        self.assertEqual(data["q"]["medians"]["l2o-dm"], {"start+10": 7.0})

    def test_a_suite_without_shifts_has_no_shift_figure(self):
        report = {"suite": {"steps": 50}, "cells": [
            {"problem": {"label": "p"}, "optimizer": {"label": "gd", "name": "gd"},
             "eval": {"to_target": {"median": 3.0}}}]}
        self.assertEqual(l2o_report.shift_data(report), {})
        self.assertEqual(l2o_report.shift_figure(report, "/nonexistent", "x"), [])

    def test_no_extra_metrics_no_extra_figure(self):
        self.assertEqual(l2o_report.extra_figure({"cells": [], "suite": {}}, "/nonexistent", "x"), [])


def paper_value_errors(entry, suites):
    """What is wrong with one entry of reports/paper_values.json, given each suite's expansion
    (name -> (problem label -> family, optimizer label -> its "families" or None, steps)); [] when nothing."""
    where = f"{entry.get('suite')} {entry.get('source', '(no source)')}"
    errors = []
    kind = entry.get("kind", "value")
    if kind not in l2o_report.PAPER_KINDS:
        return [f"{where}: unknown kind {kind!r}"]
    if not isinstance(entry.get("source"), str) or len(entry["source"]) < 10:
        errors.append(f"{where}: no source")
    if entry.get("suite") not in suites:
        return errors + [f"{where}: no suite file suites/{entry.get('suite')}.json"]
    problems, optimizers, steps = suites[entry["suite"]]
    metric = entry.get("metric")
    if metric not in l2o_report.PAPER_METRICS:
        errors.append(f"{where}: unknown metric {metric!r}")
    allowed = {"value": ("relative", "absolute", "factor"), "ordering": ("margin",), "ratio_bound": ("relative",)}[kind]
    tolerance = entry.get("tolerance")
    if not (isinstance(tolerance, dict) and len(tolerance) == 1 and next(iter(tolerance)) in allowed
            and isinstance(next(iter(tolerance.values())), (int, float))):
        errors.append(f"{where}: tolerance {tolerance!r} is not one number named {' or '.join(allowed)}")
    if kind == "value":
        terms = [entry]
        if not isinstance(entry.get("value"), (int, float)):
            errors.append(f"{where}: value {entry.get('value')!r} is not a number")
    elif kind == "ordering":
        terms = entry.get("terms", [])
        if len(terms) < 2 or entry.get("better") not in ("lower", "higher"):
            errors.append(f"{where}: an ordering needs two terms or more and better: lower or higher")
    else:
        pairs = entry.get("pairs", [])
        terms = [t for pair in pairs for t in (pair.get("numerator", {}), pair.get("denominator", {}))]
        bound = entry.get("bound", {})
        if not pairs or (len(pairs) > 1 and entry.get("aggregate") not in ("max", "min")):
            errors.append(f"{where}: a ratio_bound needs pairs, and aggregate max or min over several")
        if not (isinstance(bound, dict) and len(bound) == 1 and next(iter(bound)) in ("min", "max")):
            errors.append(f"{where}: bound {bound!r} is not {{min: b}} or {{max: b}}")
    for term in terms:
        problem, optimizer, step = term.get("problem"), term.get("optimizer"), term.get("step")
        if problem not in problems:
            errors.append(f"{where}: suite {entry['suite']} has no problem {problem!r}")
        elif optimizer not in optimizers:
            errors.append(f"{where}: suite {entry['suite']} has no optimizer {optimizer!r}")
        elif optimizers[optimizer] is not None and problems[problem] not in optimizers[optimizer]:
            errors.append(f"{where}: {optimizer} does not run on {problem} (families {optimizers[optimizer]})")
        unused = metric in l2o_report.PAPER_METRICS_WITHOUT_STEP
        if not isinstance(step, int) or (step != 0 if unused else not 0 <= step <= steps):
            errors.append(f"{where}: step {step!r} is not " + ("0 (unused by this metric)" if unused
                                                                else f"within 0..{steps}"))
    return errors


class PaperValuesNameCellsOfTheSuites(unittest.TestCase):
    """reports/paper_values.json against the suites as l2obench expands them (problem labels with their
    dimensions and scenarios, from `l2obench instances`)."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(HERE, "paper_values.json")) as f:
            cls.entries = json.load(f)["values"]
        cls.suites = {}
        with tempfile.TemporaryDirectory() as tmp:
            running = []
            for name in sorted({e.get("suite") for e in cls.entries}):
                path = os.path.join(HERE, "..", "suites", f"{name}.json")
                if not os.path.exists(path):
                    continue
                out = os.path.join(tmp, f"{name}.json")
                running.append((name, path, out, subprocess.Popen(
                    [BINARY, "instances", path, "--count", "1", "--out", out],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            for name, path, out, process in running:
                _, err = process.communicate()
                if process.returncode != 0:
                    raise AssertionError(f"l2obench instances {path}: {err}")
                with open(out) as f:
                    problems = {p["label"]: p["family"] for p in json.load(f)["problems"]}
                with open(path) as f:
                    suite = json.load(f)
                optimizers = {o.get("label", o["name"]): o.get("families") for o in suite["optimizers"]}
                cls.suites[name] = (problems, optimizers, suite["steps"])

    def test_every_entry_names_cells_a_metric_a_tolerance_and_a_source(self):
        errors = [e for entry in self.entries for e in paper_value_errors(entry, self.suites)]
        self.assertEqual(errors, [])
        self.assertEqual(len({json.dumps(e, sort_keys=True) for e in self.entries}), len(self.entries))

    def test_the_check_catches_what_it_should(self):
        good = {"suite": "go-math-l2o", "problem": "lasso-sparse-n100/start+10", "optimizer": "go-math-l2o",
                "step": 0, "metric": "iterations_to_target_median", "value": 26, "tolerance": {"relative": 0.1},
                "source": "a test entry"}
        self.assertEqual(paper_value_errors(good, self.suites), [])
        for change, message in [({"suite": "go-math-l2o-paper"}, "no suite file"),
                                ({"problem": "lasso-sparse-n500"}, "has no problem"),
                                ({"optimizer": "go-math-l2o-lr"}, "does not run on"),
                                ({"optimizer": "math"}, "has no optimizer"),
                                ({"metric": "accuracy"}, "unknown metric"),
                                ({"step": 10}, "is not 0"),
                                ({"tolerance": {"percent": 5}}, "tolerance"),
                                ({"source": ""}, "no source"),
                                ({"kind": "claim"}, "unknown kind")]:
            errors = paper_value_errors(dict(good, **change), self.suites)
            self.assertTrue(any(message in e for e in errors), (change, errors))
        ordering = {"kind": "ordering", "suite": "loa", "metric": "normalized_gap_median", "better": "lower",
                    "terms": [{"problem": "ridge-n10", "optimizer": "loa-bfgs", "step": 25},
                              {"problem": "ridge-n10", "optimizer": "bfgs", "step": 101}],
                    "tolerance": {"margin": 0}, "source": "a test entry"}
        self.assertEqual([e for e in paper_value_errors(ordering, self.suites) if "within 0..100" in e],
                         [f"loa a test entry: step 101 is not within 0..100"])


class PanelScales(unittest.TestCase):
    """The y axis of a loss or gap panel."""

    def test_log_for_positive_values_over_two_decades_else_linear(self):
        self.assertEqual(l2o_report.y_scale([1e-3, 5.0, float("nan")], is_gap=False), ("log", None))
        self.assertEqual(l2o_report.y_scale([1.0, 50.0], is_gap=True), ("linear", None))
        self.assertEqual(l2o_report.y_scale([], is_gap=True), ("linear", None))

    def test_a_gap_down_to_rounding_of_either_sign_is_symmetric_log(self):
        # LOA's ridge panel: the learned BFGS converges to a gap of -6.6e-15.
        scale, threshold = l2o_report.y_scale([2.0, 1e-4, 0.0, -6.6e-15], is_gap=True)
        self.assertEqual(scale, "symlog")
        self.assertAlmostEqual(threshold, 2e-9)
        # A loss (not a gap) that crosses zero, or a gap far below zero, stays linear.
        self.assertEqual(l2o_report.y_scale([2.0, -6.6e-15], is_gap=False), ("linear", None))
        self.assertEqual(l2o_report.y_scale([2.0, -0.5], is_gap=True), ("linear", None))


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


def synthetic_cell(problem, optimizer, final_losses, first_hits=None, repetition=0, steps=10, cost=None,
                   seconds_per_step=1e-3, instances_seed=7):
    """A cell with just what reports/fair_stats.py reads: per-instance final losses, the first step
    each instance reaches the target (-1: never), optionally eval.cost."""
    cell = {"problem": {"label": problem}, "optimizer": {"label": optimizer}, "repetition": repetition,
            "seeds": {"instances": instances_seed},
            "eval": {"steps": steps, "seconds_per_step": seconds_per_step,
                     "per_instance": {"steps": [0, steps], "loss": [[1.0] * len(final_losses), list(final_losses)]}}}
    if first_hits is not None:
        cell["eval"]["to_target"] = {"per_instance": list(first_hits), "target": 1e-3}
    if cost is not None:
        cell["eval"]["cost"] = cost
    return cell


class FairStatistics(unittest.TestCase):
    """Profiles, the integrated score, the paired tests with Holm, speed-ups: hand-computed cases."""

    def test_profile_and_integrated_score_on_a_hand_computed_example(self):
        inf = float("inf")
        # Costs (rows: problems, columns: optimizers A, B, C):
        #   p1: 10, 20, 50     ratios 1, 2, 5
        #   p2: 20, 10, 10     ratios 2, 1, 1
        #   p3: inf, 40, inf   ratios inf, 1, inf
        #   p4: inf, inf, inf  nobody reaches the target: inf for all, still one of the 4 problems
        costs = [[10, 20, 50], [20, 10, 10], [inf, 40, inf], [inf, inf, inf]]
        ratios = fair_stats.performance_ratios(costs)
        np.testing.assert_array_equal(ratios, [[1, 2, 5], [2, 1, 1], [inf, 1, inf], [inf, inf, inf]])
        # rho_A = 1/4 on [1, 2), 2/4 from 2 on; rho_B = 2/4 on [1, 2), 3/4 from 2 on;
        # rho_C = 1/4 on [1, 5), 2/4 from 5 on.
        rho = fair_stats.profile(ratios, [1.0, 1.5, 2.0, 4.0, 5.0, 100.0])
        np.testing.assert_array_equal(rho, [[0.25, 0.5, 0.25], [0.25, 0.5, 0.25], [0.5, 0.75, 0.25],
                                            [0.5, 0.75, 0.25], [0.5, 0.75, 0.5], [0.5, 0.75, 0.5]])
        # Score = (1/3) * integral of rho over [1, 4]:
        #   A: 1/4 * 1 + 2/4 * 2 = 5/4  -> 5/12
        #   B: 2/4 * 1 + 3/4 * 2 = 2    -> 2/3
        #   C: 1/4 * 3 (its ratio 5 lies beyond r_max = 4) = 3/4 -> 1/4
        np.testing.assert_allclose(fair_stats.integrated_score(ratios), [5 / 12, 2 / 3, 1 / 4], rtol=1e-15)
        # A numerical integral of the profile on a fine grid agrees (the exact form is no shortcut).
        taus = np.linspace(1, 4, 300001)
        numeric = np.trapz(fair_stats.profile(ratios, taus), taus, axis=0) / 3
        np.testing.assert_allclose(numeric, [5 / 12, 2 / 3, 1 / 4], atol=1e-4)

    def test_an_optimizer_that_does_not_run_on_a_problem_is_scored_over_the_problems_it_runs_on(self):
        nan, inf = float("nan"), float("inf")
        # Costs (rows: problems, columns: A, B, C); C runs only on p2 (its families), B not on p3:
        #   p1: 10, 20, -     ratios 1, 2, -
        #   p2: 20, 10, 40    ratios 2, 1, 4
        #   p3: inf, -, -     ratios inf, -, -   (A alone there, and never reaches the target)
        ratios = fair_stats.performance_ratios([[10, 20, nan], [20, 10, 40], [inf, nan, nan]])
        np.testing.assert_array_equal(ratios, [[1, 2, nan], [2, 1, 4], [inf, nan, nan]])
        # rho over each optimizer's own problems: A 3, B 2, C 1.
        rho = fair_stats.profile(ratios, [1.0, 2.0, 4.0])
        np.testing.assert_allclose(rho, [[1 / 3, 1 / 2, 0], [2 / 3, 1, 0], [2 / 3, 1, 1]])
        # Scores: A (3 + 2 + 0)/3 problems / 3 = 5/9; B (2 + 3)/2 / 3 = 5/6; C: ratio 4 = r_max: 0.
        np.testing.assert_allclose(fair_stats.integrated_score(ratios), [5 / 9, 5 / 6, 0], rtol=1e-15)

    def test_a_target_met_at_the_start_costs_one_unit(self):
        # An amortised guess that already meets the target (k = 0) against a method needing 4 steps:
        # one iteration against 4, ratio 4 (not a division by zero); likewise in evaluations, where
        # the guess has no weighted evaluation at all, and in seconds (one step's).
        cost = {"network": [1.0] * 11}
        cells = [synthetic_cell("p", "guess", [0.0] * 3, [0, 0, 0], cost=cost, seconds_per_step=0.2),
                 synthetic_cell("p", "method", [0.0] * 3, [4, 4, 4], cost={"gradient": list(range(11))},
                                seconds_per_step=0.1)]
        for measure, costs, ratios in [("iterations", [1, 4], [1, 4]), ("evaluations", [1, 4], [1, 4]),
                                       ("seconds", [0.2, 0.4], [1, 2])]:
            result = fair_stats.profile_result({"cells": cells}, measure)
            np.testing.assert_allclose(result["costs"], [costs])
            np.testing.assert_allclose(result["ratios"], [ratios])
        with self.assertRaises(ValueError):
            fair_stats.performance_ratios([[0, 3]])

    def test_holm_adjustment_by_hand(self):
        # p = 0.01, 0.04, 0.03, 0.005 (m = 4). Sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03;
        # 0.03 x 2 = 0.06; 0.04 x 1 = 0.04, raised to 0.06 to stay monotone.
        np.testing.assert_allclose(fair_stats.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
        # 0.5 x 2 = 1.0 (capped at 1); 0.9 x 1 = 0.9, raised to 1.0.
        np.testing.assert_allclose(fair_stats.holm([0.5, 0.9]), [1.0, 1.0])

    def test_win_everywhere_and_tie_everywhere(self):
        n = 20
        cells = []
        for k, problem in enumerate(["p1", "p2", "p3"]):
            reference = [1.0 + 0.1 * i + k for i in range(n)]
            cells.append(synthetic_cell(problem, "ref", reference))
            # Strictly better on every instance by distinct amounts: all 20 signed ranks negative.
            cells.append(synthetic_cell(problem, "better", [v - 0.01 * (i + 1) for i, v in enumerate(reference)]))
            cells.append(synthetic_cell(problem, "same", reference))
        result = fair_stats.win_tie_loss({"cells": cells})
        self.assertEqual(result["pairs"][("better", "ref")], {"win": 3, "tie": 0, "loss": 0})
        self.assertEqual(result["pairs"][("ref", "better")], {"win": 0, "tie": 0, "loss": 3})
        self.assertEqual(result["pairs"][("same", "ref")], {"win": 0, "tie": 3, "loss": 0})
        rows = [r for r in result["rows"] if {r["first"], r["second"]} == {"ref", "better"}]
        for r in rows:
            # Exact two-sided p of W+ = 0 with n = 20: 2 / 2^20; Holm over 3 problems: x 3.
            self.assertAlmostEqual(r["p"], 2 / 2 ** 20, delta=1e-12)
            self.assertAlmostEqual(r["p_holm"], 3 * 2 / 2 ** 20, delta=1e-12)
            self.assertEqual(r["pairs"], n)

    def test_diverged_instances_count_as_the_worst_and_unpaired_cells_are_not_tested(self):
        good = [1.0 + 0.1 * i for i in range(12)]
        cells = [synthetic_cell("p", "stable", good), synthetic_cell("p", "diverges", [None] * 12),
                 synthetic_cell("p", "other-instances", good, instances_seed=8)]
        result = fair_stats.win_tie_loss({"cells": cells})
        self.assertEqual(result["pairs"][("stable", "diverges")], {"win": 1, "tie": 0, "loss": 0})
        self.assertNotIn(("stable", "other-instances"), result["pairs"])
        self.assertTrue(any("other-instances" in note for note in result["notes"]))

    def test_costs_by_iterations_evaluations_and_seconds(self):
        steps = 10
        counts = [float(k) for k in range(steps + 1)]
        # Two evaluations of each kind per step for "line-search", one for "plain"; network calls
        # are not oracle evaluations by default.
        line_search = {"function": [2 * c for c in counts], "gradient": [2 * c for c in counts],
                       "network": [100 * c for c in counts]}
        plain = {"function": counts, "gradient": counts}
        cells = [synthetic_cell("p", "line-search", [0.0] * 3, [2, 3, -1], cost=line_search, seconds_per_step=0.5),
                 synthetic_cell("p", "plain", [0.0] * 3, [4, 6, 8], cost=plain, seconds_per_step=0.1),
                 synthetic_cell("q", "line-search", [0.0] * 3, [1, 1, 1], cost=line_search, seconds_per_step=0.5),
                 synthetic_cell("q", "plain", [0.0] * 3, [-1, -1, 5], cost=plain, seconds_per_step=0.1)]
        report = {"cells": cells}
        # Medians over instances: p: line-search 3 (2, 3, never), plain 6; q: 1 and never (2 of 3).
        by = {m: fair_stats.profile_result(report, m) for m in fair_stats.MEASURES}
        inf = float("inf")
        np.testing.assert_array_equal(by["iterations"]["costs"], [[3, 6], [1, inf]])
        np.testing.assert_array_equal(by["evaluations"]["costs"], [[12, 12], [4, inf]])  # 4 per step vs 2
        np.testing.assert_allclose(by["seconds"]["costs"], [[1.5, 0.6], [0.5, inf]])
        np.testing.assert_allclose(by["iterations"]["score"], [1.0, (4 - 2) / 3 / 2])
        np.testing.assert_allclose(by["evaluations"]["score"], [1.0, 0.5])
        # Network calls weighted 1 as well: line-search costs 2 + 2 + 100 per step.
        weights = dict(fair_stats.EVALUATION_WEIGHTS, network=1.0)
        self.assertEqual(fair_stats.profile_result(report, "evaluations", weights)["costs"][0][0], 3 * 104)
        # Without eval.cost in one optimizer's cells, it is left out of the evaluation profile, with a note.
        del cells[1]["eval"]["cost"], cells[3]["eval"]["cost"]
        result = fair_stats.profile_result(report, "evaluations")
        self.assertTrue(any("plain" in note and "eval.cost" in note for note in result["notes"]))

    def test_speedups_with_one_sided_problems_and_the_summary_line(self):
        inf = float("inf")
        result = {"optimizers": ["ref", "fast"],
                  "costs": np.array([[20, 10], [30, 10], [inf, 25], [inf, inf], [40, 10], [10, inf]])}
        entry = fair_stats.speedups(result, "ref")["fast"]
        # 2, 3, +inf (only "fast" reaches the target), left out (neither does), 4, 0 (only "ref"
        # does). Sorted 0, 2, 3, 4, inf: median 3.
        self.assertEqual(entry["values"], [2.0, 3.0, inf, 4.0, 0.0])
        self.assertEqual(entry["one_sided"], 2)
        self.assertEqual(entry["median"], 3.0)
        lo, hi = entry["interval"]
        # Resampled medians are order statistics of 5 values drawn from these, so they lie in
        # {0, 2, 3, 4, inf}; the interval's ends are such medians, not interpolations.
        self.assertIn(lo, [0.0, 2.0, 3.0])
        self.assertIn(hi, [3.0, 4.0, inf])
        self.assertEqual(fair_stats.speedups(result, "ref")["fast"]["interval"], (lo, hi))  # deterministic
        self.assertEqual(fair_stats.speedups(result, "fast")["ref"]["values"], [0.5, 1 / 3, 0.0, 0.25, inf])
        line = fair_stats.speedup_line("fast", "ref", entry, "iterations")
        self.assertTrue(line.startswith("fast: median speed-up vs ref: 3× ["), line)
        self.assertIn("(iterations to target, 5 problems; on 2 only one of the two reaches the target", line)
        single = fair_stats.speedups({"optimizers": ["ref", "fast"], "costs": np.array([[30.0, 10.0]])}, "ref")
        self.assertEqual(fair_stats.speedup_text(single["fast"]), "3×")

    def test_tuning_records_show_the_pick(self):
        cell = synthetic_cell("p", "adam-tuned", [1.0])
        cell["tuning"] = {"objective": "final_loss", "space": {"lr": {"log_uniform": [1e-4, 1], "trials": 3}},
                          "trials": [{"config": {"lr": 0.001}, "validation": 2.0},
                                     {"config": {"lr": 0.03}, "validation": 0.5},
                                     {"config": {"lr": 0.9}, "validation": None}], "pick": 1}
        trial = synthetic_cell("p", "adam-tuned", [0.1])
        trial["tuning"] = {"split": "validation", "trial": 1}  # a trial's own cell: not a competitor
        header, rows = fair_stats.tuning_rows({"cells": [cell, trial]})
        self.assertEqual(rows, [["p", "adam-tuned", "0", "final_loss", "3", "lr=0.03", "0.5"]])
        self.assertEqual(fair_stats.competing_cells({"cells": [cell, trial]}), [cell])


class FairComparisonInAReport(unittest.TestCase):
    """The generated report carries the profiles, scores, speed-ups and win/tie/loss table."""

    def test_report_with_two_optimizers_has_the_fair_comparison(self):
        suite = {"name": "fair", "seed": 3, "steps": 100, "test_instances": 16,
                 "problems": [{"family": "quadratic", "kind": "conditioned", "dim": 10}, {"family": "lasso", "dim": 10}],
                 "optimizers": [{"name": "gd", "lr": 0.05}, {"name": "fista"}]}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "suite.json")
            with open(path, "w") as f:
                json.dump(suite, f)
            run = os.path.join(tmp, "run")
            subprocess.run([BINARY, "run", path, "--out", run, "--quiet"], check=True, capture_output=True)
            out = os.path.join(tmp, "figures")
            written = l2o_report.build([os.path.join(run, "report.json")], out, None, reference="gd")
            for name in ["fair-profiles.png", "fair-profile-score.md", "fair-win-tie-loss.md", "fair-paired-tests.tex",
                         "fair-fair.json"]:
                self.assertIn(os.path.join(out, name), written)
            with open(os.path.join(out, "fair-fair.json")) as f:
                numbers = json.load(f)
            with open(os.path.join(run, "report.json")) as f:
                report = json.load(f)
            # The iteration profile's costs are the medians of the runner's own per-instance counts.
            profile = numbers["profiles"]["iterations"]
            for i, problem in enumerate(profile["problems"]):
                for j, optimizer in enumerate(profile["optimizers"]):
                    cell = [c for c in report["cells"] if c["problem"]["label"] == problem
                            and c["optimizer"]["label"] == optimizer][0]
                    hits = [math.inf if k < 0 else k for k in cell["eval"]["to_target"]["per_instance"]]
                    expected = float(np.median(hits))
                    shown = profile["costs"][i][j]
                    self.assertEqual(math.inf if shown == "inf" else shown, expected)
            with open(os.path.join(out, "REPORT.md")) as f:
                md = f.read()
            self.assertIn("fista: median speed-up vs gd", md)
            self.assertIn("![fair-profiles.png](fair-profiles.png)", md)
            with open(os.path.join(out, "index.html")) as f:
                page = f.read()
            self.assertIn("fair-profiles.svg", page)
            self.assertIn("<h3>Fair comparison</h3>", page)
            # The cells carry eval.cost: GD and FISTA make one gradient call per step and no function
            # call, so evaluations to the target equal iterations to it.
            self.assertNotIn("no profile by evaluations", md)
            self.assertEqual(numbers["profiles"]["evaluations"]["costs"], profile["costs"])
            with open(os.path.join(out, "fair-win-tie-loss.md")) as f:
                rows = [[c.strip() for c in line.strip("|").split("|")] for line in f.read().splitlines()]
            self.assertEqual(rows[0], ["optimizer", "vs gd", "vs fista"])
            wins = [int(x) for x in rows[3][1].split("/")]  # fista vs gd
            self.assertEqual(sum(wins), 2)
            with self.assertRaises(SystemExit) as refused:
                l2o_report.build([os.path.join(run, "report.json")], out, None, reference="adam-tuned")
            self.assertIn("--reference adam-tuned: no report has this optimizer; labels: fista, gd",
                          str(refused.exception))


class StudyTables(unittest.TestCase):
    """reports/study_table.py on a hand-made tuned report with known trials."""

    def test_each_choice_gets_its_best_trial_per_problem_and_the_pick_is_marked(self):
        def trial(noise, lr, score, cell):  # l2obench writes the training config next to "config"
            return {"cell": cell, "config": {"sampling_noise": noise}, "train": {"lr": lr}, "validation": score}

        space = {"sampling_noise": {"grid": [True, False]}, "train.lr": {"grid": [1e-3, 1e-2]}}
        a = [trial(True, 1e-3, 5.0, "a0"), trial(True, 1e-2, 4.0, "a1"),
             trial(False, 1e-3, 3.0, "a2"), trial(False, 1e-2, None, "a3")]
        b = [trial(True, 1e-3, 1.0, "b0"), trial(True, 1e-2, 2.0, "b1"),
             trial(False, 1e-3, 7.0, "b2"), trial(False, 1e-2, 6.0, "b3")]

        def cell(problem, trials, pick, repetition=0):
            return {"problem": {"label": problem}, "optimizer": {"label": "dl"}, "repetition": repetition,
                    "tuning": {"objective": "auc", "space": space, "trials": trials, "pick": pick}}

        report = {"cells": [cell("p", a, 2), cell("q", b, 0), cell("q", b, 3, repetition=1),
                            {"problem": {"label": "p"}, "optimizer": {"label": "gd"}}]}
        with tempfile.TemporaryDirectory() as run:
            os.makedirs(os.path.join(run, "tuning"))
            with open(os.path.join(run, "tuning", "a2.json"), "w") as f:
                json.dump({"eval": {"loss": {"mean": [9.0, 8.0, 7.0]}}}, f)
            text = study_table.tables(report, run, steps=(0, 2), detail=True)
        rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip().strip("|").split("|")[1:]]
                for line in text.splitlines() if line.startswith("| sampling_noise") or line.startswith("| train.lr")}
        self.assertEqual(rows["sampling_noise = true"], ["4", "1 *"])
        self.assertEqual(rows["sampling_noise = false"], ["3 *", "6"])
        self.assertEqual(rows["train.lr = 0.001"], ["3 *", "1 *"])
        self.assertEqual(rows["train.lr = 0.01"], ["4", "2"])
        self.assertNotIn("gd", text)  # an untuned optimizer has no table
        # The detail ranks trials by score, a missing score last, and reads the pick's curve.
        detail = [line for line in text.splitlines() if line.startswith("| false") or line.startswith("| true")]
        self.assertEqual(detail[0], "| false | 0.001 | 3 (pick) | 9 | 7 |")
        self.assertEqual(detail[3], "| false | 0.01 | – | – | – |")

    def test_a_one_at_a_time_study_over_two_reports_is_one_table(self):
        def cell(optimizer, problem, field, values, scores, pick):
            trials = [{"config": {field: v}, "validation": s} if not field.startswith("train.") else
                      {"config": {}, "train": {field[6:]: v}, "validation": s} for v, s in zip(values, scores)]
            return {"problem": {"label": problem}, "optimizer": {"label": optimizer}, "repetition": 0,
                    "tuning": {"objective": "auc", "space": {field: {"grid": values}}, "trials": trials,
                               "pick": pick}}

        a = {"cells": [cell("alpha/x", "p", "alpha", [0.1, 0.5], [2.0, 1.0], 1),
                       cell("lr/x", "p", "train.lr", [1e-3, 1e-2], [1.0, None], 0)]}
        b = {"cells": [cell("alpha/y", "q", "alpha", [0.1, 0.5], [3.0, 4.0], 0)]}
        rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip().strip("|").split("|")[1:]]
                for line in study_table.one_at_a_time([a, b]).splitlines() if line.startswith("| ") and "=" in line}
        self.assertEqual(rows["alpha = 0.1"], ["2", "3 *"])
        self.assertEqual(rows["alpha = 0.5"], ["1 *", "4"])
        self.assertEqual(rows["train.lr = 0.01"], ["–", ""])  # diverged on p; not tried on q
        self.assertEqual(list(rows)[:2], ["alpha = 0.1", "alpha = 0.5"])
        twice = {"cells": [cell("alpha/z", "p", "alpha", [0.1], [1.0], 0)]}
        with self.assertRaises(SystemExit) as refused:
            study_table.one_at_a_time([a, twice])
        self.assertIn("alpha = 0.1 has two trials on p", str(refused.exception))
        # Fields tuned together are one choice, a row per combination; a field the trial's config
        # leaves out is at its default.
        crossed = cell("both/x", "p", "alpha", [0.1, 0.5], [1.0, 2.0], 0)
        crossed["tuning"]["space"]["width"] = {"grid": [128]}
        crossed["tuning"]["trials"][0]["config"]["width"] = 128
        rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip().strip("|").split("|")[1:]]
                for line in study_table.one_at_a_time([{"cells": [crossed]}]).splitlines()
                if line.startswith("| ") and "=" in line}
        self.assertEqual(rows, {"alpha, width = 0.1, 128": ["1 *"], "alpha, width = 0.5, default": ["2"]})
        untuned = cell("none/x", "p", "alpha", [0.1], [1.0], 0)
        untuned["tuning"]["space"] = {}
        with self.assertRaises(SystemExit) as refused:
            study_table.one_at_a_time([{"cells": [untuned]}])
        self.assertIn("none/x tunes no field", str(refused.exception))

    def test_bad_arguments_name_the_option_or_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            untuned = os.path.join(tmp, "report.json")
            with open(untuned, "w") as f:
                json.dump({"cells": [{"problem": {"label": "p"}, "optimizer": {"label": "gd"}}]}, f)
            for argv, message in [([untuned, "--steps", "1,x"], "--steps: expected comma-separated steps >= 0"),
                                  ([os.path.join(tmp, "missing.json")], "missing.json"),
                                  ([untuned], "no tuned optimizer"),
                                  ([untuned, untuned], "several reports need --one-at-a-time")]:
                with self.assertRaises(SystemExit) as refused:
                    study_table.main(argv)
                self.assertIn(message, str(refused.exception))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_reports.py path/to/l2obench")
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
