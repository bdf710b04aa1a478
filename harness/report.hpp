#pragma once
// report.json: the suite as run, a context block, and every cell in expansion order.
#include <filesystem>
#include <string>

#include "core/json_fwd.hpp"

namespace l2o::harness {

// Joins <dir>/cells/*.json of the suite in <dir>/suite.json into <dir>/report.json (atomic).
// Missing cells are an InputError naming how many and the first, unless allow_partial, which
// writes the report with "complete": false.
Json merge_report(const std::filesystem::path& dir, bool allow_partial);

// A terminal table of the final metrics of every cell.
std::string format_report_table(const Json& report);

// Reads a report and checks that it is one (schema version, cells).
Json read_report(const std::filesystem::path& path);

}  // namespace l2o::harness
