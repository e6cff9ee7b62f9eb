# fuzz.mk - libFuzzer targets (clang), one per parser of outside bytes:
#   make fuzz                      build every tests/fuzz/fuzz_*.c into build-fuzz/
#   build-fuzz/fuzz_wire_frame -max_total_time=60 tests/fuzz/corpus/wire_frame
# Module sources are compiled with -fsanitize=fuzzer-no-link so coverage
# reaches into them; the mains are left out.
CC := clang
FBUILD := build-fuzz
PKG_CFLAGS := $(shell pkg-config --cflags sqlite3 libevent msgpack jansson libpq 2>/dev/null)
LIBS := $(shell pkg-config --libs sqlite3 libevent msgpack jansson libcurl 2>/dev/null) -lwslay -lpq -lm
FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Iinclude -Icollector \
         -Icollector/send -Icollector/ship -Iserver -Iadmin $(PKG_CFLAGS) -fsanitize=address,undefined
SRC := $(wildcard common/*.c) $(filter-out collector/main.c,$(wildcard collector/*.c)) \
       $(filter-out collector/send/main.c,$(wildcard collector/send/*.c)) \
       $(filter-out server/main.c,$(wildcard server/*.c)) \
       $(filter-out admin/main.c admin/cmd_team.c,$(wildcard admin/*.c)) \
       collector/ship/ship_row.c collector/ship/jsonb_check.c collector/ship/pg_link.c
# server/static_assets.c needs the embedded dashboard's generated table.
include dashboard/assets.mk
SRC += $(FBUILD)/gen/dashboard_assets.c
OBJ := $(patsubst %.c,$(FBUILD)/obj/%.o,$(SRC))
TARGETS := $(patsubst tests/fuzz/%.c,$(FBUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

all: $(TARGETS)
$(eval $(call dashboard_gen_rule,$(FBUILD)))

$(FBUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FBUILD)/%: tests/fuzz/%.c $(OBJ)
	$(CC) $(FLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)
