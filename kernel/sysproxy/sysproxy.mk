# librumpsysproxy: the kernel side of remote clients (rump_init_server and
# the address space of a remote process).  The transport is in the
# platform (platform/posix/rumpuser_sp.c).
SYSPROXY_SRCS := $(wildcard kernel/sysproxy/*.c)
SYSPROXY_OBJS := $(SYSPROXY_SRCS:%.c=$(O)/%.o)
$(eval $(call shlib,rumpsysproxy,$(SYSPROXY_OBJS),-lrump -lrumpuser,$(L)/librump.so,$(KLDFLAGS)))
KERNEL_LIBS := -lrumpsysproxy $(KERNEL_LIBS)
PCS += rumpsysproxy
