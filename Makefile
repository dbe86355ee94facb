# rumpk — GNU make builds everything into $(B)/ (default build/).
#
#   make                 libraries, programs and tests
#   make check           the test suite (ends with "N passed, N failed")
#   make check-asan      the suite under ASan+UBSan with the lock checker
#   make check-tsan      the suite under TSan
#   make bench           benchmarks; results in bench/results/
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make format          clang-format over the tree
#
# The kernel (kernel/) is built freestanding, and every global symbol of it
# that is not public API (rump_*) is renamed to rumpns_* after compiling,
# so a program that links libc and the kernel statically sees no clash.

B ?= build
CC ?= cc
NM ?= nm
OBJCOPY ?= objcopy
AR ?= ar
AWK ?= awk
PREFIX ?= /usr/local
SAN ?=
VERSION := 0.1.0
SOVER := 0

OPT ?= -O2 -g
WARN := -Wall -Wextra -Werror
ifeq ($(SAN),asan)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(SAN),tsan)
SANFLAGS := -fsanitize=thread
else ifeq ($(SAN),fuzz)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
else
SANFLAGS :=
endif

CCINC := $(shell $(CC) -print-file-name=include)
KCFLAGS := -std=gnu11 $(OPT) $(WARN) -ffreestanding -nostdinc -isystem $(CCINC) \
	-fno-stack-protector -fno-common -fPIC -fno-plt -fno-semantic-interposition -fvisibility=protected \
	-D_KERNEL \
	-Ikernel -I$(B)/gen -I$(B)/include -Iinclude $(SANFLAGS)
UCFLAGS := -std=gnu11 $(OPT) $(WARN) -fPIC -D_GNU_SOURCE -I$(B)/include -Iinclude $(SANFLAGS)
PCFLAGS := $(UCFLAGS) -fvisibility=hidden -DLIBRUMPUSER
LDSAN := $(SANFLAGS)
# Kernel libraries link nothing of the host but librumpuser; sanitizer
# builds need their runtime.
# (clang leaves the runtime of a sanitizer to the executable, so shared
# libraries of those builds keep undefined references.)
# Calls inside a kernel library bind to the library itself (-Bsymbolic):
# nothing outside may interpose on kernel functions, and the syscall fast
# path then makes direct calls the compiler may inline.
ifeq ($(SAN),)
KLDFLAGS := -nostdlib -Wl,-Bsymbolic
ZDEFS := -Wl,-z,defs
else
KLDFLAGS := -Wl,-Bsymbolic
ZDEFS :=
endif

ARCH := x86_64
O := $(B)/obj
L := $(B)/lib

all: libs programs tests

# ---------------------------------------------------------------- generated
SYSCALLS := kernel/syscalls.master
GEN := scripts/gensyscalls.awk
$(B)/include/rump/rump_syscalls.h: $(SYSCALLS) $(GEN)
	@mkdir -p $(@D)
	$(AWK) -f $(GEN) -v out=header $(SYSCALLS) > $@.tmp && mv $@.tmp $@
$(B)/gen/syscallargs.h: $(SYSCALLS) $(GEN)
	@mkdir -p $(@D)
	$(AWK) -f $(GEN) -v out=kernh $(SYSCALLS) > $@.tmp && mv $@.tmp $@
$(B)/gen/rump_syscalls.c: $(SYSCALLS) $(GEN)
	@mkdir -p $(@D)
	$(AWK) -f $(GEN) -v out=stubs $(SYSCALLS) > $@.tmp && mv $@.tmp $@
$(B)/gen/sysent_%.c: $(SYSCALLS) $(GEN)
	@mkdir -p $(@D)
	$(AWK) -f $(GEN) -v out=sysent -v comp=$* $(SYSCALLS) > $@.tmp && mv $@.tmp $@
GENHDRS := $(B)/include/rump/rump_syscalls.h $(B)/gen/syscallargs.h

# ------------------------------------------------------------------- kernel
# Kernel objects: compile freestanding, then rename non-API globals.
RENAME = $(NM) $@.raw.o | $(AWK) 'NF >= 2 && $$(NF-1) ~ /^[A-Zw]$$/ && \
	$$NF !~ /^(rump_|rumpuser_|rumpcomp_|rumpns_|__|_GLOBAL_OFFSET_TABLE_)/ \
	{ print $$NF, "rumpns_" $$NF }' | sort -u > $@.syms && \
	$(OBJCOPY) --redefine-syms=$@.syms $@.raw.o $@ && rm -f $@.raw.o $@.syms

