# runtime: the Mercury transport (runtime/include/mercury/ipc.h) and its POSIX
# port (runtime/port/posix), built as libmercury, static and shared, with a
# pkg-config file; the port's tests; `make check-runtime` runs them all.

RT_SRCS = runtime/port/posix/transport.c runtime/port/posix/endpoint.c \
	runtime/port/posix/page.c runtime/port/posix/async.c runtime/port/posix/ool.c
RT_HDRS = runtime/include/mercury/ipc.h runtime/include/mercury/posix.h
RT_DEPS = $(RT_HDRS) runtime/port/posix/port.h
RT_SOVERSION = 1
RT_VERSION = 0.1.0
RT_CFLAGS = $(HOST_CFLAGS) -Iruntime/include -fPIC -pthread
RT_LIB = $(B)/runtime/libmercury.a
RT_SO = $(B)/runtime/libmercury.so.$(RT_SOVERSION)
RT_SAN_LIB = $(B)/runtime/san/libmercury.a
RT_TSAN_LIB = $(B)/runtime/tsan/libmercury.a
TSAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
RT_PC = $(B)/runtime/mercury.pc
RT_LIBS = -pthread

ALL_TARGETS += $(RT_LIB) $(RT_SO) $(RT_PC)

$(B)/runtime/obj/%.o: runtime/port/posix/%.c $(RT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(RT_CFLAGS) -c -o $@ $<

$(B)/runtime/san/%.o: runtime/port/posix/%.c $(RT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(RT_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(B)/runtime/tsan/%.o: runtime/port/posix/%.c $(RT_DEPS)
	@mkdir -p $(@D)
	$(CC) $(RT_CFLAGS) $(TSAN_FLAGS) -c -o $@ $<

RT_OBJS = $(RT_SRCS:runtime/port/posix/%.c=$(B)/runtime/obj/%.o)
RT_TSAN_OBJS = $(RT_SRCS:runtime/port/posix/%.c=$(B)/runtime/tsan/%.o)
RT_SAN_OBJS = $(RT_SRCS:runtime/port/posix/%.c=$(B)/runtime/san/%.o)

$(RT_LIB): $(RT_OBJS)
	rm -f $@ && ar rcs $@ $(RT_OBJS)

$(RT_SAN_LIB): $(RT_SAN_OBJS)
	rm -f $@ && ar rcs $@ $(RT_SAN_OBJS)

$(RT_TSAN_LIB): $(RT_TSAN_OBJS)
	rm -f $@ && ar rcs $@ $(RT_TSAN_OBJS)

$(RT_SO): $(RT_OBJS) runtime/port/posix/libmercury.map
	$(CC) -shared -Wl,-soname,libmercury.so.$(RT_SOVERSION) \
		-Wl,--version-script=runtime/port/posix/libmercury.map \
		$(LDFLAGS) -o $@ $(RT_OBJS) $(RT_LIBS)
	ln -sf libmercury.so.$(RT_SOVERSION) $(B)/runtime/libmercury.so

# mercury.pc for PREFIX, LIBDIR and INCDIR as given (to make or to make install).
RT_PC_TEXT = 'prefix=$(PREFIX)' 'includedir=$(INCDIR)' 'libdir=$(LIBDIR)' '' \
	'Name: mercury' \
	'Description: Mercury IPC transport (POSIX port) for ipcgen stubs' \
	'Version: $(RT_VERSION)' \
	'Cflags: -I$${includedir}' \
	'Libs: -L$${libdir} -lmercury' \
	'Libs.private: $(RT_LIBS)'
$(RT_PC): runtime/runtime.mk config.mk
	@mkdir -p $(@D)
	printf '%s\n' $(RT_PC_TEXT) >$@

# Tests -----------------------------------------------------------------

RT_CHECK_CFLAGS = $(HOST_CFLAGS) -Iruntime/include $(CHECK_CFLAGS) -pthread

$(B)/runtime/check_posix: tests/runtime/check_posix.c $(RT_LIB) $(RT_HDRS)
	$(CC) $(RT_CHECK_CFLAGS) -o $@ $< $(RT_LIB) $(CHECK_LIBS) $(RT_LIBS)

$(B)/runtime/check_posix-san: tests/runtime/check_posix.c $(RT_SAN_LIB) $(RT_HDRS)
	$(CC) $(RT_CHECK_CFLAGS) $(SAN_FLAGS) -o $@ $< $(RT_SAN_LIB) $(CHECK_LIBS) $(RT_LIBS)

# Threads: one endpoint served from several threads, many client threads;
# under ThreadSanitizer too, which fails on any data race.
$(B)/runtime/check_threads: tests/runtime/check_threads.c $(RT_LIB) $(RT_HDRS)
	$(CC) $(RT_CHECK_CFLAGS) -o $@ $< $(RT_LIB) $(CHECK_LIBS) $(RT_LIBS)

$(B)/runtime/check_threads-tsan: tests/runtime/check_threads.c $(RT_TSAN_LIB) $(RT_HDRS)
	$(CC) $(RT_CHECK_CFLAGS) $(TSAN_FLAGS) -o $@ $< $(RT_TSAN_LIB) $(CHECK_LIBS) $(RT_LIBS)

# End to end: stubs generated from protocols/ into $(B) (never committed).
RT_GEN = $(B)/runtime/gen
RT_IPC = $(sort $(wildcard protocols/*.ipc))
RT_PROTOS = $(basename $(notdir $(RT_IPC)))
RT_GEN_HDRS = $(RT_PROTOS:%=$(RT_GEN)/%.h)
RT_GEN_SRCS = $(foreach p,$(RT_PROTOS),$(RT_GEN)/$(p)_client.c $(RT_GEN)/$(p)_server.c)
# What the tests link: the protocols they use, not every one there is.
RT_E2E_SRCS = $(foreach p,errors io dev sys,$(RT_GEN)/$(p)_client.c $(RT_GEN)/$(p)_server.c)
RT_BENCH_SRCS = $(foreach p,errors io,$(RT_GEN)/$(p)_client.c $(RT_GEN)/$(p)_server.c)

# Protocols use one another: all are regenerated when any changes (ipcgen
# leaves an unchanged file alone, so a stamp records the run).
$(RT_GEN)/stamp: $(RT_IPC) $(IPCGEN)
	@mkdir -p $(@D)
	$(IPCGEN) -I protocols -o $(RT_GEN) $(RT_IPC)
	@touch $@
$(RT_GEN_HDRS) $(RT_GEN_SRCS): $(RT_GEN)/stamp

$(B)/runtime/check_e2e: tests/runtime/check_e2e.c $(RT_GEN_HDRS) $(RT_E2E_SRCS) $(RT_LIB)
	$(CC) $(RT_CHECK_CFLAGS) -I$(RT_GEN) -o $@ $< $(RT_E2E_SRCS) $(RT_LIB) $(CHECK_LIBS) $(RT_LIBS)

$(B)/runtime/check_e2e-san: tests/runtime/check_e2e.c $(RT_GEN_HDRS) $(RT_E2E_SRCS) $(RT_SAN_LIB)
	$(CC) $(RT_CHECK_CFLAGS) $(SAN_FLAGS) -I$(RT_GEN) -o $@ $< $(RT_E2E_SRCS) $(RT_SAN_LIB) $(CHECK_LIBS) $(RT_LIBS)

RT_CHECKS = check-runtime-headers check-runtime-posix check-runtime-posix-san \
	check-runtime-threads check-runtime-threads-tsan \
	check-runtime-e2e check-runtime-e2e-san check-runtime-example check-runtime-man
CHECK_TARGETS += $(RT_CHECKS)

check-runtime-headers: $(RT_HDRS)
	@mkdir -p $(B)/runtime
	@sh tests/run-test runtime-headers $(B)/results sh tests/runtime/check-headers \
		$(B)/runtime/hdr $(CC) "$(CLANG)" "$(CXX)" $(RT_HDRS)

check-runtime-posix: $(B)/runtime/check_posix
	@sh tests/run-test runtime-posix $(B)/results $(B)/runtime/check_posix

check-runtime-posix-san: $(B)/runtime/check_posix-san
	@sh tests/run-test runtime-posix-san $(B)/results $(B)/runtime/check_posix-san

check-runtime-threads: $(B)/runtime/check_threads
	@sh tests/run-test runtime-threads $(B)/results $(B)/runtime/check_threads

# halt_on_error: a race fails the test, whatever the test itself says.
check-runtime-threads-tsan: $(B)/runtime/check_threads-tsan
	@sh tests/run-test runtime-threads-tsan $(B)/results env \
		TSAN_OPTIONS="halt_on_error=1 exitcode=66 $(TSAN_OPTIONS)" $(B)/runtime/check_threads-tsan

check-runtime-e2e: $(B)/runtime/check_e2e
	@sh tests/run-test runtime-e2e $(B)/results $(B)/runtime/check_e2e

check-runtime-e2e-san: $(B)/runtime/check_e2e-san
	@sh tests/run-test runtime-e2e-san $(B)/results $(B)/runtime/check_e2e-san

# The example, built with its own Makefile against a staged install.
check-runtime-example: $(RT_LIB) $(RT_SO) $(RT_PC) $(IPCGEN)
	@sh tests/run-test runtime-example $(B)/results sh tests/runtime/example.sh \
		"$(MAKE) -f $(firstword $(MAKEFILE_LIST))" $(B) $(IPCGEN)

# The runtime's man pages (check-man lints every page; this keeps
# check-runtime whole on its own).
RT_MAN = man/mercury_ipc.3 man/mercury_posix.3
check-runtime-man: $(RT_MAN)
	@sh tests/run-test runtime-man $(B)/results sh -c '[ -n "$(MANDOC)" ] || { echo "mandoc not found"; exit 1; }; $(MANDOC) -Tlint -W warning $(RT_MAN)'

# The aggregate: every runtime test, with a closing summary line.
check-runtime:
	@rm -rf $(B)/results && mkdir -p $(B)/results
	@echo $(subst check-runtime-,runtime-,$(RT_CHECKS)) >$(B)/results/expected
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory -k $(RT_CHECKS) || true
	@sh tests/summary $(B)/results

# Install ---------------------------------------------------------------

INSTALL_TARGETS += install-runtime
install-runtime: $(RT_LIB) $(RT_SO) $(RT_PC)
	mkdir -p $(DESTDIR)$(INCDIR)/mercury $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 $(RT_HDRS) $(DESTDIR)$(INCDIR)/mercury/
	install -m 644 $(RT_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(RT_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libmercury.so.$(RT_SOVERSION) $(DESTDIR)$(LIBDIR)/libmercury.so
	printf '%s\n' $(RT_PC_TEXT) >$(DESTDIR)$(LIBDIR)/pkgconfig/mercury.pc

.PHONY: check-runtime install-runtime

# Benchmarks --------------------------------------------------------------

# bench-posix: generated calls (scalars; a 12-field struct result) against a
# raw SOCK_SEQPACKET ping-pong of the same bytes, and 64 KiB page reads
# against a socket copy, on one core and across two.
RT_BENCH_GEN = $(B)/bench/posix/gen
BENCH_TARGETS += bench-posix

$(RT_BENCH_GEN)/stamp: bench/posix/bench.ipc $(IPCGEN)
	@mkdir -p $(@D)
	$(IPCGEN) -o $(RT_BENCH_GEN) bench/posix/bench.ipc
	@touch $@
$(RT_BENCH_GEN)/bench.h $(RT_BENCH_GEN)/bench_client.c $(RT_BENCH_GEN)/bench_server.c: $(RT_BENCH_GEN)/stamp

$(B)/bench/posix/bench_posix: bench/posix/bench_posix.c $(RT_BENCH_GEN)/bench.h \
		$(RT_BENCH_GEN)/bench_client.c $(RT_BENCH_GEN)/bench_server.c $(RT_GEN_HDRS) $(RT_BENCH_SRCS) $(RT_LIB)
	$(CC) $(HOST_CFLAGS) -Iruntime/include -I$(RT_BENCH_GEN) -I$(RT_GEN) -o $@ $< \
		$(RT_BENCH_GEN)/bench_client.c $(RT_BENCH_GEN)/bench_server.c $(RT_BENCH_SRCS) $(RT_LIB) $(RT_LIBS)

bench-posix: $(B)/bench/posix/bench_posix
	@$(B)/bench/posix/bench_posix
