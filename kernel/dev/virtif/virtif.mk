# librumpnet_virtif: Ethernet through a host TAP device (kernel/dev/virtif).
# The driver is kernel code; virtif_user.c is its host part
# (rumpcomp_virtif_*), built with the platform's flags into the same
# library, which therefore also needs libc.
VIRTIF_KSRCS := $(filter-out %_user.c,$(wildcard kernel/dev/virtif/*.c))
VIRTIF_OBJS := $(VIRTIF_KSRCS:%.c=$(O)/%.o) $(O)/host/dev/virtif/virtif_user.o
$(O)/host/dev/virtif/%.o: kernel/dev/virtif/%.c $(wildcard kernel/dev/virtif/*.h) include/rump/rumpuser_component.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PCFLAGS) -c $< -o $@
$(eval $(call shlib,rumpnet_virtif,$(VIRTIF_OBJS),-lrumpnet -lrumpvfs -lrump -lrumpuser -lc,$(L)/librumpnet.so,$(KLDFLAGS)))
KERNEL_LIBS := -lrumpnet_virtif $(KERNEL_LIBS)
PCS += rumpnet_virtif
