# runtime/helios.mk: fragment of Makefile.in (included after kernel/kernel.mk).
# The Mercury runtime on the bundled kernel (runtime/port/helios), sysinit
# (runtime/sysinit), the example OS (examples/serial, see examples/examples.mk)
# and their QEMU tests (tests/mercury).  Outputs under $(HB).
#
#   $(HB)/gen/            stubs generated from protocols/ (never committed)
#   $(HB)/libmercury.a    the port and the stubs, for freestanding programs
#   $(HB)/sysinit.elf     the root task
#   $(HB)/initramfs.tar   /sbin/usrinit, /sbin/drv/serial, test drivers
#
# Programs are freestanding code built with the host compiler, like the
# kernel's test tasks: no red zone, no SSE, no PIC, static, one linker
# script.  Each function in a section of its own, and the linker keeps only
# those reached from the entry point: a program that calls one function of
# a protocol's stubs does not carry the others (the loader copies every
# byte of an image, at boot).

HB = $(B)/helios
HGEN = $(HB)/gen
HGCC_INC := $(shell $(CC) -print-file-name=include)
HUSER_CFLAGS = -std=c11 $(WARN) -O2 -g -ffreestanding -nostdinc -isystem $(HGCC_INC) \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -fno-builtin \
	-ffunction-sections -fdata-sections -Iruntime/include -Ikernel/include -I$(HGEN)
HLDFLAGS = -nostdlib -static -no-pie -Wl,-z,max-page-size=4096 -Wl,--build-id=none \
	-Wl,--gc-sections -Wl,-z,noexecstack -Wl,-T,runtime/port/helios/user.ld

# Stubs: every system protocol, and sysinit's private one.
HPROTOS = errors io dev sys fs
HGEN_STAMP = $(HGEN)/stamp
$(HGEN_STAMP): $(HPROTOS:%=protocols/%.ipc) runtime/sysinit/sysinit.ipc $(IPCGEN)
	@mkdir -p $(HGEN)
	$(IPCGEN) -I protocols -o $(HGEN) $(HPROTOS:%=protocols/%.ipc) runtime/sysinit/sysinit.ipc
	@touch $@
HSTUB_NAMES = $(HPROTOS) sysinit
HSTUB_OBJS = $(foreach p,$(HSTUB_NAMES),$(HB)/obj/gen/$(p)_client.o $(HB)/obj/gen/$(p)_server.o)
# Named (not a pattern), so that make never deletes them as intermediates.
HGEN_FILES = $(foreach p,$(HSTUB_NAMES),$(HGEN)/$(p).h $(HGEN)/$(p)_client.c $(HGEN)/$(p)_server.c)
$(HGEN_FILES): $(HGEN_STAMP)
	@test -f $@ || { rm -f $(HGEN_STAMP); echo "$@ is missing: run make again" >&2; exit 1; }

HPORT_SRC = runtime/port/helios/transport.c runtime/port/helios/start.c \
	runtime/port/helios/mem.c runtime/port/helios/log.c runtime/port/helios/file.c \
	runtime/port/helios/async.c
HPORT_OBJS = $(HB)/obj/port/crt0.o $(HPORT_SRC:runtime/port/helios/%.c=$(HB)/obj/port/%.o)
HPORT_HDR = runtime/include/mercury/ipc.h runtime/include/mercury/helios.h kernel/include/abi/helios.h

