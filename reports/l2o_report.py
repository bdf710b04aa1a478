"""Figures and tables of l2obench reports (report.json), in the papers' style.

    /usr/bin/python3 reports/make_report.py out/quick/report.json [more reports] --out DIR

Per suite: loss (or gap f - f*) vs iteration, one panel per problem, median over the test
instances with a q10-q90 band (and, on request, the same curves vs evaluations or seconds:
x_values); ECDFs of the share of (problem, repetition, instance) triples
that reach a target vs iterations and vs seconds; tables (markdown and LaTeX) of final values
with bootstrap confidence intervals over repetitions, the papers' numbers next to ours where
reports/paper_values.json has them, and training seconds; with two or more optimizers,
performance profiles, integrated scores, speed-ups and a win/tie/loss table (fair_stats.py). An
index.html and a REPORT.md gather everything with each run's context. Everything is
deterministic (fixed bootstrap seed).
"""

import contextlib
import html
import json
import sys
import math
import os
import tempfile
from collections import OrderedDict, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fair_stats  # noqa: E402

# The cell schema this reads: docs/design.md, "Cell records" (harness/cell_record.hpp writes it).
SCHEMA_VERSION = 1
TARGET_FRACTION = 1e-2  # ECDF target: f_best + 1e-2 (f0 - f_best) per instance
BOOTSTRAP_SAMPLES = 2000
# What a curve can be drawn against. "evaluations" weighs the kinds of eval.cost: by default a
# function and a gradient evaluation (and a Hessian-vector product) count 1 each and a network
# evaluation 0 (its price shows in seconds); --evaluation-weights changes that.
X_AXES = ("iterations", "evaluations", "seconds")
EVALUATION_WEIGHTS = {"function": 1.0, "gradient": 1.0, "hessian_vector": 1.0, "network": 0.0}


def file_mode(path):
    """The mode `path` has, or the one open() would give a new file (mkstemp's is 0600)."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path, mode="w"):
    """A file that appears at `path` whole or not at all: written beside it, then renamed over it,
    so an interrupted report never leaves a truncated table, page or measured.json behind."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        os.chmod(tmp, file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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


def parse_evaluation_weights(text):
    """"kind=weight,..." over EVALUATION_WEIGHTS; SystemExit naming the kind or weight and what is allowed."""
    weights = dict(EVALUATION_WEIGHTS)
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        if kind not in weights:
            raise SystemExit(f"--evaluation-weights: unknown kind \"{kind}\"; allowed: {', '.join(weights)}")
        try:
            weights[kind] = float(value) if sep else float("nan")
        except ValueError:
            weights[kind] = float("nan")
        if not (math.isfinite(weights[kind]) and weights[kind] >= 0):
            raise SystemExit(f"--evaluation-weights: {kind}: expected kind=weight with a number >= 0, got \"{item}\"")
    return weights


def weights_text(weights):
    """The weighting as the axis states it: "function + gradient", "function + 2 gradient + 0.5 network"."""
    terms = [kind if w == 1 else f"{w:g} {kind}" for kind, w in weights.items() if w]
    return " + ".join(terms).replace("_", "-") or "nothing"


def evaluations(cell, weights):
    """Weighted cumulative evaluations per instance after each step (eval.cost, docs/design.md
    "Cell records"); None for a cell written before costs were recorded."""
    cost = cell["eval"].get("cost")
    if not isinstance(cost, dict):
        return None
    total = np.zeros(len(cell["eval"]["loss"]["mean"]))
    for kind, weight in weights.items():
        if weight and kind in cost:
            total += weight * finite(cost[kind])
    return total


def x_values(cells, axis, weights=EVALUATION_WEIGHTS):
    """The x coordinate of every step of the curve of `cells` (one problem and optimizer, its
    repetitions averaged) on `axis`: the step index, the weighted evaluations per instance (the
    mean over repetitions), or the seconds, k x seconds_per_step (the mean step time of the
    rollout). None when a cell lacks what the axis needs (an older report)."""
    steps = len(cells[0]["eval"]["loss"]["mean"])
    if axis == "iterations":
        return np.arange(steps, dtype=float)
    if axis == "seconds":
        seconds = [c["eval"].get("seconds_per_step") for c in cells]
        return None if None in seconds else np.arange(steps) * float(np.mean(seconds))
    if axis == "evaluations":
        counts = [evaluations(c, weights) for c in cells]
        return None if any(c is None for c in counts) else np.mean(counts, axis=0)
    raise SystemExit(f"x axis \"{axis}\": expected one of: {', '.join(X_AXES)}")


