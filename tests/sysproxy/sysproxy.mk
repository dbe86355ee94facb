# tests/sysproxy: remote clients.  t_sysproxy is itself a client (it links
# librumpclient, not the kernel) and starts rump_server; the helper
# programs are built next to it.  The seeded parser run links the frame
# parser directly.
SPT := $(T)/sysproxy
SP_KLIBS := $(TLDFLAGS)
SP_TLIBS := -L$(L) -Wl,-rpath,$(abspath $(L)) -lrumpclient -lpthread $(LDSAN)
$(SPT)/t_sysproxy: TLDFLAGS = $(SP_TLIBS)
$(SPT)/t_sysproxy: TEXTRA = platform/posix/sp_frame.c -Iplatform/posix
$(SPT)/t_sysproxy: $(SPT)/sp_basic_remote $(SPT)/sp_basic_local $(SPT)/sp_exec_child $(B)/bin/rump_server platform/posix/sp_frame.c platform/posix/sp_proto.h
$(SPT)/sp_basic_remote: tests/sysproxy/sp_basic.c $(LIBS) $(GENHDRS)
	@mkdir -p $(@D)
	@$(CC) $(UCFLAGS) -o $@ $< $(SP_TLIBS)
$(SPT)/sp_basic_local: tests/sysproxy/sp_basic.c $(LIBS) $(GENHDRS)
	@mkdir -p $(@D)
	@$(CC) $(UCFLAGS) -DSP_LOCAL -o $@ $< $(SP_KLIBS)
$(SPT)/sp_exec_child: tests/sysproxy/sp_exec_child.c $(LIBS) $(GENHDRS)
	@mkdir -p $(@D)
	@$(CC) $(UCFLAGS) -o $@ $< $(SP_TLIBS)
