# librumpfs_ext2fs: the ext2/ext3/ext4 file system (kernel/fs/ext2fs),
# registered as the fstypes ext2, ext3 and ext4.  Linking it adds them.
EXT2FS_SRCS := $(wildcard kernel/fs/ext2fs/*.c)
EXT2FS_OBJS := $(EXT2FS_SRCS:%.c=$(O)/%.o)
$(eval $(call shlib,rumpfs_ext2fs,$(EXT2FS_OBJS),-lrumpvfs -lrump -lrumpuser,$(L)/librumpvfs.so,$(KLDFLAGS)))
KERNEL_LIBS := -lrumpfs_ext2fs $(KERNEL_LIBS)
PCS += rumpfs_ext2fs
