# ft — fine-tune transformers as Unix pipelines.
#   make            build lib/libft.a and bin/ft-*
#   make test       build and run every test (first installs missing packages: scripts/deps)
#   make demo       case 1 end to end on an embedded default data set
#   make bench      side-by-side benchmarks against the Python peers
#   make kill-test  kill -9 a training run 100 times at random moments (docs/reliability.md)
#   make sanitize   build and run the tests under ASan+UBSan
#   make fuzz       build the libFuzzer harnesses (fuzz/) and fuzz each for FUZZ_SECONDS
#   make install PREFIX=/usr/local [DESTDIR=…]   tools, man pages, bash completion,
#                   libft (static and shared), its public headers, ft.pc for pkg-config
#   make deps       install the Debian packages ft needs that are missing (apt-get, as root)
#   make deps-dry-run  list what `make deps` would install

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION   = 0.1.0
SOVERSION = 0
CC      ?= cc
# Portable by default: x86-64-v3 (AVX2, FMA, F16C), which every machine of the
# fleet has, so a binary built on one runs on all; the hot kernels carry
# AVX-512 variants picked at run time (lib/common/isa.h, docs/compute-core.md).
# NATIVE=1 builds for this CPU alone (use its own BUILD/BIN: the objects differ).
ifeq ($(NATIVE),1)
OPT     ?= -O2 -march=native
else
OPT     ?= -O2 -march=x86-64-v3
endif
CFLAGS  ?= $(OPT) -g
BUILD   ?= build
BIN     ?= bin
BLAS_INC = $(firstword $(wildcard /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/$(shell gcc -dumpmachine)/openblas-openmp))
BASE_CFLAGS = -std=gnu11 -Wall -Wextra -fopenmp $(LIB_INC) -I$(BUILD)/gen $(if $(BLAS_INC),-I$(BLAS_INC))
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)
# MPI (data-parallel training, lib/run/dist.c): Open MPI's flags from
# pkg-config; without it dist.c builds its one-process fallback.  --as-needed:
# a tool that never calls into dist.c gets no libmpi to load at start.
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null)
MPI_DEF     = $(if $(MPI_LIBS),-DFT_MPI)
LDLIBS  = -ldnnl -lopenblas -lmsgpackc -lzstd -lcsv -ljansson -lutf8proc -lonig -lxxhash -lprotobuf-c -lm -lpthread -fopenmp \
          -Wl,--as-needed $(MPI_LIBS) -Wl,--no-as-needed

# lib/ is in folders by layer, lowest first (scripts/layers.txt; checked by
# scripts/check-layers): a module includes its own layer's headers and lower.
LAYERS    = common io tok data nn model run
LIB_SRC   = $(sort $(wildcard lib/*/*.c))
LIB_H     = $(wildcard lib/*/*.h)
LIB_INC   = $(LAYERS:%=-Ilib/%)
# Protobuf messages (lib/*/*.proto) become C at build time with protoc-c.
PROTO     = $(sort $(wildcard lib/*/*.proto))
PROTO_GEN = $(patsubst %.proto,$(BUILD)/gen/%.pb-c.c,$(notdir $(PROTO)))
vpath %.proto $(sort $(dir $(PROTO)))
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o) $(PROTO_GEN:%.c=%.o)
TOOL_SRC  = $(sort $(wildcard tools/*.c))
TOOLS     = $(TOOL_SRC:tools/%.c=$(BIN)/%)
TEST_SRC  = $(sort $(wildcard tests/unit/test_*.c))
TESTS     = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
REF_SRC   = $(sort $(wildcard tests/ref/*.c))
REFS      = $(REF_SRC:tests/ref/%.c=$(BUILD)/ref/%)
BENCH_SRC = $(sort $(wildcard bench/*.c))
BENCHES   = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
# Bash completion for each tool, generated from its --help and option table.
COMPLETIONS = $(TOOL_SRC:tools/%.c=$(BUILD)/completion/%)

# libft's public API: the headers another program may include, installed flat
# under include/ft/ (#include <ft/stream.h>).  Named, not globbed, so a header
# becomes public by choice; found wherever it lives in lib/ or a layer folder.
# Each one's own includes must be in the list (tests/sh/install.sh compiles them).
PUBLIC_H_NAMES = tokenizer.h stream.h format.h record.h tensor.h util.h publish.h
PUBLIC_H  = $(foreach h,$(PUBLIC_H_NAMES),$(firstword $(wildcard lib/$(h) lib/*/$(h))))
# The shared library's objects are compiled apart with -fPIC, so the tools
# (linked with libft.a) keep exactly the code they had.
PIC_OBJ   = $(LIB_SRC:%.c=$(BUILD)/pic/%.o) $(PROTO_GEN:$(BUILD)/gen/%.c=$(BUILD)/pic/gen/%.o)
SHLIB     = $(BUILD)/libft.so.$(VERSION)

