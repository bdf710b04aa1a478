"""Figures and tables of l2obench reports (report.json), in the papers' style.

    /usr/bin/python3 reports/make_report.py out/quick/report.json [more reports] --out DIR

Per suite: loss (or gap f - f*) vs iteration, one panel per problem, median over the test
instances with a q10-q90 band; ECDFs of the share of (problem, repetition, instance) triples
that reach a target vs iterations and vs seconds; tables (markdown and LaTeX) of final values
with bootstrap confidence intervals over repetitions, the papers' numbers next to ours where
reports/paper_values.json has them, and training seconds. An index.html and a REPORT.md
gather everything with each run's context. Everything is deterministic (fixed bootstrap seed).
"""

import html
import json
import sys
import math
import os
from collections import OrderedDict, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# The cell schema this reads: docs/design.md, "Cell records" (harness/cell_record.hpp writes it).
SCHEMA_VERSION = 1
TARGET_FRACTION = 1e-2  # ECDF target: f_best + 1e-2 (f0 - f_best) per instance
BOOTSTRAP_SAMPLES = 2000


def load(path):
    with open(path) as f:
        report = json.load(f)
    if not isinstance(report, dict) or not isinstance(report.get("cells"), list) or not isinstance(report.get("suite"), dict):
        raise SystemExit(f"{path}: not an l2obench report (no \"suite\" object or \"cells\" array)")
    if report.get("schema_version") != SCHEMA_VERSION:
        raise SystemExit(f"{path}: schema_version {json.dumps(report.get('schema_version'))} is not supported "
                         f"(this script reads {SCHEMA_VERSION}; see docs/design.md, Cell records)")
    if report.get("summary") or any("loss" not in c.get("eval", {}) for c in report["cells"]):
        raise SystemExit(f"{path}: a summary without per-step series (l2obench summarize); draw from the full report.json")
    return report


def finite(values):
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def group_cells(report):
    """(problem label, optimizer label) -> cells over repetitions, in the report's order."""
    problems, optimizers = OrderedDict(), OrderedDict()
    groups = defaultdict(list)
    for cell in report["cells"]:
        p, o = cell["problem"]["label"], cell["optimizer"]["label"]
        problems.setdefault(p, cell["problem"])
        optimizers.setdefault(o, cell["optimizer"])
        groups[(p, o)].append(cell)
    return problems, optimizers, groups


def series(cells, which):
    """Repetition-averaged statistic `which` (median, q10, q90, mean) of the loss, or of the
    gap where every cell knows f*; returns (values, is_gap)."""
    use_gap = all("gap" in c["eval"] for c in cells)
    key = "gap" if use_gap else "loss"
    rows = np.array([finite(c["eval"][key][which]) for c in cells])
    return np.nanmean(rows, axis=0) if len(rows) > 1 else rows[0], use_gap


def bootstrap_ci(values, seed=0):
    values = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(values) < 2:
        return None
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(BOOTSTRAP_SAMPLES, len(values)), replace=True).mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def final_mean(cells, key="loss_mean"):
    values = [c["eval"]["final"].get(key) for c in cells]
    finite_values = [v for v in values if v is not None and math.isfinite(v)]
    return (float(np.mean(finite_values)) if len(finite_values) == len(values) else float("nan")), values


def fmt(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:.4g}"


