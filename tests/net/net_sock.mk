# net_sock.mk — the socket-layer tests (t_socket, t_unix, t_if) also link
# knet.c, kernel-side helpers built like the kernel (tests/tests.mk's
# rule for $(O)/tests/%.o).  Included after net.mk, whose TEXTRA it
# extends for these programs.
KNET_OBJ := $(O)/tests/net/knet.o
KNET_TESTS := $(NET_T)/t_socket $(NET_T)/t_unix $(NET_T)/t_if
$(KNET_TESTS): $(KNET_OBJ) tests/net/knet.h
$(KNET_TESTS): TEXTRA = $(NET_HELPERS) $(KNET_OBJ)
