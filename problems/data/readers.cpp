#include "problems/data/readers.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/memory.hpp"

namespace l2o::problems::data {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_at(const fs::path& path, std::int64_t line, std::string_view message) {
  throw InputError(fmt::format("{}:{}: {}", path.string(), line, message));
}

[[noreturn]] void fail(const fs::path& path, std::string_view message) {
  throw InputError(fmt::format("{}: {}", path.string(), message));
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// A finite number filling the whole token, else an error at that line.
double parse_number(std::string_view token, const fs::path& path, std::int64_t line) {
  token = trim(token);
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);  // LIBSVM's "+1"
  double value = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || error != std::errc() || end != token.data() + token.size())
    fail_at(path, line, fmt::format("expected a number, got \"{}\"", printable(token)));
  if (!std::isfinite(value))
    fail_at(path, line, fmt::format("{} is not a finite number", printable(token)));
  return value;
}

// Calls f(line number from 1, line) for every line of the text.
template <class F>
void for_each_line(std::string_view text, const F& f) {
  std::int64_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    f(++number, text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// The fields of a CSV line: split at commas when there are any, else at runs of blanks.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  const bool commas = line.find(',') != std::string_view::npos;
  while (true) {
    if (!commas) line = trim(line);
    if (line.empty()) break;
    const auto end = commas ? line.find(',') : line.find_first_of(" \t");
    out.push_back(trim(line.substr(0, end)));
    if (end == std::string_view::npos) break;
    line.remove_prefix(end + 1);
    if (commas && line.empty()) out.emplace_back();  // a trailing comma: an empty last field
  }
  return out;
}

Tensor from_rows(const std::vector<double>& values, std::int64_t rows, std::int64_t columns) {
  return at::tensor(values, at::kDouble).reshape({rows, columns});
}

void check_class_labels(const Tensor& labels, std::int64_t classes, const fs::path& path,
                        bool lines) {
  const double* v = labels.data_ptr<double>();
  for (std::int64_t i = 0; i < labels.numel(); ++i)
    if (v[i] != std::floor(v[i]) || v[i] < 0 || v[i] >= double(classes)) {
      const std::string message =
          fmt::format("label {} is not a class index in [0, {})", v[i], classes);
      // Text files have one row per line after the header; binary ones are counted by item.
      if (lines) fail_at(path, i + 2, message);
      fail(path, fmt::format("item {}: {}", i, message));
    }
}

}  // namespace

std::string read_bytes(const fs::path& path) {
  if (!fs::is_regular_file(path)) fail(path, "no such file");
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::string out;
  std::array<char, 1 << 16> buffer;
  int n = 0;
  while ((n = gzread(file, buffer.data(), buffer.size())) > 0) out.append(buffer.data(), n);
  // Z_BUF_ERROR at the end: the input stopped in the middle of a gzip stream (a truncated
  // download), which gzread reports only through gzerror.
  int code = Z_OK;
  const std::string error = gzerror(file, &code);
  gzclose(file);
  if (n < 0) fail(path, fmt::format("cannot decompress: {}", error));
  if (code == Z_BUF_ERROR)
    fail(path, "truncated: the gzip stream ends before its end marker (an incomplete copy?)");
  return out;
}

Tensor read_idx(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 4 || p[0] != 0 || p[1] != 0)
    fail(path, "not an IDX file (its first two bytes are not 0)");
  const int type = p[2], rank = p[3];
  std::size_t element = 0;
  switch (type) {
    case 0x08:
    case 0x09:
      element = 1;
      break;
    case 0x0B:
      element = 2;
      break;
    case 0x0C:
    case 0x0D:
      element = 4;
      break;
    case 0x0E:
      element = 8;
      break;
    default:
      fail(path, fmt::format("unknown IDX element type 0x{:02x}", type));
  }
  const std::size_t header = 4 + 4 * std::size_t(rank);
  if (rank == 0 || bytes.size() < header)
    fail(path, fmt::format("IDX header of rank {} is truncated", rank));
  // A size of 0 would let the other sizes be anything (the product is 0 whatever they are).
  std::vector<std::int64_t> sizes;
  // In double: a header's product of sizes can exceed 2^64 (and wrap to what the file holds);
  // a double is exact up to 2^53 bytes, beyond any file read into memory.
  double announced = 1;
  for (int d = 0; d < rank; ++d) {
    const unsigned char* s = p + 4 + 4 * d;
    sizes.push_back((std::int64_t(s[0]) << 24) | (s[1] << 16) | (s[2] << 8) | s[3]);
    if (sizes.back() == 0) fail(path, fmt::format("IDX size {} of {} is 0: no values", d, rank));
    announced *= double(sizes.back());
  }
  if (double(bytes.size() - header) != announced * double(element))
    fail(path, fmt::format("the header announces {:.0f} values ({:.0f} bytes), the file holds {} "
                           "bytes",
                           announced, announced * double(element), bytes.size() - header));
  const auto count = std::size_t(announced);
  Tensor out = at::empty(sizes, at::kDouble);
  double* o = out.data_ptr<double>();
  const unsigned char* data = p + header;
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* e = data + i * element;
    std::uint64_t raw = 0;  // big-endian
    for (std::size_t b = 0; b < element; ++b) raw = (raw << 8) | e[b];
    switch (type) {
      case 0x08:
        o[i] = double(e[0]);
        break;
      case 0x09:
        o[i] = double(std::int8_t(e[0]));
        break;
      case 0x0B:
        o[i] = double(std::int16_t(raw));
        break;
      case 0x0C:
        o[i] = double(std::int32_t(raw));
        break;
      case 0x0D: {
        float f;
        const auto bits = std::uint32_t(raw);
        std::memcpy(&f, &bits, 4);
        o[i] = f;
        break;
      }
      default:
        std::memcpy(&o[i], &raw, 8);
    }
    if (!std::isfinite(o[i])) fail(path, fmt::format("value {} is not a finite number", i));
  }
  return out;
}

