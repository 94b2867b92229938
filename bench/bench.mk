# bench/: benchmarks behind `make bench`.  Fragment of Makefile.in.
# (bench-kernel lives in kernel/kernel.mk.)

# ipcgen speed (issue #2): ipcgen's whole process on an N interfaces x 16
# methods schema against the peers that are installed (MIG, flatc, protoc-c,
# capnp, rpcgen); installs nothing.  Then a structured schema of as many
# interfaces (structs, lists, optional values, several results) against the
# scalar one and rpcgen.  IPCGEN_BENCH_PEERS="mig flatc" limits the peers;
# see bench/ipcgen/run.sh.
IPCGEN_BENCH_N = 1000
IPCGEN_BENCH_PEERS =
BENCH_TARGETS += bench-ipcgen

$(B)/bench/ipcgen/measure: bench/ipcgen/measure.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(LDFLAGS) -o $@ $<

bench-ipcgen: $(IPCGEN) $(B)/bench/ipcgen/measure bench/ipcgen/run.sh bench/ipcgen/gen.awk
	@sh bench/ipcgen/run.sh $(IPCGEN) $(B)/bench/ipcgen/measure $(B)/bench/ipcgen/work $(IPCGEN_BENCH_N) $(IPCGEN_BENCH_PEERS)

# Timings want a quiet machine: under `make -j bench`, run after the other
# benchmarks (a QEMU instruction count does not mind our load; we mind its).
ifneq ($(filter bench,$(MAKECMDGOALS)),)
bench-ipcgen: | $(filter-out bench-ipcgen,$(BENCH_TARGETS))
endif
