#!/bin/sh
# compile.sh IPCGEN CC CLANG CXX: every protocol we have, generated and then
# compiled warning-free under gcc and clang (-std=c11 -Wall -Wextra
# -Wpedantic -Werror, and with a strict project's warnings besides), and
# every header included from C++ (g++ -Wall -Werror).
ipcgen=$1 cc=$2 clang=$3 cxx=$4
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
inc="-Iruntime/include -I$out"
pass=0 fail=0
check() {  # check NAME CMD...
	name=$1; shift
	if "$@" 2>"$out/err"; then pass=$((pass + 1)); else
		echo "not ok - $name"; cat "$out/err"; fail=$((fail + 1)); fi
}
check "generate" "$ipcgen" --fuzz -I protocols -o "$out" protocols/*.ipc tests/ipcgen/ok/*.ipc
for c in "$cc" "$clang"; do
	[ -n "$c" ] || { echo "not ok - a compiler is missing (cc='$cc' clang='$clang')"; fail=$((fail + 1)); continue; }
	for f in "$out"/*.c; do
		check "$c $(basename "$f")" $c -std=c11 -Wall -Wextra -Wpedantic -Werror $inc -c -o "$out/o.o" "$f"
	done
done
# The warnings a strict project turns on beyond -Wall -Wextra (conversions,
# shadowing, casts, prototypes), which its build may make errors too.
strict="-Wconversion -Wsign-conversion -Wshadow -Wcast-qual -Wcast-align -Wstrict-prototypes
	-Wmissing-prototypes -Wmissing-declarations -Wredundant-decls -Wundef -Wwrite-strings
	-Wdouble-promotion -Wformat=2 -Wnull-dereference -Wvla"
for c in "$cc" "$clang"; do
	[ -n "$c" ] || continue
	for f in "$out"/*.c; do
		check "$c strict warnings $(basename "$f")" $c -std=c11 -Wall -Wextra -Wpedantic $strict -Werror \
			$inc -c -o "$out/o.o" "$f"
	done
done
# The bundled kernel's port: freestanding, no libc, as runtime/helios.mk
# builds its programs (the stubs need nothing but mercury/ipc.h).
for f in "$out"/*_client.c "$out"/*_server.c; do
	check "$cc freestanding $(basename "$f")" $cc -std=c11 -Wall -Wextra -Werror -O2 -ffreestanding \
		-nostdinc -isystem "$($cc -print-file-name=include)" -fno-builtin -mgeneral-regs-only \
		$inc -c -o "$out/o.o" "$f"
done
# The compilers' default modes (GNU C, where unix and linux are macros), and
# C23, all warnings.
for c in "$cc" "$clang"; do
	[ -n "$c" ] || continue
	for f in "$out"/*.c; do
		check "$c (default mode) $(basename "$f")" $c -Wall -Wextra -Werror $inc -c -o "$out/o.o" "$f"
	done
	check "$c -std=c2x, the headers" sh -c 'for h in "$0"/*.h; do printf "#include \"%s\"\n" "$(basename "$h")"; done >"$0/all.c" &&
		$1 -std=c2x -Wall -Wextra -Wpedantic -Werror $2 -c -o "$0/o.o" "$0/all.c"' "$out" "$c" "$inc"
done
if [ -n "$cxx" ]; then
	for h in "$out"/*.h; do
		printf '#include "%s"\nint main() { return 0; }\n' "$(basename "$h")" >"$out/t.cc"
		check "$cxx $(basename "$h")" $cxx -std=c++11 -Wall -Wextra -Werror $inc -o "$out/t" "$out/t.cc"
		check "$cxx (default mode) $(basename "$h")" $cxx -Wall -Wextra -Werror $inc -o "$out/t" "$out/t.cc"
	done
	# The stubs themselves, compiled as C++ (a project may build everything so).
	for f in "$out"/*_client.c "$out"/*_server.c; do
		check "$cxx -x c++ $(basename "$f")" $cxx -x c++ -Wall -Wextra -Werror $inc -c -o "$out/o.o" "$f"
	done
else
	echo "not ok - no C++ compiler"; fail=$((fail + 1))
fi

# Every macro the compilers predefine or the transport's headers define, or
# the headers a fuzz target includes before NS.h, in every mode (default,
# ISO, C23, _GNU_SOURCE, 32-bit, C++), that has no leading '_', as a
# parameter and as a method: escaped, so that the stubs and the fuzz target
# compile in every mode.
mkdir "$out/mac"
for c in "$cc" "$clang"; do
	[ -n "$c" ] || continue
	$c -m32 -dM -E -x c - </dev/null 2>/dev/null
	for m in "" -std=c11 -std=gnu2x -std=c2x -D_GNU_SOURCE; do
		echo '#include <mercury/ipc.h>' | $c $m $inc -dM -E -x c - 2>/dev/null
		echo '#include <mercury/ipc.h>' | $c $m $inc -dM -E -x c++ - 2>/dev/null
		printf '#include <%s.h>\n' stdarg stdio stdlib string | $c $m -dM -E -x c - 2>/dev/null
	done
done | sed -n 's/^#define \([A-Za-z][A-Za-z0-9_]*\).*/\1/p' | sort -u >"$out/mac/names"
awk 'BEGIN { print "namespace macros;\ninterface m {" }
     { p[NR] = $1; print "\tcall " $1 "() void;" }
     END { for (i = 1; i <= NR; i += 60) { printf "\tcall p%d(", i
               for (j = i; j < i + 60 && j <= NR; j++) printf "%s%s: u8", (j > i ? ", " : ""), p[j]
               print ") void;" }
           print "}" }' "$out/mac/names" >"$out/mac/macros.ipc"
