# ft — fine-tune transformers as Unix pipelines.
#   make            build lib/libft.a and bin/ft-*
#   make test       build and run every test (first installs missing packages: scripts/deps)
#   make demo       case 1 end to end on an embedded default data set
#   make bench      side-by-side benchmarks against the Python peers
#   make kill-test  kill -9 a training run 100 times at random moments (docs/reliability.md)
#   make sanitize   build and run the tests under ASan+UBSan
#   make install PREFIX=/usr/local
#   make deps       install the Debian packages ft needs that are missing (apt-get, as root)
#   make deps-dry-run  list what `make deps` would install

PREFIX  ?= /usr/local
CC      ?= cc
OPT     ?= -O2 -march=native
CFLAGS  ?= $(OPT) -g
BUILD   ?= build
BIN     ?= bin
BLAS_INC = $(firstword $(wildcard /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/$(shell gcc -dumpmachine)/openblas-openmp))
ALL_CFLAGS = -std=gnu11 -Wall -Wextra -fopenmp -Ilib $(if $(BLAS_INC),-I$(BLAS_INC)) $(CFLAGS)
LDLIBS  = -lopenblas -lmsgpackc -lzstd -lcsv -ljansson -lutf8proc -lxxhash -lm -lpthread -fopenmp

LIB_SRC   = $(sort $(wildcard lib/*.c))
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC  = $(sort $(wildcard tools/*.c))
TOOLS     = $(TOOL_SRC:tools/%.c=$(BIN)/%)
TEST_SRC  = $(sort $(wildcard tests/unit/test_*.c))
TESTS     = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
REF_SRC   = $(sort $(wildcard tests/ref/*.c))
REFS      = $(REF_SRC:tests/ref/%.c=$(BUILD)/ref/%)
BENCH_SRC = $(sort $(wildcard bench/*.c))
BENCHES   = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

all: $(TOOLS) $(TESTS) $(REFS) $(BENCHES) prune-tools

# A bin/ft-* whose tools/*.c is gone (a tool renamed or folded into another)
# would still be on the tests' PATH: remove it.
prune-tools:
	@rm -f $(filter-out $(TOOLS),$(wildcard $(BIN)/ft-*))

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) | $(BUILD)/lib
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libft.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN)/%: tools/%.c $(BUILD)/libft.a $(wildcard lib/*.h) | $(BIN)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libft.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c tests/test.h $(BUILD)/libft.a $(wildcard lib/*.h) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Itests $< $(BUILD)/libft.a $(LDLIBS) -o $@

# Drivers for the PyTorch parity tests (run by tests/ref/*.sh, not directly).
$(BUILD)/ref/%: tests/ref/%.c $(BUILD)/libft.a $(wildcard lib/*.h) | $(BUILD)/ref
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libft.a $(LDLIBS) -o $@

$(BUILD)/bench/%: bench/%.c $(BUILD)/libft.a $(wildcard lib/*.h bench/*.h) | $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libft.a $(LDLIBS) -o $@

$(BUILD)/lib $(BUILD)/tests $(BUILD)/ref $(BUILD)/bench $(BIN):
	mkdir -p $@

# A fresh machine lacks packages: scripts/deps installs those whose probe
# (header, command, module) fails, and only those; `make deps-dry-run` lists them.
deps-check:
	@scripts/deps build test

deps:
	scripts/deps

deps-dry-run:
	@scripts/deps --dry-run

test: deps-check
	$(MAKE) all
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

# 100 kill -9s of a run saving every step; figures in docs/reliability.md
KILLS ?= 100
kill-test: all
	tests/fault/kill-test $(KILLS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1

clean:
	rm -rf build build-san bin

.PHONY: all prune-tools deps deps-check deps-dry-run test sanitize demo bench kill-test install clean
