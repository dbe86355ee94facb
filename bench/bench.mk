# bench.mk — the benchmarks (included by the top Makefile).
#
# Each bench/<name>.c is one program, built into $(B)/bench/<name> against
# the shared libraries: the kernel-base ones against librump, the VFS ones
# (bench/vfs_*.c) against librumpvfs too.  `make bench` builds everything
# and runs bench/run.sh, which prints the tables and writes
# bench/results/kern.json and bench/results/vfs.json.  Missing a target
# does not fail the run; a crashing program does.

BENCH_VFS_SRCS := $(wildcard bench/vfs_*.c)
BENCH_SP_SRCS := $(wildcard bench/sp_*.c)
BENCH_NET_SRCS := $(wildcard bench/net_*.c)
BENCH_JNL_SRCS := bench/jnl_ext2fs.c
BENCH_E2_SRCS := $(wildcard bench/ext2fs_*.c)
BENCH_KERN_SRCS := $(filter-out $(BENCH_VFS_SRCS) $(BENCH_SP_SRCS) $(BENCH_NET_SRCS) $(BENCH_JNL_SRCS) $(BENCH_E2_SRCS),$(wildcard bench/*.c))
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

# Remote clients (sysproxy): sp_bench is a client of librumpclient,
# sp_local the same loops on a kernel in the process (with the
# networking components and shmif, for the TCP reference); run.sh starts
# rump_servers for them and writes bench/results/sysproxy.json.
BENCH_SP_PROGS := $(B)/bench/sp_bench $(B)/bench/sp_local
$(B)/bench/sp_bench: bench/sp_bench.c bench/bench.h $(LIBS) $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< -L$(L) -Wl,-rpath,'$$ORIGIN/../lib' -lrumpclient -lpthread $(LDSAN)
$(B)/bench/sp_local: bench/sp_bench.c bench/bench.h $(LIBS) $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -DSP_LOCAL -o $@ $< -L$(L) -Wl,-rpath,'$$ORIGIN/../lib' \
		-Wl,--no-as-needed -lrumpnet_shmif -lrumpnet_netinet -lrumpnet \
		-lrumpvfs -lrump -lrumpuser -Wl,--as-needed -lpthread $(LDSAN)
BENCH_PROGS += $(BENCH_SP_PROGS)

bench-progs: $(BENCH_PROGS)

bench: all bench-progs
	@sh bench/run.sh $(B)

.PHONY: bench-progs

# Networking (bench/net_*.c): kernels in child processes with the network
# tests' helpers (tests/net/netproc.c, sha256.c), linking the networking
# components; run.sh runs them and writes bench/results/net.json.
BENCH_NET_PROGS := $(BENCH_NET_SRCS:bench/%.c=$(B)/bench/%)
$(BENCH_NET_PROGS): $(B)/bench/%: bench/%.c tests/net/netproc.c tests/net/netproc.h tests/net/npstream.c tests/net/sha256.c $(LIBS) $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -Itests -o $@ $< tests/net/netproc.c tests/net/npstream.c tests/net/sha256.c \
		-L$(L) -Wl,-rpath,'$$ORIGIN/../lib' -Wl,--no-as-needed \
		-lrumpnet_shmif -lrumpnet_virtif -lrumpnet_netinet -lrumpnet \
		-lrumpvfs -lrump -lrumpuser -Wl,--as-needed -lpthread $(LDSAN)
BENCH_PROGS += $(BENCH_NET_PROGS)
bench-progs: $(BENCH_NET_PROGS)

# ext4 (bench/ext2fs_*.c, and bench/jnl_ext2fs.c for the journal): the
# kernel with librumpfs_ext2fs against e2fsprogs, fuse2fs and host files;
# run.sh writes bench/results/ext2fs.json and ext2fs_journal.json (and,
# for bench/ext2fs_dir.c, big directories, ext2fs_dir.json).
BENCH_E2_PROGS := $(BENCH_E2_SRCS:bench/%.c=$(B)/bench/%) $(B)/bench/jnl_ext2fs
$(BENCH_E2_PROGS): $(B)/bench/%: bench/%.c bench/bench.h $(LIBS) $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< -L$(L) -Wl,-rpath,'$$ORIGIN/../lib' \
		-Wl,--no-as-needed -lrumpfs_ext2fs -lrumpvfs -lrump -lrumpuser \
		-Wl,--as-needed -lpthread $(LDSAN)
BENCH_PROGS += $(BENCH_E2_PROGS)
bench-progs: $(BENCH_E2_PROGS)
