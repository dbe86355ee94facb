# bench.mk — the kernel-base benchmarks (included by the top Makefile).
#
# Each bench/<name>.c is one program, built into $(B)/bench/<name> against
# the shared libraries.  `make bench` builds everything and runs
# bench/run.sh, which prints a table and writes bench/results/kern.json.
# Missing a target does not fail the run; a crashing program does.

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_PROGS := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)

$(BENCH_PROGS): $(B)/bench/%: bench/%.c bench/bench.h $(LIBS) $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< -L$(L) -Wl,-rpath,'$$ORIGIN/../lib' \
		-Wl,--no-as-needed -lrump -lrumpuser -Wl,--as-needed -lpthread $(LDSAN)

bench-progs: $(BENCH_PROGS)

bench: all bench-progs
	@sh bench/run.sh $(B)

.PHONY: bench-progs
