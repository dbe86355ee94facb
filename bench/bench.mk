# bench.mk — the benchmarks (included by the top Makefile).
#
# Each bench/<name>.c is one program, built into $(B)/bench/<name> against
# the shared libraries: the kernel-base ones against librump, the VFS ones
# (bench/vfs_*.c) against librumpvfs too.  `make bench` builds everything
# and runs bench/run.sh, which prints the tables and writes
# bench/results/kern.json and bench/results/vfs.json.  Missing a target
# does not fail the run; a crashing program does.

BENCH_VFS_SRCS := $(wildcard bench/vfs_*.c)
BENCH_KERN_SRCS := $(filter-out $(BENCH_VFS_SRCS),$(wildcard bench/*.c))
BENCH_KERN_PROGS := $(BENCH_KERN_SRCS:bench/%.c=$(B)/bench/%)
BENCH_VFS_PROGS := $(BENCH_VFS_SRCS:bench/%.c=$(B)/bench/%)
BENCH_PROGS := $(BENCH_KERN_PROGS) $(BENCH_VFS_PROGS)

$(BENCH_KERN_PROGS): $(B)/bench/%: bench/%.c bench/bench.h bench/bench_team.h $(LIBS) $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< -L$(L) -Wl,-rpath,'$$ORIGIN/../lib' \
		-Wl,--no-as-needed -lrump -lrumpuser -Wl,--as-needed -lpthread $(LDSAN)

$(BENCH_VFS_PROGS): $(B)/bench/%: bench/%.c bench/bench.h bench/bench_team.h bench/vfsbench.h $(LIBS) $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< -L$(L) -Wl,-rpath,'$$ORIGIN/../lib' \
		-Wl,--no-as-needed -lrumpvfs -lrump -lrumpuser -Wl,--as-needed -lpthread $(LDSAN)

bench-progs: $(BENCH_PROGS)

bench: all bench-progs
	@sh bench/run.sh $(B)

.PHONY: bench-progs
