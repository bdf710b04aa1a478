"""Fair comparisons across the problems of a report: performance profiles, the integrated
profile score, paired win/tie/loss tests and median speed-ups against a reference optimizer.

Definitions (docs/design.md, "Fair comparisons", has the reasons):
- cost to target of one test instance: the first step k at which (f - f*)/max(|f*|, 1e-12) <= the
  suite's target (`eval.to_target.per_instance`, -1 = never), measured as k iterations, as the
  evaluations made by step k (`eval.cost`, weighted by EVALUATION_WEIGHTS), or as
  k x `eval.seconds_per_step`; never reached = +inf; at least one unit (k = 0 counts one step).
- a problem of a profile: a problem label (scenarios are problems of their own); its cost is the
  median over the test instances of every repetition pooled, so +inf when half or more never get
  there.
- profile: rho_s(tau) = share of problems with r_{p,s} = t_{p,s} / min_s t_{p,s} <= tau (Dolan and
  More 2002); a problem no optimizer solves stays in the denominator with r = +inf for all.
- integrated score: (1 / (r_max - 1)) * integral of rho_s over [1, r_max], r_max = 4 (AlgoPerf),
  computed exactly (rho is a step function): mean over problems of max(0, r_max - r_{p,s})/(r_max - 1).
- win/tie/loss: per problem, Wilcoxon's signed-rank test on the paired final losses of the same
  test instances (pairs (repetition, instance)), two-sided; Holm's correction over the problems
  of one pair of optimizers; a win when the corrected p < ALPHA and the median paired difference
  favours the optimizer.
- speed-up: per problem t_ref / t_opt (+inf where only the optimizer reaches the target, 0 where
  only the reference does), its median over problems with a 95 % percentile bootstrap interval
  (problems resampled).
"""

import math
import warnings
from collections import OrderedDict, defaultdict

import numpy as np
from scipy import stats

R_MAX = 4.0
ALPHA = 0.05
BOOTSTRAP_SAMPLES = 2000
MEASURES = ("iterations", "evaluations", "seconds")
# What an "evaluation" is: eval.cost's kinds weighted, by default a call of the problem's oracle
# (function, gradient, Hessian-vector product) 1 each and a learned optimizer's own network
# evaluation 0 (its price shows in seconds); the same default as the curves vs evaluations.
EVALUATION_WEIGHTS = {"function": 1.0, "gradient": 1.0, "hessian_vector": 1.0, "network": 0.0}


def is_test_cell(cell):
    """Cells that compete in the statistics: not a tuning trial's own cell (validation split),
    whose "tuning" block is {"split", "trial"} where a tuned test cell's is {"trials", "pick", ...}."""
    tuning = cell.get("tuning")
    return not (isinstance(tuning, dict) and "trial" in tuning)


def competing_cells(report):
    return [c for c in report["cells"] if is_test_cell(c)]


def labels(cells):
    problems, optimizers = OrderedDict(), OrderedDict()
    for c in cells:
        problems.setdefault(c["problem"]["label"], None)
        optimizers.setdefault(c["optimizer"]["label"], None)
    return list(problems), list(optimizers)


# ---------------------------------------------------------------------------------------------
# Costs to target


def evaluations_series(cell, weights=None):
    """Weighted cumulative evaluations per instance after k steps (k = 0..steps), or None when
    the cell has no `eval.cost` (a report of an l2obench before cost accounting)."""
    cost = cell["eval"].get("cost")
    if not isinstance(cost, dict):
        return None
    total = np.zeros(cell["eval"]["steps"] + 1)
    for kind, weight in (weights or EVALUATION_WEIGHTS).items():
        if weight and kind in cost:
            total += weight * np.asarray([math.nan if v is None else v for v in cost[kind]], dtype=float)
    return total


def instance_costs(cell, measure, weights=None):
    """Per test instance: the cost to reach the suite's target (+inf: never), or None when the
    cell cannot say (no f*, so no `to_target`; no `eval.cost`; no seconds per step). A cost below
    one unit (one iteration, one evaluation, one step's seconds: a start that already meets the
    target, or a method with no weighted evaluations) counts one unit, so that ratios exist."""
    to_target = cell["eval"].get("to_target")
    if not to_target or to_target.get("per_instance") is None:
        return None
    first = np.asarray(to_target["per_instance"], dtype=float)
    reached = first >= 0
    k = np.where(reached, first, 0).astype(int)
    if measure == "iterations":
        values = np.maximum(k, 1).astype(float)
    elif measure == "evaluations":
        series = evaluations_series(cell, weights)
        if series is None:
            return None
        values = np.maximum(series[np.minimum(k, len(series) - 1)], 1.0)
    elif measure == "seconds":
        seconds = cell["eval"].get("seconds_per_step")
        if not seconds:
            return None
        values = np.maximum(k, 1) * float(seconds)
    else:
        raise ValueError(f"measure {measure!r} is not one of: {', '.join(MEASURES)}")
    return np.where(reached, values, math.inf)


