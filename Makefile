# nfpunch - top-level build.
#
#   make              module (nfpunch.ko) and userspace tools
#   make C=1 W=1      the same, with sparse and extra kernel warnings
#   make check        unit tests, fuzz smoke runs and the VM selftests
#   make check-debug  the kernel selftests and a netlink fuzz run on a
#                     KASAN/lockdep/kmemleak/UBSAN kernel (built once)
#   make demo         the main demo, in the VM
#   make bench        the benchmarks, in the VM (bench/run)
#   make install      install module and tools (DESTDIR, PREFIX)
#
# The module is built by the kernel's own build system from ./Kbuild;
# this file builds the userspace side into $(BUILD).

KRELEASE ?= $(shell scripts/kernel-release)
KDIR ?= /lib/modules/$(KRELEASE)/build
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

VERSION := $(shell sed -n 's/^\#define NFPUNCH_VERSION "\(.*\)"/\1/p' kmod/version.h)
# libnfpunch's own version: the soname's major (1: opaque objects; 0 was
# the unversioned library of caller-allocated structs), a minor per
# release that adds symbols (a new node in libnfpunch.map) or attributes,
# a micro per fix.
LIB_VERSION := 1.7.0
LIB_SONAME := libnfpunch.so.$(firstword $(subst ., ,$(LIB_VERSION)))
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/nfpunch

CC ?= cc
PKG_CONFIG ?= pkg-config
NL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0 json-c 2>/dev/null)
NL_LIBS := $(shell $(PKG_CONFIG) --libs libnl-genl-3.0 json-c 2>/dev/null)
CRYPTO_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null)
TLS_LIBS := $(shell $(PKG_CONFIG) --libs libssl libcrypto 2>/dev/null)
MHD_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)
HIREDIS_LIBS := $(shell $(PKG_CONFIG) --libs hiredis 2>/dev/null)
FUZZ_CC ?= clang

# WERROR= for distribution builds: a newer compiler's new warning must
# not fail a package build (this tree's own builds keep it).
WERROR ?= -Werror
WARN := -Wall -Wextra $(WERROR) -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter
OBJCOPY ?= objcopy
CFLAGS ?= -O2 -g
ifeq ($(SAN),thread)
CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=thread
LDFLAGS += -fsanitize=thread
endif
ifeq ($(SAN),1)
CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
INCLUDES := -Iuapi -Ilib -Ihelper/include -Ihelper/common -Iserver
ALL_CFLAGS := -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -fPIC $(INCLUDES) \
	-DNFPUNCH_TOOLS_VERSION='"$(VERSION)"' $(NL_CFLAGS) -MMD -MP

