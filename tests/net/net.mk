# net.mk — the network tests (tests/net/), included by tests/tests.mk.
#
# Every program $(T)/net/t_* links the networking components (sockets,
# IPv4, shmif, virtif) and the test helpers: netproc.c (kernels in child
# processes, their bus files and messages) and sha256.c.  Shell tests
# (t_*.sh) take the generic rule of tests.mk.

NET_T := $(T)/net
NET_HELPERS := $(NET_T)/netproc.o $(NET_T)/npstream.o $(NET_T)/sha256.o
NET_TESTS := $(patsubst tests/net/%.c,$(NET_T)/%,$(wildcard tests/net/t_*.c))
NET_LDLIBS := -lrumpnet_shmif -lrumpnet_virtif -lrumpnet_netinet -lrumpnet

$(NET_T)/%.o: tests/net/%.c $(wildcard tests/net/*.h) tests/harness.h $(GENHDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(UCFLAGS) -Itests -c $< -o $@

$(NET_TESTS): $(NET_HELPERS) $(wildcard tests/net/*.h)
$(NET_TESTS): TEXTRA = $(NET_HELPERS)
$(NET_TESTS): TLDFLAGS = -L$(L) -Wl,-rpath,$(abspath $(L)) -Wl,--no-as-needed \
	$(NET_LDLIBS) -lrumpvfs -lrump -lrumpuser -Wl,--as-needed -lpthread $(LDSAN)

# t_inet also links a kernel-side helper (inettest.c, built like the
# kernel) that feeds crafted packets to IPv4.
INETTEST_OBJ := $(O)/tests/net/inettest.o
$(NET_T)/t_inet: $(INETTEST_OBJ)
$(NET_T)/t_inet: TEXTRA = $(NET_HELPERS) $(INETTEST_OBJ)

# The seeded fuzz run links the fuzz target and the kernel-side helpers
# (tests/net/nettest_kern.c: the fake interface, built as kernel code by
# the rule of tests.mk).
NETTEST_KOBJ := $(O)/tests/net/nettest_kern.o
$(NET_T)/net_input.o: fuzz/net_input.c fuzz/net_input.h tests/net/nettest.h $(GENHDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(UCFLAGS) -c $< -o $@
$(NET_T)/t_netfuzz: $(NET_T)/net_input.o $(NETTEST_KOBJ)
$(NET_T)/t_netfuzz: TEXTRA = $(NET_HELPERS) $(NET_T)/net_input.o $(NETTEST_KOBJ)

# The libFuzzer target (make fuzz): the same harness, the kernel built
# with the fuzzer's instrumentation.
FUZZ_PROGS += $(B)/fuzz/net_input
$(B)/fuzz/net_input: fuzz/net_input.c fuzz/net_input.h $(NETTEST_KOBJ) $(LIBS) $(GENHDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -fsanitize=fuzzer -o $@ fuzz/net_input.c $(NETTEST_KOBJ) \
		-L$(L) -Wl,-rpath,$(abspath $(L)) -Wl,--no-as-needed \
		-lrumpnet_netinet -lrumpnet -lrumpvfs -lrump -lrumpuser \
		-Wl,--as-needed -lpthread $(LDSAN)

# lwip_peer: a TCP peer made of Debian's lwIP (liblwip-dev, its unix port
# with tapif) for t_lwip; without lwIP it is not built and t_lwip skips.
LWIP_CFLAGS := $(shell pkg-config --cflags lwip 2>/dev/null)
LWIP_LIBS := $(shell pkg-config --libs lwip 2>/dev/null)
ifneq ($(LWIP_LIBS),)
$(NET_T)/lwip_peer: tests/net/lwip_peer.c tests/net/npstream.c tests/net/sha256.c tests/net/sha256.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) -std=gnu11 $(OPT) -D_GNU_SOURCE $(LWIP_CFLAGS) -Itests/net -o $@ \
		tests/net/lwip_peer.c tests/net/npstream.c tests/net/sha256.c $(LWIP_LIBS) -lpthread
$(NET_T)/t_lwip: $(NET_T)/lwip_peer
tests: $(NET_T)/lwip_peer
endif
