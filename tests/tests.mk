# tests.mk — the test programs, included by the top Makefile.
# Each tests/<area>/t_<name>.c is one program built with the harness;
# tests/<area>/t_<name>.sh are shell tests that print the same summary.

T := $(B)/tests
TEST_C := $(wildcard tests/*/t_*.c) $(wildcard tests/*/*/t_*.c)
TEST_SH := $(wildcard tests/*/t_*.sh)
TEST_PROGS := $(patsubst tests/%.c,$(T)/%,$(TEST_C)) $(patsubst tests/%.sh,$(T)/%,$(TEST_SH))
TLDFLAGS := -L$(L) -Wl,-rpath,$(abspath $(L)) -Wl,--no-as-needed -lrumpvfs -lrump -lrumpuser -Wl,--as-needed -lpthread $(LDSAN)

# In-kernel test helpers (tests/kern/ktest.c): kernel code, built like the
# kernel, linked only into the test programs that call rump_ktest_*.
$(O)/tests/%.o: tests/%.c $(GENHDRS) $(wildcard kernel/*/*.h kernel/sys/*.h)
	@mkdir -p $(@D)
	@echo "  KCC     $<"
	@$(CC) $(KCFLAGS) -c $< -o $@.raw.o
	@$(RENAME)

$(T)/harness.o: tests/harness.c tests/harness.h
	@mkdir -p $(@D)
	@$(CC) $(UCFLAGS) -c $< -o $@

KTEST_OBJ := $(O)/tests/kern/ktest.o
$(T)/kern/t_kern: $(KTEST_OBJ)
$(T)/kern/t_kern: TEXTRA = $(KTEST_OBJ)

$(T)/%: tests/%.c $(T)/harness.o $(LIBS) $(GENHDRS)
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	@$(CC) $(UCFLAGS) -Itests -o $@ $< $(T)/harness.o $(TEXTRA) $(TLDFLAGS)

$(T)/%: tests/%.sh
	@mkdir -p $(@D)
	@cp $< $@ && chmod +x $@

tests: $(TEST_PROGS)

include $(sort $(wildcard tests/*/*.mk tests/*/*/*.mk))
