# procfs.mk — t_procfs links a kernel-side helper (pfstest.c) that
# registers files the way a kernel subsystem does.
PFSTEST_OBJ := $(O)/tests/fs/procfs/pfstest.o
$(T)/fs/procfs/t_procfs: $(PFSTEST_OBJ)
$(T)/fs/procfs/t_procfs: TEXTRA = $(PFSTEST_OBJ)