def axis_label(axis, weights=EVALUATION_WEIGHTS):
    return {"iterations": "iteration",
            "evaluations": f"evaluations per instance ({weights_text(weights)})",
            "seconds": "seconds (k x seconds per step)"}[axis]


def curve_stem(name, what, axis):
    """The file stem of a figure of curves: "<suite>-loss" against iterations (as always),
    "<suite>-loss-vs-evaluations" against another axis."""
    return f"{name}-{what}" if axis == "iterations" else f"{name}-{what}-vs-{axis}"


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
        with atomic_open(path, "wb") as f:
            fig.savefig(f, format=ext, dpi=130, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def y_scale(values, is_gap):
    """The y axis of a panel showing `values`: ("log", None) when all are positive and span over two
    decades, ("symlog", threshold) for a gap f - f* whose only values <= 0 are rounding (a converged
    gap reaches |gap| ~ 1e-15 f*, of either sign: a linear axis would hide its decay), else
    ("linear", None)."""
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return "linear", None
    if min(values) > 0:
        return ("log", None) if max(values) / min(values) > 100 else ("linear", None)
    rounding = 1e-9 * max(abs(v) for v in values)
    if is_gap and max(values) > 0 and min(values) >= -rounding:
        return "symlog", rounding
    return "linear", None


def loss_figure(report, out_dir, stem, axis="iterations", weights=EVALUATION_WEIGHTS):
    problems, optimizers, groups = group_cells(report)
    left_out = set()
    n = len(problems)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.5 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    handles = OrderedDict()
    for ax, problem in zip(axes.flat, problems):
        spans, medians = [], []
        any_gap = False
        for k, optimizer in enumerate(optimizers):
            cells = groups.get((problem, optimizer))
            if not cells:
                continue
            median, is_gap = series(cells, "median")
            q10, _ = series(cells, "q10")
            q90, _ = series(cells, "q90")
            steps = x_values(cells, axis, weights)
            if steps is None:
                left_out.add(optimizer)
                continue
            any_gap |= is_gap
            color = colors[k % len(colors)]
            (line,) = ax.plot(steps, median, label=optimizer, color=color, lw=1.6)
            handles.setdefault(optimizer, line)
            ax.fill_between(steps, q10, q90, color=color, alpha=0.15, lw=0)
            vals = np.concatenate([q10, q90, median])
            vals = vals[np.isfinite(vals)]
            if len(vals):
                spans.extend([vals.min(), vals.max()])
            medians.extend(median[np.isfinite(median)])
        scale, linthresh = y_scale(spans, any_gap)
        log = scale != "linear"
        if scale == "symlog":
            ax.set_yscale("symlog", linthresh=linthresh)
        elif log:
            ax.set_yscale("log")
        if spans and medians:
            # Keep the medians readable: a band that explodes (a diverging minority) is clipped.
            top = max(medians)
            limit = top * 100 if log else top + 2 * (top - min(min(medians), 0))
            if max(spans) > limit:
                ax.set_ylim(top=limit)
        ax.set_title(problem)
        ax.set_xlabel(axis_label(axis, weights))
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
    if left_out:
        print(f"make_report: {report['suite'].get('name', '?')}: no {axis} for {', '.join(sorted(left_out))} "
              "(cells of an l2obench without cost records); left out of the figure vs " + axis, file=sys.stderr)
    if not handles:
        plt.close(fig)
        return []
    return save(fig, out_dir, stem)


def extra_metrics(report):
    """Names of the families' own per-step metrics (eval.extra: test_loss, test_accuracy), in order."""
    names = OrderedDict()
    for cell in report["cells"]:
        for name in cell["eval"].get("extra", {}):
            names.setdefault(name, None)
    return list(names)


def extra_figure(report, out_dir, stem, axis="iterations", weights=EVALUATION_WEIGHTS):
    """One row per problem that reports extra metrics, one panel per metric: the median over test
    instances with its q10-q90 band, averaged over repetitions, against `axis`. No figure when
    there are none."""
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
                steps = x_values(cells, axis, weights)
                if steps is None:
                    continue
                color = colors[k % len(colors)]
                (line,) = ax.plot(steps, stat["median"], color=color, lw=1.6)
                handles.setdefault(optimizer, line)
                ax.fill_between(steps, stat["q10"], stat["q90"], color=color, alpha=0.15, lw=0)
            ax.set_title(f"{problem}: {name.replace('_', ' ')}")
            ax.set_xlabel(axis_label(axis, weights))
            ax.grid(alpha=0.3)
    if not handles:
        plt.close(fig)
        return []
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


def shift_data(report):
    """Per base problem of a suite with scenarios: the scenario labels in suite order and, per
    optimizer name (one colour across problems, whatever its per-family label), the iterations to
    target per scenario (median over instances, averaged over repetitions; None where half the
    instances never get there). {} for a suite without scenarios."""
    cells = [c for c in report["cells"] if "to_target" in c["eval"]]
    if not any(scenario_of(c)[1] != "in-distribution" for c in cells):
        return {}
    data = OrderedDict()
    for c in cells:
        base, scenario = scenario_of(c)
        problem = data.setdefault(base, {"scenarios": OrderedDict(), "medians": OrderedDict()})
        problem["scenarios"].setdefault(scenario, None)
        problem["medians"].setdefault(c["optimizer"]["name"], defaultdict(list))[scenario].append(
            c["eval"]["to_target"].get("median"))
    for problem in data.values():
        for optimizer, by_scenario in problem["medians"].items():
            problem["medians"][optimizer] = {
                scenario: None if any(m is None for m in medians) else float(np.mean(medians))
                for scenario, medians in by_scenario.items()}
    return data


def shift_figure(report, out_dir, stem):
    """Iterations to target under each distribution shift: one small panel per base problem, the
    scenarios along x, a line per optimizer; a hollow marker above the top where the median
    instance never gets there within the suite's steps."""
    data = shift_data(report)
    if not data:
        return []
    steps = report["suite"].get("steps", 0)
    optimizers = list(OrderedDict.fromkeys(o for p in data.values() for o in p["medians"]))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    cols = min(2, len(data))
    rows = math.ceil(len(data) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 3.3 * rows), squeeze=False)
    handles = OrderedDict()
    for ax, (problem, entry) in zip(axes.flat, data.items()):
        scenarios = list(entry["scenarios"])
        x = np.arange(len(scenarios))
        for k, optimizer in enumerate(optimizers):
            medians = entry["medians"].get(optimizer)
            if medians is None:
                continue
            y = np.array([np.nan if medians.get(s) is None else medians[s] for s in scenarios])
            never = np.array([s in medians and medians[s] is None for s in scenarios])
            color = colors[k % len(colors)]
            (line,) = ax.plot(x, y, marker="o", ms=3, lw=1.2, color=color, label=optimizer)
            handles.setdefault(optimizer, line)
            if never.any():
                # One row of hollow markers per optimizer above the top, so that none hides another.
                ax.plot(x[never], np.full(never.sum(), steps * 1.06**k), ls="none", marker="o", ms=4,
                        mfc="none", color=color)
        ax.set_yscale("log")
        ax.set_ylim(top=steps * 1.06**len(optimizers) * 1.05 if steps else None)
        ax.set_xticks(x)
        ax.set_xticklabels(["none" if s == "in-distribution" else s for s in scenarios], rotation=90,
                           fontsize=6)
        ax.set_title(problem, fontsize=9)
        ax.set_ylabel("iterations to target", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(data):]:
        ax.axis("off")
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(len(handles), 7), fontsize=8,
               bbox_to_anchor=(0.5, -0.04))
    fig.suptitle(f"{report['suite'].get('name', '')}: iterations until (f - f*)/|f*| <= "
                 f"{report['suite'].get('target', 1e-3):g}, median over instances (hollow: never within {steps})",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    return save(fig, out_dir, stem)


def ecdf_data(report, weights=EVALUATION_WEIGHTS):
    """Per optimizer: hitting step, hitting evaluations (weighted, per instance; None for an
    optimizer with a cell without costs) and hitting seconds of every (problem, repetition,
    instance)."""
    problems, optimizers, groups = group_cells(report)
    hits = defaultdict(lambda: {"steps": [], "evaluations": [], "seconds": []})
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
                spent = evaluations(cells[optimizer], weights)
                if spent is None:
                    hits[optimizer]["evaluations"] = None
                reached = l <= target[None, :]
                first = np.where(reached.any(axis=0), reached.argmax(axis=0), -1)
                for idx in first:
                    hit = steps[idx] if idx >= 0 else math.inf
                    hits[optimizer]["steps"].append(hit)
                    hits[optimizer]["seconds"].append(hit * seconds)
                    if hits[optimizer]["evaluations"] is not None:
                        hits[optimizer]["evaluations"].append(spent[steps[idx]] if idx >= 0 else math.inf)
    return hits


def ecdf_figure(report, out_dir, stem, weights=EVALUATION_WEIGHTS):
    hits = ecdf_data(report, weights)
    if not hits:
        print(f"make_report: {report['suite'].get('name', '?')}: no per-instance losses (a report of an older "
              "l2obench); no ECDF", file=sys.stderr)
        return []
    # Evaluations: a panel when every optimizer's cells recorded their costs.
    keys = ["steps"] + (["evaluations"] if all(h["evaluations"] is not None for h in hits.values()) else []) + ["seconds"]
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.8))
    for optimizer, h in hits.items():
        for ax, key in zip(axes, keys):
            values = np.sort(np.array(h[key], dtype=float))
            share = np.arange(1, len(values) + 1) / len(values)
            mask = np.isfinite(values)
            if mask.any():
                ax.step(np.maximum(values[mask], 1e-9 if key == "seconds" else 0.5), share[mask], where="post", label=optimizer)
    axes[0].set_xlabel("iterations")
    if "evaluations" in keys:
        axes[1].set_xlabel(axis_label("evaluations", weights))
    axes[-1].set_xlabel("seconds (iterations x seconds per step)")
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


