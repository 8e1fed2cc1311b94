# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# snigate: `make` builds build/snigate (BPF embedded through a skeleton).
# `make help` lists the targets.
OUTPUT  := build
CLANG   ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC      ?= cc
ARCH    ?= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux -Iinclude -Ibpf
CFLAGS  ?= -g -O2
CFLAGS  += -Wall -Wextra -Werror -Iinclude -I$(OUTPUT) -D_GNU_SOURCE
LDLIBS  := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -lpthread

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
BPF_HDRS  := $(wildcard bpf/lib/*.h) $(wildcard include/*.h) vmlinux/vmlinux.h

.PHONY: all test unit bpftest integration demo bench deps clean help fuzz check
all: $(OUTPUT)/snigate

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# DWARF stripped, BTF kept: the skeleton embeds the object, so its size is
# the daemon's size (and, while loading, RSS)
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/%.o: user/%.c $(wildcard user/*.h) $(wildcard include/*.h) $(OUTPUT)/gateway.skel.h \
	       $(OUTPUT)/filter.skel.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/snigate: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# --- tests -------------------------------------------------------------
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))

$(OUTPUT)/tests/test_%: tests/unit/test_%.c tests/unit/*.h $(wildcard include/*.h) user/pattern.c user/pattern.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itests/unit $< user/pattern.c -o $@

# the upstream guard is daemon code, without the BPF skeleton
$(OUTPUT)/tests/test_guard: tests/unit/test_guard.c user/upstream_guard.c user/upstream_guard.h user/mono.h user/pattern.c user/proxy.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser $< user/upstream_guard.c user/pattern.c -o $@

$(OUTPUT)/tests/test_busy_poll: tests/unit/test_busy_poll.c user/busy_poll.c user/busy_poll.h user/mono.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser $< user/busy_poll.c -o $@

$(OUTPUT)/tests/%.bpf.o: tests/bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/%.skel.h: $(OUTPUT)/tests/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/tests/bpf_runner: tests/bpf/runner.c tests/bpf/pkt.h tests/unit/vectors.h $(OUTPUT)/tests/test_sni.skel.h $(wildcard include/*.h)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/tests -Itests/unit $< -o $@ $(LDLIBS)

# the parser in the kernel (tc and XDP test runs) against user space
$(OUTPUT)/tests/bpf_diff: tests/bpf/diff.c tests/bpf/pkt.h tests/unit/vectors.h $(OUTPUT)/tests/test_sni.skel.h $(OUTPUT)/tests/test_sni_xdp.skel.h $(wildcard include/*.h)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/tests -Itests/unit $< -o $@ $(LDLIBS)

# the load generator of tests/integration/test_load.sh (both ends, sha256 each way)
$(OUTPUT)/tests/loadgen: tests/integration/loadgen.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lcrypto

# libFuzzer over the parser, the reassembly, the matcher and the pattern syntax
FUZZ_SECS ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	       -Iinclude -Iuser -Itests/unit -D_GNU_SOURCE

$(OUTPUT)/tests/fuzz_hello: tests/fuzz/fuzz_hello.c user/pattern.c user/tls_hello.c $(wildcard include/*.h) | $(OUTPUT)/tests
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

$(OUTPUT)/tests/fuzz_seeds: tests/fuzz/seeds.c tests/unit/vectors.h $(wildcard include/*.h) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itests/unit $< -o $@

fuzz: $(OUTPUT)/tests/fuzz_hello $(OUTPUT)/tests/fuzz_seeds
	$(Q)tests/fuzz/run.sh $(FUZZ_SECS)

# unit + BPF_PROG_TEST_RUN + netns integration; one summary line at the end
test: deps all $(UNIT_BINS) $(OUTPUT)/tests/bpf_runner $(OUTPUT)/tests/bpf_diff $(OUTPUT)/tests/loadgen $(OUTPUT)/tests/fuzz_hello $(OUTPUT)/tests/fuzz_seeds
	$(Q)tests/run.sh

demo: deps all
	$(Q)scripts/demo.sh

bench: all
	$(Q)scripts/bench.sh

deps:
	$(Q)scripts/deps.sh

check: all
	$(Q)OUTPUT=$(OUTPUT) scripts/check.sh

clean:
	$(Q)rm -rf $(OUTPUT)

help:
	@echo 'make            build build/snigate'
	@echo 'make deps       install the Debian packages needed to build and test (root)'
	@echo 'make test       unit, BPF_PROG_TEST_RUN and netns integration tests (root)'
	@echo 'make demo       a small namespace topology: one allowed, one blocked curl (root)'
	@echo 'make bench      peer comparison against HAProxy, nginx, sniproxy (root)'
	@echo 'make fuzz       libFuzzer on the parser and pattern syntax (FUZZ_SECS, default 60)'
	@echo 'make check      clang static analyzer over user/ (a finding fails)'
	@echo 'make clean      remove build/'
	@echo 'V=1             show the commands'

.DELETE_ON_ERROR:
.SECONDARY:
