#include "core/files.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace l2o {

namespace fs = std::filesystem;

namespace {

std::string host_name() {
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

// The process id in a temp name "<file>.<host>.<pid>.<n>.tmp" written on this host; none for
// another host's or any other name.
std::optional<pid_t> temporary_owner(const std::string& name, const std::string& host) {
  if (!name.ends_with(".tmp")) return std::nullopt;
  std::string_view rest(name.data(), name.size() - 4);
  const auto last_dot = rest.rfind('.');
  if (last_dot == std::string_view::npos) return std::nullopt;
  rest = rest.substr(0, last_dot);  // drops the call counter
  const auto pid_dot = rest.rfind('.');
  if (pid_dot == std::string_view::npos) return std::nullopt;
  const std::string_view pid_text = rest.substr(pid_dot + 1);
  if (!rest.substr(0, pid_dot).ends_with("." + host)) return std::nullopt;
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (ec != std::errc() || end != pid_text.data() + pid_text.size() || pid <= 0)
    return std::nullopt;
  return pid;
}

}  // namespace

std::vector<fs::path> remove_stale_temporaries(const fs::path& folder) {
  std::vector<fs::path> removed;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return removed;
  const std::string host = host_name();
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto owner = temporary_owner(entry.path().filename().string(), host);
    if (owner && ::kill(*owner, 0) != 0 && errno == ESRCH && fs::remove(entry.path(), ec))
      removed.push_back(entry.path());
  }
  return removed;
}

void write_file_atomically(const fs::path& path, const std::string& content) {
  // Refused before any temp file exists: the rename would fail and leave the temp behind.
  if (fs::is_directory(path))
    throw InputError(fmt::format("{}: is a directory; give a file name to write", path.string()));
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  // A unique temp name per host, process and call, so that shards writing into one shared
  // folder (from several machines or containers) never write the same temp file.
  static std::atomic<unsigned> counter{0};
  fs::path tmp = path;
  tmp += fmt::format(".{}.{}.{}.tmp", host_name(), ::getpid(), counter++);
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
  std::error_code renamed;
  fs::rename(tmp, path, renamed);
  if (renamed) {
    fs::remove(tmp);
    throw InputError(fmt::format("{}: cannot write: {}", path.string(), renamed.message()));
  }
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

namespace {

// Follows the object keys and array indices of a SAX parse, so that the value nlohmann stops
// at can be named ("problems[0].lr"); run only on text the plain parse rejected.
class JsonPathTracker : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return open(false); }
  bool key(string_t& k) override {
    levels_.back().key = k;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    position_ = position;
    return false;
  }

  std::size_t position() const { return position_; }
  std::string path() const {
    std::string out;
    for (const Level& level : levels_)
      out += level.array ? fmt::format("[{}]", level.index) : (out.empty() ? "" : ".") + level.key;
    return out;
  }

 private:
  struct Level {
    bool array = false;
    std::string key;
    std::size_t index = 0;
  };
  bool open(bool array) {
    levels_.push_back({array});
    return true;
  }
  bool close() {
    levels_.pop_back();
    return value();
  }
  // A complete value: the next one in an array has the next index.
  bool value() {
    if (!levels_.empty() && levels_.back().array) ++levels_.back().index;
    return true;
  }

  std::vector<Level> levels_;
  std::size_t position_ = 0;
};

// nlohmann's out_of_range 406 ("number overflow parsing '1e999'") carries no position.
[[noreturn]] void fail_on_number_overflow(const fs::path& path, const std::string& text,
                                          const Json::out_of_range& e) {
  JsonPathTracker tracker;
  Json::sax_parse(text, &tracker);
  const std::string before = text.substr(0, std::min(tracker.position(), text.size()));
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const std::string what = e.what();
  const auto quote = what.find('\'');
  const std::string number =
      quote == std::string::npos ? "a number" : "number " + what.substr(quote);
  const std::string field = tracker.path().empty() ? "" : tracker.path() + ": ";
  throw InputError(fmt::format("{}: line {}: {}{} is beyond the range of a double (about 1.8e308)",
                               path.string(), line, field, printable(number)));
}

}  // namespace

Json read_json_file(const fs::path& path) {
  std::string text = read_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::out_of_range& e) {
    fail_on_number_overflow(path, text, e);
  } catch (const Json::parse_error& e) {
    // nlohmann's message carries the line and column; keep it, drop its prefix.
    std::string what = e.what();
    auto pos = what.find("parse error");
    throw InputError(
        fmt::format("{}: malformed JSON: {}", path.string(),
                    printable(pos == std::string::npos ? what : what.substr(pos), 300)));
  }
}

std::string printable(std::string_view text, std::size_t max_length) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == max_length) return out + "...";
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f)
      out += text[i];
    else
      out += fmt::format("\\x{:02x}", byte);
  }
  return out;
}

}  // namespace l2o
