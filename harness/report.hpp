#pragma once
// report.json: the suite as run, a context block, and every cell in expansion order.
#include <filesystem>
#include <string>
#include <vector>

#include "core/json_fwd.hpp"
#include "harness/cell_record.hpp"

namespace l2o::harness {

struct Report {
  int schema_version = 0;
  Json context;       // of the run (the first, where shards ran on several machines)
  Json run_contexts;  // every distinct run context, when there were several; else null
  bool complete = true;
  bool summary = false;  // cells without their per-step series (summarized())
  Json suite;            // the suite as run (Suite::to_json)
  std::vector<CellRecord> cells;

  // Without per-step series: what regression tracking needs (final metrics, times, training
  // seconds, context, suite), small enough to commit.
  Report summarized() const;
  Json to_json() const;
};

// Joins <dir>/cells/*.json of the suite in <dir>/suite.json into <dir>/report.json (atomic).
// Missing cells are an InputError naming how many and the first, unless allow_partial, which
// writes the report with "complete": false.
Report merge_report(const std::filesystem::path& dir, bool allow_partial);

// A terminal table of the final metrics of every cell.
std::string format_report_table(const Report& report);

// Reads a report and checks that it is one (schema version, cells); `where` names it in errors.
Report report_from_json(const Json& report, const std::string& where);
Report read_report(const std::filesystem::path& path);

}  // namespace l2o::harness
