# tests/ipcgen: the compiler's tests.  Fragment of Makefile.in, included by
# ipcgen/ipcgen.mk.
#
#   check-ipcgen-unit     Check suite driving every phase in-process
#   check-ipcgen-diag     every diagnostic, exact text (tests/ipcgen/errors)
#   check-ipcgen-golden   generated C for the frozen protocols, byte for byte
#   check-ipcgen-compile  generated C under gcc, clang and g++, warnings as errors
#   check-ipcgen-cli      the command line, exit statuses, hostile inputs
#   check-ipcgen-parts    a large file parsed in parts on two threads gives what
#                         one parse gives: outputs, diagnostics, exit status
#   check-ipcgen-compat   lock files and breaking-change reports (tests/ipcgen/compat)
#   check-ipcgen-e2e      declared errors, strings, sends, describe over the POSIX port
#   check-ipcgen-lang     language 2's values (structs, lists, optionals, bit sets,
#                         several results) over the POSIX port, and hostile encodings
#   check-ipcgen-multi    interfaces with several parents (a diamond) over the POSIX
#                         port: each ancestor under its labels, once; describe; hostile labels
#   check-ipcgen-split    the split form of calls (_start, _async, _wait, _finish):
#                         many outstanding, callbacks, deadlines, cancels, hostile replies
#   check-ipcgen-ool      byte arrays, strings and lists out of line (regions) up to 1 MiB,
#                         hostile regions both ways, descriptors counted
#   check-ipcgen-caps     capabilities in any shape (optional, several lists, a list
#                         first) over the POSIX port, and hostile shapes both ways
#   check-ipcgen-fuzz     ipcgen --fuzz targets of every protocol, built with clang's
#                         libFuzzer and run briefly (make fuzz runs them longer)
#   check-ipcgen-asan     diag, golden, cli and compat again under ASan/UBSan
#   check-ipcgen-tsan     parts (every thread ipcgen starts) under ThreadSanitizer
#
# UPDATE=1 sh tests/ipcgen/diag.sh build/ipcgen/ipcgen (or golden.sh)
# rewrites the expected files after an intended change; review the diff.

IPCGEN_TESTS = check-ipcgen-unit check-ipcgen-diag check-ipcgen-golden \
	check-ipcgen-compile check-ipcgen-cli check-ipcgen-parts check-ipcgen-compat check-ipcgen-e2e \
	check-ipcgen-lang check-ipcgen-multi check-ipcgen-split check-ipcgen-caps check-ipcgen-ool \
	check-ipcgen-fuzz check-ipcgen-asan check-ipcgen-tsan
CHECK_TARGETS += $(IPCGEN_TESTS)
check-ipcgen: $(IPCGEN_TESTS)

SAN_ENV = ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:print_stacktrace=1

$(B)/ipcgen/check_ipcgen: tests/ipcgen/check_ipcgen.c $(IPCGEN_ASAN_OBJS)
	$(CC) $(IPCGEN_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) -o $@ $< \
		$(filter-out $(B)/ipcgen/asan/main.o,$(IPCGEN_ASAN_OBJS)) $(XXHASH_LIBS) $(CHECK_LIBS)

check-ipcgen-unit: $(B)/ipcgen/check_ipcgen
	@sh tests/run-test ipcgen-unit $(B)/results env $(SAN_ENV) CK_FORK=no $(B)/ipcgen/check_ipcgen
check-ipcgen-diag: $(IPCGEN)
	@sh tests/run-test ipcgen-diag $(B)/results sh tests/ipcgen/diag.sh $(IPCGEN)
check-ipcgen-golden: $(IPCGEN)
	@sh tests/run-test ipcgen-golden $(B)/results sh tests/ipcgen/golden.sh $(IPCGEN)
check-ipcgen-compile: $(IPCGEN)
	@sh tests/run-test ipcgen-compile $(B)/results sh tests/ipcgen/compile.sh $(IPCGEN) "$(CC)" "$(CLANG)" "$(CXX)"
check-ipcgen-cli: $(IPCGEN)
	@sh tests/run-test ipcgen-cli $(B)/results sh tests/ipcgen/cli.sh $(IPCGEN)
check-ipcgen-parts: $(IPCGEN)
	@sh tests/run-test ipcgen-parts $(B)/results sh tests/ipcgen/parts.sh $(IPCGEN)
check-ipcgen-compat: $(IPCGEN)
	@sh tests/run-test ipcgen-compat $(B)/results sh tests/ipcgen/compat.sh $(IPCGEN)