class CostTable:
    """t[p, s]: a problem's cost for an optimizer (median over instances, +inf when half or more
    never reach the target; NaN where unknown), the problems and optimizers it covers and notes
    on what was left out."""

    def __init__(self, problems, optimizers, costs, notes):
        self.problems, self.optimizers, self.costs, self.notes = problems, optimizers, costs, notes


def cost_table(report, measure, weights=None):
    cells = competing_cells(report)
    problems, optimizers = labels(cells)
    pooled = defaultdict(list)
    unknown = defaultdict(set)  # optimizer -> problems where the cost is unknown
    runs = set()  # (problem, optimizer) with a cell: an optimizer's `families` may leave problems out
    for c in cells:
        key = (c["problem"]["label"], c["optimizer"]["label"])
        runs.add(key)
        values = instance_costs(c, measure, weights)
        if values is None:
            unknown[key[1]].add(key[0])
            continue
        pooled[key].append(values)
    notes = []
    no_target = [p for p in problems if all(p in unknown[o] for o in optimizers if (p, o) in runs)]
    if no_target and measure == "iterations":
        notes.append("without f*, so without a target, left out of every profile and speed-up: " + ", ".join(no_target))
    if measure != "iterations":
        missing = [o for o in optimizers
                   if any(p in unknown[o] for p in problems if p not in no_target and (p, o) in runs)]
        if missing:
            why = "no eval.cost in its cells" if measure == "evaluations" else "no seconds per step"
            notes.append(f"left out of the profile and speed-ups by {measure} ({why}): " + ", ".join(missing))
            optimizers = [o for o in optimizers if o not in missing]
    kept = [p for p in problems if p not in no_target]
    t = np.full((len(kept), len(optimizers)), np.nan)
    for i, p in enumerate(kept):
        for j, o in enumerate(optimizers):
            if pooled.get((p, o)):
                t[i, j] = float(np.median(np.concatenate(pooled[(p, o)])))
    return CostTable(kept, optimizers, t, notes)


# ---------------------------------------------------------------------------------------------
# Performance profiles


def performance_ratios(costs):
    """r[p, s] = t[p, s] / min_s t[p, s] (costs > 0, see instance_costs); +inf where t is +inf, so
    for every optimizer where no optimizer reaches the target."""
    costs = np.asarray(costs, dtype=float)
    if (costs <= 0).any():
        raise ValueError("performance ratios need positive costs")
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row of NaN: nobody runs there
        best = np.nanmin(costs, axis=1, keepdims=True)
        ratios = costs / best
    ratios[np.isinf(costs)] = math.inf
    return ratios  # NaN where an optimizer does not run on the problem


def profile(ratios, taus):
    """rho_s(tau) for each optimizer (columns of ratios) at each tau: the share of problems with
    r <= tau."""
    ratios = np.asarray(ratios, dtype=float)
    taus = np.asarray(taus, dtype=float)
    runs = np.maximum((~np.isnan(ratios)).sum(axis=0), 1)  # per optimizer: the problems it runs on
    return (ratios[None, :, :] <= taus[:, None, None]).sum(axis=1) / runs


def integrated_score(ratios, r_max=R_MAX):
    """AlgoPerf's benchmark score: (1/(r_max - 1)) * integral over [1, r_max] of rho_s(tau) dtau,
    exact for the step function rho: the mean over problems of max(0, r_max - r)/(r_max - 1)."""
    ratios = np.asarray(ratios, dtype=float)
    if len(ratios) == 0:
        return np.full(ratios.shape[1], np.nan)
    area = np.clip(r_max - np.maximum(ratios, 1.0), 0.0, None)
    area[np.isinf(ratios)] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an optimizer that runs on no problem: NaN
        return np.nanmean(area, axis=0) / (r_max - 1.0)