def cost_table(report):
    """Rows: (problem, optimizer); columns: each kind of eval.cost, the evaluations per instance
    (the mean over instances, then over repetitions) over the whole rollout, and in brackets per
    step after the start (what the optimizer evaluated before its first step left out)."""
    problems, optimizers, groups = group_cells(report)
    kinds = [k for k in EVALUATION_WEIGHTS if any(k in c["eval"].get("cost", {}) for c in report["cells"])]
    header = ["problem", "optimizer"] + [f"{k} (per step)".replace("_", "-") for k in kinds]
    series_of = lambda c, kind: c["eval"]["cost"].get(kind) or [0.0, 0.0]
    rows = []
    for problem in problems:
        for optimizer in optimizers:
            cells = [c for c in groups.get((problem, optimizer), []) if "cost" in c["eval"]]
            if not cells:
                continue
            row = [problem, optimizer]
            for kind in kinds:
                total = float(np.mean([series_of(c, kind)[-1] for c in cells]))
                start = float(np.mean([series_of(c, kind)[0] for c in cells]))
                steps = len(series_of(cells[0], kind)) - 1
                row.append(f"{fmt(total)} ({fmt((total - start) / steps) if steps else 'n/a'})")
            rows.append(row)
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


def profile_figure(results, out_dir, stem):
    """Dolan-More profiles, one panel per cost measure (log2 ratio axis, the r_max of the
    integrated score dotted); each legend entry carries the optimizer's integrated score."""
    shown = [r for r in results if r.get("problems")]
    if not shown:
        return []
    fig, axes = plt.subplots(1, len(shown), figsize=(4.8 * len(shown), 3.8), squeeze=False)
    for ax, r in zip(axes[0], shown):
        ratios = r["ratios"]
        finite = ratios[np.isfinite(ratios)]
        top = 1.1 * max(r["r_max"], float(finite.max()) if finite.size else 1.0)
        taus = np.unique(np.concatenate([[1.0, top], finite]))
        rho = fair_stats.profile(ratios, taus)
        for j, optimizer in enumerate(r["optimizers"]):
            ax.step(taus, rho[:, j], where="post", lw=1.6, label=f"{optimizer} ({fmt_score(r['score'][j])})")
        ax.axvline(r["r_max"], color="gray", ls=":", lw=1)
        ax.set_xscale("log", base=2)
        ax.set_xlim(1, top)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(f"ratio to the fewest {r['measure']} to target")
        ax.set_ylabel("share of problems")
        ax.set_title(f"{r['measure']} ({len(r['problems'])} problems)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, title=f"score, r_max {r['r_max']:g}", title_fontsize=7)
    fig.tight_layout()
    return save(fig, out_dir, stem)


def fmt_difference(v):
    return fmt(v) if math.isfinite(v) else ("+inf (diverged)" if v > 0 else "-inf (diverged)")


def fmt_score(v):
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.3f}"