$(O)/kernel/%.o: kernel/%.c $(GENHDRS) $(wildcard kernel/*/*.h kernel/*/*/*.h include/rump/*.h)
	@mkdir -p $(@D)
	@echo "  KCC     $<"
	@$(CC) $(KCFLAGS) -c $< -o $@.raw.o
	@$(RENAME)
$(O)/kgen/%.o: $(B)/gen/%.c $(GENHDRS) $(wildcard kernel/*/*.h kernel/sys/*.h)
	@mkdir -p $(@D)
	@echo "  KCC     $<"
	@$(CC) $(KCFLAGS) -c $< -o $@.raw.o
	@$(RENAME)

# Each kernel library: name, objects, libraries it needs.
KERN_SRCS := $(wildcard kernel/kern/*.c) $(wildcard kernel/arch/$(ARCH)/*.c)
KERN_OBJS := $(KERN_SRCS:%.c=$(O)/%.o) $(O)/kgen/rump_syscalls.o $(O)/kgen/sysent_kern.o

PLAT_SRCS := $(wildcard platform/posix/*.c)
PLAT_OBJS := $(PLAT_SRCS:%.c=$(O)/%.o)
$(O)/platform/%.o: platform/%.c $(wildcard platform/posix/*.h) include/rump/rumpuser.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PCFLAGS) -c $< -o $@

LIBS :=
# $(call klib,name,objects,deps-as-ld-flags,ldflags)
define shlib
LIBS += $(L)/lib$(1).so $(L)/lib$(1).a
$(L)/lib$(1).a: $(2)
	@mkdir -p $$(@D)
	rm -f $$@ && $(AR) rcs $$@ $(2)
$(L)/lib$(1).so.$(VERSION): $(2) $(4)
	@mkdir -p $$(@D)
	$(CC) -shared $(5) $(ZDEFS) -Wl,-soname,lib$(1).so.$(SOVER) \
		-Wl,-rpath,'$$$$ORIGIN' \
		-o $$@ $(2) -L$(L) $(3)
$(L)/lib$(1).so: $(L)/lib$(1).so.$(VERSION)
	ln -sf lib$(1).so.$(VERSION) $(L)/lib$(1).so.$(SOVER)
	ln -sf lib$(1).so.$(VERSION) $$@
endef

# The VFS faction: VFS core, tmpfs (the root), procfs, etfs, devices.
VFS_SRCS := $(wildcard kernel/vfs/*.c) $(wildcard kernel/fs/tmpfs/*.c) $(wildcard kernel/fs/procfs/*.c)
VFS_OBJS := $(VFS_SRCS:%.c=$(O)/%.o) $(O)/kgen/sysent_vfs.o

$(eval $(call shlib,rumpuser,$(PLAT_OBJS),-lpthread,,))
$(eval $(call shlib,rump,$(KERN_OBJS),-lrumpuser,$(L)/librumpuser.so,$(KLDFLAGS)))
$(eval $(call shlib,rumpvfs,$(VFS_OBJS),-lrump -lrumpuser,$(L)/librump.so,$(KLDFLAGS)))

# Components with build fragments of their own (networking, devices,
# sysproxy, the client library): each fragment defines its libraries with
# shlib, adds its pkg-config names to PCS and, for a kernel component,
# puts its -l flag in front of KERNEL_LIBS (most dependent first), so
# programs that want "the whole kernel" get it.
KERNEL_LIBS := -lrumpvfs -lrump
PCS := rump rumpvfs
# libFuzzer targets (make fuzz, built with clang into build-fuzz/): each
# fragment adds its programs to FUZZ_PROGS.
FUZZ_PROGS :=
include $(sort $(wildcard kernel/*/*.mk kernel/*/*/*.mk lib/*/*.mk))

libs: $(LIBS) $(B)/include/rump/rump_syscalls.h

# ----------------------------------------------------------------- programs
# A program links the whole local kernel unless cmd/<name>/prog.mk sets
# LDLIBS_<name> (a remote client links librumpclient instead).
CMD_SRCS := $(wildcard cmd/*/*.c)
PROGRAMS := $(patsubst cmd/%/,$(B)/bin/%,$(sort $(dir $(CMD_SRCS))))
include $(wildcard cmd/*/prog.mk)
LDLIBS_KERNEL := -Wl,--no-as-needed $(KERNEL_LIBS) -lrumpuser -Wl,--as-needed
.SECONDEXPANSION:
$(B)/bin/%: $$(wildcard cmd/$$*/*.c cmd/$$*/*.h) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $(wildcard cmd/$*/*.c) -L$(L) -Wl,-rpath,'$$ORIGIN/../lib' \
		$(or $(LDLIBS_$*),$(LDLIBS_KERNEL)) $(LDSAN)
programs: $(PROGRAMS) $(EXTRA_PROGRAMS)

# -------------------------------------------------------------------- tests
include tests/tests.mk
include bench/bench.mk

check: all
	@sh scripts/runtests.sh $(B) $(TEST_PROGS)

check-asan:
	$(MAKE) B=build-asan SAN=asan CC=clang check-lockdebug

check-lockdebug: all
	@RUMP_LOCKDEBUG=1 ASAN_OPTIONS=detect_leaks=0 sh scripts/runtests.sh $(B) $(TEST_PROGS)

# The libFuzzer targets: build-fuzz/fuzz/<name>; run one with
# ./build-fuzz/fuzz/<name> -max_total_time=60 (fuzz/README.md).
fuzz:
	$(MAKE) B=build-fuzz SAN=fuzz CC=clang fuzz-progs
fuzz-progs: $(FUZZ_PROGS)

check-tsan:
	$(MAKE) B=build-tsan SAN=tsan CC=clang OPT="-O1 -g" check

# ------------------------------------------------------------------ install
install: all
	install -d $(DESTDIR)$(PREFIX)/include/rump $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/rump/*.h $(B)/include/rump/rump_syscalls.h $(DESTDIR)$(PREFIX)/include/rump/
	for f in $(L)/*.so.$(VERSION); do install -m 755 $$f $(DESTDIR)$(PREFIX)/lib/; \
		b=$$(basename $$f .$(VERSION)); ln -sf $$b.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$$b.$(SOVER); \
		ln -sf $$b.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$$b; done
	install -m 644 $(L)/*.a $(DESTDIR)$(PREFIX)/lib/
	for p in $(PCS); do sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
		pkgconfig/$$p.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$p.pc; done
	for p in $(PROGRAMS); do install -m 755 $$p $(DESTDIR)$(PREFIX)/bin/; done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz

.PHONY: all libs programs tests check check-asan check-tsan fuzz fuzz-progs check-lockdebug bench install format clean
.SECONDARY:
