#!/usr/bin/python3
"""The reproduction page: every entry of reports/paper_values.json next to the suite's value at the
quick and at the paper training budget, with a verdict.

    /usr/bin/python3 reports/reproduction.py --runs out/reproduce --out reports/reproduction

reads <runs>/<suite>-<profile>/report.json for profile quick and paper (`--profiles` narrows them;
`make reproduce` runs and reads the paper budget), and writes <out>/README.md and small PNG figures. A suite or budget without a report
stays in the table as "not run"; a report that lacks a cell an entry needs, as "incomplete".
Rules for what counts as reproduced: docs/design.md, "Paper values" (the tolerances are the
file's). Deterministic: the same reports (and numpy, whose generator draws the paired bootstrap's
resamples) give the same page, byte for byte.
"""

import argparse
import json
import math
import os
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import l2o_report  # noqa: E402

PROFILES = ("quick", "paper")
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}  # Student t, 97.5 % quantile, by degrees of freedom


def t_quantile(dof):
    known = [d for d in T_975 if d <= dof]
    return T_975[max(known)] if known else float("nan")


class Measured:
    """One (problem, optimizer, step, metric) of one report: per-repetition values, mean and a 95 %
    t interval over the repetitions."""

    def __init__(self, values):
        self.values = [float("nan") if v is None else float(v) for v in values]
        finite = [v for v in self.values if math.isfinite(v)]
        self.complete = bool(self.values) and len(finite) == len(self.values)
        self.mean = float(np.mean(self.values)) if self.complete else float("nan")
        if self.complete and len(finite) > 1:
            half = t_quantile(len(finite) - 1) * float(np.std(finite, ddof=1)) / math.sqrt(len(finite))
            self.interval = (self.mean - half, self.mean + half)
        else:
            self.interval = None

    def text(self):
        if not self.values:
            return "no cells"
        if not self.complete:
            return "diverged" if any(not math.isfinite(v) for v in self.values) else "n/a"
        if self.interval is None:
            return l2o_report.fmt(self.mean)
        return f"{l2o_report.fmt(self.mean)} [{l2o_report.fmt(self.interval[0])}, {l2o_report.fmt(self.interval[1])}]"


def term_key(term, metric):
    step = 0 if metric in l2o_report.PAPER_METRICS_WITHOUT_STEP else term.get("step", 0)
    return f"{term['problem']}|{term['optimizer']}|{step}|{metric}"


def terms_of(entry):
    kind = entry.get("kind", "value")
    if kind == "value":
        return [entry]
    if kind == "ordering":
        return entry["terms"]
    return [t for pair in entry["pairs"] for t in (pair["numerator"], pair["denominator"])]


# Paper metrics that are a function of the per-instance losses a cell logs (`eval.per_instance`):
# given the losses at the step, at step 0 and f*, the metric of one repetition. The others (the
# MLP's held-out metrics, training seconds, iterations to target) are not recomputed per instance.
INSTANCE_METRICS = {
    "loss_mean": lambda f, f0, f_star: float(np.mean(f)),
    "log10_mean_loss": lambda f, f0, f_star: float(np.log10(np.mean(f))),
    # As the harness: (f - f*) / (f0 - f*), the starting gap clamped at 1e-300.
    "normalized_gap_median": lambda f, f0, f_star: float(np.median((f - f_star) / np.maximum(f0 - f_star, 1e-300))),
}
BOOTSTRAP_RESAMPLES = 2000


def instance_losses(cell, step, metric):
    """(f at the step, f at step 0, f*) per test instance of a cell, or None where the cell does not log
    them (or the metric needs an f* it lacks)."""
    per = cell.get("eval", {}).get("per_instance")
    if not per or step not in per.get("steps", []) or 0 not in per.get("steps", []):
        return None
    f_star = per.get("f_star")
    if metric == "normalized_gap_median" and f_star is None:
        return None
    as_array = lambda v: np.array([float("nan") if x is None else float(x) for x in v])
    f, f0 = as_array(per["loss"][per["steps"].index(step)]), as_array(per["loss"][per["steps"].index(0)])
    f_star = as_array(f_star) if f_star is not None else None
    if len(f0) != len(f) or (f_star is not None and len(f_star) != len(f)):
        return None
    return f, f0, f_star


