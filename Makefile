# Chronicle - observability for Claude Code agent sessions.
#
#   make            install missing build packages, build build/chronicle-send,
#                   build/chronicle-collector, build/chronicle-server, build/chronicle,
#                   build/chronicle-ship
#   make run        the same, then run collector + server in the foreground
#   make test       install missing build and test packages, build, run every test
#   make bench      benchmarks (ratios against floors measured in the same run)
#   make asan       the whole test suite under AddressSanitizer + UBSan (build-asan/)
#   make fuzz       build the libFuzzer targets (clang) into build-fuzz/
#   make analyze    gcc -fanalyzer over collector/, server/, common/
#   make test-fresh make run in a clean Debian 12 root, as a newcomer would
#   make install PREFIX=~/.local   (DESTDIR honoured)
#
# Packages: scripts/deps.sh installs each target's group only (build, test,
# bench, e2e, fresh); `make all` builds without looking at packages.

PREFIX ?= $(HOME)/.local
DESTDIR ?=
BUILD ?= build
CC ?= cc
SAN ?=

PKGS := sqlite3 libevent msgpack jansson libcurl
# Debian's libwslay-dev ships no pkg-config file: fall back to plain -lwslay.
WSLAY_LIBS := $(shell pkg-config --libs libwslay 2>/dev/null || echo -lwslay)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

# -Wno-format-truncation: error messages are cut to their buffers on purpose.
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wno-format-truncation
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude $(PKG_CFLAGS) -MMD -MP
LDFLAGS ?=

ifeq ($(SAN),1)
  ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
  SEND_STATIC :=
else
  # The sender runs once per hook event: a static binary skips the dynamic
  # loader entirely (measured in docs/PERFORMANCE.md).
  SEND_STATIC := -static
endif