all: checks $(TOOLS) $(TESTS) $(REFS) $(BENCHES) $(COMPLETIONS) prune-tools

# The house rules the build keeps: no function over 120 lines in lib/ or
# tools/ (scripts/check-fnlen prints FILE:FUNCTION:LINES) and lib/'s layers
# (scripts/check-layers: no include or use reaching up, no header declaring
# what a higher layer defines, no circle of modules).  A violation fails make.
checks:
	@scripts/check-fnlen
	@scripts/check-layers

# A bin/ft-* whose tools/*.c is gone (a tool renamed or folded into another)
# would still be on the tests' PATH: remove it.
prune-tools:
	@rm -f $(filter-out $(TOOLS),$(wildcard $(BIN)/ft-*))

# The compiler and flags the objects were built with, rewritten only when they
# change: a switch to or from NATIVE=1 rebuilds everything, never mixes the two
# (tests/sh/isa.sh reads it to know a native build from a portable one).
FORCE:
$(BUILD)/flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(OPT) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(OPT) $(CFLAGS)' > $@

$(BUILD)/lib/%.o: lib/%.c $(LIB_H) $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# the kernels' sqrtf must vectorise: no errno to set (their arguments are >= 0)
$(BUILD)/lib/nn/kern.o $(BUILD)/pic/lib/nn/kern.o: ALL_CFLAGS += -fno-math-errno

# only dist.c sees mpi.h
$(BUILD)/lib/run/dist.o $(BUILD)/pic/lib/run/dist.o: ALL_CFLAGS += $(MPI_CFLAGS) $(MPI_DEF)

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto | $(BUILD)/gen
	protoc-c --proto_path=$(dir $<) --c_out=$(BUILD)/gen $<

# generated code: compiled as protoc-c wrote it, without our warning flags
$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h $(BUILD)/flags
	$(CC) -std=gnu11 -I$(BUILD)/gen $(CFLAGS) -c $< -o $@

$(BUILD)/pic/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -I$(BUILD)/gen $(CFLAGS) -fPIC -c $< -o $@

$(filter %/tensorboard.o,$(LIB_OBJ) $(PIC_OBJ)): $(BUILD)/gen/tb_event.pb-c.h

$(BUILD)/libft.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/pic/lib/%.o: lib/%.c $(LIB_H) $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(SHLIB): $(PIC_OBJ)
	$(CC) -shared -Wl,-soname,libft.so.$(SOVERSION) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/completion/%: $(BIN)/% scripts/gen-completion
	@mkdir -p $(dir $@)
	scripts/gen-completion $< > $@.tmp && mv $@.tmp $@

$(BIN)/%: tools/%.c $(BUILD)/libft.a $(LIB_H) | $(BIN)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libft.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c tests/test.h $(BUILD)/libft.a $(LIB_H) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Itests $< $(BUILD)/libft.a $(LDLIBS) -o $@

# Drivers for the PyTorch parity tests (run by tests/ref/*.sh, not directly).
$(BUILD)/ref/%: tests/ref/%.c $(BUILD)/libft.a $(LIB_H) | $(BUILD)/ref
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libft.a $(LDLIBS) -o $@