check "generate the macros' protocol ($(wc -l <"$out/mac/names") names)" "$ipcgen" --fuzz -o "$out/mac" "$out/mac/macros.ipc"
for c in "$cc" "$clang"; do
	[ -n "$c" ] || continue
	for m in "" "-std=c11 -Wpedantic" "-std=c2x -Wpedantic" -D_GNU_SOURCE; do
		for f in macros_client.c macros_server.c macros_fuzz.c; do
			check "$c $m: macros as names, $f" $c $m -Wall -Wextra -Werror $inc -I"$out/mac" -c -o "$out/o.o" "$out/mac/$f"
		done
	done
done
if [ -n "$cxx" ]; then
	printf '#include "macros.h"\nint main() { return 0; }\n' >"$out/mac/t.cc"
	check "$cxx: macros as names" $cxx -Wall -Wextra -Werror $inc -I"$out/mac" -o "$out/t" "$out/mac/t.cc"
	for f in macros_client.c macros_server.c; do
		check "$cxx -x c++: macros as names, $f" $cxx -x c++ -Wall -Wextra -Werror $inc -I"$out/mac" -c -o "$out/o.o" "$out/mac/$f"
	done
fi

# No namespace may write a header that hides one the system's C or POSIX
# headers include: every header they include here by a bare name (with
# gcc's and clang's search paths), as a namespace, must be refused.
posix="aio arpa/inet cpio dirent dlfcn endian fcntl fmtmsg fnmatch ftw glob grp iconv langinfo
	libgen libintl monetary mqueue ndbm net/if netdb netinet/in nl_types poll pthread pwd
	regex sched search semaphore spawn strings sys/mman sys/select sys/socket sys/stat
	sys/time sys/types sys/wait syslog tar termios ulimit unistd utime utmpx wordexp"
std="assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal
	stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath
	threads time uchar wchar wctype"
for c in "$cc" "$clang"; do
	[ -n "$c" ] || continue
	dirs=$(echo | $c -xc -E -v - 2>&1 | sed -n '/^#include <...> search starts here:/,/^End of search list/p' | sed -n 's/^ //p')
	for h in $std $posix; do
		printf '#define _GNU_SOURCE\n#include <%s.h>\n' "$h" >"$out/h.c"
		$c -H -E -o /dev/null "$out/h.c" 2>&1 | sed -n 's/^\.* //p'
	done | sort -u | while read -r f; do
		for d in $dirs; do
			case $f in "$d"/*) echo "${f#"$d"/}" ;; esac
		done
	done
done | grep -E '^[A-Za-z][A-Za-z0-9_]*\.h$' | sort -u >"$out/headers"
[ -s "$out/headers" ] || { echo "not ok - no system headers found"; fail=$((fail + 1)); }
while read -r h; do
	printf 'namespace %s;\n' "${h%.h}" >"$out/ns.ipc"
	if "$ipcgen" --check "$out/ns.ipc" 2>"$out/err" || ! grep -q "hides the .* header <${h%.h}.h>" "$out/err"; then
		echo "not ok - namespace ${h%.h} is not refused: its header would hide <$h>"; fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done <"$out/headers"

echo "compile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
