# mk/rules.mk - build rules shared by every directory's Makefile.
# A directory Makefile sets PROG (binary name, optional), PKGS (pkg-config names
# beyond the common set), LIBS (library folders it links besides common, optional)
# and includes this file. Everything except main.c, *_test.c and *_fixture.c goes
# into the directory's library; *_test.c files form its unit-test binary.
# Output never lands in the source tree: objects under build/, binaries under bin/
# (or build/san/bin for the sanitizer build, `make SAN=1`).
#
# A library folder (ivrflow/, recfile/) is a directory without PROG whose library
# others link: `LIBS := ivrflow` puts ivrflow/ on the include path and links
# libivrflow.a before libcommon.a. The top-level Makefile builds library folders
# before the daemons. A folder's *_fixture.c files are helpers for unit tests only:
# they form lib<dir>_fixture.a, linked into its own unit tests and into those of
# every folder that names it in LIBS, so tests of both share one fixture.

TOP      := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
DIR      := $(notdir $(CURDIR))

ifeq ($(FUZZ),1)
  # libFuzzer variant (make fuzz): libraries only, instrumented for coverage, built with
  # clang; fuzz/ links its targets against them with -fsanitize=fuzzer
  CC       := clang
  VARIANT  := fuzz
  BINDIR   := $(TOP)/build/fuzz/bin
  OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=undefined
  LDSAN    := -fsanitize=address,undefined
else ifeq ($(SAN),1)
  VARIANT  := san
  BINDIR   := $(TOP)/build/san/bin
  OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDSAN    := -fsanitize=address,undefined
else
  VARIANT  := release
  BINDIR   := $(TOP)/bin
  OPTFLAGS := -O2 -g
  LDSAN    :=
  # jemalloc instead of glibc's malloc: sofia-sip allocates and frees a few hundred small
  # blocks per SIP message, and glibc's free lists cost sipproxy about a tenth of its CPU
  # per call (tests/bench/sip_bench.py, docs/ARCHITECTURE.md "The SIP edge under load").
  # Not in the sanitizer builds, whose allocator is ASan's own.
  ALLOC_LIBS := $(shell pkg-config --libs jemalloc)
endif

OBJDIR   := $(TOP)/build/$(VARIANT)/obj/$(DIR)
LIBDIR   := $(TOP)/build/$(VARIANT)/lib
TESTDIR  := $(TOP)/build/$(VARIANT)/test

COMMON_PKGS := libczmq libzmq jansson libpq libsystemd libcrypto
ALL_PKGS    := $(sort $(COMMON_PKGS) $(PKGS))
# pkg-config include paths become -isystem so third-party headers cannot break -Werror.
PKG_CFLAGS  := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(ALL_PKGS)))
PKG_LIBS    := $(shell pkg-config --libs $(ALL_PKGS))

# The schema version this build understands is the highest deploy/migrations/NNN_*.sql,
# written to a generated header only when it changes, so adding a migration rebuilds
# exactly what depends on it and nobody edits a constant by hand.
GENDIR   := $(TOP)/build/gen
SCHEMA_VERSION := $(shell ls $(TOP)/deploy/migrations 2>/dev/null | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$$/\1/p' | sort -n | tail -1)
SCHEMA_HDR_TEXT := \#define CC_SCHEMA_VERSION $(or $(SCHEMA_VERSION),0)
ifneq ($(shell cat $(GENDIR)/cc_schema_version.h 2>/dev/null),$(SCHEMA_HDR_TEXT))
  $(shell mkdir -p $(GENDIR) && echo '$(SCHEMA_HDR_TEXT)' > $(GENDIR)/cc_schema_version.h)
endif

CC       ?= cc
CFLAGS   := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
            $(OPTFLAGS) -MMD -MP -I$(TOP)/common $(LIBS:%=-I$(TOP)/%) -I$(GENDIR) -I$(CURDIR) \
            $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS  := $(LDSAN) $(EXTRA_LDFLAGS)
LDLIBS   := $(PKG_LIBS) $(ALLOC_LIBS) -lm -lpthread

ALL_SRCS  := $(sort $(wildcard *.c))
TEST_SRCS := $(filter %_test.c,$(ALL_SRCS))
FIX_SRCS  := $(filter %_fixture.c,$(ALL_SRCS))
MAIN_SRCS := $(filter main.c,$(ALL_SRCS))
LIB_SRCS  := $(filter-out main.c %_test.c %_fixture.c,$(ALL_SRCS))

LIB_OBJS  := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(OBJDIR)/%.o)
FIX_OBJS  := $(FIX_SRCS:%.c=$(OBJDIR)/%.o)
MAIN_OBJS := $(MAIN_SRCS:%.c=$(OBJDIR)/%.o)

