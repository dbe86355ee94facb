# librumpclient: rump_sys_* over a socket to a rump kernel server (host
# code, not a kernel component).  The stubs are generated from
# kernel/syscalls.master; the wire format and URL parser are shared with
# the server in platform/posix (sp_frame.c, sp_url.c).
RC_SRCS := $(wildcard lib/rumpclient/*.c)
RC_OBJS := $(RC_SRCS:%.c=$(O)/%.o) $(O)/lib/rumpclient/gen_syscalls.o \
	$(O)/lib/rumpclient/sp_frame.o $(O)/lib/rumpclient/sp_url.o
RCFLAGS := $(UCFLAGS) -Ilib/rumpclient -Iplatform/posix

$(B)/gen/rumpclient_syscalls.c: $(SYSCALLS) $(GEN)
	@mkdir -p $(@D)
	$(AWK) -f $(GEN) -v out=clientstubs $(SYSCALLS) > $@.tmp && mv $@.tmp $@
$(O)/lib/rumpclient/%.o: lib/rumpclient/%.c lib/rumpclient/rumpclient_int.h platform/posix/sp_proto.h platform/posix/sp_url.h include/rump/rumpclient.h $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(RCFLAGS) -c $< -o $@
$(O)/lib/rumpclient/gen_syscalls.o: $(B)/gen/rumpclient_syscalls.c lib/rumpclient/rumpclient_int.h $(B)/include/rump/rump_syscalls.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(RCFLAGS) -c $< -o $@
$(O)/lib/rumpclient/sp_%.o: platform/posix/sp_%.c platform/posix/sp_proto.h platform/posix/sp_url.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(RCFLAGS) -fvisibility=hidden -c $< -o $@

$(eval $(call shlib,rumpclient,$(RC_OBJS),-lpthread,,))
PCS += rumpclient

# The frame parser under libFuzzer (make fuzz).
FUZZ_PROGS += $(B)/fuzz/sp_frame
$(B)/fuzz/sp_frame: fuzz/sp_frame.c platform/posix/sp_frame.c platform/posix/sp_proto.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -fsanitize=fuzzer -Iplatform/posix -o $@ fuzz/sp_frame.c platform/posix/sp_frame.c