$(HB)/obj/port/%.o: runtime/port/helios/%.c $(HPORT_HDR) $(HGEN_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<
$(HB)/obj/port/crt0.o: runtime/port/helios/crt0.S
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<
$(HB)/obj/gen/%.o: $(HGEN)/%.c $(HGEN_STAMP) $(HPORT_HDR)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<

HLIB = $(HB)/libmercury.a
$(HLIB): $(HPORT_OBJS) $(HSTUB_OBJS)
	rm -f $@ && ar rcs $@ $(filter-out %/crt0.o,$^)

# HLINK(output, objects): a program.
HLINK = $(CC) $(HLDFLAGS) -o $(1) $(HB)/obj/port/crt0.o $(2) $(HLIB)

# Objects of any program under runtime/, examples/ or tests/mercury/.
$(HB)/obj/%.o: %.c $(HPORT_HDR) $(HGEN_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -c -o $@ $<

# The manifest check on the host: the loader's own parser.
MFCHECK = $(HB)/mfcheck
$(MFCHECK): runtime/sysinit/mfcheck.c runtime/sysinit/manifest.c runtime/sysinit/manifest.h \
	runtime/sysinit/elf64.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(LDFLAGS) -o $@ runtime/sysinit/mfcheck.c runtime/sysinit/manifest.c

# HDRIVER(output, objects, manifest[, mfcheck flags]): a driver: linked, its
# manifest checked (-P: its syntax only, for a driver the loader is to
# refuse), then added as the .manifest section (not loaded).
define HDRIVER
	@mkdir -p $(dir $(1))
	$(MFCHECK) $(4) $(3)
	$(call HLINK,$(1).tmp,$(2))
	objcopy --add-section .manifest=$(3) --set-section-flags .manifest=noload,readonly $(1).tmp $(1)
	@rm -f $(1).tmp
endef

# HMANIFEST_HEADER(dir/name): $(HGEN)/name.manifest.h, the macros of the
# slots dir/name.manifest names (mfcheck -o), for the driver dir/name.c,
# whose object waits for it.
define HMANIFEST_HEADER
$$(HGEN)/$(notdir $(1)).manifest.h: $(1).manifest $$(MFCHECK)
	@mkdir -p $$(@D)
	$$(MFCHECK) -o $$@ $(1).manifest
$$(HB)/obj/$(1).o: $$(HGEN)/$(notdir $(1)).manifest.h
endef

# sysinit: the root task.
SYSINIT_SRC = runtime/sysinit/sysinit.c runtime/sysinit/bfs.c runtime/sysinit/loader.c \
	runtime/sysinit/manifest.c
SYSINIT_OBJS = $(SYSINIT_SRC:%.c=$(HB)/obj/%.o)
$(SYSINIT_OBJS): runtime/sysinit/init.h runtime/sysinit/manifest.h runtime/sysinit/elf64.h
$(HB)/sysinit.elf: $(SYSINIT_OBJS) $(HLIB) runtime/port/helios/user.ld
	$(call HLINK,$@,$(SYSINIT_OBJS))
ALL_TARGETS += $(HB)/sysinit.elf $(MFCHECK)

# Tests ------------------------------------------------------------------

HQEMU_TEST = sh kernel/tests/qemu-test "$(QEMU)" $(KB)/kernel.bin

$(HB)/test/roundtrip.elf: $(HB)/obj/tests/mercury/roundtrip.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$<)

# Out-of-line values on the kernel port: the stubs of tests/ipcgen/ok/ool.ipc.
HOOL_GEN = $(HB)/gen-ool
$(HOOL_GEN)/stamp: tests/ipcgen/ok/ool.ipc $(IPCGEN)
	@mkdir -p $(@D)
	$(IPCGEN) -o $(HOOL_GEN) tests/ipcgen/ok/ool.ipc
	@touch $@
$(HOOL_GEN)/ool.h $(HOOL_GEN)/ool_client.c $(HOOL_GEN)/ool_server.c: $(HOOL_GEN)/stamp
	@test -f $@ || { rm -f $(HOOL_GEN)/stamp; echo "$@ is missing: run make again" >&2; exit 1; }
HOOL_OBJS = $(HB)/obj/tests/mercury/ool.o $(HB)/obj/gen-ool/ool_client.o $(HB)/obj/gen-ool/ool_server.o
$(HB)/obj/gen-ool/%.o: $(HOOL_GEN)/%.c $(HPORT_HDR)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -I$(HOOL_GEN) -c -o $@ $<
$(HB)/obj/tests/mercury/ool.o: tests/mercury/ool.c tests/ipcgen/ool_store.h $(HOOL_GEN)/ool.h $(HPORT_HDR)
	@mkdir -p $(@D)
	$(CC) $(HUSER_CFLAGS) -I$(HOOL_GEN) -Itests/ipcgen -c -o $@ $<
$(HB)/test/ool.elf: $(HOOL_OBJS) $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$(HOOL_OBJS))