def profile_result(report, measure, weights=None, r_max=R_MAX):
    """Everything the report shows for one measure: the cost table, ratios, scores, notes."""
    table = cost_table(report, measure, weights)
    if len(table.optimizers) < 2 or len(table.problems) == 0:
        return None if not table.notes else {"measure": measure, "notes": table.notes, "problems": []}
    notes = list(table.notes)
    # An optimizer that does not run on a problem (its `families`) is left out of it, not failed:
    # NaN there, its profile over the problems it runs on.
    absent = {o: [p for p, cost in zip(table.problems, table.costs[:, j]) if np.isnan(cost)]
              for j, o in enumerate(table.optimizers)}
    if any(absent.values()):
        notes.append(f"in the profile by {measure}, an optimizer is scored over the problems it runs on, "
                     "each problem's best taken over the optimizers that run there")
    present = np.sum(~np.isnan(table.costs), axis=1) >= 1
    costs = table.costs[present]
    problems = [p for p, ok in zip(table.problems, present) if ok]
    ratios = performance_ratios(costs) if len(costs) else np.zeros((0, len(table.optimizers)))
    unsolved = [p for p, row in zip(problems, ratios) if np.all(np.isinf(row))]
    if unsolved:
        notes.append(f"reached by no optimizer (a failure for all in the profile by {measure}): " + ", ".join(unsolved))
    nothing = np.full(len(table.optimizers), np.nan)
    return {"measure": measure, "optimizers": table.optimizers, "problems": problems, "costs": costs,
            "ratios": ratios,
            "score": integrated_score(ratios, r_max) if problems else nothing,
            "solved": np.sum(np.isfinite(ratios), axis=0) / np.maximum(np.sum(~np.isnan(ratios), axis=0), 1)
            if problems else nothing,
            "runs_on": np.sum(~np.isnan(ratios), axis=0) if problems else nothing, "r_max": r_max, "notes": notes}


# ---------------------------------------------------------------------------------------------
# Paired tests


def holm(pvalues):
    """Holm's step-down adjusted p-values, in the order given: sorted ascending, the i-th smallest
    (from 0) is multiplied by (m - i), made non-decreasing, capped at 1."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for i, idx in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[idx]))
        adjusted[idx] = running
    return adjusted


def paired_test(a, b):
    """Wilcoxon's signed-rank test (two-sided, zero differences dropped) on paired samples a, b
    (lower is better; +inf = diverged). Returns (p, median of a - b, pairs used)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a = np.where(np.isnan(a), math.inf, a)
    b = np.where(np.isnan(b), math.inf, b)
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    with np.errstate(invalid="ignore"):
        d = np.where(both_inf, 0.0, a - b)
    with np.errstate(invalid="ignore"):
        median = float(np.median(d)) if len(d) else 0.0
    if math.isnan(median):  # the middle pair is -inf and +inf: no direction
        median = 0.0
    # Only the ranks of |d| matter: an infinite difference ranks above every finite one.
    finite = np.isfinite(d)
    top = (np.max(np.abs(d[finite])) if finite.any() else 0.0) * 2 + 1
    d = np.where(finite, d, np.sign(d) * top)
    nonzero = d[d != 0]
    if len(nonzero) == 0:
        return 1.0, 0.0, len(d)
    result = stats.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided")
    return float(result.pvalue), median, len(d)


def final_losses(cell):
    """Per test instance, the loss at the last step (NaN where non-finite)."""
    per_instance = cell["eval"].get("per_instance")
    if not per_instance:
        return None
    last = per_instance["loss"][-1]
    return np.array([math.nan if v is None else float(v) for v in last])


def paired_samples(report, problem, first, second):
    """The final losses of two optimizers on one problem, paired by (repetition, instance); None
    when the cells do not share their instances (different seeds) or lack per-instance data."""
    by = defaultdict(dict)
    for c in competing_cells(report):
        if c["problem"]["label"] == problem and c["optimizer"]["label"] in (first, second):
            by[c.get("repetition", 0)][c["optimizer"]["label"]] = c
    a, b = [], []
    for rep in sorted(by):
        cells = by[rep]
        if first not in cells or second not in cells:
            continue
        ca, cb = cells[first], cells[second]
        if ca.get("seeds", {}).get("instances") != cb.get("seeds", {}).get("instances"):
            return None
        la, lb = final_losses(ca), final_losses(cb)
        if la is None or lb is None or len(la) != len(lb):
            return None
        a.append(la)
        b.append(lb)
    if not a:
        return None
    return np.concatenate(a), np.concatenate(b)