def fair_comparison(report, name, out_dir, reference=None, weights=None):
    """Performance profiles, integrated scores, median speed-ups vs a reference optimizer and the
    paired win/tie/loss table (reports/fair_stats.py); nothing when fewer than 2 optimizers
    compete. Returns (figures, tables, text lines, the numbers as JSON)."""
    _, optimizers = fair_stats.labels(fair_stats.competing_cells(report))
    tables, text, figures = [], [], []
    header, rows = fair_stats.tuning_rows(report)
    if rows:
        tables.append(("Tuning: the configuration picked on the validation split", (header, rows), f"{name}-tuning"))
    if len(optimizers) < 2:
        return figures, tables, text, None
    results = [fair_stats.profile_result(report, m, weights) for m in fair_stats.MEASURES]
    results = [r for r in results if r is not None]
    by_measure = {r["measure"]: r for r in results}
    for r in results:
        for note in r["notes"]:
            text.append(f"{note[0].upper()}{note[1:]}.")
    if "evaluations" not in by_measure or not by_measure["evaluations"].get("problems"):
        if not any(c["eval"].get("cost") for c in fair_stats.competing_cells(report)):
            text.append("No evaluation counts in this report (cells without eval.cost): no profile by evaluations.")
    figures = profile_figure(results, out_dir, f"{name}-profiles")
    with_problems = [r for r in results if r.get("problems")]
    if with_problems:
        header = ["optimizer"] + [f"score by {r['measure']} ({len(r['problems'])} problems)" for r in with_problems]
        rows = []
        for o in optimizers:
            row = [o]
            for r in with_problems:
                if o not in r["optimizers"]:
                    row.append("-")
                    continue
                j = r["optimizers"].index(o)
                runs_on = int(r["runs_on"][j])
                solved = int(round(r["solved"][j] * runs_on))
                row.append(f"{fmt_score(r['score'][j])} ({solved}/{runs_on} reached)")
            rows.append(row)
        tables.append((f"Integrated performance-profile score (AlgoPerf, r_max = {fair_stats.R_MAX:g}; 1 = fastest "
                       "on every problem)", (header, rows), f"{name}-profile-score"))
    if reference is None:
        reference = optimizers[0]
        text.append(f"Speed-ups are against {reference}, the report's first optimizer (make_report.py --reference "
                    "LABEL, or REFERENCE_OPTIMIZER=LABEL in make, chooses another).")
    speedups = {}
    if reference not in optimizers:
        text.append(f"The reference optimizer {reference} is not in this report: no speed-ups.")
    elif with_problems:
        speedups = {r["measure"]: fair_stats.speedups(r, reference) for r in with_problems}
        first = with_problems[0]["measure"]
        for o, entry in speedups[first].items():
            text.append(fair_stats.speedup_line(o, reference, entry, first))
        header = ["optimizer"] + [f"speed-up vs {reference} by {m}" for m in speedups]
        rows = []
        for o in optimizers:
            if o == reference:
                continue
            row = [o]
            for m, per in speedups.items():
                e = per.get(o)
                if not e or e["median"] is None:
                    row.append("-")
                    continue
                row.append(f"{fair_stats.speedup_text(e)} ({len(e['values'])})")
            rows.append(row)
        tables.append(("Median speed-up over problems (95 % bootstrap interval; number of problems)",
                       (header, rows), f"{name}-speedup"))
    wtl = fair_stats.win_tie_loss(report)
    for note in wtl["notes"]:
        text.append(f"Win/tie/loss: {note}.")
    if wtl["pairs"]:
        header = ["optimizer"] + [f"vs {o}" for o in optimizers]
        rows = []
        for a in optimizers:
            row = [a]
            for b in optimizers:
                counts = wtl["pairs"].get((a, b))
                row.append("-" if counts is None else f"{counts['win']}/{counts['tie']}/{counts['loss']}")
            rows.append(row)
        tables.append(("Win/tie/loss of the row against the column over problems (Wilcoxon signed-rank on the "
                       "paired final losses of the test instances, Holm over the problems of a pair, "
                       f"p < {wtl['alpha']:g})", (header, rows), f"{name}-win-tie-loss"))
        header = ["optimizer", "vs", "problem", "pairs", "median difference", "p", "p (Holm)", "verdict"]
        rows = [[r["first"], r["second"], r["problem"], str(r["pairs"]), fmt_difference(r["median_difference"]),
                 f"{r['p']:.3g}", f"{r['p_holm']:.3g}", r["verdict"]] for r in wtl["rows"]]
        tables.append(("The paired tests behind the win/tie/loss table (difference: first minus second final loss)",
                       (header, rows), f"{name}-paired-tests"))

    def plain(v):
        if isinstance(v, np.ndarray):
            return [plain(x) for x in v.tolist()]
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, float) and not math.isfinite(v):
            return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return v

    numbers = {"reference": reference, "evaluation_weights": weights or fair_stats.EVALUATION_WEIGHTS, "alpha": wtl["alpha"],
               "profiles": {r["measure"]: {k: plain(r[k]) for k in r if k != "measure"} for r in results},
               "speedups": {m: {o: {k: plain(v) for k, v in e.items()} for o, e in per.items()}
                            for m, per in speedups.items()},
               "win_tie_loss": [dict(first=a, second=b, **c) for (a, b), c in wtl["pairs"].items()],
               "paired_tests": [{k: plain(v) for k, v in row.items()} for row in wtl["rows"]]}
    return figures, tables, text, numbers


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


