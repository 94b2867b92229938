# tests/ipcgen: the compiler's tests.  Fragment of Makefile.in, included by
# ipcgen/ipcgen.mk.
#
#   check-ipcgen-unit     Check suite driving every phase in-process
#   check-ipcgen-diag     every diagnostic, exact text (tests/ipcgen/errors)
#   check-ipcgen-golden   generated C for the frozen protocols, byte for byte
#   check-ipcgen-compile  generated C under gcc, clang and g++, warnings as errors
#   check-ipcgen-cli      the command line, exit statuses, hostile inputs
#   check-ipcgen-compat   lock files and breaking-change reports (tests/ipcgen/compat)
#   check-ipcgen-e2e      declared errors, strings, sends, describe over the POSIX port
#   check-ipcgen-asan     diag, golden, cli and compat again under ASan/UBSan
#
# UPDATE=1 sh tests/ipcgen/diag.sh build/ipcgen/ipcgen (or golden.sh)
# rewrites the expected files after an intended change; review the diff.

IPCGEN_TESTS = check-ipcgen-unit check-ipcgen-diag check-ipcgen-golden \
	check-ipcgen-compile check-ipcgen-cli check-ipcgen-compat check-ipcgen-e2e \
	check-ipcgen-asan
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

check-ipcgen-asan: $(IPCGEN_ASAN)
	@sh tests/run-test ipcgen-asan $(B)/results sh -c '\
		export $(SAN_ENV); \
		sh tests/ipcgen/diag.sh $(IPCGEN_ASAN) && \
		sh tests/ipcgen/golden.sh $(IPCGEN_ASAN) && \
		sh tests/ipcgen/cli.sh $(IPCGEN_ASAN) && \
		sh tests/ipcgen/compat.sh $(IPCGEN_ASAN)'
