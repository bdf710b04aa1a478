#pragma once
// Runs the cells of a suite: one JSON file per cell, written atomically under <out>/cells/;
// cells whose file is already there are skipped, so an interrupted run resumes where it stopped.
#include <cstddef>
#include <filesystem>
#include <string>

#include "core/json_fwd.hpp"
#include "harness/cells.hpp"
#include "harness/suite.hpp"

namespace l2o::harness {

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
};

struct RunSummary {
  std::size_t cells = 0, skipped = 0, evaluated = 0;
  bool merged = false;  // report.json written (a run of all shards)
};

RunSummary run_suite(const Suite& suite, const RunOptions& options);

// Trains (or loads) every learned optimizer the suite's cells need, optionally only those
// with the given optimizer and problem labels; returns how many models there were.
std::size_t train_suite(const Suite& suite, const RunOptions& options,
                        const std::string& optimizer_label = "",
                        const std::string& problem_label = "");

// Checks --device: a CUDA device on a LibTorch without CUDA is an InputError.
c10::Device parse_device(const std::string& device);

std::filesystem::path cell_path(const std::filesystem::path& out, const Cell& cell);

}  // namespace l2o::harness