def win_tie_loss(report, alpha=ALPHA):
    """Every ordered pair (A, B) of optimizers: per problem the paired test on final losses,
    Holm-corrected over the problems of the pair; returns {"pairs": {(A, B): {"win", "tie",
    "loss"}}, "rows": [per (A, B, problem) details], "notes"}. Only A < B in the report's order is
    tested; (B, A) is its mirror."""
    cells = competing_cells(report)
    problems, optimizers = labels(cells)
    pairs, rows, notes = OrderedDict(), [], []
    for i, first in enumerate(optimizers):
        for second in optimizers[i + 1:]:
            tested = []
            for problem in problems:
                samples = paired_samples(report, problem, first, second)
                if samples is None:
                    continue
                p, median, n = paired_test(*samples)
                tested.append([problem, p, median, n])
            if not tested:
                notes.append(f"{first} vs {second}: no problem with paired test instances")
                continue
            adjusted = holm([t[1] for t in tested])
            counts = {"win": 0, "tie": 0, "loss": 0}
            for (problem, p, median, n), q in zip(tested, adjusted):
                verdict = "tie"
                if q < alpha and median < 0:
                    verdict = "win"
                elif q < alpha and median > 0:
                    verdict = "loss"
                counts[verdict] += 1
                rows.append({"first": first, "second": second, "problem": problem, "pairs": n,
                             "median_difference": median, "p": p, "p_holm": float(q), "verdict": verdict})
            pairs[(first, second)] = counts
            pairs[(second, first)] = {"win": counts["loss"], "tie": counts["tie"], "loss": counts["win"]}
    return {"optimizers": optimizers, "pairs": pairs, "rows": rows, "notes": notes, "alpha": alpha}


# ---------------------------------------------------------------------------------------------
# Speed-ups


def median_with_interval(values, seed=0, samples=BOOTSTRAP_SAMPLES):
    """The median and a 95 % percentile bootstrap interval of the median (values resampled with
    replacement, fixed seed; the interval's ends are order statistics of the resampled medians, not
    interpolated, so that 0 and +inf values stay meaningful); None for fewer than 2 values."""
    values = np.asarray(values, dtype=float)
    median = float(np.median(values))
    if len(values) < 2:
        return median, None
    rng = np.random.default_rng(seed)
    medians = np.median(rng.choice(values, size=(samples, len(values)), replace=True), axis=1)
    return median, (float(np.percentile(medians, 2.5, method="lower")),
                    float(np.percentile(medians, 97.5, method="higher")))


def speedups(result, reference):
    """Per optimizer other than the reference: per-problem speed-ups t_ref / t_opt from a profile
    result; +inf where only the optimizer reaches the target, 0 where only the reference does;
    problems neither reaches are left out. Returns {optimizer: {"values", "one_sided", "median",
    "interval"}} (one_sided: how many values are 0 or +inf)."""
    if result is None or reference not in result.get("optimizers", []):
        return {}
    j_ref = result["optimizers"].index(reference)
    out = OrderedDict()
    for j, optimizer in enumerate(result["optimizers"]):
        if j == j_ref:
            continue
        values = [float(t_ref / t_opt) if math.isfinite(t_opt) else 0.0
                  for t_ref, t_opt in zip(result["costs"][:, j_ref], result["costs"][:, j])
                  if math.isfinite(t_ref) or math.isfinite(t_opt)]
        entry = {"values": values, "one_sided": sum(1 for v in values if v == 0 or math.isinf(v)),
                 "median": None, "interval": None}
        if values:
            entry["median"], entry["interval"] = median_with_interval(values)
        out[optimizer] = entry
    return out


def fmt_speedup(v):
    return "∞" if math.isinf(v) else f"{v:.3g}"


def speedup_text(entry):
    """"2.3× [1.8, 2.9]" (no interval with one problem)."""
    interval = (f" [{fmt_speedup(entry['interval'][0])}, {fmt_speedup(entry['interval'][1])}]"
                if entry["interval"] else "")
    return f"{fmt_speedup(entry['median'])}×{interval}"


def speedup_line(optimizer, reference, entry, measure):
    if entry["median"] is None:
        return f"{optimizer}: no problem where it or {reference} reaches the target ({measure} to target)"
    n = len(entry["values"])
    one_sided = (f"; on {entry['one_sided']} only one of the two reaches the target (0 or ∞)"
                 if entry["one_sided"] else "")
    return (f"{optimizer}: median speed-up vs {reference}: {speedup_text(entry)} "
            f"({measure} to target, {n} problem{'s' if n != 1 else ''}{one_sided})")


# ---------------------------------------------------------------------------------------------
# Tuning records


def tuning_rows(report):
    """One row per tuned (problem, optimizer, repetition): the objective, the number of trials,
    the picked configuration and its validation result."""
    rows = []
    for c in competing_cells(report):
        tuning = c.get("tuning")
        if not tuning:
            continue
        trials = tuning.get("trials", [])
        pick = tuning.get("pick")
        chosen = trials[pick] if isinstance(pick, int) and 0 <= pick < len(trials) else {}
        validation = chosen.get("validation")
        config = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in chosen.get("config", {}).items())
        rows.append([c["problem"]["label"], c["optimizer"]["label"], str(c.get("repetition", 0)),
                     str(tuning.get("objective", "?")), str(len(trials)), config or "?",
                     "n/a" if validation is None else f"{validation:.4g}"])
    return ["problem", "optimizer", "repetition", "objective", "trials", "pick", "validation"], rows