LIB_SRCS := $(wildcard helper/lib/*.c)
CTL_SRCS := $(wildcard helper/punchctl/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/%.o)
TEST_TOOL_SRCS := $(wildcard selftests/tools/*.c)
TEST_TOOLS := $(TEST_TOOL_SRCS:%.c=$(BUILD)/%)
# The STUN codec (shared with the module) and its userspace HMAC glue.
STUN_SRCS := lib/stun.c lib/punch_keys.c helper/common/stun_hmac.c \
	helper/common/relay_secret.c
STUN_OBJS := $(STUN_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard selftests/unit/*_test.c)
UNIT_TESTS := $(UNIT_SRCS:%.c=$(BUILD)/%)
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_TOOLS := $(BENCH_SRCS:%.c=$(BUILD)/%)
FUZZ_SRCS := $(wildcard selftests/fuzz/*_fuzz.c)
FUZZERS := $(FUZZ_SRCS:selftests/fuzz/%.c=build/fuzz/%)

# The signaling codec, its authentication, the config-file reader and
# socket addresses: shared by rendezvousd and punchd.
SIG_SRCS := helper/common/sig.c helper/common/sig_auth.c \
	helper/common/conf.c helper/common/hex.c helper/common/sockaddr.c
SIG_OBJS := $(SIG_SRCS:%.c=$(BUILD)/%.o)
# Signaling over TLS: the daemons only.
TLS_OBJS := $(BUILD)/helper/common/sig_tls.o
# Many signaling clients in one loop: the load generators'.
BENCH_SIG_OBJS := $(BUILD)/bench/lib/sig_clients.o
SRV_SRCS := $(wildcard server/*.c)
SRV_OBJS := $(SRV_SRCS:%.c=$(BUILD)/%.o)
PD_SRCS := $(wildcard helper/punchd/*.c)
PD_OBJS := $(PD_SRCS:%.c=$(BUILD)/%.o)

TOOLS := $(BUILD)/punchctl $(BUILD)/libnfpunch.a $(BUILD)/libnfpunch-static.a \
	$(BUILD)/libnfpunch.so \
	$(BUILD)/$(LIB_SONAME) $(BUILD)/libnfpunch.so.$(LIB_VERSION) \
	$(BUILD)/rendezvousd $(BUILD)/punchd \
	$(TEST_TOOLS) $(UNIT_TESTS) $(BENCH_TOOLS)

.PHONY: all module tools progs examples fuzz check check-unit check-debug demo bench kstun \
	install install-module install-tools install-dkms deb clean
# Keep intermediate objects (the STUN codec) instead of rebuilding them.
.SECONDARY:
all: module tools examples

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools: $(TOOLS)

# What is installed: the programs and the library, not the test tools.
PROGS := $(BUILD)/punchctl $(BUILD)/punchd $(BUILD)/rendezvousd \
	$(BUILD)/libnfpunch-static.a $(BUILD)/libnfpunch.so \
	$(BUILD)/$(LIB_SONAME) $(BUILD)/libnfpunch.so.$(LIB_VERSION)
progs: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Small helpers the library and the command-line programs share.
COMMON_OBJS := $(BUILD)/helper/common/hex.o $(BUILD)/helper/common/fdpass.o

# In-tree programs link everything; the installed archive is one object
# whose hidden symbols are made local, so a static user sees the same
# API as a shared one (no nfp_request, no hex_decode to clash with).
$(BUILD)/libnfpunch.a: $(LIB_OBJS) $(COMMON_OBJS)
	rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libnfpunch-static.a: $(LIB_OBJS) $(COMMON_OBJS)
	rm -f $@ $(BUILD)/libnfpunch-static.o
	$(LD) -r -o $(BUILD)/libnfpunch-static.o $^
	$(OBJCOPY) --localize-hidden $(BUILD)/libnfpunch-static.o
	$(AR) rcs $@ $(BUILD)/libnfpunch-static.o

# Only what libnfpunch.map names is exported, and versioned; the objects
# hide everything else too, so nothing internal binds across the library.
$(LIB_OBJS) $(COMMON_OBJS): ALL_CFLAGS += -fvisibility=hidden
$(BUILD)/libnfpunch.so.$(LIB_VERSION): $(LIB_OBJS) $(COMMON_OBJS) helper/lib/libnfpunch.map
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script,helper/lib/libnfpunch.map -Wl,--no-undefined \
		$(LDFLAGS) -o $@ $(LIB_OBJS) $(COMMON_OBJS) $(NL_LIBS)
$(BUILD)/$(LIB_SONAME): $(BUILD)/libnfpunch.so.$(LIB_VERSION)
	ln -sf $(notdir $<) $@
$(BUILD)/libnfpunch.so: $(BUILD)/$(LIB_SONAME)
	ln -sf $(notdir $<) $@

$(BUILD)/punchctl: $(CTL_OBJS) $(BUILD)/libnfpunch.a
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# The daemons use GNU extensions (accept4, tdestroy, signalfd).
$(SRV_OBJS) $(PD_OBJS) $(SIG_OBJS) $(TLS_OBJS) $(BENCH_SIG_OBJS): ALL_CFLAGS += -D_GNU_SOURCE

$(BUILD)/rendezvousd: $(SRV_OBJS) $(SIG_OBJS) $(TLS_OBJS) $(STUN_OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(TLS_LIBS) $(MHD_LIBS) $(HIREDIS_LIBS)

# TCP hole punching without the module (issue 18), and handing the
# connection to a local program.
TCP_PUNCH_OBJS := $(BUILD)/helper/common/tcp_punch.o
FDPASS_OBJS := $(BUILD)/helper/common/fdpass.o

$(BUILD)/punchd: $(PD_OBJS) $(SIG_OBJS) $(TLS_OBJS) $(STUN_OBJS) $(TCP_PUNCH_OBJS) \
		$(FDPASS_OBJS) $(BUILD)/libnfpunch.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(NL_LIBS) $(TLS_LIBS) -lnatpmp -lminiupnpc

$(BUILD)/selftests/tools/tcp-punch: selftests/tools/tcp-punch.c $(TCP_PUNCH_OBJS) \
		$(SIG_OBJS) $(STUN_OBJS) $(BUILD)/libnfpunch.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS) $(NL_LIBS)

# Small programs the selftests use to poke at the module.
$(BUILD)/selftests/tools/udp: $(BUILD)/helper/common/sockaddr.o
$(BUILD)/selftests/tools/%: selftests/tools/%.c $(BUILD)/libnfpunch.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ihelper/lib $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# The examples build the way outside programs do: pkg-config against an
# installed libnfpunch, here one installed under $(BUILD)/stage.
STAGE := $(CURDIR)/$(BUILD)/stage
examples: tools
	$(MAKE) -s install-tools PREFIX=$(STAGE) LIBDIR=$(STAGE)/lib \
		INCLUDEDIR=$(STAGE)/include DESTDIR= >/dev/null
	@mkdir -p $(BUILD)/examples
	PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig $(MAKE) -C examples \
		OUT=$(CURDIR)/$(BUILD)/examples \
		LDFLAGS="$(LDFLAGS) -Wl,-rpath,$(STAGE)/lib"

# Benchmark programs; bench/run drives them in the VM.
$(BUILD)/bench/%: bench/%.c $(BUILD)/libnfpunch.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# The relay load generator takes relay ports as punchd's module would.
$(BUILD)/bench/relay-load: bench/relay-load.c $(STUN_OBJS) $(SIG_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# The baseline of bench/wg-time: STUN from WireGuard's port on raw sockets.
$(BUILD)/bench/raw-stun: bench/raw-stun.c $(STUN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# The signaling load generator speaks punchd's side of the protocol.
$(BUILD)/bench/rdv-load: bench/rdv-load.c $(BENCH_SIG_OBJS) $(SIG_OBJS) $(TLS_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibench/lib $(LDFLAGS) -o $@ $^ $(TLS_LIBS)

# The WireGuard hub's far side: many peers' signaling and STUN.
$(BUILD)/bench/wg-peers: bench/wg-peers.c $(BENCH_SIG_OBJS) $(SIG_OBJS) $(TLS_OBJS) $(STUN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibench/lib $(LDFLAGS) -o $@ $^ $(TLS_LIBS) $(CRYPTO_LIBS)

# Unit tests: KTAP on stdout, run by selftests/run.
$(BUILD)/selftests/unit/%: selftests/unit/%.c $(STUN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# The signaling codec and its authentication.
$(BUILD)/selftests/unit/sig_test: selftests/unit/sig_test.c $(SIG_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# rendezvousd's binding answers and its per-source limit.
$(BUILD)/selftests/unit/stun_answer_test: selftests/unit/stun_answer_test.c \
		$(BUILD)/server/stun_answer.o $(BUILD)/helper/common/sockaddr.o $(STUN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)
$(BUILD)/selftests/unit/source_rate_test: selftests/unit/source_rate_test.c \
		$(BUILD)/server/source_rate.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^

# rendezvousd's timer heap.
$(BUILD)/selftests/unit/timer_test: selftests/unit/timer_test.c $(BUILD)/server/timer.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^

# libnfpunch's objects and accessors, without a kernel.
$(BUILD)/selftests/unit/lib_objects_test: selftests/unit/lib_objects_test.c \
		$(BUILD)/libnfpunch.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# libnfpunch's TCP calls, against a stand-in for punchd.
$(BUILD)/selftests/unit/lib_tcp_test: selftests/unit/lib_tcp_test.c \
		$(BUILD)/libnfpunch.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# punchd's filter on a peer's candidates.
$(BUILD)/selftests/unit/cand_filter_test: selftests/unit/cand_filter_test.c \
		$(BUILD)/helper/punchd/cand_filter.o $(SIG_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit -Ihelper/punchd $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# punchd's retry backoff and glare rule.
$(BUILD)/selftests/unit/retry_test: selftests/unit/retry_test.c \
		$(BUILD)/helper/punchd/retry.o $(SIG_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit -Ihelper/punchd $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# punchd's choice of host-candidate interfaces.
$(BUILD)/selftests/unit/iface_test: selftests/unit/iface_test.c \
		$(BUILD)/helper/punchd/iface.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# punchd's parser of WireGuard keys.
$(BUILD)/selftests/unit/wg_key_test: selftests/unit/wg_key_test.c \
		$(BUILD)/helper/punchd/wg.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(NL_LIBS) $(CRYPTO_LIBS)

# punchd's PCP MAP codec.
$(BUILD)/selftests/unit/pcp_test: selftests/unit/pcp_test.c \
		$(BUILD)/helper/punchd/pcp.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^

# punchd's priming rules.
$(BUILD)/selftests/unit/prime_test: selftests/unit/prime_test.c \
		$(BUILD)/helper/punchd/prime.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^

# punchd's NAT words and strategy table.
$(BUILD)/selftests/unit/strategy_test: selftests/unit/strategy_test.c \
		$(BUILD)/helper/punchd/nat.o $(BUILD)/helper/punchd/strategy.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit -Ihelper/punchd $(LDFLAGS) -o $@ $^

# The parsers behind punchctl's grammar, without a kernel.
$(BUILD)/selftests/unit/args_test: selftests/unit/args_test.c \
		$(BUILD)/helper/punchctl/args.o $(BUILD)/libnfpunch.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iselftests/unit $(LDFLAGS) -o $@ $^ $(NL_LIBS)

# libFuzzer targets (clang); selftests/host/fuzz-smoke.sh runs them briefly.
fuzz: $(FUZZERS)
# Every target links all the parsers: the STUN codec, the signaling
# codec and rendezvousd's binding answers.
FUZZ_LIBSRCS := $(STUN_SRCS) helper/common/sig.c helper/common/hex.c \
	server/stun_answer.c server/stun_tcp.c helper/punchd/pcp.c \
	helper/common/sockaddr.c
build/fuzz/%: selftests/fuzz/%.c $(FUZZ_LIBSRCS) lib/stun.h helper/common/sig.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(INCLUDES) -o $@ $< $(FUZZ_LIBSRCS) \
		$(CRYPTO_LIBS)

# Tests use tools built with ASan and UBSan, kept apart from the normal
# build; rendezvousd's threads are also tried under ThreadSanitizer.
check: all fuzz
	$(MAKE) BUILD=build/san SAN=1 tools
	$(MAKE) BUILD=build/tsan SAN=thread build/tsan/rendezvousd
	selftests/run

# The unit tests alone: no VM, no module (a package build runs them).
check-unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do $$t >/dev/null || { $$t | grep '^not ok'; \
		echo "check-unit: $$t failed"; exit 1; }; done; \
	echo "check-unit: $(words $(UNIT_TESTS)) unit tests passed"

# The debug lane: not part of "make check" (it takes hours the first time);
# the examples too, as kernel/punchctl.sh runs examples/punch-wait.
check-debug: tools examples
	selftests/debug-lane

demo: all
	selftests/vm/run -- demo/demo.sh

bench: all
	bench/run

# bench/stun-kernel's responder: a measurement, never installed.
kstun:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/bench/kstun modules

install: install-module install-tools

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra \
		INSTALL_MOD_PATH=$(DESTDIR) modules_install

install-tools: progs
	install -D -m 755 $(BUILD)/punchctl $(DESTDIR)$(PREFIX)/sbin/punchctl
	install -D -m 755 $(BUILD)/punchd $(DESTDIR)$(PREFIX)/sbin/punchd
	install -D -m 755 $(BUILD)/rendezvousd $(DESTDIR)$(PREFIX)/sbin/rendezvousd
	install -D -m 644 helper/punchd/punchd.8 $(DESTDIR)$(PREFIX)/share/man/man8/punchd.8
	install -D -m 644 server/rendezvousd.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/rendezvousd.8
	@# The units name the programs where this install puts them.
	mkdir -p $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in helper/punchd/dist/punchd.service server/dist/rendezvousd.service; do \
		sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' $$u \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u) || exit 1; \
		chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u); \
	done
	install -D -m 644 helper/punchd/dist/punchd.conf.example \
		$(DESTDIR)$(DOCDIR)/punchd.conf.example
	install -D -m 644 server/dist/rendezvousd.conf.example \
		$(DESTDIR)$(DOCDIR)/rendezvousd.conf.example
	install -D -m 644 helper/punchctl/punchctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/punchctl.8
	install -D -m 644 helper/punchctl/punchctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/punchctl
	install -D -m 644 $(BUILD)/libnfpunch-static.a $(DESTDIR)$(LIBDIR)/libnfpunch.a
	install -D -m 755 $(BUILD)/libnfpunch.so.$(LIB_VERSION) \
		$(DESTDIR)$(LIBDIR)/libnfpunch.so.$(LIB_VERSION)
	ln -sf libnfpunch.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libnfpunch.so
	install -D -m 644 helper/include/libnfpunch.h \
		$(DESTDIR)$(INCLUDEDIR)/libnfpunch.h
	@# The netlink ABI, outside linux/ (the kernel headers' own place).
	install -D -m 644 uapi/linux/nfpunch.h \
		$(DESTDIR)$(INCLUDEDIR)/nfpunch/linux/nfpunch.h
	install -D -m 644 helper/lib/libnfpunch.3 \
		$(DESTDIR)$(PREFIX)/share/man/man3/libnfpunch.3
	@# The pkg-config file names the directories it is installed under.
	mkdir -p $(DESTDIR)$(LIBDIR)/pkgconfig
	sed -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LIB_VERSION)|' \
		helper/lib/libnfpunch.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/libnfpunch.pc

# The module's source for DKMS, which rebuilds it for every kernel
# installed: then "dkms install nfpunch/$(VERSION)".
DKMS_SRC := $(DESTDIR)/usr/src/nfpunch-$(VERSION)
DKMS_FILES := Kbuild $(wildcard kmod/*.[ch] lib/*.[ch] uapi/linux/*.h)
install-dkms:
	rm -rf $(DKMS_SRC)
	for f in $(DKMS_FILES); do install -D -m 644 $$f $(DKMS_SRC)/$$f || exit 1; done
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf

# Debian packages (nfpunch-dkms, nfpunch-tools, rendezvousd, libnfpunch1,
# libnfpunch-dev) from the files git tracks, into $(BUILD)/deb.
deb:
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/nfpunch-$(VERSION)
	git ls-files -z | tar --null -T - -c | tar -x -C $(BUILD)/deb/nfpunch-$(VERSION)
	cd $(BUILD)/deb/nfpunch-$(VERSION) && dpkg-buildpackage -b -us -uc
	ls $(BUILD)/deb/*.deb

# Without kernel headers (a package builder) only the userspace part.
clean:
	if [ -d $(KDIR) ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean && \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/selftests/vm/canary clean && \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/bench/kstun clean; \
	fi
	rm -rf $(BUILD)

# Every object's header dependencies (-MMD), whichever list made it: a
# list left out here rebuilt nothing when a shared header changed (the
# bench clients kept an old struct sig_msg, and the sanitizer caught
# the overflow).
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