DataSet read_idx_pair(const fs::path& images, const fs::path& labels, std::int64_t classes,
                      double pixel_scale, std::string name) {
  Tensor x = read_idx(images), y = read_idx(labels);
  if (x.dim() < 2) fail(images, fmt::format("expected images (rank >= 2), got rank {}", x.dim()));
  if (y.dim() != 1) fail(labels, fmt::format("expected labels (rank 1), got rank {}", y.dim()));
  if (x.size(0) != y.size(0))
    fail(labels,
         fmt::format("{} labels for the {} images of {}", y.size(0), x.size(0), images.string()));
  check_class_labels(y, classes, labels, /*lines=*/false);
  return {std::move(name), images.string() + " " + labels.string(),
          x.reshape({x.size(0), -1}) / pixel_scale, y, classes};
}

DataSet read_libsvm(const fs::path& path, std::int64_t columns) {
  struct Entry {
    std::int64_t row, column;
    double value;
  };
  std::vector<Entry> entries;
  std::vector<double> labels;
  std::int64_t widest = 0;
  for_each_line(read_bytes(path), [&](std::int64_t line, std::string_view text) {
    text = trim(text.substr(0, text.find('#')));
    if (text.empty()) return;
    const auto tokens = fields_of(text);
    labels.push_back(parse_number(tokens[0], path, line));
    std::int64_t previous = 0;
    for (std::size_t t = 1; t < tokens.size(); ++t) {
      // The colon first: without one there is no index to parse (and no end to parse it to).
      const auto colon = tokens[t].find(':');
      std::int64_t index = 0;
      const bool indexed = colon != std::string_view::npos &&
                           std::from_chars(tokens[t].data(), tokens[t].data() + colon, index) ==
                               std::from_chars_result{tokens[t].data() + colon, std::errc()};
      if (!indexed)
        fail_at(path, line, fmt::format("expected index:value, got \"{}\"", printable(tokens[t])));
      if (index <= previous)
        fail_at(
            path, line,
            fmt::format("index {} after {}: indices must be >= 1 and increasing", index, previous));
      if (columns > 0 && index > columns)
        fail_at(path, line, fmt::format("index {} beyond the {} columns", index, columns));
      widest = std::max(widest, index);
      previous = index;
      entries.push_back({std::int64_t(labels.size()) - 1, index - 1,
                         parse_number(tokens[t].substr(colon + 1), path, line)});
    }
  });
  if (labels.empty()) fail(path, "no rows");
  const std::int64_t width = columns > 0 ? columns : widest;
  // Sparse on disk, dense in memory: one large index makes every row that wide.
  const double dense_bytes = double(labels.size()) * double(width) * sizeof(double);
  if (dense_bytes > physical_memory_bytes())
    fail(path, fmt::format("{} rows of {} columns (the largest index) take {} as a dense matrix, "
                           "more than this machine's {}",
                           labels.size(), width, format_bytes(dense_bytes),
                           format_bytes(physical_memory_bytes())));
  Tensor x = at::zeros({std::int64_t(labels.size()), width}, at::kDouble);
  auto a = x.accessor<double, 2>();
  for (const Entry& e : entries) a[e.row][e.column] = e.value;
  return {path.stem().string(), path.string(), x, at::tensor(labels, at::kDouble), 0};
}

Tensor read_csv(const fs::path& path, std::int64_t skip_lines) {
  std::vector<double> values;
  std::int64_t rows = 0, width = -1;
  for_each_line(read_bytes(path), [&](std::int64_t line, std::string_view text) {
    if (line <= skip_lines || trim(text).empty()) return;
    const auto fields = fields_of(text);
    if (width < 0) width = std::int64_t(fields.size());
    if (std::int64_t(fields.size()) != width)
      fail_at(path, line, fmt::format("{} fields, the rows above have {}", fields.size(), width));
    for (std::string_view field : fields) values.push_back(parse_number(field, path, line));
    ++rows;
  });
  if (rows == 0) fail(path, "no rows");
  return from_rows(values, rows, width);
}

