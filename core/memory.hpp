#pragma once
// The machine's memory, for refusing at validation a size that could never be allocated (a
// "dim" of 5e9) instead of failing mid-run with LibTorch's overflow or the kernel's OOM killer.
#include <string>

namespace l2o {

// Physical memory of this machine in bytes.
double physical_memory_bytes();

// "2.6 TB", "512 MB": a byte count for messages.
std::string format_bytes(double bytes);

}  // namespace l2o
