#pragma once
// File I/O with the suite's guarantees: writes are atomic (temp file + rename, so a killed
// run never leaves a half-written result), reads name the file in every error.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_fwd.hpp"

namespace l2o {

void write_file_atomically(const std::filesystem::path& path, const std::string& content);
void write_json_atomically(const std::filesystem::path& path, const Json& value);

// Removes the temp files in `folder` (not below) that write_file_atomically left when its
// process died before the rename: those of this host whose process is gone. Another host's, or
// a live process's, are kept (a run may be writing them). Returns the paths removed.
std::vector<std::filesystem::path> remove_stale_temporaries(const std::filesystem::path& folder);

std::string read_file(const std::filesystem::path& path);
// InputError on a missing or malformed file; a number beyond a double's range (1e999) names its
// line and field ("suite.json: line 4: problems[0].lr: number 1e999 is beyond ...").
Json read_json_file(const std::filesystem::path& path);

// Text from a file, fit to quote in a one-line message: bytes outside printable ASCII become
// \xNN (a garbled file must not write control bytes to the terminal), and a text longer than
// `max_length` is cut there with "...".
std::string printable(std::string_view text, std::size_t max_length = 60);

}  // namespace l2o