E2E_GEN = $(B)/ipcgen/e2e
# ipcgen rewrites only the outputs whose content changed: a stamp records the run.
$(E2E_GEN)/stamp: $(IPCGEN) tests/ipcgen/ok/strings.ipc protocols/io.ipc protocols/errors.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -I protocols -o $(E2E_GEN) tests/ipcgen/ok/strings.ipc protocols/io.ipc protocols/errors.ipc
	@touch $@
$(B)/ipcgen/check_e2e: tests/ipcgen/check_e2e.c $(E2E_GEN)/stamp $(B)/runtime/san/libmercury.a
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iruntime/include -I$(E2E_GEN) $(CHECK_CFLAGS) -o $@ $< \
		$(E2E_GEN)/store_client.c $(E2E_GEN)/store_server.c $(E2E_GEN)/io_client.c \
		$(B)/runtime/san/libmercury.a $(CHECK_LIBS) -pthread
check-ipcgen-e2e: $(B)/ipcgen/check_e2e
	@sh tests/run-test ipcgen-e2e $(B)/results env $(SAN_ENV) $(B)/ipcgen/check_e2e

LANG_GEN = $(B)/ipcgen/lang
$(LANG_GEN)/stamp: $(IPCGEN) tests/ipcgen/ok/lang2.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -o $(LANG_GEN) tests/ipcgen/ok/lang2.ipc
	@touch $@
$(B)/ipcgen/check_lang: tests/ipcgen/check_lang.c $(LANG_GEN)/stamp $(B)/runtime/san/libmercury.a
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iruntime/include -I$(LANG_GEN) $(CHECK_CFLAGS) -o $@ $< \
		$(LANG_GEN)/lang_client.c $(LANG_GEN)/lang_server.c \
		$(B)/runtime/san/libmercury.a $(CHECK_LIBS) -pthread
check-ipcgen-lang: $(B)/ipcgen/check_lang
	@sh tests/run-test ipcgen-lang $(B)/results env $(SAN_ENV) $(B)/ipcgen/check_lang

MULTI_GEN = $(B)/ipcgen/multi
$(MULTI_GEN)/stamp: $(IPCGEN) tests/ipcgen/ok/multi.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -o $(MULTI_GEN) tests/ipcgen/ok/multi.ipc
	@touch $@
$(B)/ipcgen/check_multi: tests/ipcgen/check_multi.c $(MULTI_GEN)/stamp $(B)/runtime/san/libmercury.a
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iruntime/include -I$(MULTI_GEN) $(CHECK_CFLAGS) -o $@ $< \
		$(MULTI_GEN)/multi_client.c $(MULTI_GEN)/multi_server.c \
		$(B)/runtime/san/libmercury.a $(CHECK_LIBS) -pthread
check-ipcgen-multi: $(B)/ipcgen/check_multi
	@sh tests/run-test ipcgen-multi $(B)/results env $(SAN_ENV) $(B)/ipcgen/check_multi

SPLIT_GEN = $(B)/ipcgen/split
$(SPLIT_GEN)/stamp: $(IPCGEN) tests/ipcgen/ok/split.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -o $(SPLIT_GEN) tests/ipcgen/ok/split.ipc
	@touch $@
$(B)/ipcgen/check_split: tests/ipcgen/check_split.c $(SPLIT_GEN)/stamp $(B)/runtime/san/libmercury.a
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iruntime/include -I$(SPLIT_GEN) $(CHECK_CFLAGS) -o $@ $< \
		$(SPLIT_GEN)/split_client.c $(SPLIT_GEN)/split_server.c \
		$(B)/runtime/san/libmercury.a $(CHECK_LIBS) -pthread
check-ipcgen-split: $(B)/ipcgen/check_split
	@sh tests/run-test ipcgen-split $(B)/results env $(SAN_ENV) $(B)/ipcgen/check_split

CAPS_GEN = $(B)/ipcgen/caps
$(CAPS_GEN)/stamp: $(IPCGEN) tests/ipcgen/ok/caps.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -o $(CAPS_GEN) tests/ipcgen/ok/caps.ipc
	@touch $@
$(B)/ipcgen/check_caps: tests/ipcgen/check_caps.c $(CAPS_GEN)/stamp $(B)/runtime/san/libmercury.a
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iruntime/include -I$(CAPS_GEN) $(CHECK_CFLAGS) -o $@ $< \
		$(CAPS_GEN)/caps_client.c $(CAPS_GEN)/caps_server.c \
		$(B)/runtime/san/libmercury.a $(CHECK_LIBS) -pthread
check-ipcgen-caps: $(B)/ipcgen/check_caps
	@sh tests/run-test ipcgen-caps $(B)/results env $(SAN_ENV) $(B)/ipcgen/check_caps