def instance_gap(cells_a, cells_b, step_a, step_b, metric, lower):
    """The claimed gap of one step of an ordering (b's metric minus a's where lower is better, a's
    minus b's otherwise), paired by instance: a paired bootstrap over the test instances, resampled
    within each repetition (the same draw for both terms), the metric recomputed per repetition and
    averaged, 95 % percentile interval, seed 0. Repetitions share the trained models, so instances
    are the test set's independent draws; with two repetitions a gap over repetitions has t = 12.7
    and settles almost nothing. None where the cells do not pair up (other instances or starting
    points, no per-instance losses), a loss is not finite, or a resample's metric is not (the log of a
    mean <= 0). The interval covers test-set variation for these trained models, not variation
    between trainings. Deterministic for a given numpy (its Generator's integer stream)."""
    if metric not in INSTANCE_METRICS or not cells_a or len(cells_a) != len(cells_b):
        return None
    fn, pairs = INSTANCE_METRICS[metric], []
    for ca, cb in zip(cells_a, cells_b):
        seeds_a, seeds_b = ca.get("seeds", {}), cb.get("seeds", {})
        if ca.get("repetition", 0) != cb.get("repetition", 0) or \
                any(k not in seeds_a or seeds_a[k] != seeds_b.get(k) for k in ("instances", "initial_points")):
            return None
        a, b = instance_losses(ca, step_a, metric), instance_losses(cb, step_b, metric)
        if a is None or b is None or len(a[0]) != len(b[0]) or len(a[0]) < 2:
            return None
        if not all(np.all(np.isfinite(v)) for v in (*a, *b) if v is not None):
            return None
        # The same seeds and yet other starts (e.g. an optimizer protocol that moves x0): not paired.
        if not np.array_equal(a[1], b[1]) or (a[2] is not None and b[2] is not None and not np.array_equal(a[2], b[2])):
            return None
        pairs.append((a, b))
    sign = 1.0 if lower else -1.0
    take = lambda losses, rows: tuple(None if v is None else v[rows] for v in losses)

    def gap(draws):  # draws: per repetition, the instances (rows) of one resample
        return sign * float(np.mean([fn(*take(b, rows)) - fn(*take(a, rows)) for (a, b), rows in zip(pairs, draws)]))

    point = gap([np.arange(len(a[0])) for a, _ in pairs])
    rng = np.random.default_rng(0)
    samples = [gap([rng.integers(0, len(a[0]), len(a[0])) for a, _ in pairs]) for _ in range(BOOTSTRAP_RESAMPLES)]
    if not all(math.isfinite(v) for v in samples):
        return None
    low, high = np.percentile(samples, [2.5, 97.5])
    return {"instances": sum(len(a[0]) for a, _ in pairs), "repetitions": len(pairs), "mean": point,
            "interval": [float(low), float(high)]}


def gap_key(a, b, metric):
    return f"{term_key(a, metric)} vs {term_key(b, metric)}"


def block_from_report(report, entries):
    """What the page needs of one report: per term of the entries, the metric in every repetition
    (null where non-finite), per step of an ordering its paired gap over the instances (where the
    cells log them), the run's context, and each trained model's seconds. Committed as
    measured.json, so that a budget not re-run this time keeps its column."""
    _, _, groups = l2o_report.group_cells(report)

    def cells_of(term):  # by repetition, so that two terms' lists pair up (paired_gap, instance_gap)
        return sorted(groups.get((term["problem"], term["optimizer"]), []), key=lambda c: c.get("repetition", 0))

    values, gaps = {}, {}
    for entry in entries:
        if entry.get("kind") == "ordering":
            lower = entry.get("better", "lower") == "lower"
            for a, b in zip(entry["terms"], entry["terms"][1:]):
                gap = instance_gap(cells_of(a), cells_of(b), a.get("step", 0), b.get("step", 0), entry["metric"], lower)
                if gap is not None:
                    gaps[gap_key(a, b, entry["metric"])] = gap
        for term in terms_of(entry):
            metric = entry["metric"]
            cells = cells_of(term)
            if metric == "train_seconds":
                cells = [c for c in cells if c.get("train")]
            numbers = [l2o_report.PAPER_METRICS[metric](c, term.get("step", 0)) for c in cells]
            values[term_key(term, metric)] = [None if v is None or not math.isfinite(float(v)) else float(v)
                                              for v in numbers]
    models, cpu = {}, {}
    for c in report["cells"]:
        train = c.get("train")
        if train and "seconds" in train:
            # The model's key hash, not its file: a cache's .json and a shipped .safetensors are one model.
            name = os.path.basename(str(train.get("checkpoint", c["id"])))
            name = name.removesuffix(".json").removesuffix(".safetensors")
            models[name] = float(train["seconds"])
            if isinstance(train.get("cpu_seconds"), (int, float)):  # recorded since 2026-12-05
                cpu[name] = float(train["cpu_seconds"])
    return {"context": l2o_report.context_line(report), "models": models, "cpu_seconds": cpu,
            "values": values, "instance_gaps": gaps}


