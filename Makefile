# l2obench — the entry points. Every target installs what is missing first (scripts/setup).
#   make bench       quick suite -> out/quick/report.json, its table, out/quick/figures/index.html
#   make test        build, then every test through CTest
#   make build       everything, tests included (configure first)
#   make binary      the l2obench binary alone (what bench, fair, smoke, bench-all, reproduce and ship build)
#   make bench-all   every suite in suites/ -> out/<suite>/, all figures in out/figures/
#                    (PROFILE=paper: the papers' training budgets, into out/paper/)
#   make fair        suites/fair.json -> out/fair/, its report with speed-ups against adam-tuned
#   make microbench  Google Benchmark: per-step costs, fused kernels vs plain LibTorch
#   make smoke       the seconds-long smoke suite
#   make regression  quick suite from scratch, compared with reports/baselines/quick.json (CI)
#   make baseline    refresh reports/baselines/quick.json (when a change is meant to move numbers)
#   make reproduce   every suite with paper values at the paper budget (shipped models in models/
#                    where their keys match, else trained), then reports/reproduction/ (RETRAIN=1:
#                    train everything into a cache of its own; SLURM=1: on Slurm)
#   make ship        copy the trained models of the reproduce runs into models/
#   make slurm-test  the quick suite through a real one-node Slurm, compared with one process (root)
#   make test-sanitize  the CTest tests built with AddressSanitizer + UBSan (in build-sanitize/)
#   make fuzz        every libFuzzer target in fuzz/ for FUZZ_SECONDS (default 60) each
#   make format      clang-format every C++ file

BUILD ?= build
OUT ?= out
JOBS ?= $(shell nproc)
L2OBENCH := $(BUILD)/harness/l2obench
PYTHON ?= /usr/bin/python3
# REFERENCE_OPTIMIZER: the label the reports' speed-ups are measured against (e.g. adam-tuned);
# empty: each report's first optimizer.
REFERENCE_OPTIMIZER ?=
MAKE_REPORT = $(PYTHON) reports/make_report.py $(if $(REFERENCE_OPTIMIZER),--reference $(REFERENCE_OPTIMIZER))
RUN_FLAGS ?=

.PHONY: all setup configure build binary test bench bench-all microbench smoke regression baseline format clean slurm-test \
	reproduce ship fair \
	configure-sanitize build-sanitize test-sanitize fuzz

all: build

setup:
	@scripts/setup

configure: setup
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	@cmake --build $(BUILD) --parallel $(JOBS)

# The l2obench binary alone: all that the suite runs need (a fresh clone skips the tests' sources).
binary: configure
	@cmake --build $(BUILD) --target l2obench --parallel $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure --parallel $(JOBS)

bench: binary
	$(L2OBENCH) run suites/quick.json --out $(OUT)/quick $(RUN_FLAGS)
	$(L2OBENCH) show $(OUT)/quick/report.json
	$(MAKE_REPORT) $(OUT)/quick/report.json --out $(OUT)/quick/figures

fair: binary
	$(L2OBENCH) run suites/fair.json --out $(OUT)/fair $(RUN_FLAGS)
	$(MAKE_REPORT) $(OUT)/fair/report.json --out $(OUT)/fair/figures --reference adam-tuned

smoke: binary
	$(L2OBENCH) run suites/smoke.json --out $(OUT)/smoke $(RUN_FLAGS)
	$(L2OBENCH) show $(OUT)/smoke/report.json

# PROFILE=paper trains every learned optimizer with its paper budget (hours) into out/paper/.
PROFILE ?= quick
ALL_OUT := $(if $(filter paper,$(PROFILE)),$(OUT)/paper,$(OUT))

