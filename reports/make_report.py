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
    args = parser.parse_args()
    for path in args.reports + ([args.equivariance] if args.equivariance else []):
        if not os.path.exists(path):
            sys.exit(f"make_report: {path}: no such report")
    written = l2o_report.build(args.reports, args.out, args.paper_values, args.equivariance, args.reference)
    print(f"make_report: {len(written)} files -> {os.path.join(args.out, 'index.html')}", file=sys.stderr)


if __name__ == "__main__":
    main()
