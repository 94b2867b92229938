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
echo "compile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