DIRLIB    := $(LIBDIR)/lib$(DIR).a
FIXLIB    := $(LIBDIR)/lib$(DIR)_fixture.a
COMMONLIB := $(LIBDIR)/libcommon.a
TESTMAIN  := $(LIBDIR)/cc_test_main.o

# The common library is linked by everyone (except itself, which is its own DIRLIB),
# after the library folders named in LIBS, which may use it.
ifeq ($(DIR),common)
  LINKLIBS := $(DIRLIB)
else
  LINKLIBS := $(DIRLIB) $(LIBS:%=$(LIBDIR)/lib%.a) $(COMMONLIB)
endif
# Test fixtures of this folder and of the library folders it links (those that have any).
TESTLIBS := $(foreach d,$(DIR) $(LIBS),$(if $(wildcard $(TOP)/$(d)/*_fixture.c),$(LIBDIR)/lib$(d)_fixture.a))

ifeq ($(FUZZ),1)
TARGETS := $(if $(LIB_SRCS),$(DIRLIB))
else
TARGETS := $(if $(LIB_SRCS),$(DIRLIB)) $(if $(FIX_SRCS),$(FIXLIB)) \
           $(if $(PROG),$(BINDIR)/$(PROG)) $(if $(TEST_SRCS),$(TESTDIR)/$(DIR)-unit)
endif

# Quiet by default (one line per file); `make V=1` shows the full commands.
ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-4s %s\n' $(1) $(2)
endif

all: $(TARGETS)

$(OBJDIR)/%.o: %.c | $(OBJDIR)
	$(call say,CC,$(DIR)/$<)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(OBJDIR) $(LIBDIR) $(BINDIR) $(TESTDIR):
	@mkdir -p $@

$(DIRLIB): $(LIB_OBJS)
$(FIXLIB): $(FIX_OBJS)
$(DIRLIB) $(FIXLIB): | $(LIBDIR)
	$(call say,AR,$(notdir $@))
	@rm -f $@
	$(Q)ar rcs $@ $^

# Links also depend on this file, so a change of link flags relinks without a clean.
$(BINDIR)/$(PROG): $(MAIN_OBJS) $(LINKLIBS) $(TOP)/mk/rules.mk | $(BINDIR)
	$(call say,LINK,$(subst $(TOP)/,,$@))
	$(Q)$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJS) $(LINKLIBS) $(LDLIBS) $(PROG_LIBS)

$(TESTDIR)/$(DIR)-unit: $(TEST_OBJS) $(TESTLIBS) $(LINKLIBS) $(TESTMAIN) $(TOP)/mk/rules.mk | $(TESTDIR)
	$(call say,LINK,$(subst $(TOP)/,,$@))
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TEST_OBJS) $(TESTMAIN) $(TESTLIBS) $(LINKLIBS) $(LDLIBS) $(PROG_LIBS)

clean:
	rm -rf $(OBJDIR) $(DIRLIB) $(FIXLIB) $(if $(PROG),$(BINDIR)/$(PROG)) $(TESTDIR)/$(DIR)-unit

.PHONY: all clean
-include $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(FIX_OBJS:.o=.d) $(MAIN_OBJS:.o=.d)
