#pragma once
// LibTorch's intra-op threads are an OpenMP (libgomp) pool whose idle threads spin by default.
// On a machine whose cores other processes also use, a spinning thread holds a core that the
// thread it waits for needs: measured, a meta-training segment with 2 threads took 12x longer
// than with 1 while the machine was loaded, and as long as with 1 with passive waiting.
// libgomp reads its wait policy from the environment once, when it is loaded (before main()),
// so a setenv() in main() comes too late: the process starts itself again instead.
namespace l2o {

// Without OMP_WAIT_POLICY in the environment, sets it to passive and re-executes this program
// with the same arguments (never returns then); otherwise (also when re-executing fails)
// returns. Call first thing in main(), before any thread exists.
void ensure_passive_openmp_wait(char** argv);

}  // namespace l2o