DataSet read_sklearn_csv(const fs::path& path, std::string name) {
  const std::string text = read_bytes(path);
  const auto header = fields_of(std::string_view(text).substr(0, text.find('\n')));
  if (header.size() < 3)
    fail_at(path, 1, "expected \"rows,columns,class names...\" (scikit-learn's CSV header)");
  const auto rows = std::int64_t(parse_number(header[0], path, 1));
  const auto columns = std::int64_t(parse_number(header[1], path, 1));
  const auto classes = std::int64_t(header.size()) - 2;
  Tensor table = read_csv(path, 1);
  if (table.size(0) != rows)
    fail(path, fmt::format("the header announces {} rows, the file holds {}", rows, table.size(0)));
  if (table.size(1) != columns + 1)
    fail_at(path, 2,
            fmt::format("{} fields, expected the header's {} columns and a label", table.size(1),
                        columns));
  Tensor labels = table.select(1, columns).contiguous();
  check_class_labels(labels, classes, path, /*lines=*/true);
  return {std::move(name), path.string(), table.slice(1, 0, columns).contiguous(), labels, classes};
}

namespace {

// Streams {"data": [numbers]} into a vector without building a JSON tree (the ten files are
// 21 MB); anything else is an error naming the position.
class DigitFileParser : public nlohmann::json_sax<Json> {
 public:
  explicit DigitFileParser(std::vector<double>& out) : out_(out) {}

  bool null() override { return unexpected("null"); }
  bool boolean(bool) override { return unexpected("a boolean"); }
  bool number_integer(number_integer_t v) override { return number(double(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(double(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t&) override { return unexpected("a string"); }
  bool binary(binary_t&) override { return unexpected("binary data"); }
  bool start_object(std::size_t) override { return depth_++ == 0 || unexpected("an object"); }
  bool end_object() override { return --depth_, true; }
  bool key(string_t& k) override {
    return k == "data" || unexpected("key \"" + printable(k) + "\"");
  }
  bool start_array(std::size_t) override { return depth_++ == 1 || unexpected("an array"); }
  bool end_array() override {
    --depth_;
    return seen_data_ = true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = printable(e.what(), 300);
    return false;
  }

  const std::string& error() const { return error_; }
  bool complete() const { return seen_data_; }

 private:
  bool number(double v) {
    if (depth_ != 2) return unexpected("a number outside \"data\"");
    if (!(v >= 0 && v <= 1)) {
      error_ = fmt::format("value {} of \"data\" is {}, not a pixel in [0, 1]", count_, v);
      return false;
    }
    out_.push_back(v);
    ++count_;
    return true;
  }
  bool unexpected(const std::string& what) {
    error_ = "expected {\"data\": [pixels]}, found " + what;
    return false;
  }

  std::vector<double>& out_;
  std::string error_;
  int depth_ = 0;
  std::size_t count_ = 0;
  bool seen_data_ = false;
};

}  // namespace

DataSet read_mnist_digits(const fs::path& folder) {
  constexpr std::int64_t pixels = 28 * 28;
  std::vector<double> values, labels;
  for (int digit = 0; digit < 10; ++digit) {
    const fs::path path = folder / fmt::format("{}.json", digit);
    const std::size_t before = values.size();
    DigitFileParser parser(values);
    const std::string text = read_bytes(path);
    if (!Json::sax_parse(text, &parser) || !parser.complete())
      fail(path, parser.error().empty() ? "no \"data\" array" : parser.error());
    const std::size_t count = values.size() - before;
    if (count == 0 || count % pixels != 0)
      fail(path, fmt::format("{} pixels: not a positive multiple of {}", count, pixels));
    labels.insert(labels.end(), count / pixels, double(digit));
  }
  return {"mnist", folder.string(), from_rows(values, std::int64_t(labels.size()), pixels),
          at::tensor(labels, at::kDouble), 10};
}

DataSet with_class_labels(DataSet data, const std::vector<double>& values) {
  Tensor y = data.labels.contiguous();
  Tensor out = at::empty_like(y);
  for (std::int64_t i = 0; i < y.numel(); ++i) {
    const double v = y.data_ptr<double>()[i];
    const auto it = std::find(values.begin(), values.end(), v);
    if (it == values.end())
      throw InputError(fmt::format("{}: row {}: label {} is not one of {}", data.source, i + 1, v,
                                   fmt::join(values, ", ")));
    out.data_ptr<double>()[i] = double(it - values.begin());
  }
  data.labels = out;
  data.classes = std::int64_t(values.size());
  return data;
}

}  // namespace l2o::problems::data
