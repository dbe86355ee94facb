# librumpnet: sockets, interfaces, routing, Ethernet, AF_UNIX, lo0, pcap
# (kernel/net), and the socket system calls.
NET_SRCS := $(wildcard kernel/net/*.c)
NET_OBJS := $(NET_SRCS:%.c=$(O)/%.o) $(O)/kgen/sysent_net.o
$(eval $(call shlib,rumpnet,$(NET_OBJS),-lrumpvfs -lrump -lrumpuser,$(L)/librumpvfs.so,$(KLDFLAGS)))
KERNEL_LIBS := -lrumpnet $(KERNEL_LIBS)
PCS += rumpnet