def measure(block, term, metric):
    """The term's metric in every repetition of one (suite, budget)."""
    return Measured(block["values"].get(term_key(term, metric), []))


def within(ours, paper, tolerance):
    if "relative" in tolerance:
        return abs(ours - paper) <= tolerance["relative"] * abs(paper)
    if "absolute" in tolerance:
        return abs(ours - paper) <= tolerance["absolute"]
    if "factor" in tolerance:
        return paper / tolerance["factor"] <= ours <= paper * tolerance["factor"]
    raise SystemExit(f"paper values: unknown tolerance {json.dumps(tolerance)} (relative, absolute or factor)")


def tolerance_text(tolerance):
    if "relative" in tolerance:
        return f"±{tolerance['relative'] * 100:g} %"
    if "absolute" in tolerance:
        return f"±{tolerance['absolute']:g}"
    if "factor" in tolerance:
        return f"×/÷ {tolerance['factor']:g}"
    if "margin" in tolerance:
        return f"margin {tolerance['margin']:g}"
    return json.dumps(tolerance)


def term_text(term, metric):
    step = "" if metric in l2o_report.PAPER_METRICS_WITHOUT_STEP else f" @{term['step']}"
    return f"{term['optimizer']} on {term['problem']}{step}"


def judge_value(entry, block):
    """(our text, ratio text, verdict, reason) of a number the paper gives."""
    m = measure(block, entry, entry["metric"])
    if not m.values:
        return m.text(), "", "incomplete", "the report has no cell of this problem and optimizer"
    if not m.complete:
        return m.text(), "", "not reproduced", "a repetition diverged or lacks the metric"
    paper = entry["value"]
    ratio = f"{m.mean / paper:.3g}" if paper != 0 else ""
    if within(m.mean, paper, entry["tolerance"]):
        return m.text(), ratio, "reproduced", ""
    direction = "above" if m.mean > paper else "below"
    off = abs(m.mean - paper) / abs(paper) * 100 if paper != 0 else float("inf")
    return (m.text(), ratio, "not reproduced",
            f"{off:.0f} % {direction} the paper's value, outside {tolerance_text(entry['tolerance'])}")


def paired_gap(a, b, lower):
    """The claimed gap of one step of an ordering (b − a where lower is better, a − b otherwise) in
    each repetition, as a Measured: the repetitions evaluate every optimizer on the same instances,
    so the gap's own t interval says whether the data settle the order. None where the two terms
    do not have the same number (> 1) of finite repetitions (e.g. training seconds per model); else
    it has an interval."""
    if not (a.complete and b.complete) or len(a.values) != len(b.values) or len(a.values) < 2:
        return None
    return Measured([(y - x) if lower else (x - y) for x, y in zip(a.values, b.values)])


def gap_text(gap, margin):
    """'the paired gap over the N test instances (R repetitions), m [lo, hi], includes 0' (or
    'excludes 0'); over the repetitions where the instances do not pair up."""
    bound = "0" if margin == 0 else f"the margin {margin:g}"
    if isinstance(gap, dict):
        low, high = gap["interval"]
        over = (f"the paired gap over the {gap['instances']} test instances ({gap['repetitions']} "
                f"repetition{'s' if gap['repetitions'] != 1 else ''}, bootstrap 95 %), {l2o_report.fmt(gap['mean'])} "
                f"[{l2o_report.fmt(low)}, {l2o_report.fmt(high)}]")
    else:
        low, high = gap.interval
        over = f"the paired gap over the {len(gap.values)} repetitions, {gap.text()}"
    settled = low > margin or high < margin
    return f"{over}, {'excludes' if settled else 'includes'} {bound}", settled


