# prov: build, test, install.  GNU make on Debian 12.
#
#   make            tools in bin/, the library in lib/
#   make check      -Werror build under ASan+UBSan, then the whole test suite
#   make demo       the demo pipeline on a SQLite ledger
#   make deps       install missing Debian packages (as root), or print the command

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

VERSION = 0.1.0

# Where a build goes.  `make check` uses a separate tree so that the
# sanitizer build never mixes objects with the default one.
OUT    ?= build/release
BINOUT ?= bin
LIBOUT ?= lib

PROV_CORPUS ?= $(abspath ../shared/corpus)
PROV_VECTORS ?= $(abspath ../shared/vectors)
export PROV_CORPUS PROV_VECTORS

# Debian packages the build and the tests need (pkg-config name : package).
DEB_BUILD = pkg-config gcc g++ make libopenexr-dev libpng-dev libtiff-dev \
            libjpeg-dev libarchive-dev libsqlite3-dev libssl-dev libjansson-dev \
            libutf8proc-dev libwebp-dev libsodium-dev
DEB_TEST  = python3 python3-jsonschema python3-cryptography zip unzip p7zip-full libarchive-tools \
            sqlite3 imagemagick openexr libtiff-tools libjpeg-turbo-progs jq graphviz
DEB_BENCH = hashdeep b3sum openimageio-tools hyperfine

PKGS = libpng libtiff-4 libarchive sqlite3 libcrypto jansson libjpeg libutf8proc \
       libwebp libwebpdemux libsodium
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS) OpenEXR 2>/dev/null)
# OpenEXR's .pc drags in the C++ libraries; the C code needs only the Core
# library, the DWA decoder shim (one C++ file) needs libOpenEXR.
DEP_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
            -lOpenEXRCore-3_1 -lOpenEXR-3_1 -lIex-3_1 -lIlmThread-3_1 \
            -lImath-3_1 -lstdc++ -lpthread -lm

WARN = -Wall -Wextra -Wpedantic -Wstrict-prototypes -Wmissing-prototypes \
       -Wold-style-definition -Wvla -Wwrite-strings -Wformat=2 -Wshadow
CXXWARN = -Wall -Wextra -Wshadow
HARDEN = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS ?= -O2 -g
CXXFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -pthread \
             -fvisibility=hidden -Ilibprov $(WARN) $(HARDEN) $(DEP_CFLAGS) $(CFLAGS)
