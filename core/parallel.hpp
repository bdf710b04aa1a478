#pragma once
// How a run spends the cores it is given: several workers (cells, trainings) side by side, each
// with its own intra-op threads. The work items of a suite are many, independent and small
// (a cell's tensors are [128, 10]): intra-op threads split each op into pieces too small to pay
// for their synchronisation, while workers split the items and never wait for each other.
#include <cstddef>
#include <functional>

namespace l2o {

struct Parallelism {
  int jobs = 1;              // workers running items at once
  int intra_op_threads = 1;  // LibTorch/OpenBLAS threads inside each worker

  // `threads`: cores to use in all (0: every core); `jobs`: workers (0: one per thread). Each
  // worker gets threads / jobs intra-op threads, at least one. An InputError names the option
  // for a negative value.
  static Parallelism resolve(int threads, int jobs);
  int threads() const { return jobs * intra_op_threads; }
};

// Calls item(i) for every i in [0, count) on `parallelism.jobs` threads, each taking the next
// index when it is free (items differ in cost by orders of magnitude, so a fixed split would
// leave a worker idle). Every worker first sets its intra-op thread count: OpenMP keeps that
// setting per thread. The first exception stops the hand-out of further items and is rethrown
// once every worker has returned. With one job the items run on the calling thread, in order.
void for_each_parallel(std::size_t count, const Parallelism& parallelism,
                       const std::function<void(std::size_t)>& item);

}  // namespace l2o
