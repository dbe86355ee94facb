# ext2fs.mk — tests of the ext2/ext3/ext4 driver (tests/fs/ext2fs/),
# included by tests/tests.mk.
#   t_ext2fs                  the driver's own cases (t_ext2fs.c, the
#                             generic t_*.c rule) with e2fsprogs as oracle
#   t_ext2fs_journal          the journal: replay, commits, crash sweep
#   t_ext2fs_xattr            extended attributes against e2fsck, debugfs,
#                             mke2fs -d and Linux (getfattr)
#   t_vfs_<type>_<bsize>      the VFS conformance suite on an image of
#                             each type at 1 KiB and 4 KiB blocks
# They link librumpfs_ext2fs, which registers ext2, ext3 and ext4.

E2T := $(T)/fs/ext2fs
E2_HDRS := tests/fs/ext2fs/e2fs_util.h tests/harness.h tests/vfs/vfs.h
E2_LIBFLAGS := -Wl,--no-as-needed -lrumpfs_ext2fs -Wl,--as-needed

$(E2T)/e2fs_util.o: tests/fs/ext2fs/e2fs_util.c $(E2_HDRS) $(GENHDRS)
	@mkdir -p $(@D)
	@$(CC) $(UCFLAGS) -Itests -c $< -o $@

$(E2T)/t_ext2fs: $(E2T)/e2fs_util.o
$(E2T)/t_ext2fs: TEXTRA = $(E2T)/e2fs_util.o $(E2_LIBFLAGS)
# t_ext2fs_xattr: its crash sweep uses the fault switch too.
$(E2T)/t_ext2fs_xattr: $(E2T)/e2fs_util.o platform/posix/rumpuser_fault.h
$(E2T)/t_ext2fs_xattr: TEXTRA = -Iplatform/posix $(E2T)/e2fs_util.o \
	$(E2_LIBFLAGS)
# t_ext2fs_journal: replay, commits and the crash sweep (the platform's
# fault switch, platform/posix/rumpuser_fault.h).
$(E2T)/t_ext2fs_journal: $(E2T)/e2fs_util.o platform/posix/rumpuser_fault.h
$(E2T)/t_ext2fs_journal: TEXTRA = -Iplatform/posix $(E2T)/e2fs_util.o \
	$(E2_LIBFLAGS)

# make check runs the suite on three images that cover each fstype, both
# block sizes, extents and indirect blocks (about 30 s each); the other
# three run with the bigger sweeps in `make check-ext2fs-full`.
E2_VFS := ext4_4096 ext2_1024 ext3_4096
E2_VFS_FULL := ext4_1024 ext2_4096 ext3_1024
E2_VFS_PROGS := $(E2_VFS:%=$(E2T)/t_vfs_%)
E2_VFS_FULL_PROGS := $(E2_VFS_FULL:%=$(E2T)/t_vfs_%)

$(E2_VFS_PROGS) $(E2_VFS_FULL_PROGS): $(E2T)/t_vfs_%: tests/fs/ext2fs/vfs_ext2fs_main.c \
		$(E2T)/e2fs_util.o $(T)/vfs/vfs_cases.o $(T)/vfs/vfs_rump.o \
		$(T)/harness.o $(LIBS) $(GENHDRS) $(E2_HDRS)
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	@$(CC) $(UCFLAGS) -Itests -DE2_TYPE=$(word 1,$(subst _, ,$*)) \
		-DE2_BSIZE=$(word 2,$(subst _, ,$*)) -o $@ $< \
		$(T)/harness.o $(E2T)/e2fs_util.o $(T)/vfs/vfs_cases.o \
		$(T)/vfs/vfs_rump.o $(E2_LIBFLAGS) $(TLDFLAGS)

TEST_PROGS += $(E2_VFS_PROGS)
tests: $(E2_VFS_PROGS) $(E2_VFS_FULL_PROGS)

# All six suites, the 20,000-file directory and 2,000 corrupt images each,
# the journal's crash sweeps with 240 cuts (a case may take minutes: the
# time limit is 600 s unless T_TIMEOUT says otherwise); build it with
# SAN=asan CC=clang for the sanitizer sweep.
check-ext2fs-full: all $(E2_VFS_FULL_PROGS)
	@E2_FULL=1 T_TIMEOUT=$${T_TIMEOUT:-600} sh scripts/runtests.sh $(B) $(E2T)/t_ext2fs \
		$(E2T)/t_ext2fs_journal \
		$(E2_VFS_PROGS) $(E2_VFS_FULL_PROGS)
.PHONY: check-ext2fs-full

# The libFuzzer target (make fuzz): mutated small images mounted, walked
# and written (fuzz/ext2fs_mount.c).
FUZZ_PROGS += $(B)/fuzz/ext2fs_mount
$(B)/fuzz/ext2fs_mount: fuzz/ext2fs_mount.c $(LIBS) $(GENHDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -fsanitize=fuzzer -o $@ fuzz/ext2fs_mount.c \
		-L$(L) -Wl,-rpath,$(abspath $(L)) -Wl,--no-as-needed \
		-lrumpfs_ext2fs -lrumpvfs -lrump -lrumpuser \
		-Wl,--as-needed -lpthread $(LDSAN)

# Hashed directories (t_ext2fs_htree) and the orphan list
# (t_ext2fs_orphan): their own programs.
$(E2T)/t_ext2fs_htree: $(E2T)/e2fs_util.o
$(E2T)/t_ext2fs_htree: TEXTRA = $(E2T)/e2fs_util.o $(E2_LIBFLAGS)
$(E2T)/t_ext2fs_orphan: $(E2T)/e2fs_util.o
$(E2T)/t_ext2fs_orphan: TEXTRA = $(E2T)/e2fs_util.o $(E2_LIBFLAGS)
