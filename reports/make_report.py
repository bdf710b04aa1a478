#!/usr/bin/python3
"""Figures, tables, REPORT.md and index.html from l2obench reports; see l2o_report.py."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import l2o_report  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("reports", nargs="*", help="report.json files (one section each)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--paper-values", default=os.path.join(os.path.dirname(__file__), "paper_values.json"))
    parser.add_argument("--equivariance", help="JSON of `l2obench equivariance --json` (a section with its table)")
    parser.add_argument("--reference", help="optimizer label the speed-ups are measured against (e.g. adam-tuned); "
                        "default: each report's first optimizer")
    parser.add_argument("--x-axis", action="append", choices=l2o_report.X_AXES + ("all",),
                        help="draw the loss curves against iterations (the default), evaluations or seconds; "
                             "repeat it, or give 'all', for a figure of each")
    parser.add_argument("--evaluation-weights", default="",
                        help="what an evaluation counts on the evaluations axis, kind=weight,... over the default "
                             "function=1,gradient=1,hessian_vector=1,network=0")
    args = parser.parse_args()
    axes = args.x_axis or ["iterations"]
    if "all" in axes:
        axes = list(l2o_report.X_AXES)
    weights = l2o_report.parse_evaluation_weights(args.evaluation_weights)
    for path in args.reports + ([args.equivariance] if args.equivariance else []):
        if not os.path.exists(path):
            sys.exit(f"make_report: {path}: no such report")
    written = l2o_report.build(args.reports, args.out, args.paper_values, args.equivariance, args.reference,
                               list(dict.fromkeys(axes)), weights)
    print(f"make_report: {len(written)} files -> {os.path.join(args.out, 'index.html')}", file=sys.stderr)


if __name__ == "__main__":
    main()
