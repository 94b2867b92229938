# kernel: fragment of Makefile.in.  The x86_64 microkernel (kernel/src), its
# test tasks (kernel/tests/user), its host unit tests (kernel/tests/host) and
# its benchmarks (bench/kernel).  Outputs under $(B)/kernel.
#
#   $(KB)/kernel.elf   the kernel, ELF64, linked at KERNEL_VBASE (for gdb)
#   $(KB)/kernel.bin   the same as a flat Multiboot 1 image: what QEMU -kernel boots
#   $(KB)/user/*.elf   test and benchmark tasks, booted as the root task (module 0)
#
# The kernel and its tasks are freestanding code built with the host's own
# compiler: no red zone (interrupts land on the kernel stack), no SSE (the
# kernel saves no FPU state; tasks are built the same way), no PIC.

KB = $(B)/kernel
KOBJCOPY = objcopy
KERNEL_CFLAGS = -std=c11 $(WARN) -O2 -g -ffreestanding -nostdinc -fno-pic -fno-pie \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -Ikernel/include
KUSER_CFLAGS = -std=c11 $(WARN) -O2 -g -ffreestanding -nostdinc -fno-pic -fno-pie \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -Ikernel/include -Ikernel/tests/user
KLDFLAGS = -nostdlib -static -no-pie -Wl,-z,max-page-size=4096 -Wl,--build-id=none -Wl,-z,noexecstack

