#pragma once
// Runs the cells of a suite: one JSON file per cell, written atomically under <out>/cells/ (and
// the tuning trials of tuned optimizers under <out>/tuning/, harness/tuning.hpp); cells whose
// file is already there are skipped, so an interrupted run resumes where it stopped.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_fwd.hpp"
#include "harness/cell_record.hpp"
#include "harness/cells.hpp"
#include "harness/suite.hpp"

namespace l2o::harness {

// Which cells a run computes: the tuning trials, the test cells, or both (trials first). A test
// cell whose trials are not all finished computes the missing ones itself (another shard's, when
// the stages were not run in order), so every stage order gives the same numbers.
enum class RunStage { all, tune, test };
RunStage parse_run_stage(const std::string& text);  // "all", "tune", "test"

struct RunOptions {
  std::filesystem::path out;
  std::filesystem::path cache = "out/cache";  // trained learned optimizers (content-addressed)
  // Shipped trained models (learned/shipped_model.hpp), used where the cache lacks a key; empty:
  // none.
  std::filesystem::path models;
  Shard shard;
  int threads = 0;             // cores to use in all; 0: every core
  int jobs = 0;                // cells or trainings at once; 0: one per thread (core/parallel.hpp)
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N"
  bool progress = true;        // a line per cell on stderr
  RunStage stage = RunStage::all;
};

struct RunSummary {
  std::size_t cells = 0, skipped = 0, evaluated = 0;  // tuning trials included
  std::size_t trials = 0;                             // of the cells, tuning trials
  std::size_t shipped_trials = 0;  // of the skipped, trials copied from <models>/tuning
  bool merged = false;             // report.json written (a run of all shards)
};

RunSummary run_suite(const Suite& suite, const RunOptions& options);

// Trains (or loads) every learned optimizer the suite's cells need, optionally only those
// with the given optimizer and problem labels; returns how many models there were.
std::size_t train_suite(const Suite& suite, const RunOptions& options,
                        const std::string& optimizer_label = "",
                        const std::string& problem_label = "");

// Checks --device: a CUDA device on a LibTorch without CUDA is an InputError.
c10::Device parse_device(const std::string& device);

// <out>/cells/<id>.json, or <out>/tuning/<id>.json for a tuning trial.
std::filesystem::path cell_path(const std::filesystem::path& out, const Cell& cell);

// The record in `path` when it is a finished record of `cell` (its digest, every step); else
// none, with a warning on stderr when a file is there but unusable.
std::optional<CellRecord> finished_cell(const std::filesystem::path& path, const Cell& cell,
                                        std::int64_t steps);

// Tests only: called with a problem and its split ("validation" or "test") whenever the runner
// draws instances, so that a test can make a split's access throw. Not thread-safe to set
// while a run is going on; empty by default.
using InstanceDrawHook = std::function<void(const ProblemSpec&, std::string_view split)>;
void set_instance_draw_hook(InstanceDrawHook hook);

}  // namespace l2o::harness
