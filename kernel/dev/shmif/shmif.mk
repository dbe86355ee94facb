# librumpnet_shmif: the shmif Ethernet bus (kernel/dev/shmif).  The driver
# is kernel code; shmif_user.c is its host part (rumpcomp_shmif_*), built
# with the platform's flags into the same library, which therefore also
# needs libc.
SHMIF_KSRCS := $(filter-out %_user.c,$(wildcard kernel/dev/shmif/*.c))
SHMIF_OBJS := $(SHMIF_KSRCS:%.c=$(O)/%.o) $(O)/host/dev/shmif/shmif_user.o
$(O)/host/dev/shmif/%.o: kernel/dev/shmif/%.c $(wildcard kernel/dev/shmif/*.h) include/rump/rumpuser_component.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PCFLAGS) -c $< -o $@
$(eval $(call shlib,rumpnet_shmif,$(SHMIF_OBJS),-lrumpnet -lrumpvfs -lrump -lrumpuser -lc,$(L)/librumpnet.so,$(KLDFLAGS)))
KERNEL_LIBS := -lrumpnet_shmif $(KERNEL_LIBS)
PCS += rumpnet_shmif