def judge_ordering(entry, block):
    metric, lower = entry["metric"], entry.get("better", "lower") == "lower"
    margin = entry.get("tolerance", {}).get("margin", 0)
    measured = [measure(block, t, metric) for t in entry["terms"]]
    text = " < ".join(l2o_report.fmt(m.mean) for m in measured) if lower else \
        " > ".join(l2o_report.fmt(m.mean) for m in measured)
    if any(not m.values for m in measured):
        return text, "", "incomplete", "the report lacks a cell of the claim"
    if any(not m.complete for m in measured):
        return text, "", "ordering fails", "a repetition diverged or lacks the metric"
    # The verdict compares the means (docs/design.md, "Paper values"); the paired gap (over the
    # instances where the cells log them, else over the repetitions) says, next to it, whether the
    # data resolve the step at all.
    unresolved = []
    for (a, ta), (b, tb) in zip(zip(measured, entry["terms"]), zip(measured[1:], entry["terms"][1:])):
        gap = block.get("instance_gaps", {}).get(gap_key(ta, tb, metric)) or paired_gap(a, b, lower)
        better = (b.mean - a.mean > margin) if lower else (a.mean - b.mean > margin)
        if not better:
            reason = (f"{term_text(ta, metric)} ({l2o_report.fmt(a.mean)}) is not "
                      f"{'below' if lower else 'above'} {term_text(tb, metric)} ({l2o_report.fmt(b.mean)})")
            if gap is not None:
                reason += "; " + gap_text(gap, margin)[0]
            return text, "", "ordering fails", reason
        if gap is not None:
            words, settled = gap_text(gap, margin)
            if not settled:
                unresolved.append(f"{term_text(ta, metric)} against {term_text(tb, metric)}: {words}")
    if unresolved:
        return text, "", "ordering holds", "on the means only; " + "; ".join(unresolved)
    return text, "", "ordering holds", ""


def judge_ratio(entry, block):
    metric, bound = entry["metric"], entry["bound"]
    relative = entry.get("tolerance", {}).get("relative", 0)
    ratios = []
    for pair in entry["pairs"]:
        n, d = measure(block, pair["numerator"], metric), measure(block, pair["denominator"], metric)
        if not n.values or not d.values:
            return "", "", "incomplete", "the report lacks a cell of the claim"
        ratios.append(n.mean / d.mean if d.complete and n.complete and d.mean != 0 else float("nan"))
    if any(not math.isfinite(r) for r in ratios):
        return "n/a", "", "not reproduced", "a ratio is undefined (diverged, missing or zero)"
    name = entry.get("aggregate", "max")
    aggregate = max(ratios) if name == "max" else min(ratios)
    if "min" in bound:
        holds = aggregate >= bound["min"] * (1 - relative)
        what = f"{name} ratio {aggregate:.3g}, the claim needs ≥ {bound['min']:g}"
    else:
        holds = aggregate <= bound["max"] * (1 + relative)
        what = f"{name} ratio {aggregate:.3g}, the claim needs ≤ {bound['max']:g}"
    return f"{aggregate:.3g}", "", "reproduced" if holds else "not reproduced", "" if holds else what


JUDGES = {"value": judge_value, "ordering": judge_ordering, "ratio_bound": judge_ratio}


def claim_text(entry):
    kind = entry.get("kind", "value")
    if kind == "value":
        return f"{l2o_report.fmt(entry['value'])} ({tolerance_text(entry['tolerance'])})"
    if kind == "ordering":
        sign = " < " if entry.get("better", "lower") == "lower" else " > "
        return sign.join(term_text(t, entry["metric"]) for t in entry["terms"])
    bound = entry["bound"]
    return (f"{entry.get('aggregate', 'max')} ratio {'≥ ' + format(bound['min'], 'g') if 'min' in bound else '≤ ' + format(bound['max'], 'g')}"
            + (f" (paper {entry['value']:g})" if "value" in entry else ""))


