# tests/protocols: realistic protocols in language 2, each end to end over
# the POSIX port (a generated server in a child process, the generated
# client).  Fragment of Makefile.in.
#
#   check-protocols-vfs     vfs.ipc: a POSIX-like file system, nodes and files
#   check-protocols-blk     blk.ipc: a block device, batches and trim
#   check-protocols-watch   watch.ipc: a directory-change watcher

PROTO_NAMES = vfs blk watch
PROTO_TESTS = $(PROTO_NAMES:%=check-protocols-%)
CHECK_TARGETS += $(PROTO_TESTS)
check-protocols: $(PROTO_TESTS)

PROTO_GEN = $(B)/protocols
# ipcgen rewrites only the outputs whose content changed: a stamp records the run.
$(PROTO_GEN)/%/stamp: $(IPCGEN) tests/protocols/%.ipc
	@mkdir -p $(@D)
	$(IPCGEN) -o $(@D) tests/protocols/$*.ipc
	@touch $@
$(PROTO_GEN)/check_%: tests/protocols/check_%.c tests/protocols/harness.h $(PROTO_GEN)/%/stamp $(B)/runtime/san/libmercury.a
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iruntime/include -Itests/protocols -I$(PROTO_GEN)/$* $(CHECK_CFLAGS) -o $@ $< \
		$(PROTO_GEN)/$*/$*_client.c $(PROTO_GEN)/$*/$*_server.c \
		$(B)/runtime/san/libmercury.a $(CHECK_LIBS) -pthread
# A static pattern: make looks for no implicit rule for a .PHONY target.
$(PROTO_TESTS): check-protocols-%: $(PROTO_GEN)/check_%
	@sh tests/run-test protocols-$* $(B)/results env $(SAN_ENV) $(PROTO_GEN)/check_$*
# Made through patterns, yet no intermediate files: keep them between runs.
.PRECIOUS: $(PROTO_GEN)/%/stamp $(PROTO_GEN)/check_%
