#include "harness/slurm.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/files.hpp"
#include "harness/cells.hpp"
#include "harness/tuning.hpp"

namespace l2o::harness {

namespace fs = std::filesystem;

namespace {

// What one stage's script runs on and for how long.
struct Stage {
  std::string name, what;
  std::size_t tasks = 0;  // an array of this many tasks; 0: a single job
  int cpus = 1;
  std::string time;
};

// The #SBATCH lines every stage shares and the start of its body.
std::string script_head(const Suite& suite, const Stage& stage, const SlurmOptions& o,
                        const fs::path& logs) {
  std::string s = fmt::format("#!/bin/bash\n# Written by `l2obench slurm` for suite \"{}\": {}.\n",
                              suite.name, stage.what);
  auto line = [&](const std::string& option) { s += "#SBATCH " + option + "\n"; };
  line(fmt::format("--job-name=l2o-{}-{}", suite.name, stage.name));
  if (stage.tasks > 0) line(fmt::format("--array=0-{}", stage.tasks - 1));
  line(fmt::format("--cpus-per-task={}", stage.cpus));
  if (!stage.time.empty()) line("--time=" + stage.time);
  if (!o.partition.empty()) line("--partition=" + o.partition);
  if (!o.account.empty()) line("--account=" + o.account);
  if (!o.qos.empty()) line("--qos=" + o.qos);
  line(fmt::format("--output={}/{}-{}.out", logs.string(), stage.name,
                   stage.tasks > 0 ? "%A_%a" : "%j"));
  // A requeued task (preempted, node failure, `scontrol requeue`) appends to its log and starts
  // again: finished cells are skipped, a training continues from its resume file.
  line("--open-mode=append");
  line("--requeue");
  // A stage whose predecessor failed is cancelled rather than left pending forever.
  line("--kill-on-invalid-dep=yes");
  for (const std::string& option : o.sbatch_options) line(option);
  s += "set -euo pipefail\n";
  for (const std::string& command : o.prologue) s += command + "\n";
  s += "cd " + shell_quoted(fs::current_path().string()) + "\n";
  return s;
}

// The options every l2obench command of the jobs takes.
std::string common_options(const SlurmOptions& o, int threads) {
  std::string s =
      fmt::format(" --cache {} --threads {} --device {}",
                  shell_quoted(fs::absolute(o.cache).string()), threads, shell_quoted(o.device));
  if (!o.train_profile.empty()) s += " --train-profile " + shell_quoted(o.train_profile);
  if (!o.models.empty())
    s += " --models " +
         shell_quoted(o.models == "none" ? o.models : fs::absolute(o.models).string());
  return s;
}

void refuse_for_sbatch_lines(const fs::path& path, const std::string& option) {
  for (char c : path.string())
    if (std::isspace(static_cast<unsigned char>(c)) || c == '%')
      throw InputError(fmt::format(
          "{} {}: Slurm's #SBATCH lines cannot hold a path with spaces or '%'; choose another",
          option, path.string()));
}

}  // namespace

bool is_slurm_time(const std::string& text) {
  static const std::regex time(R"(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|INFINITE|UNLIMITED)");
  return std::regex_match(text, time);
}

std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

SlurmScripts write_slurm_scripts(const Suite& suite, const std::vector<SuiteModel>& models,
                                 const SlurmOptions& o) {
  const std::size_t cells = expand(suite).size();
  if (cells == 0)
    throw InputError(fmt::format(
        "{}: the suite has no cells (no optimizer runs on any of its problems)", o.suite.string()));
  // More shards than cells would leave tasks without work: one per cell at most, as for trials.
  const std::size_t cell_shards = std::min(o.shards, cells);
  const fs::path out = fs::absolute(o.out).lexically_normal();
  refuse_for_sbatch_lines(out, "--out");
  const fs::path dir = out / "slurm", logs = dir / "logs";
  fs::create_directories(logs);
  const std::string l2obench = shell_quoted(fs::absolute(o.l2obench).string());
  const std::string suite_file = shell_quoted(fs::absolute(o.suite).string());
  const std::string out_dir = shell_quoted(out.string());
  SlurmScripts scripts{.cells = dir / "cells.sbatch",
                       .merge = dir / "merge.sbatch",
                       .submit = dir / "submit.sh",
                       .cell_shards = cell_shards};

  if (!models.empty()) {
    scripts.train = dir / "train.sbatch";
    const Stage train{"train",
                      fmt::format("the train stage, a task per learned model ({})", models.size()),
                      models.size(), o.cpus, o.train_time.empty() ? o.time : o.train_time};
    std::string s = script_head(suite, train, o, logs);
    // Tasks name their model by key: a suite edited after this script was written fails loudly
    // rather than training another model.
    s += "models=(";
    for (std::size_t i = 0; i < models.size(); ++i) s += (i ? " " : "") + models[i].key;
    s += ")\n";
    s += fmt::format("exec {} train {} --model \"${{models[$SLURM_ARRAY_TASK_ID]}}\"{}\n", l2obench,
                     suite_file, common_options(o, o.cpus));
    write_file_atomically(scripts.train, s);
  } else {
    fs::remove(dir / "train.sbatch");
  }

  // The tuning trials first: every test cell reads the trials of its problem, whichever shard
  // ran them.
  const std::size_t trials = expand_trials(suite).size();
  std::string s;
  if (trials > 0) {
    scripts.tune = dir / "tune.sbatch";
    const std::size_t shards = std::min(o.shards, trials);
    const Stage tune{"tune", fmt::format("the tuning trials, in {} shards", shards), shards, o.cpus,
                     o.time};
    s = script_head(suite, tune, o, logs);
    s += fmt::format("exec {} run {} --out {} --stage tune --shard \"$SLURM_ARRAY_TASK_ID/{}\"{}\n",
                     l2obench, suite_file, out_dir, shards, common_options(o, o.cpus));
    write_file_atomically(scripts.tune, s);
  } else {
    fs::remove(dir / "tune.sbatch");
  }

  const Stage cell_stage{"cells", fmt::format("the cells, in {} shards", cell_shards), cell_shards,
                         o.cpus, o.time};
  s = script_head(suite, cell_stage, o, logs);
  s += fmt::format("exec {} run {} --out {}{} --shard \"$SLURM_ARRAY_TASK_ID/{}\"{}\n", l2obench,
                   suite_file, out_dir, trials > 0 ? " --stage test" : "", cell_shards,
                   common_options(o, o.cpus));
  write_file_atomically(scripts.cells, s);

  const Stage merge{"merge", "the report of all shards, its table and figures", 0, 1, o.time};
  s = script_head(suite, merge, o, logs);
  const std::string report = shell_quoted((out / "report.json").string());
  s += fmt::format("{} merge {}\n", l2obench, out_dir);
  s += fmt::format("{} show {} > {}\n", l2obench, report,
                   shell_quoted((out / "report.txt").string()));
  if (!o.report_script.empty())
    s += fmt::format("{} {} {} --out {}\n", shell_quoted(o.python.string()),
                     shell_quoted(o.report_script.string()), report,
                     shell_quoted((out / "figures").string()));
  write_file_atomically(scripts.merge, s);

  s = fmt::format(
      "#!/bin/sh\n"
      "# Written by `l2obench slurm` for suite \"{}\": submits the stages, each after the one\n"
      "# before succeeded (afterok); prints \"<stage> <job id>\" for each.\n"
      "set -eu\n"
      "cd {}\n"
      "submit() {{ id=$(sbatch --parsable \"$@\") || exit 1; echo \"${{id%%;*}}\"; }}\n",
      suite.name, shell_quoted(dir.string()));
  // Each stage after the one before it (train, tune, cells: whichever the suite has).
  std::string previous;
  for (const auto& [stage, script] : {std::pair<std::string, fs::path>{"train", scripts.train},
                                      {"tune", scripts.tune},
                                      {"cells", scripts.cells}}) {
    if (script.empty()) continue;
    s += fmt::format("{}=$(submit {}{})\necho \"{} ${}\"\n", stage,
                     previous.empty() ? "" : "--dependency=afterok:$" + previous + " ",
                     script.filename().string(), stage, stage);
    previous = stage;
  }
  s += "merge=$(submit --dependency=afterok:$cells merge.sbatch)\necho \"merge $merge\"\n";
  write_file_atomically(scripts.submit, s);
  fs::permissions(scripts.submit,
                  fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  return scripts;
}

}  // namespace l2o::harness