ALL_CXXFLAGS = -std=c++17 -pthread -fvisibility=hidden -Ilibprov $(CXXWARN) \
               $(HARDEN) $(DEP_CFLAGS) $(CXXFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -pthread $(LDFLAGS)

ifdef DEVELOPER
ALL_CFLAGS += -Werror
ALL_CXXFLAGS += -Werror
endif
ifdef SANITIZE
SANFLAGS = -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
ALL_CFLAGS += $(SANFLAGS)
ALL_CXXFLAGS += $(SANFLAGS)
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# PDQ must be bit-exact with the reference: single precision, no fused
# multiply-add contraction, no fast-math in the files that compute it.
EXACT_FP = -ffp-contract=off -fno-fast-math
# The PDQ filters' loops are lane-parallel (one running sum per column, the
# luma of each pixel): vectorised, every lane does the reference's
# operations in its order, so the hashes stay bit-exact (tests/unit/t_pdq.c
# and t1400 check them against the reference vectors).
PDQ_VEC = -ftree-vectorize -fvect-cost-model=dynamic

LIB_C   = $(sort $(wildcard libprov/*.c))
LIB_CXX = $(sort $(wildcard libprov/*.cpp))
LIB_OBJ = $(LIB_C:%.c=$(OUT)/%.o) $(LIB_CXX:%.cpp=$(OUT)/%.o)
TOOL_SRC = $(filter-out tools/common.c,$(sort $(wildcard tools/prov-*.c)))
TOOLS   = $(TOOL_SRC:tools/%.c=$(BINOUT)/%)
COMMON_OBJ = $(OUT)/tools/common.o
UNIT_SRC = $(sort $(wildcard tests/unit/t_*.c))
UNIT_OBJ = $(UNIT_SRC:%.c=$(OUT)/%.o) $(OUT)/tests/unit/harness.o
LIBPROV = $(LIBOUT)/libprov.a
HELPER  = $(OUT)/tests/prov-test

.PHONY: all check test-run deps deps-bench demo demo-run bench-run install uninstall clean bench bench-bin fuzz lint
.DELETE_ON_ERROR:

all: $(LIBPROV) $(TOOLS)

$(OUT)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/libprov/pdq.o: ALL_CFLAGS += $(EXACT_FP) $(PDQ_VEC)
$(OUT)/tests/unit/t_pdq.o: ALL_CFLAGS += $(EXACT_FP)

# The ledger executes schemas/ledger.sql itself: one source for both.
$(OUT)/gen/ledger_sql.h: schemas/ledger.sql
	@mkdir -p $(@D)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@.tmp && mv $@.tmp $@
$(OUT)/libprov/ledger.o: $(OUT)/gen/ledger_sql.h
$(OUT)/libprov/ledger.o: ALL_CFLAGS += -I$(OUT)/gen

$(OUT)/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -MMD -MP -c -o $@ $<

$(LIBPROV): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BINOUT)/%: $(OUT)/tools/%.o $(COMMON_OBJ) $(LIBPROV)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(DEP_LIBS)

# The unit tests: one binary, the list of tests generated from the sources.
$(OUT)/tests/unit/list.h: $(UNIT_SRC)
	@mkdir -p $(@D)
	grep -h '^DEFINE_TEST(' $(UNIT_SRC) /dev/null > $@.tmp && mv $@.tmp $@
$(OUT)/tests/unit/harness.o: ALL_CFLAGS += -I$(OUT)/tests/unit
$(OUT)/tests/unit/harness.o: $(OUT)/tests/unit/list.h
$(OUT)/tests/unit/unit: $(UNIT_OBJ) $(LIBPROV)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(DEP_LIBS)

# prov-test exposes library internals to the shell tests and vector checks;
# its verbs are declared in tests/helper/*.c and listed by grep.
HELPER_SRC = $(sort $(wildcard tests/helper/*.c))
HELPER_OBJ = $(OUT)/tests/prov-test.o $(HELPER_SRC:%.c=$(OUT)/%.o)
$(OUT)/tests/verbs-list.h: $(HELPER_SRC)
	@mkdir -p $(@D)
	grep -h '^PROV_TEST_VERB(' $(HELPER_SRC) /dev/null > $@.tmp && mv $@.tmp $@
$(OUT)/tests/prov-test.o: ALL_CFLAGS += -I$(OUT)/tests
$(OUT)/tests/prov-test.o: $(OUT)/tests/verbs-list.h
$(HELPER): $(HELPER_OBJ) $(COMMON_OBJ) $(LIBPROV)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(DEP_LIBS)

check: deps
	$(MAKE) OUT=build/check BINOUT=build/check/bin LIBOUT=build/check/lib \
		SANITIZE=address,undefined DEVELOPER=1 test-run

test-run: all $(OUT)/tests/unit/unit $(HELPER)
	PROV_BIN=$(abspath $(BINOUT)) PROV_UNIT=$(abspath $(OUT)/tests/unit/unit) \
	PROV_TEST=$(abspath $(HELPER)) sh tests/run.sh

# deps first, then a fresh make: pkg-config flags are read when make starts,
# so on a bare machine they exist only after deps has installed the packages.
demo: deps
	$(MAKE) demo-run
demo-run: all
	PROV_BIN=$(abspath $(BINOUT)) sh examples/demo.sh

deps:
	@sh tests/deps.sh $(DEB_BUILD) $(DEB_TEST)

deps-bench: deps
	@sh tests/deps.sh $(DEB_BENCH)

# Benchmarks: every bench/bench-*.sh, or BENCH=name for one.  The small
# programs under bench/ (bare decoders to compare with) go to $(OUT)/bench.
BENCH_SRC = $(sort $(wildcard bench/*.c))
BENCH_CXX = $(sort $(wildcard bench/*.cpp))
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(OUT)/bench/%) $(BENCH_CXX:bench/%.cpp=$(OUT)/bench/%)
$(OUT)/bench/%: bench/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -o $@ $< $(ALL_LDFLAGS) $(DEP_LIBS)
$(OUT)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(DEP_LIBS)
# The PDQ index benchmark drives libprov itself.
$(OUT)/bench/bench_pdqidx: bench/bench_pdqidx.c $(LIBPROV)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBPROV) $(ALL_LDFLAGS) $(DEP_LIBS)
bench-bin: $(BENCH_BIN)
bench: deps-bench
	$(MAKE) bench-run
bench-run: all bench-bin $(HELPER)
	PROV_BENCH_BIN=$(abspath $(OUT)/bench) \
	PROV_BIN=$(abspath $(BINOUT)) sh bench/run.sh $(BENCH)

prov.pc: prov.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

install: all prov.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)
	install -m 644 $(LIBPROV) $(DESTDIR)$(LIBDIR)
	install -m 644 libprov/prov.h $(DESTDIR)$(INCLUDEDIR)
	install -m 644 prov.pc $(DESTDIR)$(PKGCONFIGDIR)
	for m in man/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man1; done; true

uninstall:
	rm -f $(TOOLS:$(BINOUT)/%=$(DESTDIR)$(BINDIR)/%) $(DESTDIR)$(LIBDIR)/libprov.a \
		$(DESTDIR)$(INCLUDEDIR)/prov.h $(DESTDIR)$(PKGCONFIGDIR)/prov.pc

# Banned functions (see libprov/banned.h): a grep, so it also covers tools/.
lint:
	! grep -nE '\b(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|gets|atoi|atol|gmtime|localtime|ctime|asctime)\s*\(' \
		libprov/*.c tools/*.c

clean:
	rm -rf build bin lib prov.pc

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(HELPER_OBJ:.o=.d) $(wildcard $(OUT)/tools/*.d)