$(BUILD)/bench/%: bench/%.c $(BUILD)/libft.a $(LIB_H) $(wildcard bench/*.h) | $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libft.a $(LDLIBS) -o $@

$(BUILD)/lib $(BUILD)/gen $(BUILD)/tests $(BUILD)/ref $(BUILD)/bench $(BIN):
	mkdir -p $@

# A fresh machine lacks packages: scripts/deps installs those whose probe
# (header, command, module) fails, and only those; `make deps-dry-run` lists them.
deps-check:
	@scripts/deps build test fuzz

deps:
	scripts/deps

deps-dry-run:
	@scripts/deps --dry-run

test: deps-check
	$(MAKE) all
	-$(MAKE) $(FUZZERS)
	tests/run

sanitize: deps-check
	$(MAKE) BUILD=build-san BIN=build-san/bin OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
	        LDLIBS="$(LDLIBS) -fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=0 FT_BUILD=build-san FT_LDFLAGS="-fsanitize=address,undefined" tests/run

demo: deps-check
	@scripts/deps demo
	$(MAKE) all
	pipelines/demo.sh

bench: deps-check
	$(MAKE) all
	bench/run

# The speed table on an idle machine (docs/bench.md): BENCH_TABLE="--quick" to try it
.PHONY: bench-table
bench-table: deps-check
	$(MAKE) all
	bench/table $(BENCH_TABLE) -o $(BUILD)/bench-table.md

# 100 kill -9s of a run saving every step; figures in docs/reliability.md
KILLS ?= 100
kill-test: all
	tests/fault/kill-test $(KILLS)

# ---- fuzzing: libFuzzer harnesses, one per input surface (fuzz/, docs/reliability.md) ----
# The library is rebuilt with clang under the fuzzer's coverage and ASan+UBSan
# in $(FUZZ_BUILD); `make test` replays the corpora and fuzzes each harness
# briefly (tests/sh/fuzz.sh); `make fuzz` runs the long campaign.
FUZZ_BUILD   = build-fuzz
FUZZ_CC     ?= clang
FUZZ_SECONDS ?= 120
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Sizes lowered for fuzzing: no big zeroed buffer (an mmap under ASan) per input, and
# the boundaries crossed far more often: a 64-byte input buffer (lib/io/input.c), so a
# refill lands inside most records; a 64-slot BPE word cache (lib/tok/tok_models.c);
# zstd windows up to 1 MiB (a fuzzed frame header claims up to 128 MB).
FUZZ_DEFS    = -DFT_INPUT_CHUNK=64 -DFT_TOK_CACHE_SLOTS=64 -DFT_ZSTD_WINDOW_LOG_MAX=20
FUZZ_NAMES   = stream stream_zstd text safetensors config adapter_config trainer_state \
               tokenizer_json vocab_txt bpe_files spiece encode_bert encode_gpt2 encode_t5 encode_codet5
FUZZERS      = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_SRC_tokenizer_json = fuzz/tokenizer_files.c
FUZZ_DEF_tokenizer_json = -DTOK_FILE='"tokenizer.json"'
FUZZ_SRC_vocab_txt      = fuzz/tokenizer_files.c
FUZZ_DEF_vocab_txt      = -DTOK_FILE='"vocab.txt"'
FUZZ_SRC_bpe_files      = fuzz/tokenizer_files.c
FUZZ_DEF_bpe_files      = -DTOK_FILE='"vocab.json"' -DTOK_FILE2='"merges.txt"'
FUZZ_SRC_spiece         = fuzz/tokenizer_files.c
FUZZ_DEF_spiece         = -DTOK_FILE='"spiece.model"'
FUZZ_SRC_encode_bert    = fuzz/encode.c
FUZZ_DEF_encode_bert    = -DTOK_MODEL='"bert-base-chinese"'
FUZZ_SRC_encode_gpt2    = fuzz/encode.c
FUZZ_DEF_encode_gpt2    = -DTOK_MODEL='"gpt2"'
FUZZ_SRC_encode_t5      = fuzz/encode.c
FUZZ_DEF_encode_t5      = -DTOK_MODEL='"t5-small"'
FUZZ_SRC_encode_codet5  = fuzz/encode.c
FUZZ_DEF_encode_codet5  = -DTOK_MODEL='"codet5-base"'

ifneq ($(BUILD),$(FUZZ_BUILD))
$(FUZZ_BUILD)/libft.a: $(LIB_SRC) $(LIB_H)
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O1 -gline-tables-only -Wno-pass-failed -Wno-unknown-pragmas -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(FUZZ_DEFS)" $@
endif

$(FUZZ_BUILD)/fuzz_%: $(wildcard fuzz/*.c fuzz/*.h) $(FUZZ_BUILD)/libft.a
	$(FUZZ_CC) $(BASE_CFLAGS:$(BUILD)/gen=$(FUZZ_BUILD)/gen) -O1 -g -Ifuzz -fsanitize=fuzzer $(FUZZ_SAN) $(FUZZ_DEF_$*) \
	    $(or $(FUZZ_SRC_$*),fuzz/$*.c) fuzz/fuzz.c $(FUZZ_BUILD)/libft.a $(LDLIBS) -o $@

fuzz-deps:
	@scripts/deps fuzz

fuzz-build: fuzz-deps
	-$(MAKE) $(FUZZERS)

# FUZZ_JOBS harnesses at a time (one core each)
FUZZ_JOBS ?= 1
fuzz: fuzz-build
	printf '%s\n' $(FUZZ_NAMES) | xargs -P $(FUZZ_JOBS) -n 1 fuzz/run -t $(FUZZ_SECONDS)

install: install-tools install-lib

install-tools: $(TOOLS) $(COMPLETIONS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR)
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)
	install -m 644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(COMPLETIONS) $(DESTDIR)$(COMPLETIONDIR)

# ft.pc is written at every install, for this PREFIX (a staged install under
# DESTDIR points at the final place); libdir and includedir are relative to
# prefix when under it, so pkg-config --define-prefix can relocate them.
install-lib: $(BUILD)/libft.a $(SHLIB) scripts/ft.pc.in
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/ft
	install -m 644 $(BUILD)/libft.a $(DESTDIR)$(LIBDIR)
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)
	ln -sf libft.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libft.so.$(SOVERSION)
	ln -sf libft.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libft.so
	install -m 644 $(PUBLIC_H) $(DESTDIR)$(INCLUDEDIR)/ft
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(LDLIBS)|' scripts/ft.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/ft.pc

clean:
	rm -rf build build-san build-fuzz bin

.PHONY: FORCE all checks prune-tools deps deps-check deps-dry-run test sanitize demo bench install install-tools install-lib clean \
        fuzz fuzz-deps fuzz-build kill-test
