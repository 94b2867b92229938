#!/bin/sh
# compile.sh IPCGEN CC CLANG CXX: every protocol we have, generated and then
# compiled warning-free under gcc and clang (-std=c11 -Wall -Wextra
# -Wpedantic -Werror), and every header included from C++ (g++ -Wall -Werror).
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
if [ -n "$cxx" ]; then
	for h in "$out"/*.h; do
		printf '#include "%s"\nint main() { return 0; }\n' "$(basename "$h")" >"$out/t.cc"
		check "$cxx $(basename "$h")" $cxx -std=c++11 -Wall -Wextra -Werror $inc -o "$out/t" "$out/t.cc"
	done
else
	echo "not ok - no C++ compiler"; fail=$((fail + 1))
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