def where_text(entry):
    kind = entry.get("kind", "value")
    if kind == "value":
        return term_text(entry, entry["metric"])
    if kind == "ordering":
        return ", ".join(sorted({t["problem"] for t in entry["terms"]}))
    return f"{len(entry['pairs'])} pair{'s' if len(entry['pairs']) != 1 else ''}"


def load_runs(runs, suites, profiles=PROFILES):
    reports = {}
    for suite in suites:
        for profile in profiles:
            path = os.path.join(runs, f"{suite}-{profile}", "report.json")
            if os.path.exists(path):
                reports[(suite, profile)] = l2o_report.load(path)
    return reports


def header_lines(blocks):
    lines = []
    for profile in PROFILES:
        mine = {name: b for name, b in blocks.items() if name.endswith(f"-{profile}")}
        if not mine:
            continue
        # One entry per build (the context without its date), naming the suites it evaluated and when.
        builds = {}
        for name, b in sorted(mine.items()):
            build, _, date = b["context"].rpartition(", ")
            builds.setdefault(build, []).append(f"{name[:-len(profile) - 1]} {date[:10]}")
        lines.append(f"{profile} budget, evaluated by: " +
                     "; ".join(f"{build} ({', '.join(runs)})" for build, runs in sorted(builds.items())) + ".")
        seconds, cpu = {}, {}
        for b in mine.values():
            seconds.update(b["models"])
            cpu.update(b.get("cpu_seconds", {}))
        if seconds:
            line = (f"Training at the {profile} budget: {len(seconds)} models, "
                    f"{sum(seconds.values()) / 3600:.2f} h of wall clock in all (as recorded when each was trained; "
                    "a shipped model keeps its training's seconds)")
            if cpu:
                line += (f"; CPU time of the training thread, recorded for {len(cpu)} of them: "
                         f"{sum(cpu.values()) / 3600:.2f} h (pauses and waiting for a core do not count)")
            lines.append(line + ".")
    return lines


FIGURES = (("diff-l2o-fig2", "Fig. 2"), ("diff-l2o-fig3", "Fig. 3"), ("mnist-mlp", "Fig. 7"), ("loa", "LOA"),
           ("go-math-l2o", "GO-Math-L2O shifts"))


def shrink(path, scale=0.5):
    """Halves a figure's pixels and keeps 128 colours: the committed page's figures are small."""
    from PIL import Image
    with Image.open(path) as image:
        small = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))),
                             Image.LANCZOS)
    with l2o_report.atomic_open(path, "wb") as f:  # a palette: a third of the bytes
        small.convert("RGB").quantize(colors=128).save(f, format="PNG", optimize=True)


def figures(reports, out_dir):
    """One small loss figure per paper figure, from the paper-budget run where there is one; a figure
    drawn by an earlier run is kept while its suite is not re-run."""
    import matplotlib.pyplot as plt
    shown = []
    for suite, title in FIGURES:
        for profile in ("paper", "quick"):
            stem = f"{suite}-{profile}"
            report = reports.get((suite, profile))
            if report is not None:
                # A suite of shifted problems gets one panel per base problem, not one per shift.
                paths = (l2o_report.shift_figure(report, out_dir, stem)
                         or l2o_report.loss_figure(report, out_dir, stem))
                for path in paths:
                    if path.endswith(".svg"):
                        os.remove(path)  # the page links the PNGs; SVGs would only bloat the repository
                    else:
                        shrink(path)
            if os.path.exists(os.path.join(out_dir, f"{stem}.png")):
                shown.append((title, profile, f"{stem}.png"))
                break
    plt.close("all")
    return shown


