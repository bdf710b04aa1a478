#pragma once
// File I/O with the suite's guarantees: writes are atomic (temp file + rename, so a killed
// run never leaves a half-written result), reads name the file in every error.
#include <filesystem>
#include <string>

#include "core/json_fwd.hpp"

namespace l2o {

void write_file_atomically(const std::filesystem::path& path, const std::string& content);
void write_json_atomically(const std::filesystem::path& path, const Json& value);

std::string read_file(const std::filesystem::path& path);
Json read_json_file(
    const std::filesystem::path& path);  // InputError on a missing or malformed file

}  // namespace l2o
