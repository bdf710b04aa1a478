#pragma once
// A suite on a Slurm cluster, in up to four stages of sbatch scripts under <out>/slurm/:
//   train.sbatch  an array task per learned model of the suite (`l2obench train --model`),
//   tune.sbatch   a suite with tuned optimizers: an array task per shard of the tuning trials
//                 (`l2obench run --stage tune --shard i/N`), after train succeeded,
//   cells.sbatch  an array task per shard (`l2obench run --shard i/N`, `--stage test` after a
//                 tune stage), after the stages before succeeded,
//   merge.sbatch  `l2obench merge`, the table and the figures, after every shard succeeded,
// and submit.sh, which submits them in that order with afterok dependencies. Every path in the
// scripts is absolute: --out and --cache must be on a filesystem all nodes share.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/suite.hpp"
#include "harness/suite_models.hpp"

namespace l2o::harness {

struct SlurmOptions {
  std::filesystem::path suite, out, cache;  // as the command line gave them
  std::string
      models;  // shipped models for every task ("none": train them); "" = the tasks' default
  std::size_t shards = 1;
  int cpus = 1;                  // per task; also each task's --threads
  std::string time, train_time;  // Slurm time limits ("" = the partition's default)
  std::string partition, account, qos;
  std::vector<std::string> sbatch_options;  // more "#SBATCH" options, each "--name[=value]"
  std::vector<std::string> prologue;        // shell lines each job runs first (module load ...)
  std::string train_profile, device = "cpu";
  std::filesystem::path l2obench;       // the binary the jobs run
  std::filesystem::path report_script;  // reports/make_report.py; empty: no figures
  std::filesystem::path python;         // what runs it
};

struct SlurmScripts {
  std::filesystem::path train;  // empty when the suite has no learned model
  std::filesystem::path tune;   // empty when the suite tunes no optimizer
  std::filesystem::path cells, merge, submit;
  std::size_t cell_shards = 1;  // --shards, or the suite's cell count where that is smaller
};

// Writes the scripts (atomically) into <out>/slurm/ and creates <out>/slurm/logs/ for the jobs'
// output; a train.sbatch left there by an earlier call is removed when there is no model.
SlurmScripts write_slurm_scripts(const Suite& suite, const std::vector<SuiteModel>& models,
                                 const SlurmOptions& options);

// Whether `text` is a Slurm time limit: minutes, minutes:seconds, hours:minutes:seconds,
// days-hours, days-hours:minutes or days-hours:minutes:seconds.
bool is_slurm_time(const std::string& text);

// `text` quoted for a POSIX shell.
std::string shell_quoted(const std::string& text);

}  // namespace l2o::harness