OOL_GEN = $(B)/ipcgen/ool
$(OOL_GEN)/stamp: $(IPCGEN) tests/ipcgen/ok/ool.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -o $(OOL_GEN) tests/ipcgen/ok/ool.ipc
	@touch $@
$(B)/ipcgen/check_ool: tests/ipcgen/check_ool.c tests/ipcgen/ool_store.h $(OOL_GEN)/stamp $(B)/runtime/san/libmercury.a
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iruntime/include -I$(OOL_GEN) $(CHECK_CFLAGS) -o $@ $< \
		$(OOL_GEN)/ool_client.c $(OOL_GEN)/ool_server.c \
		$(B)/runtime/san/libmercury.a $(CHECK_LIBS) -pthread
check-ipcgen-ool: $(B)/ipcgen/check_ool
	@sh tests/run-test ipcgen-ool $(B)/results env $(SAN_ENV) $(B)/ipcgen/check_ool

check-ipcgen-asan: $(IPCGEN_ASAN)
	@sh tests/run-test ipcgen-asan $(B)/results sh -c '\
		export $(SAN_ENV); \
		sh tests/ipcgen/diag.sh $(IPCGEN_ASAN) && \
		sh tests/ipcgen/golden.sh $(IPCGEN_ASAN) && \
		sh tests/ipcgen/cli.sh $(IPCGEN_ASAN) && \
		sh tests/ipcgen/parts.sh $(IPCGEN_ASAN) && \
		sh tests/ipcgen/compat.sh $(IPCGEN_ASAN)'

# ipcgen --fuzz: a libFuzzer target per namespace, over its generated servers.
GENFUZZ = $(B)/ipcgen/genfuzz
GENFUZZ_IPC = protocols/errors.ipc protocols/io.ipc protocols/dev.ipc protocols/sys.ipc \
	protocols/fs.ipc tests/ipcgen/ok/everything.ipc tests/ipcgen/ok/strings.ipc tests/ipcgen/ok/names.ipc \
	tests/ipcgen/ok/lang2.ipc tests/ipcgen/ok/caps.ipc tests/ipcgen/ok/split.ipc tests/ipcgen/ok/ool.ipc \
	tests/ipcgen/ok/multi.ipc tests/ipcgen/ok/multi_names.ipc
GENFUZZ_NS = errors io dev sys fs every store names lang caps split ool multi mnames
GENFUZZ_BINS = $(GENFUZZ_NS:%=$(GENFUZZ)/fuzz_%)
GENFUZZ_RUNS = 200000
FUZZ_SECONDS ?= 180
GENFUZZ_FLAGS = -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Iruntime/include -I$(GENFUZZ)

$(GENFUZZ)/stamp: $(IPCGEN) $(GENFUZZ_IPC) tests/ipcgen/tests.mk
	@mkdir -p $(@D)
	$(IPCGEN) --fuzz -s -I protocols -o $(GENFUZZ) $(GENFUZZ_IPC)
	@touch $@
# Each target links every generated server (a namespace's parents may live
# in another) and its own NS_fuzz.c, which fakes the transport.
$(GENFUZZ)/fuzz_%: $(GENFUZZ)/stamp
	@[ -n "$(CLANG)" ] || { echo "clang not found: run ./tools/install-deps" >&2; exit 1; }
	$(CLANG) $(GENFUZZ_FLAGS) -o $@ $(GENFUZZ)/$*_fuzz.c $(GENFUZZ_NS:%=$(GENFUZZ)/%_server.c)

check-ipcgen-fuzz: $(GENFUZZ_BINS)
	@sh tests/run-test ipcgen-fuzz $(B)/results sh -c 'for t in $(GENFUZZ_BINS); do \
		echo "$$t"; $$t -runs=$(GENFUZZ_RUNS) -seed=1 -artifact_prefix=$(GENFUZZ)/ >$(GENFUZZ)/log 2>&1; \
		st=$$?; tail -n 2 $(GENFUZZ)/log; [ $$st -eq 0 ] || { cat $(GENFUZZ)/log; exit 1; }; done'

FUZZ_TARGETS += fuzz-ipcgen-generated
fuzz-ipcgen-generated: $(GENFUZZ_BINS)
	@for t in $(GENFUZZ_BINS); do echo "$$t: $(FUZZ_SECONDS) s"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 2>&1 | \
		grep -E 'ipcgen-fuzz|ERROR|number_of_executed_units|SUMMARY' || exit 1; done

# setarch -R: ThreadSanitizer wants the address space laid out as it knows it.
check-ipcgen-tsan: $(IPCGEN_TSAN)
	@sh tests/run-test ipcgen-tsan $(B)/results env TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
		setarch $$(uname -m) -R sh tests/ipcgen/parts.sh $(IPCGEN_TSAN)
