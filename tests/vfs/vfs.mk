# vfs.mk — the VFS conformance suite (tests/vfs/), included by tests/tests.mk.
#
# vfs_cases.c, vfs_host.c and vfs_rump.c are compiled once; each program
# links the cases with the call table of its target:
#   t_vfs_host   tests/vfs/t_vfs_host.c (the generic t_*.c rule) + host api
#   t_vfs_tmpfs  tests/vfs/vfs_tmpfs_main.c + rump api
# Both run in `make check`.

VFS_T := $(T)/vfs
VFS_HDRS := tests/vfs/vfs.h tests/harness.h
VFS_CASES_OBJ := $(VFS_T)/vfs_cases.o

$(VFS_T)/%.o: tests/vfs/%.c $(VFS_HDRS) $(GENHDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(UCFLAGS) -Itests -c $< -o $@

$(VFS_T)/t_vfs_host: $(VFS_CASES_OBJ) $(VFS_T)/vfs_host.o tests/vfs/vfs.h
$(VFS_T)/t_vfs_host: TEXTRA = $(VFS_CASES_OBJ) $(VFS_T)/vfs_host.o

$(VFS_T)/t_vfs_tmpfs: tests/vfs/vfs_tmpfs_main.c $(VFS_CASES_OBJ) \
		$(VFS_T)/vfs_rump.o $(T)/harness.o $(LIBS) $(GENHDRS) $(VFS_HDRS)
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	@$(CC) $(UCFLAGS) -Itests -o $@ $< $(T)/harness.o $(VFS_CASES_OBJ) \
		$(VFS_T)/vfs_rump.o $(TLDFLAGS)

TEST_PROGS += $(VFS_T)/t_vfs_tmpfs
tests: $(VFS_T)/t_vfs_tmpfs
