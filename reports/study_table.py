#!/usr/bin/python3
"""Markdown tables of a design study: a suite whose optimizers are tuned (`"tune"`) over the
choices under study, every trial scored on the validation split.

    /usr/bin/python3 reports/study_table.py out/diff-l2o-study/report.json [--steps 1,10,100]
        [--detail] [--out FILE]
    /usr/bin/python3 reports/study_table.py --one-at-a-time REPORT [REPORT...] [--out FILE]

For each tuned optimizer it prints
  - the effect of each choice: for every value of every tuned field, the best validation score
    (the tuning objective, lower is better) among the trials with that value, per problem; the
    value the problem's pick has is marked with *;
  - with --detail, every trial per problem: its values, score and mean validation loss at --steps
    (read from the run's tuning/ folder, next to report.json).
Only repetition 0's test cells are read: the trials are shared by a problem's repetitions.

--one-at-a-time reads a study that varies one choice at a time, possibly split over several suites
(rounds 2 and 3 of the Diff-L2O study): every tuned optimizer tunes one choice, a field or several
fields crossed (T and the end of the noise schedule), and a problem has at most one tuned optimizer
per choice. It prints one table: a row per (choice, value), a column per problem of all the
reports, each cell that trial's validation score (* = the best of the choice's values on that
problem).

A field missing from a trial's config is at its default: l2obench leaves a field declared
`keyed_only_when_set` out of the canonical config there; it shows as "default".
"""

import argparse
import json
import math
import os
import sys


AT_DEFAULT = "default"  # a field the canonical config leaves out (keyed only when set)


def field_value(trial, field):
    """A tuned field's value in a trial of a tuning record: `train.<f>` is in the trial's "train"
    (l2obench writes the training config next to "config"), the others in its "config", or
    AT_DEFAULT where the config leaves the field out at its default."""
    if field.startswith("train."):
        training = trial.get("train") or trial["config"].get("train") or {}
        return training.get(field[len("train."):])
    return trial["config"].get(field, AT_DEFAULT)