KERNEL_C = $(sort $(wildcard kernel/src/*/*.c))
KERNEL_S = $(sort $(wildcard kernel/src/*/*.S))
KERNEL_OBJ = $(KERNEL_C:kernel/src/%.c=$(KB)/obj/%.o) $(KERNEL_S:kernel/src/%.S=$(KB)/obj/%.o)
KERNEL_HDR = $(wildcard kernel/include/*/*.h)

$(KB)/obj/%.o: kernel/src/%.c $(KERNEL_HDR)
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(KB)/obj/%.o: kernel/src/%.S
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(KB)/kernel.elf: $(KERNEL_OBJ) kernel/kernel.ld
	$(CC) $(KLDFLAGS) -Wl,--no-warn-rwx-segments -Wl,-T,kernel/kernel.ld -o $@ $(KERNEL_OBJ)

$(KB)/kernel.bin: $(KB)/kernel.elf
	$(KOBJCOPY) -O binary $< $@

# The same kernel with latency accounting (kern/arch.h: KERNEL_LATENCY),
# for the benchmarks only.
KLAT_OBJ = $(KERNEL_C:kernel/src/%.c=$(KB)/lat/obj/%.o) $(KERNEL_S:kernel/src/%.S=$(KB)/lat/obj/%.o)
$(KB)/lat/obj/%.o: kernel/src/%.c $(KERNEL_HDR)
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -DKERNEL_LATENCY -c -o $@ $<
$(KB)/lat/obj/%.o: kernel/src/%.S
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -DKERNEL_LATENCY -c -o $@ $<
$(KB)/kernel-lat.elf: $(KLAT_OBJ) kernel/kernel.ld
	$(CC) $(KLDFLAGS) -Wl,--no-warn-rwx-segments -Wl,-T,kernel/kernel.ld -o $@ $(KLAT_OBJ)
$(KB)/kernel-lat.bin: $(KB)/kernel-lat.elf
	$(KOBJCOPY) -O binary $< $@

# Test tasks: each kernel/tests/user/ktest_*.c (and bench/kernel/kbench.c)
# with the small user library, which reuses the kernel's pure lib/ code.
KUSER_LIB_SRC = kernel/tests/user/crt0.S kernel/tests/user/ulib.c \
	kernel/src/lib/log.c kernel/src/lib/string.c kernel/src/lib/elf.c
KUSER_LIB = $(KB)/user/obj/crt0.o $(KB)/user/obj/ulib.o $(KB)/user/obj/log.o \
	$(KB)/user/obj/string.o $(KB)/user/obj/elf.o
KUSER_HDR = $(KERNEL_HDR) kernel/tests/user/ulib.h
KTESTS = $(patsubst kernel/tests/user/ktest_%.c,%,$(wildcard kernel/tests/user/ktest_*.c))

$(KB)/user/obj/%.o: kernel/tests/user/%.c $(KUSER_HDR)
	@mkdir -p $(@D)
	$(CC) $(KUSER_CFLAGS) -c -o $@ $<
$(KB)/user/obj/%.o: kernel/tests/user/%.S
	@mkdir -p $(@D)
	$(CC) $(KUSER_CFLAGS) -c -o $@ $<
$(KB)/user/obj/%.o: kernel/src/lib/%.c $(KUSER_HDR)
	@mkdir -p $(@D)
	$(CC) $(KUSER_CFLAGS) -c -o $@ $<
$(KB)/user/obj/%.o: bench/kernel/%.c $(KUSER_HDR)
	@mkdir -p $(@D)
	$(CC) $(KUSER_CFLAGS) -c -o $@ $<

$(KB)/user/ktest_%.elf: $(KB)/user/obj/ktest_%.o $(KUSER_LIB) kernel/tests/user/user.ld
	$(CC) $(KLDFLAGS) -Wl,-T,kernel/tests/user/user.ld -o $@ $< $(KUSER_LIB)
$(KB)/user/kbench.elf: $(KB)/user/obj/kbench.o $(KUSER_LIB) kernel/tests/user/user.ld
	$(CC) $(KLDFLAGS) -Wl,-T,kernel/tests/user/user.ld -o $@ $< $(KUSER_LIB)

KERNEL_IMAGES = $(KB)/kernel.bin $(KTESTS:%=$(KB)/user/ktest_%.elf)
ALL_TARGETS += $(KERNEL_IMAGES)

# Boot tests: tests/run-test NAME ... kernel/tests/qemu-test QEMU KERNEL [options].
KQEMU_TEST = sh kernel/tests/qemu-test "$(QEMU)" $(KB)/kernel.bin
KTEST_ARGS_irq = -S 'irq: hello COM1 from user mode'
# ktest_log: a child's forged lines arrive under its log's name, never bare.
KTEST_ARGS_log = -e '^ktest log: the root'"'"'s own line$$' -e '^\[drv\] kernel panic: forged by drv$$' \
	-e '^\[drv\] ktest log: 99 checks, 0 failed\?\?\[2Kgone$$' -e '^\[drv\] \[sysinit\] a line of another$$' \
	-e '^\[drv\] $$' -e '^\[drv\] tail without a newline$$' -e '^\[0123456789abcdef\] sixteen$$' \
	-x '^kernel panic: forged' -x '^ktest log: 99' -x '^\[sysinit\]' -x 'through (an endpoint|nothing|no log)'
# The storm: a fresh seed for every make (STORM_SEED=N replays one), and
# QEMU's -icount, under which the run is deterministic and rdtsc is guest
# time, against which the storm checks that the clock lost no tick.
STORM_SEED := $(shell (od -An -N4 -tu4 /dev/urandom || date +%s) 2>/dev/null | tr -d ' ')
KTEST_ARGS_storm = -a 'storm-seed=$(STORM_SEED) storm-clock=icount' -q '-icount shift=5,sleep=off' \
	-t 300 -e '^storm: seed $(STORM_SEED)$$' \
	-f 'storm: seed $(STORM_SEED) failed; replay: make check-kernel-storm STORM_SEED=$(STORM_SEED)'
# ktest_basic also gets a second boot module, a tar archive like sysinit's initramfs.
KTEST_DEPS_basic = $(KB)/test-initramfs.tar
KTEST_ARGS_basic = -m $(KB)/test-initramfs.tar

$(KB)/test-initramfs.tar: kernel/tests/initramfs/hello.txt
	@mkdir -p $(@D)
	tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime=@0 -cf $@ -C kernel/tests/initramfs hello.txt

KERNEL_CHECKS = check-kernel-boot check-kernel-exception check-kernel-host check-kernel-abi \
	check-kernel-clang check-kernel-cpumax
$(foreach t,$(KTESTS),$(eval KERNEL_CHECKS += check-kernel-$(t)))
CHECK_TARGETS += $(KERNEL_CHECKS)

# No root task: the kernel boots, tests its frame allocator and stops.
check-kernel-boot: $(KB)/kernel.bin
	@sh tests/run-test kernel-boot $(B)/results $(KQEMU_TEST) -a "selftest=frames expect-empty" \
		-e '^mem: [0-9]+ MiB of RAM' -e '^selftest: frames ok' -e 'no root task module'

# An exception in the kernel is reported, with registers, and stops QEMU;
# so is a write into the unmapped page below the kernel stack.
check-kernel-exception: $(KB)/kernel.bin
	@sh tests/run-test kernel-exception $(B)/results sh -c '$(KQEMU_TEST) -a "selftest=ud" -s 37 \
		-e "invalid opcode \(vector 6\) in kernel mode" -e "^  rip ffffffff8" -e "^kernel panic" && \
		$(KQEMU_TEST) -a "selftest=stack" -s 37 -e "page fault \(vector 14\) in kernel mode" -e "^kernel panic"'

# Each test task boots as the root task and ends QEMU with pass or fail.
# (Explicit rules: make skips pattern rules for phony targets.)
define KTEST_RULE
check-kernel-$(1): $$(KB)/kernel.bin $$(KB)/user/ktest_$(1).elf $$(KTEST_DEPS_$(1))
	@sh tests/run-test kernel-$(1) $$(B)/results $$(KQEMU_TEST) -m $$(KB)/user/ktest_$(1).elf \
		-e '^ktest $(1): [0-9]+ checks, 0 failed' $$(KTEST_ARGS_$(1))
endef
$(foreach t,$(KTESTS),$(eval $(call KTEST_RULE,$(t))))

# Host unit tests (Check): the frame allocator, objects and cspaces, ELF loading.
KHOST_SRC = kernel/tests/host/check_kernel.c kernel/src/mm/frame.c kernel/src/mm/object.c kernel/src/mm/region.c \
	kernel/src/cap/cspace.c kernel/src/cap/range.c kernel/src/mm/rmap.c kernel/src/ipc/timer.c \
	kernel/src/lib/elf.c kernel/src/lib/log.c
$(KB)/check_kernel: $(KHOST_SRC) $(KERNEL_HDR)
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -g -DKERNEL_HOST_TEST -Ikernel/include $(SAN_FLAGS) $(CHECK_CFLAGS) \
		-o $@ $(KHOST_SRC) $(CHECK_LIBS)
check-kernel-host: $(KB)/check_kernel
	@sh tests/run-test kernel-host $(B)/results $(KB)/check_kernel

.PHONY: check-kernel

# The IPC test on QEMU's most capable CPU model, where the kernel turns on
# SMEP and SMAP (it never touches user memory: this keeps it honest).
check-kernel-cpumax: $(KB)/kernel.bin $(KB)/user/ktest_ipc.elf
	@sh tests/run-test kernel-cpumax $(B)/results $(KQEMU_TEST) -q "-cpu max" -m $(KB)/user/ktest_ipc.elf \
		-e '^cpu: .*smep smap' -e '^ktest ipc: [0-9]+ checks, 0 failed'

# The kernel and two test tasks built with clang instead, and booted.
KCLANG_B = $(KB)/clang
check-kernel-clang:
	@sh tests/run-test kernel-clang $(B)/results sh -c 'set -e; \
		[ -n "$(CLANG)" ] || { echo "clang not found: run ./tools/install-deps and ./configure"; exit 1; }; \
		$(MAKE) -s --no-print-directory B=$(KCLANG_B) CC=$(CLANG) $(KCLANG_B)/kernel/kernel.bin \
			$(KCLANG_B)/kernel/user/ktest_ipc.elf $(KCLANG_B)/kernel/user/ktest_fault.elf; \
		for t in ipc fault; do log=$(KCLANG_B)/ktest_$$t.log; \
			sh kernel/tests/qemu-test "$(QEMU)" $(KCLANG_B)/kernel/kernel.bin -m $(KCLANG_B)/kernel/user/ktest_$$t.elf \
				-e "^ktest $$t: [0-9]+ checks, 0 failed" >$$log || { cat $$log; exit 1; }; tail -n 2 $$log; done'

# The ABI header, alone and after the transport header, strictly, in C and C++.
KABI_FLAGS = -Wall -Wextra -Wpedantic -Werror -Ikernel/include -Iruntime/include
check-kernel-abi:
	@sh tests/run-test kernel-abi $(B)/results sh -c 'set -e; d=$$(mktemp -d); trap "rm -rf $$d" EXIT; \
		$(CC) -std=c11 $(KABI_FLAGS) -o $$d/a kernel/tests/host/abi_check.c; \
		$(CC) -std=c11 $(KABI_FLAGS) -o $$d/b kernel/tests/host/abi_alone.c; \
		if [ -n "$(CXX)" ]; then $(CXX) -std=c++11 -x c++ $(KABI_FLAGS) -o $$d/c kernel/tests/host/abi_check.c; fi; \
		echo "abi/helios.h: stands alone and agrees with mercury/ipc.h"; \
		sh kernel/tests/abi-doc-check kernel/include/abi/helios.h man/helios.7'

# Benchmarks: guest instructions under -icount shift=0 (rdtsc counts them),
# against Linux booted in the same QEMU when LINUX_IMAGE names a kernel.
# Without LINUX_IMAGE, make bench downloads Debian's cloud kernel into an
# uncommitted cache under $(B) (bench/kernel/fetch-linux) and uses that.
LINUX_IMAGE =
ALL_TARGETS += $(KB)/user/kbench.elf
BENCH_TARGETS += bench-kernel
$(KB)/linux-peer: bench/kernel/linux_peer.c
	@mkdir -p $(@D)
	$(CC) -static -O2 -o $@ bench/kernel/linux_peer.c
$(KB)/linux-peer.cpio: $(KB)/linux-peer bench/kernel/mkcpio
	sh bench/kernel/mkcpio $@ $(KB)/linux-peer
bench-kernel: $(KB)/kernel.bin $(KB)/kernel-lat.bin $(KB)/user/kbench.elf $(KB)/linux-peer.cpio
	@KERNEL_LAT=$(KB)/kernel-lat.bin sh bench/kernel/run "$(QEMU)" $(KB)/kernel.bin $(KB)/user/kbench.elf \
		"$(or $(LINUX_IMAGE),$(shell sh bench/kernel/fetch-linux $(B)/cache/linux))" $(KB)/linux-peer.cpio

# make install: the bootable image, and the ABI header for code built
# against the kernel elsewhere (#include <abi/helios.h>).
INSTALL_TARGETS += install-kernel
install-kernel: $(KB)/kernel.bin
	mkdir -p $(DESTDIR)$(LIBDIR)/helios $(DESTDIR)$(INCDIR)/abi
	install -m 644 $(KB)/kernel.bin $(DESTDIR)$(LIBDIR)/helios/kernel.bin
	install -m 644 kernel/include/abi/helios.h $(DESTDIR)$(INCDIR)/abi/helios.h
.PHONY: install-kernel

# Every kernel test (after all of them are defined).
check-kernel: $(KERNEL_CHECKS)
