# l2obench — the entry points. Every target installs what is missing first (scripts/setup).
#   make bench       quick suite -> out/quick/report.json and its table
#   make test        build, then every test through CTest
#   make bench-all   every suite in suites/ -> out/<suite>/
#   make microbench  Google Benchmark: per-step costs, fused kernels vs plain LibTorch
#   make smoke       the seconds-long smoke suite
#   make format      clang-format every C++ file

BUILD ?= build
OUT ?= out
JOBS ?= $(shell nproc)
L2OBENCH := $(BUILD)/harness/l2obench
RUN_FLAGS ?=

.PHONY: all setup configure build test bench bench-all microbench smoke format clean

all: build

setup:
	@scripts/setup

configure: setup
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	@cmake --build $(BUILD) --parallel $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure --parallel $(JOBS)

bench: build
	$(L2OBENCH) run suites/quick.json --out $(OUT)/quick $(RUN_FLAGS)
	$(L2OBENCH) show $(OUT)/quick/report.json

smoke: build
	$(L2OBENCH) run suites/smoke.json --out $(OUT)/smoke $(RUN_FLAGS)
	$(L2OBENCH) show $(OUT)/smoke/report.json

bench-all: build
	@set -e; for suite in suites/*.json; do \
	  name=$$(basename $$suite .json); \
	  echo "== $$name"; \
	  $(L2OBENCH) run $$suite --out $(OUT)/$$name $(RUN_FLAGS); \
	  $(L2OBENCH) show $(OUT)/$$name/report.json; \
	done

microbench: build
	$(BUILD)/bench/l2o_bench

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
