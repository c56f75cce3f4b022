# selfattn — plain GNU make.  `make` builds ./selfattn; `make demo` runs
# two examples; `make check` runs what CI runs.  Both install the missing
# Debian packages they need first (make deps, make test-deps).

CC ?= cc
CXX ?= g++
CFLAGS ?= -O2 -g
CXXFLAGS ?= -O2 -g
CSTD = -std=c11
# the one C++ file (number conversion, src/numbers.cc) needs C++17 and
# neither exceptions nor RTTI
CXXSTD = -std=c++17 -fno-exceptions -fno-rtti
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes
PKGS = libcjson openblas zlib
# recursive (=) so pkg-config runs after `make deps` has installed them
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
ALL_CFLAGS = $(CSTD) $(CFLAGS) $(WARNINGS) -D_XOPEN_SOURCE=700 -pthread $(PKG_CFLAGS) -Isrc
ALL_CXXFLAGS = $(CXXSTD) $(CXXFLAGS) -Wall -Wextra -Wshadow -Isrc $(DRAGONBOX)
LIBS = $(PKG_LIBS) -lstdc++ -lm
# Dragonbox (libdragonbox-dev) is header-only; its directory has the version
DRAGONBOX = $(patsubst %,-I%,$(wildcard /usr/include/dragonbox-*))
# The selfattn binary links OpenBLAS statically: loading the shared library
# (its relocations and first-touch page faults) was 4-5 ms of a 9 ms run of
# a small example (docs/performance.md).  Tests and tools link it
# dynamically.  STATIC_BLAS=0 links it dynamically everywhere.
STATIC_BLAS ?= 1
comma = ,
BLAS_STATIC_LIBS = $(patsubst -lopenblas,-Wl$(comma)-Bstatic -lopenblas -Wl$(comma)-Bdynamic,\
	$(shell pkg-config --static --libs openblas))
BIN_LIBS = $(if $(filter 1,$(STATIC_BLAS)),$(shell pkg-config --libs libcjson zlib) \
	$(BLAS_STATIC_LIBS) -lstdc++ -lm,$(LIBS))

# MPI (docs/mpi.md): with an MPI's development files (pkg-config's ompi-c,
# Open MPI, or mpich), the program is built with SELFATTN_MPI and
# `mpirun -n P selfattn run` splits the sequence over P processes; only
# the program links MPI, never the library.  MPI=0 builds without.
MPI ?= auto
MPI_PC = $(if $(filter 0,$(MPI)),,$(firstword $(foreach p,ompi-c mpich,\
	$(shell pkg-config --exists $(p) 2>/dev/null && echo $(p)))))
MPI_CFLAGS = $(if $(MPI_PC),-DSELFATTN_MPI $(shell pkg-config --cflags $(MPI_PC)))
MPI_LIBS = $(if $(MPI_PC),$(shell pkg-config --libs $(MPI_PC)))

PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
# the library: libselfattn.a, libselfattn.so.*, selfattn.h, selfattn.pc, selfattn(3)
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
PKGCONFIGDIR = $(LIBDIR)/pkgconfig
MAN3DIR = $(PREFIX)/share/man/man3
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads vendor-completions under /usr, site-functions elsewhere
ZSHCOMPDIR = $(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)

# Debian packages.  BUILD_PACKAGES build and run selfattn (make deps,
# make demo): gcc and g++ (numbers are converted in C++: std::from_chars
# and Dragonbox, libdragonbox-dev), make, pkg-config, cJSON, OpenBLAS, zlib
# for .npz deflate, xxd to build the page of -f html into the library.
# TEST_PACKAGES are what make check runs (make test-deps): bats-core with
# its assert and support libraries, jq for JSON checks, NumPy to check that
# numpy.load reads what selfattn writes (and for the doc test's examples),
# xmllint and rsvg-convert to validate and render the SVG, clang and its
# runtime for the libFuzzer smoke, Chromium to open the pages of -f html
# headless (tests/tools/browser.py).  make memcheck adds valgrind.
# Open MPI (libopenmpi-dev, openmpi-bin) builds and runs the MPI runs
# (docs/mpi.md); without it the program builds without them.
BUILD_PACKAGES = gcc g++ make pkg-config libcjson-dev libopenblas-dev zlib1g-dev \
	libdragonbox-dev xxd libopenmpi-dev openmpi-bin
TEST_PACKAGES = bats bats-assert bats-support jq python3-numpy libxml2-utils time \
	librsvg2-bin clang libclang-rt-14-dev chromium

