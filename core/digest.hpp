#pragma once
// Content digests: what tells a file l2obench wrote (a cell, a checkpoint) from one edited since,
// and keys inputs (weight files) by what they hold rather than where they lie.
#include <filesystem>
#include <string>
#include <string_view>

#include "core/json_fwd.hpp"

namespace l2o {

// SHA-256 of the bytes, as 64 lowercase hex digits (OpenSSL's libcrypto).
std::string sha256_hex(std::string_view bytes);

// The digest a JSON file l2obench writes carries under "digest": SHA-256 of the compact dump
// (keys sorted) of `j` without its "digest" key. Dumps round-trip exactly, so a file that was
// not changed since it was written matches.
std::string json_digest(const Json& j);

// SHA-256 of a file's content; an InputError naming the file when it cannot be read.
std::string file_sha256_hex(const std::filesystem::path& path);

}  // namespace l2o
