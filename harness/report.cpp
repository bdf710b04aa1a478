#include "harness/report.hpp"

#include <algorithm>
#include <cmath>

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

Json merge_report(const fs::path& dir, bool allow_partial) {
  const fs::path suite_file = dir / "suite.json";
  if (!fs::exists(suite_file))
    throw InputError(fmt::format(
        "{}: no suite.json here; is this the --out folder of `l2obench run`?", dir.string()));
  const Json suite_json = read_json_file(suite_file);
  const Suite suite = parse_suite_json(suite_json, suite_file.string());

  Json cells = Json::array(), contexts = Json::array();
  std::size_t missing = 0;
  std::string first_missing;
  for (const Cell& cell : expand(suite)) {
    const fs::path path = cell_path(dir, cell);
    if (!fs::exists(path)) {
      if (missing++ == 0) first_missing = cell.id;
      continue;
    }
    Json record = read_json_file(path);
    if (!record.is_object() || record.value("id", Json()) != cell.id || !record.contains("eval"))
      throw InputError(fmt::format("{}: not the finished cell \"{}\"; delete it and run again",
                                   path.string(), cell.id));
    // One context per distinct run (shards on several machines give several).
    Json context = record.value("context", Json::object());
    context.erase("date");
    if (std::find(contexts.begin(), contexts.end(), context) == contexts.end())
      contexts.push_back(context);
    record.erase("context");
    cells.push_back(std::move(record));
  }
  if (missing > 0 && !allow_partial)
    throw InputError(
        fmt::format("{}: {} of {} cells are missing (first: {}); run the missing shards, or merge "
                    "with --allow-partial",
                    dir.string(), missing, missing + cells.size(), first_missing));

  Json context = contexts.empty() ? Json::object() : contexts.front();
  context["date"] = utc_now();
  Json report = {{"schema_version", report_schema_version},
                 {"context", std::move(context)},
                 {"complete", missing == 0},
                 {"suite", suite_json},
                 {"cells", std::move(cells)}};
  if (contexts.size() > 1) report["run_contexts"] = contexts;
  write_json_atomically(dir / "report.json", report);
  return report;
}

Json read_report(const fs::path& path) {
  Json report = read_json_file(path);
  auto fail = [&](const std::string& why) {
    throw InputError(fmt::format("{}: not an l2obench report ({})", path.string(), why));
  };
  if (!report.is_object() || !report.contains("cells") || !report["cells"].is_array())
    fail("no \"cells\" array");
  if (report.value("schema_version", Json()) != report_schema_version)
    throw InputError(fmt::format("{}: schema_version {} is not supported (this l2obench reads {})",
                                 path.string(), report.value("schema_version", Json()).dump(),
                                 report_schema_version));
  if (!report.contains("suite") || !report["suite"].is_object()) fail("no \"suite\" object");
  for (std::size_t i = 0; i < report["cells"].size(); ++i) {
    const Json& cell = report["cells"][i];
    const bool ok = cell.is_object() && cell.contains("problem") && cell["problem"].is_object() &&
                    cell["problem"].value("label", Json()).is_string() &&
                    cell.contains("optimizer") && cell["optimizer"].is_object() &&
                    cell["optimizer"].value("label", Json()).is_string() && cell.contains("eval") &&
                    cell["eval"].is_object() && cell["eval"].contains("final") &&
                    cell["eval"]["final"].is_object();
    if (!ok) fail(fmt::format("cells[{}] lacks problem.label, optimizer.label or eval.final", i));
  }
  return report;
}

namespace {

std::string number(const Json& j) {
  if (j.is_null()) return "non-finite";  // JSON has no inf or nan
  if (!j.is_number()) return "-";
  double v = j.get<double>();
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.4g}", v);
}

}  // namespace

std::string format_report_table(const Json& report) {
  std::vector<std::vector<std::string>> rows{{"problem", "optimizer", "rep", "loss mean",
                                              "loss median", "log10 mean", "gap median", "us/step",
                                              "train s"}};
  // Families' own metrics (eval.extra: test loss, test accuracy), a column of final means each.
  std::vector<std::string> extra;
  for (const Json& cell : report["cells"])
    for (const auto& [name, series] : cell["eval"].value("extra", Json::object()).items())
      if (std::find(extra.begin(), extra.end(), name) == extra.end()) extra.push_back(name);
  for (const std::string& name : extra) rows.front().push_back(name);
  // Iterations to the relative-gap target (median over instances; the share that never got
  // there), where some cell knows f*.
  const bool to_target = std::any_of(report["cells"].begin(), report["cells"].end(),
                                     [](const Json& c) { return c["eval"].contains("to_target"); });
  if (to_target) {
    rows.front().push_back(
        fmt::format("iters to {}", number(report["suite"].value("target", Json(1e-3)))));
    rows.front().push_back("never");
  }
  for (const Json& cell : report["cells"]) {
    const Json& eval = cell["eval"];
    const Json& final = eval["final"];
    // Only what read_report checked is required; everything else may be missing.
    auto final_value = [&](const char* key) {
      return final.contains(key) ? number(final[key]) : std::string("-");
    };
    auto train_seconds = [&] {
      const Json train = cell.value("train", Json::object());
      return train.is_object() && train.value("seconds", Json()).is_number()
                 ? fmt::format("{:.1f}", train["seconds"].get<double>())
                 : std::string("-");
    };
    const Json step = eval.value("seconds_per_step", Json());
    rows.push_back({cell["problem"]["label"], cell["optimizer"]["label"],
                    cell.value("repetition", Json()).dump(), final_value("loss_mean"),
                    final_value("loss_median"), final_value("log10_mean_loss"),
                    final_value("gap_median"),
                    step.is_number() ? fmt::format("{:.1f}", step.get<double>() * 1e6) : "-",
                    train_seconds()});
    for (const std::string& name : extra)
      rows.back().push_back(final_value((name + "_mean").c_str()));
    if (to_target) {
      const Json t = eval.value("to_target", Json::object());
      const bool known = t.is_object() && t.contains("median");
      // A null median: more than half the instances never reach the target.
      rows.back().push_back(!known                  ? "-"
                            : t["median"].is_null() ? fmt::format(">{}", eval.value("steps", 0))
                                                    : number(t["median"]));
      rows.back().push_back(known && t.value("never", Json()).is_number()
                                ? fmt::format("{:.0f}%", 100 * t["never"].get<double>())
                                : "-");
    }
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());

  std::string out = fmt::format(
      "suite {} — {} cells{}, final step {}\n", report["suite"].value("name", Json("?")).dump(),
      report["cells"].size(), report.value("complete", Json(true)) == true ? "" : " (INCOMPLETE)",
      report["suite"].value("steps", Json("?")).dump());
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