def save(fig, out_dir, stem):
    paths = []
    for ext in ("png", "svg"):
        path = os.path.join(out_dir, f"{stem}.{ext}")
        fig.savefig(path, dpi=130, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def loss_figure(report, out_dir, stem):
    problems, optimizers, groups = group_cells(report)
    n = len(problems)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.5 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    handles = OrderedDict()
    for ax, problem in zip(axes.flat, problems):
        positive, spans, medians = True, [], []
        any_gap = False
        for k, optimizer in enumerate(optimizers):
            cells = groups.get((problem, optimizer))
            if not cells:
                continue
            median, is_gap = series(cells, "median")
            q10, _ = series(cells, "q10")
            q90, _ = series(cells, "q90")
            any_gap |= is_gap
            steps = np.arange(len(median))
            color = colors[k % len(colors)]
            (line,) = ax.plot(steps, median, label=optimizer, color=color, lw=1.6)
            handles.setdefault(optimizer, line)
            ax.fill_between(steps, q10, q90, color=color, alpha=0.15, lw=0)
            vals = np.concatenate([q10, q90, median])
            vals = vals[np.isfinite(vals)]
            if len(vals):
                positive &= bool((vals > 0).all())
                spans.extend([vals.min(), vals.max()])
            medians.extend(median[np.isfinite(median)])
        log = positive and spans and max(spans) / max(min(spans), 1e-300) > 100
        if log:
            ax.set_yscale("log")
        if spans and medians:
            # Keep the medians readable: a band that explodes (a diverging minority) is clipped.
            top = max(medians)
            limit = top * 100 if log else top + 2 * (top - min(min(medians), 0))
            if max(spans) > limit:
                ax.set_ylim(top=limit)
        ax.set_title(problem)
        ax.set_xlabel("iteration")
        ax.set_ylabel("gap f(x) - f*" if any_gap else "loss f(x)")
        ax.grid(alpha=0.3)
    spare = list(axes.flat)[n:]
    for ax in spare:
        ax.axis("off")
    if spare:  # the legend in the first empty panel, else below the figure
        spare[0].legend(handles.values(), handles.keys(), loc="center", fontsize=10)
    else:
        fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(len(handles), 7),
                   bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(f"{report['suite'].get('name', '')}: median over test instances, band q10-q90, each averaged over repetitions"
                 f" ({report['suite'].get('test_instances', '?')} instances x {report['suite'].get('repetitions', 1)} repetitions)")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return save(fig, out_dir, stem)


def extra_metrics(report):
    """Names of the families' own per-step metrics (eval.extra: test_loss, test_accuracy), in order."""
    names = OrderedDict()
    for cell in report["cells"]:
        for name in cell["eval"].get("extra", {}):
            names.setdefault(name, None)
    return list(names)


def extra_figure(report, out_dir, stem):
    """One row per problem that reports extra metrics, one panel per metric: the median over test
    instances with its q10-q90 band, averaged over repetitions. No figure when there are none."""
    names = extra_metrics(report)
    problems, optimizers, groups = group_cells(report)
    shown = [p for p in problems if any("extra" in c["eval"] for o in optimizers for c in groups.get((p, o), []))]
    if not names or not shown:
        return []
    fig, axes = plt.subplots(len(shown), len(names), figsize=(4.6 * len(names), 3.5 * len(shown)), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    handles = OrderedDict()
    for row, problem in zip(axes, shown):
        for ax, name in zip(row, names):
            for k, optimizer in enumerate(optimizers):
                cells = [c for c in groups.get((problem, optimizer), []) if name in c["eval"].get("extra", {})]
                if not cells:
                    continue
                stat = {w: np.nanmean([finite(c["eval"]["extra"][name][w]) for c in cells], axis=0)
                        for w in ("median", "q10", "q90")}
                steps = np.arange(len(stat["median"]))
                color = colors[k % len(colors)]
                (line,) = ax.plot(steps, stat["median"], color=color, lw=1.6)
                handles.setdefault(optimizer, line)
                ax.fill_between(steps, stat["q10"], stat["q90"], color=color, alpha=0.15, lw=0)
            ax.set_title(f"{problem}: {name.replace('_', ' ')}")
            ax.set_xlabel("iteration")
            ax.grid(alpha=0.3)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(len(handles), 7),
               bbox_to_anchor=(0.5, -0.06))
    fig.tight_layout()
    return save(fig, out_dir, stem)


def extra_table(report):
    """Rows: (problem, optimizer) with extra metrics; columns: the final mean of each metric, averaged
    over repetitions, with a 95 % bootstrap interval when there are several."""
    names = extra_metrics(report)
    problems, optimizers, groups = group_cells(report)
    header = ["problem", "optimizer"] + names
    rows = []
    for problem in problems:
        for optimizer in optimizers:
            cells = groups.get((problem, optimizer))
            if not cells or not any("extra" in c["eval"] for c in cells):
                continue
            row = [problem, optimizer]
            for name in names:
                mean, values = final_mean(cells, f"{name}_mean")
                ci = bootstrap_ci(values) if math.isfinite(mean) else None
                row.append(fmt(mean) + (f" [{fmt(ci[0])}, {fmt(ci[1])}]" if ci else ""))
            rows.append(row)
    return header, rows


def scenario_of(cell):
    """(base problem label, scenario label) of a cell; "in-distribution" without a scenario."""
    label = cell["problem"]["label"]
    if cell["problem"].get("scenario", {"kind": "none"}).get("kind", "none") == "none":
        return label, "in-distribution"
    base, _, scenario = label.rpartition("/")
    return base, scenario


def to_target_table(report):
    """Iterations until the relative gap (f - f*)/|f*| first reaches the suite's target: rows
    (problem, optimizer), a column per scenario; each entry the median over test instances
    (">K" when half of them never get there) averaged over repetitions, with the share of
    instances that never do in brackets when it is not 0."""
    cells = [c for c in report["cells"] if "to_target" in c["eval"]]
    if not cells:
        return [], []
    scenarios, rows_of = OrderedDict(), OrderedDict()
    groups = defaultdict(list)
    for c in cells:
        base, scenario = scenario_of(c)
        scenarios.setdefault(scenario, None)
        rows_of.setdefault((base, c["optimizer"]["label"]), None)
        groups[(base, c["optimizer"]["label"], scenario)].append(c)
    steps = report["suite"].get("steps", "?")
    header = ["problem", "optimizer"] + list(scenarios)
    rows = []
    for base, optimizer in rows_of:
        row = [base, optimizer]
        for scenario in scenarios:
            group = groups.get((base, optimizer, scenario))
            if not group:
                row.append("-")
                continue
            medians = [c["eval"]["to_target"].get("median") for c in group]
            never = float(np.mean([c["eval"]["to_target"].get("never", 0.0) for c in group]))
            text = f">{steps}" if any(m is None for m in medians) else fmt(float(np.mean(medians)))
            row.append(text + (f" ({100 * never:.0f}% never)" if never > 0 else ""))
        rows.append(row)
    return header, rows


def ecdf_data(report):
    """Per optimizer: hitting step and hitting seconds of every (problem, repetition, instance)."""
    problems, optimizers, groups = group_cells(report)
    hits = defaultdict(lambda: {"steps": [], "seconds": []})
    for problem in problems:
        by_rep = defaultdict(dict)
        for optimizer in optimizers:
            for cell in groups.get((problem, optimizer), []):
                if "per_instance" in cell["eval"]:
                    by_rep[cell.get("repetition", 0)][optimizer] = cell
        for rep, cells in by_rep.items():
            losses = {o: np.array([finite(row) for row in c["eval"]["per_instance"]["loss"]]) for o, c in cells.items()}
            any_cell = next(iter(cells.values()))
            f0 = losses[next(iter(losses))][0]
            best = np.nanmin(np.stack([np.nanmin(v, axis=0) for v in losses.values()]), axis=0)
            if "f_star" in any_cell["eval"]["per_instance"]:
                best = np.fmin(best, finite(any_cell["eval"]["per_instance"]["f_star"]))  # NaN f*: ignored
            target = best + TARGET_FRACTION * (f0 - best)
            for optimizer, l in losses.items():
                steps = np.array(cells[optimizer]["eval"]["per_instance"]["steps"])
                seconds = cells[optimizer]["eval"].get("seconds_per_step") or 0.0
                reached = l <= target[None, :]
                first = np.where(reached.any(axis=0), reached.argmax(axis=0), -1)
                for idx in first:
                    hit = steps[idx] if idx >= 0 else math.inf
                    hits[optimizer]["steps"].append(hit)
                    hits[optimizer]["seconds"].append(hit * seconds)
    return hits


def ecdf_figure(report, out_dir, stem):
    hits = ecdf_data(report)
    if not hits:
        print(f"make_report: {report['suite'].get('name', '?')}: no per-instance losses (a report of an older "
              "l2obench); no ECDF", file=sys.stderr)
        return []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for optimizer, h in hits.items():
        for ax, key in zip(axes, ("steps", "seconds")):
            values = np.sort(np.array(h[key], dtype=float))
            share = np.arange(1, len(values) + 1) / len(values)
            mask = np.isfinite(values)
            if mask.any():
                ax.step(np.maximum(values[mask], 1e-9 if key == "seconds" else 0.5), share[mask], where="post", label=optimizer)
    axes[0].set_xlabel("iterations")
    axes[1].set_xlabel("seconds (iterations x seconds per step)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_ylabel("share of (problem, instance) pairs")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{report['suite'].get('name', '')}: ECDF of reaching f_best + {TARGET_FRACTION:g}(f0 - f_best)")
    fig.tight_layout()
    return save(fig, out_dir, stem)


def final_table(report):
    """Rows: problems; columns: optimizers; cells: mean over repetitions of the final mean loss,
    with a 95 % bootstrap interval when there are several repetitions."""
    problems, optimizers, groups = group_cells(report)
    header = ["problem"] + list(optimizers)
    rows = []
    for problem in problems:
        row = [problem]
        for optimizer in optimizers:
            cells = groups.get((problem, optimizer))
            if not cells:
                row.append("-")
                continue
            mean, values = final_mean(cells)
            ci = bootstrap_ci(values) if math.isfinite(mean) else None
            row.append(fmt(mean) + (f" [{fmt(ci[0])}, {fmt(ci[1])}]" if ci else ""))
        rows.append(row)
    return header, rows


def _at(series, step):
    """series[step], or None where the series or the step is missing or the value is null."""
    return series[step] if series is not None and 0 <= step < len(series) else None


def _to_target_count(cell):
    """Median iterations to the suite's target; a null median (half the instances never get there) counts as
    the cell's steps + 1, so that ratios built on it are bounds rather than gaps."""
    to_target = cell["eval"].get("to_target")
    if to_target is None:
        return None
    median = to_target.get("median")
    return float(cell["eval"]["steps"] + 1) if median is None else median


# The metrics reports/paper_values.json may name: (cell, step) -> that repetition's number, or None.
# docs/design.md, "Paper values", says what each one is and how entries are judged.
PAPER_METRICS = {
    "loss_mean": lambda c, k: _at(c["eval"]["loss"]["mean"], k),
    "log10_mean_loss": lambda c, k: _at(c["eval"]["log10_mean_loss"], k),
    "normalized_gap_median": lambda c, k: _at(c["eval"].get("normalized_gap", {}).get("median"), k),
    "test_loss_mean": lambda c, k: _at(c["eval"].get("extra", {}).get("test_loss", {}).get("mean"), k),
    "test_accuracy_mean": lambda c, k: _at(c["eval"].get("extra", {}).get("test_accuracy", {}).get("mean"), k),
    "train_seconds": lambda c, k: c["train"]["seconds"],
    "iterations_to_target_median": lambda c, k: _to_target_count(c),
}
# Metrics that ignore the entry's step (written as 0 in the file).
PAPER_METRICS_WITHOUT_STEP = ("train_seconds", "iterations_to_target_median")
# An entry's "kind": a number, or a claim about several cells (orderings, bounds on ratios).
PAPER_KINDS = ("value", "ordering", "ratio_bound")


def paper_metric(cells, metric, step):
    """The mean over repetitions of one paper metric; NaN when a repetition lacks it (a diverged run's null
    included). Training seconds average over the cells of learned optimizers (classical ones have no "train")."""
    if metric not in PAPER_METRICS:
        raise SystemExit(f"paper values: metric \"{metric}\" is not one of: {', '.join(PAPER_METRICS)}")
    if metric == "train_seconds":
        cells = [c for c in cells if c.get("train")]
    values = [PAPER_METRICS[metric](c, step) for c in cells]
    values = [float("nan") if v is None else float(v) for v in values]
    return float(np.mean(values)) if values else float("nan")


def paper_table(report, paper_values):
    """The papers' numbers (entries of kind "value") next to ours; claims (orderings, ratio bounds) are
    judged by the reproduction page."""
    _, _, groups = group_cells(report)
    name = report["suite"].get("name")
    header = ["problem", "optimizer", "step", "metric", "paper", "ours", "ours - paper", "source"]
    rows = []
    for v in paper_values:
        kind = v.get("kind", "value")
        if kind not in PAPER_KINDS:
            raise SystemExit(f"paper values: kind \"{kind}\" is not one of: {', '.join(PAPER_KINDS)}")
        if v["suite"] != name or kind != "value":
            continue
        ours = paper_metric(groups.get((v["problem"], v["optimizer"]), []), v["metric"], v["step"])
        step = "-" if v["metric"] in PAPER_METRICS_WITHOUT_STEP else str(v["step"])
        rows.append([v["problem"], v["optimizer"], step, v["metric"], fmt(v["value"]), fmt(ours),
                     fmt(ours - v["value"]), v["source"]])
    return header, rows


def checkpoint_table(report, steps=(10,)):
    """Rows: (problem, optimizer); columns: mean loss and log10 mean loss at early steps and at the
    last one, averaged over repetitions (the papers quote "within 10 steps" and "at 100")."""
    problems, optimizers, groups = group_cells(report)
    last = report["suite"].get("steps", 0)
    at = [k for k in steps if k < last] + [last]
    header = ["problem", "optimizer"] + [f"loss @{k}" for k in at] + [f"log10 @{k}" for k in at]
    rows = []
    for problem in problems:
        for optimizer in optimizers:
            cells = groups.get((problem, optimizer))
            if not cells:
                continue
            def mean_at(series_of, k):
                values = [series_of(c)[k] for c in cells if k < len(series_of(c))]
                values = [float("nan") if v is None else v for v in values]
                return float(np.mean(values)) if values else float("nan")
            loss = [mean_at(lambda c: c["eval"]["loss"]["mean"], k) for k in at]
            log_loss = [mean_at(lambda c: c["eval"]["log10_mean_loss"], k) for k in at]
            rows.append([problem, optimizer] + [fmt(v) for v in loss] + [fmt(v) for v in log_loss])
    return header, rows


def normalized_gap_table(report, steps=(10, 25, 50)):
    """LOA's metric: median over instances of (f - f*)/(f0 - f*) at fixed iterations and at the
    last one, averaged over repetitions; empty when no cell knows f*."""
    problems, optimizers, groups = group_cells(report)
    last = report["suite"].get("steps", 0)
    at = [k for k in steps if k < last] + [last]
    header = ["problem", "optimizer"] + [f"median @{k}" for k in at]
    rows = []
    for problem in problems:
        for optimizer in optimizers:
            cells = [c for c in groups.get((problem, optimizer), []) if "normalized_gap" in c["eval"]]
            if not cells:
                continue
            values = []
            for k in at:
                v = [c["eval"]["normalized_gap"]["median"][k] for c in cells]
                v = [float("nan") if x is None else x for x in v]
                values.append(float(np.mean(v)))
            rows.append([problem, optimizer] + [fmt(v) for v in values])
    return header, rows


def counters_table(report):
    """What rollouts counted (BFGS's skipped updates, LOA's guard fallbacks), summed over the
    instances and steps of each cell."""
    names = []
    for cell in report["cells"]:
        for name in cell["eval"].get("counters", {}):
            if name not in names:
                names.append(name)
    header = ["problem", "optimizer"] + names
    rows = []
    for cell in report["cells"]:
        counters = cell["eval"].get("counters")
        if counters:
            rows.append([cell["problem"]["label"], cell["optimizer"]["label"]]
                        + [fmt(counters.get(n)) for n in names])
    return header, rows


def equivariance_table(equivariance):
    """The JSON of `l2obench equivariance --json`: optimizer x transformation -> deviation."""
    transformations = ["permutation", "translation", "scaling"]
    header = ["problem", "optimizer"] + transformations
    rows = []
    for row in equivariance["rows"]:
        cells = []
        for t in transformations:
            m = row["transformations"].get(t, {})
            if "error" in m:
                cells.append("n/a")
            else:
                d = m.get("deviation")
                cells.append(f"{'inf' if d is None else f'{d:.1e}'} {'yes' if m.get('equivariant') else 'NO'}")
        rows.append([row["problem"], row["optimizer"]] + cells)
    return header, rows


def training_table(report):
    header = ["problem", "optimizer", "training seconds", "epochs", "best epoch", "from cache"]
    rows, seen = [], set()
    for cell in report["cells"]:
        t = cell.get("train")
        if not t or (cell["problem"]["label"], cell["optimizer"]["label"]) in seen:
            continue
        seen.add((cell["problem"]["label"], cell["optimizer"]["label"]))
        rows.append([cell["problem"]["label"], cell["optimizer"]["label"], fmt(t.get("seconds")), str(t.get("epochs")),
                     str(t.get("best_epoch")), "yes" if t.get("loaded_from_cache") else "no"])
    return header, rows


def markdown(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def latex(header, rows):
    esc = lambda s: s.replace("_", r"\_").replace("%", r"\%").replace("&", r"\&")
    lines = [r"\begin{tabular}{l" + "r" * (len(header) - 1) + "}", r"\toprule",
             " & ".join(esc(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(esc(c) for c in r) + r" \\" for r in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def html_table(header, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def context_line(report):
    c = report.get("context", {})
    return (f"commit {c.get('git_commit', '?')[:12]}{' (dirty)' if c.get('git_dirty') else ''}, host {c.get('host', '?')}, "
            f"{c.get('threads', '?')} threads, device {c.get('device', '?')}, LibTorch {c.get('libtorch_version', '?')}, "
            f"{c.get('build_type', '?')} build, {c.get('date', '?')}")


def build(report_paths, out_dir, paper_path, equivariance_path=None):
    os.makedirs(out_dir, exist_ok=True)
    paper_values = []
    if paper_path and os.path.exists(paper_path):
        with open(paper_path) as f:
            paper_values = json.load(f)["values"]
    sections, written = [], []
    for path in report_paths:
        report = load(path)
        name = report["suite"].get("name", os.path.basename(os.path.dirname(path)))
        figures = (loss_figure(report, out_dir, f"{name}-loss") + extra_figure(report, out_dir, f"{name}-extra")
                   + ecdf_figure(report, out_dir, f"{name}-ecdf"))
        tables = [("Final mean loss at step {} (mean over repetitions, 95 % bootstrap interval)".format(
            report["suite"].get("steps", "?")), final_table(report), f"{name}-final")]
        tables.append(("Mean loss and log10 mean loss at step 10 and at the last step",
                       checkpoint_table(report), f"{name}-steps"))
        header, rows = normalized_gap_table(report)
        if rows:
            tables.append(("(f - f*)/(f0 - f*): median over test instances at fixed iterations", (header, rows),
                           f"{name}-normalized-gap"))
        header, rows = counters_table(report)
        if rows:
            tables.append(("Rollout counters (summed over instances and steps)", (header, rows),
                           f"{name}-counters"))
        header, rows = extra_table(report)
        if rows:
            tables.append(("Final test metrics (mean over test instances, then over repetitions)", (header, rows),
                           f"{name}-extra"))
        header, rows = to_target_table(report)
        if rows:
            target = report["suite"].get("target", 1e-3)
            tables.append((f"Iterations to (f - f*)/|f*| <= {target:g} per scenario (median over instances)",
                           (header, rows), f"{name}-to-target"))
        header, rows = paper_table(report, paper_values)
        if rows:
            tables.append(("The papers' numbers and ours", (header, rows), f"{name}-paper"))
        header, rows = training_table(report)
        if rows:
            tables.append(("Training cost of the learned optimizers", (header, rows), f"{name}-training"))
        for _, (header, rows), stem in tables:
            for ext, render in (("md", markdown), ("tex", latex)):
                p = os.path.join(out_dir, f"{stem}.{ext}")
                with open(p, "w") as f:
                    f.write(render(header, rows))
                written.append(p)
        written += figures
        sections.append((name, report, figures, tables))
    if equivariance_path:
        with open(equivariance_path) as f:
            equivariance = json.load(f)
        if not isinstance(equivariance, dict) or not isinstance(equivariance.get("rows"), list):
            raise SystemExit(f"{equivariance_path}: not the JSON of l2obench equivariance (no \"rows\" array)")
        settings = equivariance.get("settings", {})
        table = equivariance_table(equivariance)
        for ext, render in (("md", markdown), ("tex", latex)):
            p = os.path.join(out_dir, f"equivariance.{ext}")
            with open(p, "w") as f:
                f.write(render(*table))
            written.append(p)
        description = (f"Deviation of the mapped-back iterates on transformed twins ({settings.get('deviation', '')}); "
                       f"{settings.get('steps')} steps, {settings.get('instances')} instances, scale c = {settings.get('scale')}, "
                       f"float64; 'yes' when at most {settings.get('tolerance')}.")
        sections.append(("equivariance", {"suite": {"description": description}}, [],
                         [("Equivariance (l2obench equivariance)", table, "equivariance")]))

    with open(os.path.join(out_dir, "REPORT.md"), "w") as f:
        f.write("# l2obench report\n\n")
        for name, report, figures, tables in sections:
            run = f"Run: {context_line(report)}\n\n" if "context" in report else ""
            f.write(f"## {name}\n\n{report['suite'].get('description', '')}\n\n{run}")
            for fig in figures:
                if fig.endswith(".png"):
                    f.write(f"![{os.path.basename(fig)}]({os.path.basename(fig)})\n\n")
            for title, (header, rows), _ in tables:
                f.write(f"### {title}\n\n{markdown(header, rows)}\n")
    with open(os.path.join(out_dir, "index.html"), "w") as f:
        f.write("<!doctype html><html><head><meta charset='utf-8'><title>l2obench report</title><style>"
                "body{font-family:sans-serif;max-width:1200px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}"
                "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
                "img{max-width:100%}</style></head><body><h1>l2obench report</h1>")
        for name, report, figures, tables in sections:
            f.write(f"<h2>{html.escape(name)}</h2><p>{html.escape(report['suite'].get('description', ''))}</p>"
                    + (f"<p><small>{html.escape(context_line(report))}</small></p>" if "context" in report else ""))
            for fig in figures:
                if fig.endswith(".svg"):
                    f.write(f"<p><img src='{html.escape(os.path.basename(fig))}' alt='{html.escape(name)}'></p>")
            for title, (header, rows), _ in tables:
                f.write(f"<h3>{html.escape(title)}</h3>{html_table(header, rows)}")
        f.write("</body></html>\n")
    written += [os.path.join(out_dir, "REPORT.md"), os.path.join(out_dir, "index.html")]
    return written
