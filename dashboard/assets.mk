# dashboard/assets.mk - the files chronicle-server embeds (scripts/embed-assets.sh)
# and the rule that generates their C source.  Included by the Makefile and by
# tests/fuzz/fuzz.mk (every build that links server/*.c needs the table).
#
# Chart.js comes from Debian's libjs-chart.js (scripts/deps.sh): the UMD
# build, one self-contained file that defines window.Chart.
#
# Every ES module in dashboard/js/ is embedded, at /assets/NAME.js (the path
# the modules import each other by; index.html loads /assets/main.js): a new
# module needs no change here.  The
# folder itself is a prerequisite, so removing a module regenerates too.
CHART_JS ?= /usr/share/javascript/chart.js/chart.min.js
DASHBOARD_MODULES := $(sort $(wildcard dashboard/js/*.js))
DASHBOARD_ASSETS := /index.html=dashboard/index.html /assets/app.css=dashboard/app.css \
                    /assets/chart.min.js=$(CHART_JS) \
                    $(foreach m,$(DASHBOARD_MODULES),/assets/$(notdir $(m))=$(m))
DASHBOARD_DEPS := $(foreach a,$(DASHBOARD_ASSETS),$(lastword $(subst =, ,$(a)))) \
                  dashboard/js scripts/embed-assets.sh dashboard/assets.mk

# $(call dashboard_gen_rule,BUILD_DIR): BUILD_DIR/gen/dashboard_assets.c, and
# (without the package) a clear message instead of "No rule to make target".
# Evaluated after the including makefile's first target, so that stays the
# default goal.
define dashboard_gen_rule
$(1)/gen/dashboard_assets.c: $(DASHBOARD_DEPS)
	@mkdir -p $$(dir $$@)
	scripts/embed-assets.sh $$@ $(DASHBOARD_ASSETS)
$(CHART_JS):
	@echo "missing $$@: install Debian's libjs-chart.js (scripts/deps.sh does)" >&2; exit 1
endef
