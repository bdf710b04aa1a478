#pragma once
// The real data sets the suite knows: where each lives in the data folder, which setup step
// installs it, and the shape its files must have. Nothing is downloaded at run time.
//
// The data folder is $L2OBENCH_DATA when set, else <source tree>/data (where scripts/setup
// installs everything), so the binary finds the data from any working directory.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "problems/data/dataset.hpp"

namespace l2o::problems::data {

struct CatalogEntry {
  std::string_view name, description;
  std::int64_t rows, columns, classes;  // the shape every load checks; classes 0: regression
  std::vector<std::string_view> files;  // relative to the data folder
  std::string_view installed_by;        // what scripts/setup does to install it
  // How many rows are the test part and whether they are a seeded random choice (false: the
  // last rows, the data set's official test set); 0 for sets used whole.
  std::int64_t test_rows = 0;
  bool shuffled_split = false;
  DataSet (*read)(const std::filesystem::path& folder) = nullptr;
};

const std::vector<CatalogEntry>& catalog();
// The names of the catalogue, for config constraints and messages.
std::vector<std::string> dataset_names();
const CatalogEntry& find_dataset(std::string_view name, const std::string& where);

std::filesystem::path data_folder();
// The first file of the entry that is missing from `folder`, or an empty path.
std::filesystem::path missing_file(const CatalogEntry& entry, const std::filesystem::path& folder);

// Every installed data set of `folder` read from disk (not from the cache) and checked; one
// entry per data set that does not load, with its error, in catalogue order. Missing data sets
// are not errors here (missing_file names them).
struct DataSetFault {
  std::string_view name;
  std::string error;
};
std::vector<DataSetFault> verify_installed_datasets(const std::filesystem::path& folder);

// The data set, read once per process and data folder and shared afterwards; its shape is
// checked against the catalogue. A missing data set is an InputError that names the missing
// file and the setup step that installs it.
const DataSet& load_dataset(std::string_view name);

// A LIBSVM file the user supplies (mushrooms, w8a, ... downloaded elsewhere), read once per
// process and path, labels as written (classes 0); read_libsvm's errors name the file and line.
// A relative path is relative to the working directory.
const DataSet& load_libsvm_file(const std::filesystem::path& path);

// The entry's train/test split (seeded with a fixed seed, or the official one), read once.
const TrainTest& load_train_test(std::string_view name);

}  // namespace l2o::problems::data