def show(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def score_text(score):
    return "–" if score is None or not math.isfinite(score) else f"{score:.4g}"


def tuned_cells(report):
    """(optimizer label, problem label) -> the test cell of repetition 0 with a tuning record."""
    out = {}
    for cell in report.get("cells", []):
        tuning = cell.get("tuning")
        if not isinstance(tuning, dict) or "trials" not in tuning:
            continue
        if cell.get("repetition", 0) != 0:
            continue
        out[(cell["optimizer"]["label"], cell["problem"]["label"])] = cell
    return out


def choice_effects(cells):
    """For one optimizer's cells {problem: cell}: the tuned fields, and per (field, value) and
    problem the best score among the trials with that value and whether the pick has it."""
    fields = []
    effects = {}  # (field, shown value) -> {problem: (best score, picked)}
    order = {}  # field -> values in the order first seen
    for problem, cell in cells.items():
        tuning = cell["tuning"]
        for field in tuning.get("space", {}):
            if field not in fields:
                fields.append(field)
        trials = tuning["trials"]
        pick = tuning.get("pick")
        picked = trials[pick] if isinstance(pick, int) and 0 <= pick < len(trials) else None
        for field in fields:
            for trial in trials:
                value = show(field_value(trial, field))
                order.setdefault(field, [])
                if value not in order[field]:
                    order[field].append(value)
                score = trial.get("validation")
                score = float("inf") if score is None else float(score)
                best, _ = effects.setdefault((field, value), {}).get(problem, (float("inf"), False))
                is_pick = picked is not None and show(field_value(picked, field)) == value
                effects[(field, value)][problem] = (min(best, score), is_pick)
    return fields, order, effects


def trial_curve(run_dir, cell_id, steps):
    path = os.path.join(run_dir, "tuning", cell_id + ".json")
    try:
        with open(path) as f:
            mean = json.load(f)["eval"]["loss"]["mean"]
    except (OSError, KeyError, ValueError):
        return [None] * len(steps)
    return [mean[s] if s < len(mean) else None for s in steps]


def tables(report, run_dir, steps=(1, 10, 100), detail=False):
    lines = []
    cells = tuned_cells(report)
    optimizers = []
    problems = []
    for optimizer, problem in cells:
        if optimizer not in optimizers:
            optimizers.append(optimizer)
        if problem not in problems:
            problems.append(problem)
    for optimizer in optimizers:
        mine = {p: cells[(optimizer, p)] for p in problems if (optimizer, p) in cells}
        objective = next(iter(mine.values()))["tuning"].get("objective", "final_loss")
        fields, order, effects = choice_effects(mine)
        lines.append(f"### {optimizer}: effect of each choice (best validation {objective}; "
                     "* = the pick has this value)")
        lines.append("")
        lines.append("| choice | " + " | ".join(mine) + " |")
        lines.append("|---|" + "---|" * len(mine))
        for field in fields:
            for value in order[field]:
                row = []
                for problem in mine:
                    score, picked = effects[(field, value)].get(problem, (None, False))
                    row.append(score_text(score) + (" *" if picked else ""))
                lines.append(f"| {field} = {value} | " + " | ".join(row) + " |")
        lines.append("")
        if not detail:
            continue
        for problem, cell in mine.items():
            tuning = cell["tuning"]
            lines.append(f"#### {optimizer} on {problem}: every trial (validation split)")
            lines.append("")
            lines.append("| " + " | ".join(fields) + f" | {objective} | " +
                         " | ".join(f"loss @{s}" for s in steps) + " |")
            lines.append("|" + "---|" * (len(fields) + 1 + len(steps)))
            ranked = sorted(enumerate(tuning["trials"]),
                            key=lambda it: (float("inf") if it[1].get("validation") is None
                                            else it[1]["validation"], it[0]))
            for index, trial in ranked:
                values = [show(field_value(trial, f)) for f in fields]
                curve = trial_curve(run_dir, trial.get("cell", ""), steps)
                mark = " (pick)" if index == tuning.get("pick") else ""
                lines.append("| " + " | ".join(values) + f" | {score_text(trial.get('validation'))}{mark} | " +
                             " | ".join(score_text(v) for v in curve) + " |")
            lines.append("")
    return "\n".join(lines)


def one_at_a_time(reports):
    """The table of a one-choice-at-a-time study over `reports` (see the module's doc)."""
    problems, scores = [], {}  # scores: (field, value) -> {problem: score}, in trial order
    objective = None
    for report in reports:
        for (optimizer, problem), cell in tuned_cells(report).items():
            tuning = cell["tuning"]
            fields = list(tuning.get("space", {}))
            if not fields:
                sys.exit(f"study_table.py: --one-at-a-time: {optimizer} tunes no field")
            choice = ", ".join(fields)  # fields tuned together are one choice, their values crossed
            objective = objective or tuning.get("objective", "final_loss")
            if problem not in problems:
                problems.append(problem)
            for trial in tuning["trials"]:
                row = (choice, ", ".join(show(field_value(trial, f)) for f in fields))
                if problem in scores.setdefault(row, {}):
                    sys.exit(f"study_table.py: --one-at-a-time: {row[0]} = {row[1]} has two trials on {problem}")
                score = trial.get("validation")
                scores[row][problem] = float("inf") if score is None else float(score)
    fields = list(dict.fromkeys(field for field, _ in scores))
    rows = sorted(scores, key=lambda row: fields.index(row[0]))  # a field's values together
    best = {}  # (field, problem) -> the field's best score there
    for (field, _), by_problem in scores.items():
        for problem, score in by_problem.items():
            best[(field, problem)] = min(best.get((field, problem), float("inf")), score)
    lines = [f"| choice | " + " | ".join(problems) + " |", "|---|" + "---|" * len(problems)]
    for field, value in rows:
        cells = []
        for problem in problems:
            score = scores[(field, value)].get(problem)
            mark = " *" if score is not None and math.isfinite(score) and score == best[(field, problem)] else ""
            cells.append(("" if score is None else score_text(score)) + mark)
        lines.append(f"| {field} = {value} | " + " | ".join(cells) + " |")
    header = f"### One choice at a time: validation {objective} (lower is better; * = the choice's best on the problem)"
    return "\n".join([header, ""] + lines) if problems else ""


def read_report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"study_table.py: {path}: {e}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", nargs="+")
    parser.add_argument("--one-at-a-time", action="store_true",
                        help="one table over every report of a study that varies one field per tuned optimizer")
    parser.add_argument("--steps", default="1,10,100", help="steps of the detail tables")
    parser.add_argument("--detail", action="store_true", help="every trial per problem")
    parser.add_argument("--out", help="write the markdown here instead of stdout")
    args = parser.parse_args(argv)
    try:
        steps = tuple(int(s) for s in args.steps.split(","))
        if any(s < 0 for s in steps):
            raise ValueError
    except ValueError:
        sys.exit(f"study_table.py: --steps: expected comma-separated steps >= 0, got {args.steps!r}")
    if args.one_at_a_time:
        text = one_at_a_time([read_report(path) for path in args.report])
    elif len(args.report) > 1:
        sys.exit("study_table.py: several reports need --one-at-a-time")
    else:
        text = tables(read_report(args.report[0]), os.path.dirname(os.path.abspath(args.report[0])), steps,
                      args.detail)
    if not text:
        sys.exit(f"study_table.py: {', '.join(args.report)}: no tuned optimizer (no cell has a tuning record)")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
