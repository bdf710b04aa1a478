#pragma once
// What every fuzz target shares: the input written to a file (the readers take paths, as the
// command line does), and the rule that a refusal must be an InputError.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/error.hpp"

namespace l2o::fuzz {

// A folder of this process, created once and removed at exit.
const std::filesystem::path& scratch_folder();

// `size` bytes of `data` in scratch_folder()/name; returns the path.
std::filesystem::path write_input(std::string_view name, const std::uint8_t* data,
                                  std::size_t size);

// Runs `read`; an InputError is a clean refusal, anything else escapes to libFuzzer (which
// reports an uncaught exception as a crash and keeps the input).
template <class Read>
void refuse_only_with_input_error(const Read& read) {
  try {
    read();
  } catch (const InputError&) {
  }
}

}  // namespace l2o::fuzz
