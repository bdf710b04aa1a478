#pragma once
// <source tree>/data, where scripts/setup installs the data sets; written by CMake at configure
// time (default_folder.cpp.in), so the binary finds the data from any working directory.
namespace l2o::problems::data {

extern const char* const default_data_folder;

}  // namespace l2o::problems::data