bench-all: binary
	@set -e; for suite in suites/*.json; do \
	  name=$$(basename $$suite .json); \
	  echo "== $$name"; \
	  $(L2OBENCH) run $$suite --out $(ALL_OUT)/$$name --train-profile $(PROFILE) $(RUN_FLAGS); \
	  $(L2OBENCH) show $(ALL_OUT)/$$name/report.json; \
	done
	$(L2OBENCH) equivariance --json $(ALL_OUT)/equivariance.json
	$(MAKE_REPORT) $(patsubst suites/%.json,$(ALL_OUT)/%/report.json,$(wildcard suites/*.json)) --out $(ALL_OUT)/figures --equivariance $(ALL_OUT)/equivariance.json

# The reproduction page: reports/reproduction/README.md (reports/reproduction.py) from every suite
# that reports/paper_values.json names, at the paper budget (REPRODUCE_PROFILES="quick paper": both;
# a budget not run keeps its column), into $(OUT)/reproduce/<suite>-<profile>/ (scripts/reproduce).
# Resumable like any run; shipped models are loaded, RETRAIN=1 trains everything instead.
# SLURM=1: submitted to Slurm (SLURM_FLAGS: options of `l2obench slurm`, e.g. --shards 8 --cpus 4),
# the page written by a job after all of them. `make ship` copies the cache's models of those runs
# into models/.
REPRODUCE_OUT ?= $(OUT)/reproduce
REPRODUCE_PROFILES ?= paper
REPRODUCE_SUITES = $(shell $(PYTHON) reports/reproduction.py --list-suites)
REPRODUCE_FLAGS = $(if $(RETRAIN),--models none --cache $(REPRODUCE_OUT)/cache)
SLURM_FLAGS ?=

reproduce: binary
	BUILD=$(BUILD) PYTHON=$(PYTHON) scripts/reproduce --out $(REPRODUCE_OUT) --profiles "$(REPRODUCE_PROFILES)" \
	  $(if $(RETRAIN),--retrain) $(if $(SLURM),--slurm -- $(SLURM_FLAGS),-- $(RUN_FLAGS))

ship: binary
	@set -e; for suite in $(REPRODUCE_SUITES); do for profile in $(REPRODUCE_PROFILES); do \
	  run=$(REPRODUCE_OUT)/$$suite-$$profile; \
	  $(L2OBENCH) ship suites/$$suite.json --train-profile $$profile $(REPRODUCE_FLAGS) \
	    $$( [ -f $$run/report.json ] && echo --run $$run ); \
	done; done

# Regression tracking: the quick suite from scratch (fresh cache, so learned optimizers are
# trained by this build) with a fixed thread count, compared on final quality with the
# committed baseline; exits non-zero naming each worse cell.
# The gate pins OpenBLAS's kernel (and ATen's vector width): unpinned, OpenBLAS picks its kernels
# by CPU (and l2obench picks SkylakeX where OpenBLAS does not know the CPU, core/threads.hpp), and
# RNNProp's 100-epoch training on quadratic-n10 lands 0.24 decades apart between kernels
# (SkylakeX -0.21, Haswell -0.07, Cooperlake +0.01), so a baseline fails on the next CI machine
# whose CPU differs. Haswell's kernels (AVX2 + FMA) run on every x86-64 CI machine.
BASELINE := reports/baselines/quick.json
PIN_KERNELS := OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2
REGRESSION_RUN = $(PIN_KERNELS) $(L2OBENCH) run suites/quick.json --threads 2 --quiet --models none

regression: build
	rm -rf $(OUT)/regression
	$(REGRESSION_RUN) --out $(OUT)/regression/quick --cache $(OUT)/regression/cache
	$(L2OBENCH) compare $(BASELINE) $(OUT)/regression/quick/report.json --json $(OUT)/regression/verdict.json

# The quick suite through a local Slurm (scripts/slurm-test) in $(OUT)/slurm-test; compared with
# REFERENCE, the report of a single run with 2 threads (CI gives make regression's), else with
# one it runs itself; kernels pinned like the gate's, so the two agree cell for cell.
# REUSE_CACHE: that run's --cache, loaded by the train tasks, not retrained.
slurm-test: build
	$(PIN_KERNELS) OUT=$(OUT)/slurm-test BUILD=$(BUILD) scripts/slurm-test $(if $(REFERENCE),--reference $(REFERENCE)) \
	  $(if $(REUSE_CACHE),--reuse-cache $(REUSE_CACHE))

baseline: build
	rm -rf $(OUT)/baseline
	$(REGRESSION_RUN) --out $(OUT)/baseline/quick --cache $(OUT)/baseline/cache
	$(L2OBENCH) summarize $(OUT)/baseline/quick/report.json --out $(BASELINE)

# Sanitizers and fuzzing share one build folder: everything is instrumented once for
# AddressSanitizer + UndefinedBehaviorSanitizer and for coverage; the tests and the fuzz targets
# link the same libraries. LibTorch is not instrumented (fuzz/README.md: the options and why).
SANITIZE_BUILD ?= build-sanitize
FUZZ_SECONDS ?= 60
SANITIZE_TESTS ?=
export ASAN_OPTIONS ?= detect_leaks=1
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1:abort_on_error=1

configure-sanitize: setup
	@test -f $(SANITIZE_BUILD)/build.ninja || cmake -S . -B $(SANITIZE_BUILD) \
	  -G Ninja -DCMAKE_BUILD_TYPE=Release -DL2O_SANITIZE=ON -DL2O_FUZZ=ON -DL2O_BUILD_BENCH=OFF

build-sanitize: configure-sanitize
	@cmake --build $(SANITIZE_BUILD) --parallel $(JOBS)

test-sanitize: build-sanitize
	ctest --test-dir $(SANITIZE_BUILD) --output-on-failure --parallel $(JOBS) $(SANITIZE_TESTS)

fuzz: build-sanitize
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run $(SANITIZE_BUILD)

microbench: build
	$(PYTHON) tests/torchscript_fixtures.py --out $(BUILD)/tests/torchscript > /dev/null
	$(BUILD)/bench/l2o_bench

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
