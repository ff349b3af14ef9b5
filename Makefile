# meshlog: small front door over CMake + CTest.
#   make deps   install missing Debian packages (as root), or say which
#   make        build (release with debug info) into build/
#   make check  build, run every test, then again under ASan+UBSan
#   make demo   run the main job
#   make bench  run the benchmarks (not part of check)
#   make fuzz   build the libFuzzer targets with clang into build-fuzz/

PKGS      := cmake make gcc clang pkg-config libssl-dev libsqlite3-dev libbz2-dev \
             libjansson-dev libuv1-dev libcmocka-dev python3
JOBS      ?= 2
BUILD     ?= build
ASAN      ?= build-asan
CMAKE_OPT ?=

.PHONY: all deps build check test test-asan demo bench fuzz clean

all: build

deps:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "missing Debian packages:$$missing"; \
	  echo "run as root: apt-get install$$missing"; exit 1; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_OPT) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DMESHLOG_SANITIZE=ON $(CMAKE_OPT) >/dev/null
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE nosan

check: test test-asan

demo: build
	@scripts/demo.sh $(BUILD)

bench: build
	@scripts/bench.sh $(BUILD)

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMESHLOG_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN) build-fuzz
