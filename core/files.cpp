#include "core/files.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace l2o {

namespace fs = std::filesystem;

void write_file_atomically(const fs::path& path, const std::string& content) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  // A unique temp name per host, process and call, so that shards writing into one shared
  // folder (from several machines or containers) never write the same temp file.
  static std::atomic<unsigned> counter{0};
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  fs::path tmp = path;
  tmp += fmt::format(".{}.{}.{}.tmp", host, ::getpid(), counter++);
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f)
      throw InputError(fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
    bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
    ok = std::fflush(f) == 0 && ok;
    ok = ::fsync(::fileno(f)) == 0 && ok;
    ok = std::fclose(f) == 0 && ok;
    if (!ok) {
      fs::remove(tmp);
      throw InputError(fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
    }
  }
  fs::rename(tmp, path);
}

void write_json_atomically(const fs::path& path, const Json& value) {
  write_file_atomically(path, value.dump(1) + "\n");
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Json read_json_file(const fs::path& path) {
  std::string text = read_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann's message carries the line and column; keep it, drop its prefix.
    std::string what = e.what();
    auto pos = what.find("parse error");
    throw InputError(fmt::format("{}: malformed JSON: {}", path.string(),
                                 pos == std::string::npos ? what : what.substr(pos)));
  }
}

}  // namespace l2o
