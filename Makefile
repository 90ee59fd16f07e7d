# TinyMLaaS - the commands people type. CMake does the building; this file
# only strings the steps together. `make test` and `make demo` install what
# they need first (scripts/install-deps.sh is idempotent).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
ASAN_BUILD ?= build-asan
CROSS_CPUS ?= cortex-m0plus cortex-m4 cortex-m7 cortex-m33

.PHONY: all deps build build-asan cross test test-fast demo fuzz-smoke fuzz bench clean format
.PHONY: bench-fleet

all: build

deps:
	@bash scripts/install-deps.sh

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTML_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The runtime cross-built for each Cortex-M core, warnings as errors.
cross:
	@for cpu in $(CROSS_CPUS); do \
	  cmake -S . -B build-arm-$$cpu -DTML_RUNTIME_ONLY=ON -DTML_CPU=$$cpu \
	    -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null && \
	  cmake --build build-arm-$$cpu -j $(JOBS) || exit 1; \
	done

# Everything: unit + fuzz-corpus tests in the normal and the ASan+UBSan build,
# and the cross builds. Ends with "N passed, N failed".
test: deps
	@bash scripts/run-tests.sh

# The normal build's tests only, for a quick loop while developing.
test-fast: build
	@cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

demo: deps build
	@ONCE=$(ONCE) bash scripts/demo.sh $(BUILD)

fuzz-smoke: build
	@cd $(BUILD) && ctest -L fuzz --output-on-failure

# libFuzzer binaries (clang); run one with e.g.
#   build-fuzz/tests/fuzz_npy -max_total_time=60 tests/fuzz/corpus/npy
fuzz:
	@CC=clang cmake -S . -B build-fuzz -DTML_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

bench: deps build
	@bash bench/run.sh $(BUILD)
	@FLEET_QUICK=1 bash bench/fleet.sh $(BUILD)

# The fleet at full size: 100 000 devices registering, a 1 000-device
# rollout at 5% loss (bench/RESULTS-fleet.md; several minutes).
bench-fleet: deps build
	@bash bench/fleet.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-arm-* build-fuzz
