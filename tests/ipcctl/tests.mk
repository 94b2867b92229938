# tests/ipcctl: ipcctl against a real generated server.  Fragment of
# Makefile.in, included by ipcctl/ipcctl.mk.
#
#   check-ipcctl        tests/ipcctl/ipcctl.sh: every method of ctltest.ipc through
#                       ipcctl (text and JSON), declared errors, bad arguments,
#                       unknown names, capabilities, list with matching and
#                       mismatching fingerprints, services that are gone;
#                       (tests/ipcctl/lang.sh) language 2's values of ctllang.ipc,
#                       (tests/ipcctl/olist.sh) its lists out of line both ways; and
#                       (tests/ipcctl/multi.sh) an interface with several parents
#   check-ipcctl-asan   the same with ipcctl under ASan/UBSan

IPCCTL_GEN = $(B)/ipcctl/gen
IPCCTL_SERVER = $(B)/ipcctl/ctltest-server
IPCCTL_LANG_SERVER = $(B)/ipcctl/ctllang-server
IPCCTL_MULTI_SERVER = $(B)/ipcctl/ctlmulti-server

# ipcgen rewrites only the outputs whose content changed: a stamp records the run.
$(IPCCTL_GEN)/stamp: $(IPCGEN) tests/ipcctl/ctltest.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -s -o $(IPCCTL_GEN) tests/ipcctl/ctltest.ipc
	@touch $@
$(IPCCTL_SERVER): tests/ipcctl/server.c $(IPCCTL_GEN)/stamp $(RT_LIB)
	$(CC) $(HOST_CFLAGS) -Iruntime/include -I$(IPCCTL_GEN) -o $@ $< \
		$(IPCCTL_GEN)/ctltest_server.c $(RT_LIB) $(RT_LIBS)
$(IPCCTL_GEN)/lang-stamp: $(IPCGEN) tests/ipcctl/ctllang.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -s -o $(IPCCTL_GEN) tests/ipcctl/ctllang.ipc
	@touch $@
$(IPCCTL_LANG_SERVER): tests/ipcctl/lang_server.c $(IPCCTL_GEN)/lang-stamp $(RT_LIB)
	$(CC) $(HOST_CFLAGS) -Iruntime/include -I$(IPCCTL_GEN) -o $@ $< \
		$(IPCCTL_GEN)/ctllang_server.c $(RT_LIB) $(RT_LIBS)

$(IPCCTL_GEN)/multi-stamp: $(IPCGEN) tests/ipcgen/ok/multi.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -s -o $(IPCCTL_GEN) tests/ipcgen/ok/multi.ipc
	@touch $@
$(IPCCTL_MULTI_SERVER): tests/ipcctl/multi_server.c $(IPCCTL_GEN)/multi-stamp $(RT_LIB)
	$(CC) $(HOST_CFLAGS) -Iruntime/include -I$(IPCCTL_GEN) -o $@ $< \
		$(IPCCTL_GEN)/multi_server.c $(RT_LIB) $(RT_LIBS)

IPCCTL_TESTS = check-ipcctl check-ipcctl-asan
CHECK_TARGETS += $(IPCCTL_TESTS)

check-ipcctl: $(IPCCTL) $(IPCCTL_SERVER) $(IPCCTL_LANG_SERVER) $(IPCCTL_MULTI_SERVER)
	@sh tests/run-test ipcctl $(B)/results sh tests/ipcctl/ipcctl.sh $(IPCCTL) \
		$(IPCCTL_SERVER) $(IPCCTL_GEN) $(B)/ipcctl/work $(IPCCTL_LANG_SERVER) $(IPCCTL_MULTI_SERVER)
check-ipcctl-asan: $(IPCCTL_ASAN) $(IPCCTL_SERVER) $(IPCCTL_LANG_SERVER) $(IPCCTL_MULTI_SERVER)
	@sh tests/run-test ipcctl-asan $(B)/results env $(SAN_ENV) sh tests/ipcctl/ipcctl.sh \
		$(IPCCTL_ASAN) $(IPCCTL_SERVER) $(IPCCTL_GEN) $(B)/ipcctl/work-asan $(IPCCTL_LANG_SERVER) \
		$(IPCCTL_MULTI_SERVER)
