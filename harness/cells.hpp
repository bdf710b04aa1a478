#pragma once
// Cells: one (problem, repetition, optimizer) of a suite, in a stable order, with its seeds.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite.hpp"

namespace l2o::harness {

struct Cell {
  std::size_t index = 0;  // position in the suite's expansion order
  std::string id;         // "<problem>.<optimizer>.r<rep>.<hash>", a file name
  std::size_t problem = 0, optimizer = 0;
  std::int64_t repetition = 0;
  std::optional<std::size_t> trial;  // a tuning trial (harness/tuning.hpp); none: a test cell
};

// What a cell's id hashes: everything that changes its numbers, and the raw labels (which file
// names may map together). The build is not part of it.
Json cell_key(const Suite& suite, const ProblemSpec& problem, const OptimizerSpec& optimizer,
              std::int64_t repetition);

// "<problem>.<optimizer>.<tag>.<hash of key>", the labels made file-safe: a cell's id.
std::string cell_name(std::string_view problem, std::string_view optimizer, std::string_view tag,
                      const Json& key);

// An optimizer config as a cache or cell key: the config, plus, for each file it names
// ("weights_file" or a TorchScript "module", at any depth), "<field>_sha256", the digest of the
// file's content, so that
// editing the file in place changes the key. A file that is not there is left out (loading it
// names it).
Json keyed_by_content(const Json& config);

// Problems outer, then repetitions, then optimizers, so that consecutive cells share instances.
std::vector<Cell> expand(const Suite& suite);

// Every count-th cell starting at index (0-based): "--shard 1/4" runs cells 1, 5, 9, ...
struct Shard {
  std::int64_t index = 0, count = 1;
  static Shard parse(const std::string& text);  // "i/N" with 0 <= i < N
};
std::vector<Cell> select_shard(const std::vector<Cell>& cells, const Shard& shard);

// Seeds of the streams of one (problem, split, repetition): independent of the optimizer, so
// every optimizer of a suite sees the same instances and starting points. Splits: "train",
// "validation", "test".
struct InstanceSeeds {
  std::uint64_t instances = 0, initial_points = 0;
};
InstanceSeeds instance_seeds(const Suite& suite, const ProblemSpec& problem, std::string_view split,
                             std::int64_t repetition);

}  // namespace l2o::harness
