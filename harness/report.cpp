#include "harness/report.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/cells.hpp"
#include "harness/context.hpp"
#include "harness/runner.hpp"
#include "harness/suite.hpp"

namespace l2o::harness {

namespace fs = std::filesystem;

namespace {

// A finished cell of the run in `dir`, or none when its file is not there yet.
std::optional<CellRecord> read_finished_cell(const fs::path& dir, const Cell& cell) {
  const fs::path path = cell_path(dir, cell);
  if (!fs::exists(path)) return std::nullopt;
  std::optional<CellRecord> record;
  try {
    record = CellRecord::from_json(read_json_file(path), path.string());
  } catch (const InputError&) {
  }
  if (!record || record->id != cell.id)
    throw InputError(fmt::format("{}: not the finished cell \"{}\"; delete it and run again",
                                 path.string(), cell.id));
  return record;
}

// Cell files in `dir` that are not cells of `suite` but name a problem or an optimizer it does
// not have: another suite's (shards of two suites into one folder). Refused, naming one; cells
// of an earlier version of this suite (same labels, other content) are left alone.
void refuse_other_suites_cells(const fs::path& dir, const Suite& suite,
                               const std::vector<Cell>& cells) {
  std::set<std::string> ids, problems, optimizers;
  for (const Cell& cell : cells) ids.insert(cell.id + ".json");
  for (const ProblemSpec& p : suite.problems) problems.insert(p.label);
  for (const OptimizerSpec& o : suite.optimizers) optimizers.insert(o.label);
  std::error_code ec;
  if (!fs::is_directory(dir / "cells", ec)) return;
  std::size_t foreign = 0;
  std::string first;
  for (const auto& entry : fs::directory_iterator(dir / "cells")) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || ids.contains(name)) continue;
    Json j;
    try {
      j = read_json_file(entry.path());
    } catch (const InputError&) {
      continue;
    }
    if (!j.is_object()) continue;
    const Json problem = j.value("problem", Json::object()).value("label", Json());
    const Json optimizer = j.value("optimizer", Json::object()).value("label", Json());
    if ((problem.is_string() && !problems.contains(problem.get<std::string>())) ||
        (optimizer.is_string() && !optimizers.contains(optimizer.get<std::string>())))
      if (foreign++ == 0) first = entry.path().string();
  }
  if (foreign > 0)
    throw InputError(fmt::format(
        "{}: {} cell files belong to another suite than {}'s \"{}\" (first: {}); runs of "
        "different suites need different --out folders: move them out, then merge",
        dir.string(), foreign, (dir / "suite.json").string(), suite.name, first));
}

}  // namespace

Report merge_report(const fs::path& dir, bool allow_partial) {
  const fs::path suite_file = dir / "suite.json";
  if (!fs::exists(suite_file))
    throw InputError(fmt::format(
        "{}: no suite.json here; is this the --out folder of `l2obench run`?", dir.string()));
  Report report{.schema_version = report_schema_version, .suite = read_json_file(suite_file)};
  const Suite suite = parse_suite_json(report.suite, suite_file.string());

  Json contexts = Json::array();
  std::size_t missing = 0;
  std::string first_missing;
  const std::vector<Cell> cells = expand(suite);
  for (const Cell& cell : cells) {
    std::optional<CellRecord> record = read_finished_cell(dir, cell);
    if (!record) {
      if (missing++ == 0) first_missing = cell.id;
      continue;
    }
    // One context per distinct run (shards on several machines give several).
    Json context = record->context.is_object() ? record->context : Json::object();
    context.erase("date");
    if (std::find(contexts.begin(), contexts.end(), context) == contexts.end())
      contexts.push_back(context);
    record->context = Json();
    report.cells.push_back(std::move(*record));
  }
  refuse_other_suites_cells(dir, suite, cells);
  if (missing > 0 && !allow_partial)
    throw InputError(
        fmt::format("{}: {} of {} cells are missing (first: {}); run the missing shards, or merge "
                    "with --allow-partial",
                    dir.string(), missing, missing + report.cells.size(), first_missing));

  report.context = contexts.empty() ? Json::object() : contexts.front();
  report.context["date"] = utc_now();
  report.complete = missing == 0;
  if (contexts.size() > 1) report.run_contexts = contexts;
  write_json_atomically(dir / "report.json", report.to_json());
  return report;
}

Report Report::summarized() const {
  Report out = *this;
  out.summary = true;
  for (CellRecord& cell : out.cells) cell = cell.summarized();
  return out;
}

Json Report::to_json() const {
  Json cell_list = Json::array();
  for (const CellRecord& cell : cells) cell_list.push_back(cell.to_json());
  Json j = {{"schema_version", schema_version},
            {"complete", complete},
            {"suite", suite},
            {"cells", std::move(cell_list)}};
  if (!context.is_null()) j["context"] = context;
  if (!run_contexts.is_null()) j["run_contexts"] = run_contexts;
  if (summary) j["summary"] = true;
  return j;
}

