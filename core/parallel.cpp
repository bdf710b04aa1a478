#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace l2o {

Parallelism Parallelism::resolve(int threads, int jobs) {
  if (threads < 0)
    throw InputError(fmt::format("--threads: expected an integer >= 0, got {}", threads));
  if (jobs < 0) throw InputError(fmt::format("--jobs: expected an integer >= 0, got {}", jobs));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (jobs == 0) jobs = threads;
  return {.jobs = jobs, .intra_op_threads = std::max(1, threads / jobs)};
}

void for_each_parallel(std::size_t count, const Parallelism& parallelism,
                       const std::function<void(std::size_t)>& item) {
  const std::size_t workers = std::min<std::size_t>(count, std::max(1, parallelism.jobs));
  if (workers <= 1) {
    at::set_num_threads(parallelism.intra_op_threads);
    for (std::size_t i = 0; i < count; ++i) item(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto work = [&] {
    at::set_num_threads(parallelism.intra_op_threads);
    while (!failed.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      try {
        item(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::jthread> pool;
  pool.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work);
  pool.clear();  // joins
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace l2o
