#include "core/digest.hpp"

#include <array>

#include <fmt/format.h>
#include <openssl/sha.h>
#include <nlohmann/json.hpp>

#include "core/files.hpp"

namespace l2o {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  std::string hex;
  hex.reserve(2 * digest.size());
  for (unsigned char byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

std::string json_digest(const Json& j) {
  if (!j.is_object() || !j.contains("digest")) return sha256_hex(j.dump());
  Json content = j;
  content.erase("digest");
  return sha256_hex(content.dump());
}

std::string file_sha256_hex(const std::filesystem::path& path) {
  return sha256_hex(read_file(path));
}

}  // namespace l2o