# Asynchronous calls on the kernel port (call threads), booted as the root task.
$(HB)/test/async.elf: $(HB)/obj/tests/mercury/async.o $(HLIB) runtime/port/helios/user.ld
	@mkdir -p $(@D)
	$(call HLINK,$@,$<)

# The host side of the boot tests of the example OS: COM1 on a socket.
$(HB)/serial_test: tests/mercury/serial_test.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(LDFLAGS) -o $@ $<
HSERIAL_TEST = $(HB)/serial_test

ALL_TARGETS += $(HLIB) $(HB)/test/roundtrip.elf $(HB)/test/async.elf $(HB)/test/ool.elf $(HB)/serial_test
HELIOS_CHECKS = check-mercury-roundtrip check-mercury-async check-mercury-ool check-mercury-manifest
CHECK_TARGETS += $(HELIOS_CHECKS)

# Two tasks, generated stubs between them, over the kernel's IPC.
check-mercury-roundtrip: $(KB)/kernel.bin $(HB)/test/roundtrip.elf
	@sh tests/run-test mercury-roundtrip $(B)/results $(HQEMU_TEST) -m $(HB)/test/roundtrip.elf \
		-e 'roundtrip: [0-9]+ checks, 0 failed' -e 'root task exited \(0\)'

# Calls outstanding, out of order, by callback, past a deadline, cancelled.
check-mercury-async: $(KB)/kernel.bin $(HB)/test/async.elf
	@sh tests/run-test mercury-async $(B)/results $(HQEMU_TEST) -m $(HB)/test/async.elf \
		-e 'async: [0-9]+ checks, 0 failed' -e 'root task exited \(0\)'

# Out-of-line values through the kernel's regions, and hostile ones refused.
check-mercury-ool: $(KB)/kernel.bin $(HB)/test/ool.elf
	@sh tests/run-test mercury-ool $(B)/results $(HQEMU_TEST) -t 300 -m $(HB)/test/ool.elf \
		-e 'ool: [0-9]+ checks, 0 failed' -e 'root task exited \(0\)'

# The manifest parser on the host: good and bad manifests, exact diagnostics.
check-mercury-manifest: $(MFCHECK)
	@sh tests/run-test mercury-manifest $(B)/results sh tests/mercury/manifest.sh $(MFCHECK)

# Benchmark: 1 MiB each way through generated stubs and regions.
BENCH_TARGETS += bench-ool
bench-ool: $(KB)/kernel.bin $(HB)/test/ool.elf
	@sh bench/mercury/ool "$(QEMU)" $(KB)/kernel.bin $(HB)/test/ool.elf

# Benchmarks: the example OS's boot against a minimal multiboot kernel.
$(HB)/floor.elf: bench/boot/floor.S bench/boot/floor.ld
	@mkdir -p $(@D)
	$(CC) -m32 -c -o $(HB)/floor.o bench/boot/floor.S
	$(LD) -m elf_i386 -T bench/boot/floor.ld -o $@ $(HB)/floor.o
BENCH_TARGETS += bench-boot
bench-boot: $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/initramfs.tar $(HSERIAL_TEST) $(HB)/floor.elf \
		$(HB)/test/roundtrip.elf
	@sh bench/boot/run "$(QEMU)" $(KB)/kernel.bin $(HB)/strip/sysinit.elf $(HB)/initramfs.tar \
		$(HSERIAL_TEST) $(HB)/floor.elf $(HB)/test/roundtrip.elf