def build(report_paths, out_dir, paper_path, equivariance_path=None, reference=None, axes=("iterations",),
          evaluation_weights=None):
    """Writes every figure and table; `axes` (of X_AXES) are what the loss and extra-metric curves
    are drawn against, one figure each; `reference` is the optimizer speed-ups are measured against."""
    evaluation_weights = evaluation_weights or EVALUATION_WEIGHTS
    for axis in axes:
        if axis not in X_AXES:
            raise SystemExit(f"x axis \"{axis}\": expected one of: {', '.join(X_AXES)}")
    os.makedirs(out_dir, exist_ok=True)
    paper_values = []
    if paper_path and os.path.exists(paper_path):
        with open(paper_path) as f:
            paper_values = json.load(f)["values"]
    sections, written = [], []
    reports = [load(path) for path in report_paths]
    if reference is not None and report_paths:
        known = sorted({c["optimizer"]["label"] for r in reports for c in fair_stats.competing_cells(r)})
        if reference not in known:
            raise SystemExit(f"make_report: --reference {reference}: no report has this optimizer; "
                             f"labels: {', '.join(known)}")
    for path, report in zip(report_paths, reports):
        name = report["suite"].get("name", os.path.basename(os.path.dirname(path)))
        figures = []
        for axis in axes:
            figures += loss_figure(report, out_dir, curve_stem(name, "loss", axis), axis, evaluation_weights)
        for axis in axes:
            figures += extra_figure(report, out_dir, curve_stem(name, "extra", axis), axis, evaluation_weights)
        figures += ecdf_figure(report, out_dir, f"{name}-ecdf", evaluation_weights)
        figures += shift_figure(report, out_dir, f"{name}-shifts")
        tables = [("Final mean loss at step {} (mean over repetitions, 95 % bootstrap interval)".format(
            report["suite"].get("steps", "?")), final_table(report), f"{name}-final")]
        tables.append(("Mean loss and log10 mean loss at step 10 and at the last step",
                       checkpoint_table(report), f"{name}-steps"))
        header, rows = normalized_gap_table(report)
        if rows:
            tables.append(("(f - f*)/(f0 - f*): median over test instances at fixed iterations", (header, rows),
                           f"{name}-normalized-gap"))
        header, rows = cost_table(report)
        if rows:
            tables.append(("Evaluations per instance over the rollout (per step), mean over instances and repetitions",
                           (header, rows), f"{name}-cost"))
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
        fair_figures, fair_tables, text, numbers = fair_comparison(report, name, out_dir, reference, evaluation_weights)
        figures += fair_figures
        tables += fair_tables
        if numbers is not None:
            p = os.path.join(out_dir, f"{name}-fair.json")
            with atomic_open(p) as f:
                json.dump(numbers, f, indent=1, allow_nan=False)
            written.append(p)
        for _, (header, rows), stem in tables:
            for ext, render in (("md", markdown), ("tex", latex)):
                p = os.path.join(out_dir, f"{stem}.{ext}")
                with atomic_open(p) as f:
                    f.write(render(header, rows))
                written.append(p)
        written += figures
        sections.append((name, report, figures, tables, text))
    if equivariance_path:
        with open(equivariance_path) as f:
            equivariance = json.load(f)
        if not isinstance(equivariance, dict) or not isinstance(equivariance.get("rows"), list):
            raise SystemExit(f"{equivariance_path}: not the JSON of l2obench equivariance (no \"rows\" array)")
        settings = equivariance.get("settings", {})
        table = equivariance_table(equivariance)
        for ext, render in (("md", markdown), ("tex", latex)):
            p = os.path.join(out_dir, f"equivariance.{ext}")
            with atomic_open(p) as f:
                f.write(render(*table))
            written.append(p)
        description = (f"Deviation of the mapped-back iterates on transformed twins ({settings.get('deviation', '')}); "
                       f"{settings.get('steps')} steps, {settings.get('instances')} instances, scale c = {settings.get('scale')}, "
                       f"float64; 'yes' when at most {settings.get('tolerance')}.")
        sections.append(("equivariance", {"suite": {"description": description}}, [],
                         [("Equivariance (l2obench equivariance)", table, "equivariance")], []))

    with atomic_open(os.path.join(out_dir, "REPORT.md")) as f:
        f.write("# l2obench report\n\n")
        for name, report, figures, tables, text in sections:
            run = f"Run: {context_line(report)}\n\n" if "context" in report else ""
            f.write(f"## {name}\n\n{report['suite'].get('description', '')}\n\n{run}")
            if text:
                f.write("### Fair comparison\n\n" + "".join(f"- {t}\n" for t in text) + "\n")
            for fig in figures:
                if fig.endswith(".png"):
                    f.write(f"![{os.path.basename(fig)}]({os.path.basename(fig)})\n\n")
            for title, (header, rows), _ in tables:
                f.write(f"### {title}\n\n{markdown(header, rows)}\n")
    with atomic_open(os.path.join(out_dir, "index.html")) as f:
        f.write("<!doctype html><html><head><meta charset='utf-8'><title>l2obench report</title><style>"
                "body{font-family:sans-serif;max-width:1200px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}"
                "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
                "img{max-width:100%}</style></head><body><h1>l2obench report</h1>")
        for name, report, figures, tables, text in sections:
            f.write(f"<h2>{html.escape(name)}</h2><p>{html.escape(report['suite'].get('description', ''))}</p>"
                    + (f"<p><small>{html.escape(context_line(report))}</small></p>" if "context" in report else ""))
            if text:
                f.write("<h3>Fair comparison</h3><ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in text) + "</ul>")
            for fig in figures:
                if fig.endswith(".svg"):
                    f.write(f"<p><img src='{html.escape(os.path.basename(fig))}' alt='{html.escape(name)}'></p>")
            for title, (header, rows), _ in tables:
                f.write(f"<h3>{html.escape(title)}</h3>{html_table(header, rows)}")
        f.write("</body></html>\n")
    written += [os.path.join(out_dir, "REPORT.md"), os.path.join(out_dir, "index.html")]
    return written
