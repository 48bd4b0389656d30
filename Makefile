# Top-level entry point: build, run, test, bench, install.
#   make            build every daemon and ccctl into bin/
#   make SAN=1      the same with AddressSanitizer + UBSan into build/san/bin/
#   make run        install deps, build, start the whole suite locally with demo data
#   make test       install deps, build both variants, run unit + integration tests
#   make bench      run the benchmarks under tests/bench (prints figures, not pass/fail)
#   make fuzz       build the libFuzzer targets (fuzz/) and run each FUZZ_SECONDS (60)

# Build order: common, then the library folders (which use common; dialer uses ivrflow), then the daemons and
# ccctl (which link both).
DAEMONS   := sipproxy mediad acdd ivrd recorderd cdrd webd dialerd
LIBRARIES := ivrflow recfile dialer
DIRS      := common $(LIBRARIES) $(DAEMONS) ccctl
SAN       ?=
# make run and make test build on every core (CI's machine has two); the folders' makefiles
# are -j safe
NPROC     := $(shell nproc 2>/dev/null || echo 2)

all: build

build: $(DIRS)

common:
	@$(MAKE) --no-print-directory -C common SAN=$(SAN)

$(LIBRARIES): common
	@$(MAKE) --no-print-directory -C $@ SAN=$(SAN)

# dialer/ reads calling hours with ivrflow's schedule parser (and its tests link it)
dialer: ivrflow

$(DAEMONS) ccctl: common $(LIBRARIES)
	@$(MAKE) --no-print-directory -C $@ SAN=$(SAN)

deps:
	deploy/install-deps.sh

run: deps
	$(MAKE) -j$(NPROC) build
	deploy/local/run.sh

test: deps
	$(MAKE) -j$(NPROC) build
	$(MAKE) -j$(NPROC) build SAN=1
	$(MAKE) -j$(NPROC) fuzz-build
	tests/run-tests.sh

# libFuzzer: the libraries holding parsers of outside input, instrumented (FUZZ=1, clang),
# then the targets in fuzz/. make test runs each for a few seconds (tests/test_fuzz.py).
FUZZ_LIBS    := common ivrflow recfile dialer mediad sipproxy cdrd webd acdd ivrd recorderd
FUZZ_SECONDS ?= 60
fuzz-build:
	@for d in $(FUZZ_LIBS); do $(MAKE) --no-print-directory -C $$d FUZZ=1 || exit 1; done
	@$(MAKE) --no-print-directory -C fuzz

fuzz: deps fuzz-build
	fuzz/run.sh $(FUZZ_SECONDS)

# Quicker loop for development: no dependency check, no rebuild of the release variant.
check:
	$(MAKE) build SAN=1
	tests/run-tests.sh

bench: deps
	$(MAKE) build
	tests/bench/run-all.sh

install: build
	deploy/install.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build bin

.PHONY: all build deps run test check bench install format clean fuzz fuzz-build $(DIRS)