Report report_from_json(const Json& j, const std::string& where) {
  auto fail = [&](const std::string& why) {
    throw InputError(fmt::format("{}: not an l2obench report ({})", where, why));
  };
  if (!j.is_object() || !j.contains("cells") || !j["cells"].is_array()) fail("no \"cells\" array");
  if (j.value("schema_version", Json()) != report_schema_version)
    throw InputError(fmt::format("{}: schema_version {} is not supported (this l2obench reads {})",
                                 where, j.value("schema_version", Json()).dump(),
                                 report_schema_version));
  if (!j.contains("suite") || !j["suite"].is_object()) fail("no \"suite\" object");
  Report report{.schema_version = report_schema_version,
                .context = j.value("context", Json()),
                .run_contexts = j.value("run_contexts", Json()),
                .complete = j.value("complete", Json(true)) == true,
                .summary = j.value("summary", Json(false)) == true,
                .suite = j["suite"]};
  for (std::size_t i = 0; i < j["cells"].size(); ++i) {
    try {
      report.cells.push_back(CellRecord::from_json(j["cells"][i], fmt::format("cells[{}]", i)));
    } catch (const InputError& e) {
      fail(fmt::format("cells[{}] lacks a field: {}", i, e.what()));
    }
  }
  return report;
}

Report read_report(const fs::path& path) {
  return report_from_json(read_json_file(path), path.string());
}

namespace {

std::string number(const Json& j) {
  if (j.is_null()) return "non-finite";  // JSON has no inf or nan
  if (!j.is_number()) return "-";
  double v = j.get<double>();
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.4g}", v);
}

std::string final_value(const CellRecord& cell, std::string_view name) {
  const Json& final = cell.eval.final.json();
  auto it = final.find(name);
  return it == final.end() ? std::string("-") : number(*it);
}

// The columns of the table: fixed ones, the families' own metrics (a column of final means
// each), and iterations to the relative-gap target where some cell knows f*.
struct Columns {
  std::vector<std::string> extra;
  bool to_target = false;
};

Columns columns_of(const Report& report) {
  Columns c;
  for (const CellRecord& cell : report.cells) {
    for (const std::string& name : cell.eval.extra_names())
      if (std::find(c.extra.begin(), c.extra.end(), name) == c.extra.end()) c.extra.push_back(name);
    c.to_target = c.to_target || cell.eval.has_to_target();
  }
  return c;
}

std::vector<std::string> header_of(const Report& report, const Columns& columns) {
  std::vector<std::string> header{"problem",    "optimizer",  "rep",     "loss mean", "loss median",
                                  "log10 mean", "gap median", "us/step", "train s"};
  for (const std::string& name : columns.extra) header.push_back(name);
  if (columns.to_target) {
    header.push_back(fmt::format("iters to {}", number(report.suite.value("target", Json(1e-3)))));
    header.push_back("never");
  }
  return header;
}

std::vector<std::string> row_of(const CellRecord& cell, const Columns& columns) {
  namespace m = final_metric;
  const Json seconds = cell.train.is_object() ? cell.train.value("seconds", Json()) : Json();
  const auto& step = cell.eval.seconds_per_step;
  std::vector<std::string> row{
      cell.problem.label,
      cell.optimizer.label,
      std::to_string(cell.repetition),
      final_value(cell, m::loss_mean),
      final_value(cell, m::loss_median),
      final_value(cell, m::log10_mean_loss),
      final_value(cell, m::gap_median),
      step ? fmt::format("{:.1f}", *step * 1e6) : "-",
      seconds.is_number() ? fmt::format("{:.1f}", seconds.get<double>()) : std::string("-")};
  for (const std::string& name : columns.extra) row.push_back(final_value(cell, name + "_mean"));
  if (columns.to_target) {
    const FinalMetrics& final = cell.eval.final;
    const bool known = final.contains(m::iterations_to_target_median);
    // No median: more than half the instances never reach the target.
    const auto median = final.number(m::iterations_to_target_median);
    row.push_back(!known   ? "-"
                  : median ? number(*median)
                           : fmt::format(">{}", cell.eval.steps.value_or(0)));
    const auto never = final.number(m::never_reached);
    row.push_back(never ? fmt::format("{:.0f}%", 100 * *never) : "-");
  }
  return row;
}

}  // namespace

std::string format_report_table(const Report& report) {
  const Columns columns = columns_of(report);
  std::vector<std::vector<std::string>> rows{header_of(report, columns)};
  for (const CellRecord& cell : report.cells) rows.push_back(row_of(cell, columns));
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());

  std::string out = fmt::format("suite {} — {} cells{}, final step {}\n",
                                report.suite.value("name", Json("?")).dump(), report.cells.size(),
                                report.complete ? "" : " (INCOMPLETE)",
                                report.suite.value("steps", Json("?")).dump());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::string line;
    for (std::size_t i = 0; i < rows[k].size(); ++i) {
      // Labels left-aligned, numbers right-aligned.
      line += i < 2 ? fmt::format("{:<{}}  ", rows[k][i], width[i])
                    : fmt::format("{:>{}}  ", rows[k][i], width[i]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
    if (k == 0) out += std::string(line.size(), '-') + "\n";
  }
  return out;
}

}  // namespace l2o::harness
