#include "fuzz/fuzz_input.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "learned/registry.hpp"
#include "problems/registry.hpp"

namespace l2o::fuzz {

namespace fs = std::filesystem;

namespace {

struct ScratchFolder {
  fs::path path;
  ScratchFolder() {
    std::string pattern = (fs::temp_directory_path() / "l2obench-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a scratch folder");
    path = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

const fs::path& scratch_folder() {
  static const ScratchFolder folder;
  return folder.path;
}

fs::path write_input(std::string_view name, const std::uint8_t* data, std::size_t size) {
  const fs::path path = scratch_folder() / name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path.string());
  const bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write " + path.string());
  return path;
}

FuzzedModel untrained_loa_bfgs() {
  const auto* entry = learned::find_learned("loa-bfgs");
  const Json config = entry->canonical(Json::object(), "fuzz");
  return {
      entry->make(config, 1),
      {"loa-bfgs", config, Json::object(), "quadratic",
       problems::find_family("quadratic", "fuzz").canonical(Json::object(), "fuzz"), 1, "float64"}};
}

}  // namespace l2o::fuzz