COMMON_SRC := $(wildcard common/*.c)
# chronicle-ship and, for team mode (--database), chronicle-server link libpq;
# the collector never does.
SHIP_SRC := $(filter-out collector/ship/main.c,$(wildcard collector/ship/*.c))
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null)
PQ_LIBS := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
COLLECTOR_SRC := $(filter-out collector/main.c,$(wildcard collector/*.c))
SEND_SRC := $(filter-out collector/send/main.c,$(wildcard collector/send/*.c))
SERVER_SRC := $(filter-out server/main.c,$(wildcard server/*.c))
# The dashboard (dashboard/*, Chart.js) embedded into chronicle-server as a
# generated C source: dashboard/assets.mk, scripts/embed-assets.sh.
include dashboard/assets.mk
SERVER_SRC += $(BUILD)/gen/dashboard_assets.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# The sender links only what it needs, so it stays small and starts fast.
SEND_COMMON := common/log.c common/clock.c common/buf.c common/config.c common/json_scan.c \
               common/wire.c common/spool.c common/home.c

BINS := $(BUILD)/chronicle-send $(BUILD)/chronicle-collector
ifneq ($(wildcard server/main.c),)
BINS += $(BUILD)/chronicle-server
endif
ifneq ($(wildcard admin/main.c),)
BINS += $(BUILD)/chronicle
endif
BINS += $(BUILD)/chronicle-ship
ADMIN_SRC := $(filter-out admin/main.c,$(wildcard admin/*.c))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: default all test tests-build run bench asan fuzz install uninstall clean check-deps \
        deps-build deps-test deps-bench deps-e2e deps-fresh
default: deps-build
	@$(MAKE) --no-print-directory all

all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The generated dashboard table includes server/static_assets.h, a header
# private to the server (which finds its own headers by relative path).
$(BUILD)/obj/$(BUILD)/gen/%.o: ALL_CFLAGS += -Iserver

$(BUILD)/chronicle-send: $(call obj,collector/send/main.c $(SEND_SRC) $(SEND_COMMON))
	$(CC) $(LDFLAGS) $(SEND_STATIC) -o $@ $^ -lmsgpackc

$(BUILD)/chronicle-collector: $(call obj,collector/main.c $(COLLECTOR_SRC) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sqlite3 libevent msgpack jansson libcurl) -lpthread -lm

$(BUILD)/obj/server/%.o: ALL_CFLAGS += $(PQ_CFLAGS)
# Team mode's alert engine (server/team_alerter.c) runs the collector's
# rules, payloads and webhook sender (libcurl) over chronicle-ship's
# bounded libpq link.
SERVER_SHARED := collector/alert_rules.c collector/alert_sender.c collector/alert_payload.c \
                 collector/ship/pg_link.c
$(BUILD)/obj/server/team_alerter.o: ALL_CFLAGS += -Icollector -Icollector/ship
$(BUILD)/chronicle-server: $(call obj,server/main.c $(SERVER_SRC) $(SERVER_SHARED) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sqlite3 libevent msgpack jansson libcurl) $(WSLAY_LIBS) $(PQ_LIBS) -lpthread -lm
$(eval $(call dashboard_gen_rule,$(BUILD)))

# The team schema (`chronicle team init`) is chronicle-ship's: the admin links it too.
ADMIN_SHIP := collector/ship/pg_schema.c collector/ship/pg_link.c
$(BUILD)/chronicle: $(call obj,admin/main.c $(ADMIN_SRC) $(COMMON_SRC) $(ADMIN_SHIP))
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sqlite3 msgpack jansson) $(PQ_LIBS) -lm

# Reads chronicle.db read-only and writes PostgreSQL; the payload fields come
# from the collector's own event_fields.c, so both agree on what an event says.
$(BUILD)/obj/collector/ship/%.o: ALL_CFLAGS += $(PQ_CFLAGS) -Icollector
$(BUILD)/obj/admin/cmd_team.o: ALL_CFLAGS += $(PQ_CFLAGS) -Icollector/ship
$(BUILD)/chronicle-ship: $(call obj,collector/ship/main.c $(SHIP_SRC) collector/event_fields.c $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sqlite3) $(PQ_LIBS) -lm

# Tests and benchmarks link archives of the modules (not the mains): the
# linker pulls in only the objects a test uses.  One archive per component,
# so a test of one component never waits on another's build.
LIB := $(BUILD)/libchronicle.a
LIB_SERVER := $(BUILD)/libchronicle-server.a
LIB_ADMIN := $(BUILD)/libchronicle-admin.a
LIB_SHIP := $(BUILD)/libchronicle-ship.a
$(LIB): $(call obj,$(COMMON_SRC) $(COLLECTOR_SRC) $(SEND_SRC))
	rm -f $@
	ar rcs $@ $^
$(LIB_SERVER): $(call obj,$(SERVER_SRC) collector/ship/pg_link.c)
	rm -f $@
	ar rcs $@ $^
$(LIB_ADMIN): $(call obj,$(ADMIN_SRC))
	rm -f $@
	ar rcs $@ $^
$(LIB_SHIP): $(call obj,$(SHIP_SRC))
	rm -f $@
	ar rcs $@ $^

TEST_LIBS := $(shell pkg-config --libs sqlite3 libevent msgpack jansson libcurl 2>/dev/null) $(WSLAY_LIBS) $(PQ_LIBS) -lm
TEST_CC = @mkdir -p $(dir $@); $(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests/unit -Iserver -Iadmin -Icollector -Icollector/send -o $@ $^ $(TEST_LIBS)
$(BUILD)/tests/test_server_%: ALL_CFLAGS += $(PQ_CFLAGS)
$(BUILD)/tests/test_server_%: tests/unit/test_server_%.c $(LIB_SERVER) $(LIB)
	$(TEST_CC)
$(BUILD)/tests/test_http_%: tests/unit/test_http_%.c $(LIB_SERVER) $(LIB)
	$(TEST_CC)
$(BUILD)/tests/test_ws_%: tests/unit/test_ws_%.c $(LIB_SERVER) $(LIB)
	$(TEST_CC)
$(BUILD)/tests/test_hooks_%: tests/unit/test_hooks_%.c $(LIB_ADMIN) $(LIB)
	$(TEST_CC)
$(BUILD)/tests/test_admin_%: tests/unit/test_admin_%.c $(LIB_ADMIN) $(LIB)
	$(TEST_CC)
$(BUILD)/tests/test_ship_%: ALL_CFLAGS += $(PQ_CFLAGS) -Icollector/ship
$(BUILD)/tests/test_ship_%: tests/unit/test_ship_%.c $(LIB_SHIP) $(LIB)
	$(TEST_CC) $(PQ_LIBS)
$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB)
	$(TEST_CC)

# Small programs the shell tests drive (raw socket writer, frame builder).
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Icollector -o $@ $^ $(TEST_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Icollector -o $@ $^ $(TEST_LIBS) -lpthread

# The same sender linked dynamically, to measure what static linking buys.
$(BUILD)/bench/chronicle-send-dynamic: $(call obj,collector/send/main.c $(SEND_SRC) $(SEND_COMMON))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lmsgpackc

# A minimal static client: the floor the sender is compared against.
$(BUILD)/bench/floor_client: tests/bench/floor/floor_client.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -static -o $@ $<

deps-build:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh build test
deps-bench:
	@scripts/deps.sh build bench
deps-e2e:
	@scripts/deps.sh build test e2e
deps-fresh:
	@scripts/deps.sh fresh
# Everything every target needs (what CI installs first).
check-deps:
	@scripts/deps.sh build test bench e2e fresh

test: deps-test
	@$(MAKE) --no-print-directory all tests-build
	@BUILD=$(BUILD) tests/run.sh

tests-build: $(UNIT_BINS) $(TOOL_BINS) $(BUILD)/bench/chronicle-send-dynamic

asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan SAN=1 CFLAGS="-O1 -g"

bench: deps-bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS) $(BUILD)/bench/floor_client $(BUILD)/bench/chronicle-send-dynamic
	@BUILD=$(BUILD) tests/bench/run.sh

# Quiet: one line for the build (the compiler speaks only on errors).
run: deps-build
	@echo "make run: building $(BUILD)/ (make all shows the commands)"
	@$(MAKE) --no-print-directory -s all
	@BUILD=$(BUILD) scripts/run.sh

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk

# gcc -fanalyzer over the daemons: no use-after-free, double free, NULL or
# uninitialised-use path (scripts/analyze.sh).
.PHONY: analyze
analyze:
	@scripts/analyze.sh

install: deps-build
	@$(MAKE) --no-print-directory all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/chronicle
	install -m 0644 share/pricing.tsv $(DESTDIR)$(PREFIX)/share/chronicle/pricing.tsv
	@$(MAKE) --no-print-directory install-units PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# The dashboard with five simulated sessions played through chronicle-send
# (scripts/demo.sh; PORT=8510 by default).
.PHONY: demo
demo: deps-test
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

# End to end with the real Claude Code CLI (npm, cached under $(BUILD)/e2e)
# against build/tools/messages_standin, a local Messages API stand-in.
.PHONY: test-e2e
test-e2e: deps-e2e
	@$(MAKE) --no-print-directory all $(BUILD)/tools/messages_standin
	@BUILD=$(BUILD) bash tests/e2e/test_claude_cli.sh

# make run in a clean Debian 12 root (debootstrap minbase + git, make,
# ca-certificates; pivot_root in private namespaces), from a clone of HEAD:
# tests/fresh/test_fresh.sh.  Needs root and the host's package mirror.
.PHONY: test-fresh
test-fresh: deps-fresh
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) TEST_SCRIPTS=tests/fresh/test_fresh.sh tests/run.sh

# systemd user units (systemd/), rendered by scripts/units-render.sh:
# @BINDIR@ becomes the installed binaries' directory, @CHRONICLE_HOME@ the data
# directory: for a per-user install the one `chronicle endpoint home` resolves
# now (config file, CHRONICLE_HOME, as every program does), for a system-wide
# or staged one %h/.claude/chronicle (the installing user's settings are not
# every user's).  A PREFIX under $HOME installs to ~/.config/systemd/user, any
# other to PREFIX/lib/systemd/user (in every user's unit search path).
# Enables and starts them when a user systemd is reachable (scripts/units-enable.sh).
USER_UNITDIR ?= $(if $(filter $(HOME)/%,$(PREFIX)),$(or $(XDG_CONFIG_HOME),$(HOME)/.config)/systemd/user,$(PREFIX)/lib/systemd/user)
UNIT_FILES := $(wildcard systemd/*.socket systemd/*.service)
.PHONY: install-units uninstall-units check-units
install-units: $(BUILD)/chronicle
	@home='%h/.claude/chronicle'; \
	if [ -z "$(DESTDIR)" ] && [ -n "$(filter $(HOME)/%,$(PREFIX))" ]; then \
	    home=$$($(BUILD)/chronicle endpoint home) || exit 1; \
	fi; \
	scripts/units-render.sh "$(PREFIX)/bin" "$$home" "$(DESTDIR)$(USER_UNITDIR)"
	@scripts/units-enable.sh "$(DESTDIR)"

uninstall-units:
	-@[ -n "$(DESTDIR)" ] || systemctl --user disable --now chronicle-collector.socket \
	    chronicle-collector.service chronicle-server.service chronicle-ship.service 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(USER_UNITDIR)/,$(notdir $(UNIT_FILES)))

# systemd-analyze verify (silent) and security exposure of the units.
check-units: all
	@scripts/check-units.sh $(abspath $(BUILD))

uninstall: uninstall-units
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(BINS)))

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
