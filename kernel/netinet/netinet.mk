# librumpnet_netinet: IPv4, ARP, ICMP, UDP, TCP and raw sockets.
NETINET_SRCS := $(wildcard kernel/netinet/*.c)
ifneq ($(NETINET_SRCS),)
NETINET_OBJS := $(NETINET_SRCS:%.c=$(O)/%.o)
$(eval $(call shlib,rumpnet_netinet,$(NETINET_OBJS),-lrumpnet -lrumpvfs -lrump -lrumpuser,$(L)/librumpnet.so,$(KLDFLAGS)))
KERNEL_LIBS := -lrumpnet_netinet $(KERNEL_LIBS)
PCS += rumpnet_netinet
endif