# $(call install,PACKAGES): installs those missing, as root with apt-get;
# as another user prints the command to run and fails
define install
@missing=""; \
for p in $(1); do \
  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
    || missing="$$missing $$p"; \
done; \
if [ -z "$$missing" ]; then exit 0; fi; \
if [ "$$(id -u)" -ne 0 ]; then \
  echo "selfattn needs these Debian packages:$$missing"; \
  echo "install them with: sudo apt-get update && sudo apt-get install -y$$missing"; \
  exit 1; \
fi; \
echo "installing:$$missing"; \
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing
endef

# The program is main.c and the cli_*/cmd_* files; the library,
# libselfattn.a, is every other file of src/.
CLI_SRC = src/main.c $(wildcard src/cli*.c src/cmd_*.c)
# made by make (the page of -f html: see HTML_ASSETS), so not in a fresh tree
GENERATED_C = src/html_assets.c
LIB_C = $(filter-out $(CLI_SRC) $(GENERATED_C),$(wildcard src/*.c)) $(GENERATED_C)
LIB_CXX = $(wildcard src/*.cc)
LIB_SRC = $(LIB_C) $(LIB_CXX)
LIB_OBJ = $(LIB_C:.c=.o) $(LIB_CXX:.cc=.o)
CLI_OBJ = $(CLI_SRC:.c=.o)
HEADERS = $(wildcard src/*.h)
# The shared library is built from -fPIC objects of its own (src/*.pic.o),
# so that libselfattn.a and the binary stay as they are.  Its version is
# SA_VERSION of src/selfattn.h, the one place it is written (selfattn
# --version prints it); its soname has the major number.
VERSION := $(shell sed -n 's/^\#define SA_VERSION "\(.*\)"$$/\1/p' src/selfattn.h)
SONAME = libselfattn.so.$(firstword $(subst ., ,$(VERSION)))
SHLIB = libselfattn.so.$(VERSION)
PIC_OBJ = $(LIB_C:.c=.pic.o) $(LIB_CXX:.cc=.pic.o)
UNIT_TESTS = tests/unit/test_attention tests/unit/test_grad tests/unit/test_kernels tests/unit/test_readers \
	tests/unit/test_numbers tests/unit/test_limits \
	tests/unit/test_formats tests/unit/test_pictures \
	tests/unit/test_suggest tests/unit/test_span
TEST_TOOLS = tests/tools/jsoncmp

.PHONY: all deps test-deps check test test-mpi test-kernels unit bats doctest data data-page demo bench \
	sanitize check-sanitize check-alloc memcheck fuzz fuzz-smoke install uninstall clean \
	lib check-install

all: selfattn $(if $(MPI_PC),selfattn-mpi)

selfattn: $(CLI_OBJ) libselfattn.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) libselfattn.a $(BIN_LIBS)

# The same program built with MPI (docs/mpi.md), made when an MPI is
# there: selfattn started by mpirun runs it from beside itself, so that
# selfattn's other runs do not load MPI's libraries (2-3 ms of start-up)
selfattn-mpi: $(CLI_SRC:.c=.mpi.o) libselfattn.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_SRC:.c=.mpi.o) libselfattn.a $(BIN_LIBS) $(MPI_LIBS)

src/%.mpi.o: src/%.c $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(MPI_CFLAGS) -c -o $@ $<

libselfattn.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

src/%.o: src/%.c $(HEADERS)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

src/%.o: src/%.cc $(HEADERS)
	$(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

# the libraries `make install` installs (selfattn.pc is written there)
lib: libselfattn.a $(SHLIB)

# every dependency recorded in it (-z defs: none left undefined)
$(SHLIB): $(PIC_OBJ)
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs -o $@ \
		$(PIC_OBJ) $(LIBS)

src/%.pic.o: src/%.c $(HEADERS)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

src/%.pic.o: src/%.cc $(HEADERS)
	$(CXX) $(ALL_CXXFLAGS) -fPIC -c -o $@ $<

# The interactive page of -f html: its stylesheet and script are files of
# their own, src/html/page.css and page.js (hand-written, no build step),
# built into the library as byte arrays with xxd -i, beside the script's
# SHA-256 for the page's Content-Security-Policy (docs/design.md)
HTML_ASSETS = src/html/page.css src/html/page.js
src/html_assets.c: $(HTML_ASSETS) Makefile
	{ echo '/* html_assets.c: made by make from $(HTML_ASSETS) with xxd -i; do not edit. */'; \
	  echo '#include "html_assets.h"'; \
	  for f in css js; do \
	    echo "const char sa_html_$$f[] = {"; xxd -i < src/html/page.$$f; echo ', 0x00};'; \
	    echo "const size_t sa_html_$${f}_len = $$(wc -c < src/html/page.$$f);"; \
	  done; \
	  echo "const char sa_html_js_sha256[] = \"$$(sha256sum src/html/page.js | cut -c1-64 | xxd -r -p | base64 -w0)\";"; \
	} > $@.tmp && mv $@.tmp $@

tests/unit/%: tests/unit/%.c tests/unit/naive.c tests/unit/naive.h tests/unit/check.h libselfattn.a $(HEADERS)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< tests/unit/naive.c libselfattn.a $(LIBS)

# "did you mean" is the program's (src/cli_suggest.c), not the library's
tests/unit/test_suggest: tests/unit/test_suggest.c src/cli_suggest.c tests/unit/check.h libselfattn.a $(HEADERS)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< src/cli_suggest.c libselfattn.a $(LIBS)

tests/tools/%: tests/tools/%.c libselfattn.a $(HEADERS)
	$(CC) $(ALL_CFLAGS) -o $@ $< libselfattn.a $(LIBS)

deps:
	$(call install,$(BUILD_PACKAGES))

test-deps:
	$(call install,$(BUILD_PACKAGES) $(TEST_PACKAGES))

# Everything CI runs: the unit and bats suites with the best kernels this
# CPU has, again with each lesser set of selfattn's kernels and with
# OpenBLAS's generic x86 kernels (float results differ between them in the
# last bits; the tests must not care), then the sanitizer build, the
# examples of the README and the manual, and a fuzz smoke.
check: export SELFATTN_NEED_BROWSER := 1
check: test-deps
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory test-mpi
	@$(MAKE) --no-print-directory test-kernels
	@$(MAKE) --no-print-directory check-sanitize doctest fuzz-smoke
	@$(MAKE) --no-print-directory check-install

# lib too: tests/bats/install.bats installs it
test: all lib $(UNIT_TESTS) $(TEST_TOOLS)
	@$(MAKE) --no-print-directory unit bats

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t || exit 1; done

bats: selfattn $(TEST_TOOLS)
	bats tests/bats

# The MPI runs again over TCP on the loopback (make test runs them over
# shared memory); they skip without Open MPI (docs/mpi.md)
test-mpi: all $(TEST_TOOLS)
	SELFATTN_MPI_BTL=tcp,self bats tests/bats/mpi.bats

# The suites under the other kernels: SELFATTN_KERNELS=generic, avx2 where
# the CPU has AVX-512 (selfattn --version exits 64 for a set it lacks), and
# OpenBLAS's Prescott (SSE3) kernels with selfattn's best
test-kernels: selfattn $(UNIT_TESTS) $(TEST_TOOLS)
	@for env in SELFATTN_KERNELS=generic OPENBLAS_CORETYPE=Prescott \
	    $$(SELFATTN_KERNELS=avx512 ./selfattn --version >/dev/null 2>&1 \
	       && echo SELFATTN_KERNELS=avx2); do \
	  echo "== unit and bats with $$env"; \
	  env $$env $(MAKE) --no-print-directory unit bats || exit 1; \
	done

# The examples of README.md and of the manual's EXAMPLES, run in a
# temporary directory and compared with the text (tests/doc/doctest.py)
doctest: selfattn
	/usr/bin/python3 tests/doc/doctest.py ./selfattn README.md man/selfattn.1

# data/sentence-weights.svg, the README's picture, and
# data/trained-heads.svg, its picture of the trained heads (made by
# data/train_heads.py, with python3-torch) beside random weights
HEADS_TMP = data/.heads
data: selfattn
	./selfattn run -H 2 --causal -f svg -o data/sentence-weights.svg data/sentence.json
	mkdir -p $(HEADS_TMP)
	./selfattn run --causal -p weights -o $(HEADS_TMP)/random.json data/prev-token.json
	for k in prev-token same-token induction; do \
	  ./selfattn run -w data/$$k.weights.json -p weights -o $(HEADS_TMP)/$$k.json data/$$k.json || exit 1; \
	done
	./selfattn plot --labels 'random weights,previous token,same token,induction' \
	  -o data/trained-heads.svg $(HEADS_TMP)/random.json $(HEADS_TMP)/prev-token.json \
	  $(HEADS_TMP)/same-token.json $(HEADS_TMP)/induction.json
	rm -r $(HEADS_TMP)

# data/sentence-page.png, the README's picture of the page's four views:
# each view of the page of data/sentence.json in headless Chromium
# (tests/tools/browser.py), the steps view in a wider window, shrunk into
# one 2 x 2 grid
PAGE_TMP = data/.page-views
PAGE_VIEWS = [{"hover": "\#view-head .token[data-side=\"q\"][data-index=\"4\"]"}, \
	{"screenshot": "$(PAGE_TMP)/head.png"}, {"click": "\#tab-matrix"}, \
	{"hover": "\#view-matrix .matrix[data-head=\"1\"] canvas", "at": [0.55, 0.72]}, \
	{"screenshot": "$(PAGE_TMP)/matrix.png"}, {"click": "\#tab-model"}, \
	{"screenshot": "$(PAGE_TMP)/model.png"}]
PAGE_STEPS = [{"click": "\#tab-steps"}, \
	{"hover": "\#view-steps figure[data-step=\"softmax\"] canvas", "at": [0.45, 0.75]}, \
	{"screenshot": "$(PAGE_TMP)/steps.png"}]
data-page: selfattn
	$(call install,chromium)
	rm -rf $(PAGE_TMP) && mkdir -p $(PAGE_TMP)
	./selfattn run -H 2 --causal -p weights,steps -f html -o $(PAGE_TMP)/page.html data/sentence.json
	/usr/bin/python3 tests/tools/browser.py --size 1000x620 $(PAGE_TMP)/page.html '$(PAGE_VIEWS)' >/dev/null
	/usr/bin/python3 tests/tools/browser.py --size 1400x868 $(PAGE_TMP)/page.html '$(PAGE_STEPS)' >/dev/null
	printf '%s' '<!DOCTYPE html><style>body{margin:0;display:grid;grid-template-columns:800px 800px}' \
	  'img{width:800px;height:496px;border:1px solid #ccc;box-sizing:border-box}</style>' \
	  '<img src="head.png"><img src="matrix.png"><img src="model.png"><img src="steps.png">' \
	  > $(PAGE_TMP)/grid.html
	/usr/bin/python3 tests/tools/browser.py --size 1600x992 $(PAGE_TMP)/grid.html \
	  '[{"screenshot": "data/sentence-page.png"}]' >/dev/null
	rm -rf $(PAGE_TMP)

demo: deps
	@$(MAKE) --no-print-directory all
	./selfattn run --scale 1 --weights data/classic.weights.json \
		--print weights,output --format table data/classic.json
	./selfattn run --heads 2 --causal --print weights --format table data/sentence.json

# The same programs built with AddressSanitizer and UndefinedBehaviorSanitizer
# (leak detection on), and every test run against them.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
SAN_CFLAGS = $(CSTD) $(SAN_FLAGS) $(WARNINGS) -D_XOPEN_SOURCE=700 -pthread $(PKG_CFLAGS) -Isrc
SAN_CXXFLAGS = $(CXXSTD) $(SAN_FLAGS) -Wall -Wextra -Isrc $(DRAGONBOX)
SAN_UNIT_TESTS = $(UNIT_TESTS:=-san)
# the library's sources, the C++ one compiled apart
SAN_LIB = $(LIB_C) $(LIB_CXX:.cc=.san.o)

sanitize: selfattn-san

src/%.san.o: src/%.cc $(HEADERS)
	$(CXX) $(SAN_CXXFLAGS) -c -o $@ $<

selfattn-san: $(SAN_LIB) $(CLI_SRC) $(HEADERS)
	$(CC) $(SAN_CFLAGS) $(MPI_CFLAGS) -o $@ $(SAN_LIB) $(CLI_SRC) $(LIBS) $(MPI_LIBS)

tests/unit/%-san: tests/unit/%.c tests/unit/naive.c tests/unit/naive.h tests/unit/check.h $(SAN_LIB) $(HEADERS)
	$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< tests/unit/naive.c $(SAN_LIB) $(LIBS)

tests/unit/test_suggest-san: tests/unit/test_suggest.c src/cli_suggest.c tests/unit/check.h $(SAN_LIB) $(HEADERS)
	$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< src/cli_suggest.c $(SAN_LIB) $(LIBS)

check-sanitize: selfattn-san $(SAN_UNIT_TESTS) $(TEST_TOOLS)
	@for t in $(SAN_UNIT_TESTS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 ./$$t || exit 1; done
	ASAN_OPTIONS=detect_leaks=1 SELFATTN_BIN=$(CURDIR)/selfattn-san bats tests/bats

# The allocation-failure sweep: a sanitizer build whose Nth allocation fails
# (tests/alloc/alloc_fail.c), run for N = 1, 2, ... on representative commands.
ALLOC_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup,--wrap=posix_memalign

selfattn-allocfail: $(SAN_LIB) $(CLI_SRC) $(HEADERS) tests/alloc/alloc_fail.c
	$(CC) $(SAN_CFLAGS) $(MPI_CFLAGS) $(ALLOC_WRAP) -o $@ $(SAN_LIB) $(CLI_SRC) tests/alloc/alloc_fail.c $(LIBS) $(MPI_LIBS)

check-alloc: selfattn-allocfail
	tests/alloc/sweep.sh ./selfattn-allocfail

# the main cases under valgrind (Debian's valgrind)
memcheck: selfattn
	$(call install,valgrind)
	tests/alloc/memcheck.sh ./selfattn

# libFuzzer harnesses, one per reader (tests/fuzz/README.md): make fuzz runs
# each for FUZZ_SECONDS and fails on any finding; make check runs a smoke:
# every seed and reproducer, then 3 seconds of fuzzing per harness
FUZZ_SECONDS ?= 60

fuzz: $(GENERATED_C)
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: $(GENERATED_C)
	tests/fuzz/run.sh 0
	tests/fuzz/run.sh 3

# a benchmark, not a test: selfattn against NumPy and torch (when
# installed) on the same data, then the gradients' targets, whose torch
# side needs python3-torch (BENCH_PACKAGES); see docs/performance.md
BENCH_PACKAGES = python3-torch

bench: test-deps selfattn tests/bench/sgemm_peak
	$(call install,$(BENCH_PACKAGES))
	/usr/bin/python3 tests/bench/bench.py
	/usr/bin/python3 tests/bench/bench_grad.py
	/usr/bin/python3 tests/bench/bench_mpi.py

tests/bench/sgemm_peak: tests/bench/sgemm_peak.c
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS)

install: all lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 selfattn $(DESTDIR)$(BINDIR)/selfattn
	if [ -x selfattn-mpi ]; then install -m 755 selfattn-mpi $(DESTDIR)$(BINDIR)/selfattn-mpi; fi
	install -m 644 man/selfattn.1 $(DESTDIR)$(MANDIR)/selfattn.1
	./selfattn completion bash > $(DESTDIR)$(BASHCOMPDIR)/selfattn
	./selfattn completion zsh > $(DESTDIR)$(ZSHCOMPDIR)/_selfattn
	chmod 644 $(DESTDIR)$(BASHCOMPDIR)/selfattn $(DESTDIR)$(ZSHCOMPDIR)/_selfattn
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MAN3DIR)
	install -m 644 libselfattn.a $(SHLIB) $(DESTDIR)$(LIBDIR)
	ln -sf $(SHLIB) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SHLIB) $(DESTDIR)$(LIBDIR)/libselfattn.so
	install -m 644 src/selfattn.h $(DESTDIR)$(INCLUDEDIR)/selfattn.h
	install -m 644 man/selfattn.3 $(DESTDIR)$(MAN3DIR)/selfattn.3
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' selfattn.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/selfattn.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/selfattn.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/selfattn $(DESTDIR)$(BINDIR)/selfattn-mpi $(DESTDIR)$(MANDIR)/selfattn.1 \
		$(DESTDIR)$(BASHCOMPDIR)/selfattn $(DESTDIR)$(ZSHCOMPDIR)/_selfattn
	rm -f $(DESTDIR)$(LIBDIR)/libselfattn.a $(DESTDIR)$(LIBDIR)/$(SHLIB) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libselfattn.so \
		$(DESTDIR)$(INCLUDEDIR)/selfattn.h $(DESTDIR)$(MAN3DIR)/selfattn.3 \
		$(DESTDIR)$(PKGCONFIGDIR)/selfattn.pc

# The library as a user's program sees it: installed under a temporary
# prefix, docs/example.c and selfattn(3)'s example built with that tree's
# pkg-config, linked dynamically and statically, run, and compared with
# ./selfattn (tests/install/check_install.sh)
check-install: selfattn lib
	tests/install/check_install.sh

clean:
	rm -f selfattn selfattn-mpi selfattn-san selfattn-allocfail libselfattn.a libselfattn.so.* src/*.o $(UNIT_TESTS) $(SAN_UNIT_TESTS) \
		$(GENERATED_C) \
		$(TEST_TOOLS) tests/bench/sgemm_peak
	rm -rf tests/fuzz/build
