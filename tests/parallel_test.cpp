// core/parallel.hpp: how a run splits its cores between workers, and the worker pool.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <ATen/Parallel.h>
#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace parallel_test {

using l2o::Parallelism;

BOOST_AUTO_TEST_SUITE(parallel)

BOOST_AUTO_TEST_CASE(threads_are_split_between_jobs) {
  const Parallelism two = Parallelism::resolve(2, 0);  // the default on a 2-core machine
  BOOST_TEST(two.jobs == 2);
  BOOST_TEST(two.intra_op_threads == 1);
  const Parallelism one_job = Parallelism::resolve(4, 1);
  BOOST_TEST(one_job.jobs == 1);
  BOOST_TEST(one_job.intra_op_threads == 4);
  const Parallelism uneven = Parallelism::resolve(5, 2);
  BOOST_TEST(uneven.intra_op_threads == 2);
  BOOST_TEST(uneven.threads() == 4);
  // More jobs than threads: each still gets one.
  BOOST_TEST(Parallelism::resolve(1, 3).intra_op_threads == 1);
  BOOST_TEST(Parallelism::resolve(0, 0).jobs >= 1);
  BOOST_CHECK_THROW(Parallelism::resolve(-1, 0), l2o::InputError);
  BOOST_CHECK_THROW(Parallelism::resolve(0, -2), l2o::InputError);
}

BOOST_AUTO_TEST_CASE(every_item_runs_once_with_its_workers_intra_op_threads) {
  for (int jobs : {1, 3}) {
    std::vector<std::atomic<int>> runs(50);
    std::vector<int> intra_op(50);
    l2o::for_each_parallel(runs.size(), {.jobs = jobs, .intra_op_threads = 1}, [&](std::size_t i) {
      ++runs[i];
      intra_op[i] = at::get_num_threads();
    });
    for (std::size_t i = 0; i < runs.size(); ++i) {
      BOOST_TEST(runs[i] == 1);
      BOOST_TEST(intra_op[i] == 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_first_error_stops_the_hand_out_and_is_rethrown) {
  std::atomic<int> started{0};
  // The other items take a millisecond each, so the hand-out stops long before the other
  // worker could start them all: throwing and catching takes far less even under
  // AddressSanitizer on a loaded machine, where items that take nothing all ran first.
  auto failing = [&](std::size_t i) {
    ++started;
    if (i == 2) throw l2o::InputError("item 2 is bad");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  BOOST_CHECK_EXCEPTION(
      l2o::for_each_parallel(1000, {.jobs = 2, .intra_op_threads = 1}, failing), l2o::InputError,
      [](const l2o::InputError& e) { return std::string(e.what()) == "item 2 is bad"; });
  // The other worker may have taken a few more items, never all of them.
  BOOST_TEST(started.load() < 1000);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace parallel_test
