#pragma once
// Two settings of the numerical libraries under LibTorch that are read from the environment
// once, when the libraries are loaded (before main()), so a setenv() in main() comes too late:
// - OpenMP (LibTorch's intra-op pool, libgomp) lets idle threads spin. On a machine whose cores
//   other processes also use, a spinning thread holds a core that the thread it waits for
//   needs: measured on a loaded 2-core machine, a meta-training segment took 12x longer with 2
//   threads than with 1, and as long as with 1 once waiting is passive.
// - OpenBLAS picks its kernels from the CPU model; on a virtual CPU it does not know it falls
//   back to its generic "Prescott" kernels (measured: the GEMMs of an L2O-DM segment 3.2x slower
//   than with the AVX-512 kernels the CPU supports).
namespace l2o {

// The kernels OpenBLAS runs ("Haswell", "SkylakeX", ...; looked up at run time, as LibTorch
// reaches OpenBLAS only through the libblas.so.3 alternative), or null under another BLAS.
const char* openblas_core();

// Sets OMP_WAIT_POLICY=passive, and OPENBLAS_CORETYPE to the kernels the CPU supports where
// OpenBLAS fell back to its generic ones, unless the environment already names them, and then
// re-executes this program with the same arguments (never returns then). Then keeps freed
// memory in glibc's heap instead of returning it to the kernel (measured: an L2O-DM training
// segment at n = 50 ran 1.3-1.4x faster, page faults down from 250k to 94k in 3 s; the
// arithmetic is unchanged, LibTorch aligns its own blocks). Call first thing in main(), before
// any thread exists.
void tune_numerical_libraries(char** argv);

// CPU seconds the calling thread has run so far. Unlike wall-clock time it does not grow while
// the process is stopped or waits for a core that other processes hold, but it leaves out the
// work of other threads (LibTorch's intra-op workers).
double thread_cpu_seconds();

}  // namespace l2o