def page(paper_values, blocks, shown):
    entries = paper_values["values"]
    lines = ["# Reproduction of the papers' results", "",
             "Generated by `make reproduce` (reports/reproduction.py) from the suites' reports at the quick and at "
             "the paper training budget; do not edit by hand. Values: mean over the test repetitions with a 95 % t "
             "interval; the rules for each verdict are in docs/design.md, \"Paper values\". The numbers behind the "
             "table are in measured.json, which keeps a budget's column until that budget is run again.", ""]
    lines += [f"- {line}" for line in header_lines(blocks)]
    by_suite = {}  # suite -> Counter of its rows' verdicts, in the order paper_values.json lists the suites
    rows = []
    for entry in entries:
        kind = entry.get("kind", "value")
        cols = {}
        for profile in PROFILES:
            block = blocks.get(f"{entry['suite']}-{profile}")
            cols[profile] = ("", "", "not run", f"no {profile}-budget report of {entry['suite']}") if block is None \
                else JUDGES[kind](entry, block)
        verdict = cols["paper"][2]
        by_suite.setdefault(entry["suite"], Counter())[verdict] += 1
        reason = cols["paper"][3]
        if verdict == "not run":
            reason = f"not run at the paper budget; quick: {cols['quick'][2]}" + \
                (f" ({cols['quick'][3]})" if cols["quick"][3] else "")
        source = entry["source"]
        rows.append([entry["suite"], where_text(entry), entry["metric"], claim_text(entry), cols["quick"][0],
                     cols["paper"][0], cols["paper"][1], verdict, reason, source])
    counts = sum(by_suite.values(), Counter())
    lines += ["", "Verdicts at the paper budget: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())) + ".", ""]
    # One line per suite first: which results a reader can rely on, before the 100-odd rows.
    verdicts = sorted(counts)
    summary = [[suite, str(sum(n.values()))] + [str(n.get(v, 0)) for v in verdicts] for suite, n in by_suite.items()]
    lines += [l2o_report.markdown(["suite", "rows"] + verdicts, summary).rstrip("\n"), ""]
    header = ["suite", "cells", "metric", "paper", "quick", "paper budget", "ratio", "verdict", "reason", "source"]
    lines.append(l2o_report.markdown(header, rows).rstrip("\n"))
    if shown:
        lines += ["", "## Figures", ""]
        for title, profile, name in shown:
            lines += [f"{title} ({profile} budget): ![{title}]({name})", ""]
    notes = [e for e in entries if e.get("note")]
    if notes:
        lines += ["", "## Notes on the papers' values", ""]
        # A note shared by several entries (e.g. Table 5's hardware) is said once, naming all of them.
        by_note = {}
        for e in notes:
            by_note.setdefault(e["note"], []).append(f"{e['suite']}, {where_text(e)}")
        lines += [f"- {'; '.join(dict.fromkeys(where))}: {note}" for note, where in by_note.items()]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default="out/reproduce", help="folder of <suite>-<profile>/report.json")
    parser.add_argument("--paper-values", default=os.path.join(os.path.dirname(__file__), "paper_values.json"))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "reproduction"))
    parser.add_argument("--profiles", default=" ".join(PROFILES),
                        help="the budgets whose reports in --runs are read (default: all); the others keep "
                             "their columns from measured.json")
    parser.add_argument("--list-suites", action="store_true", help="print the suites that have paper values")
    args = parser.parse_args(argv)
    profiles = args.profiles.split()
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown or not profiles:
        parser.error(f"--profiles {args.profiles!r}: allowed budgets are {', '.join(PROFILES)}")
    with open(args.paper_values) as f:
        paper_values = json.load(f)
    suites = sorted({e["suite"] for e in paper_values["values"]})
    if args.list_suites:
        print("\n".join(suites))
        return 0
    os.makedirs(args.out, exist_ok=True)
    measured_path = os.path.join(args.out, "measured.json")
    blocks = {}
    if os.path.exists(measured_path):
        with open(measured_path) as f:
            blocks = json.load(f)
    reports = load_runs(args.runs, suites, profiles)
    for (suite, profile), report in reports.items():
        blocks[f"{suite}-{profile}"] = block_from_report(report, [e for e in paper_values["values"]
                                                                  if e["suite"] == suite])
    blocks = {name: blocks[name] for name in sorted(blocks)}
    with l2o_report.atomic_open(measured_path) as f:
        json.dump(blocks, f, indent=1, sort_keys=True)
        f.write("\n")
    text = page(paper_values, blocks, figures(reports, args.out))
    with l2o_report.atomic_open(os.path.join(args.out, "README.md")) as f:
        f.write(text)
    print(os.path.join(args.out, "README.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
