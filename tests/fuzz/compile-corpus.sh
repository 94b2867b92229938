#!/bin/sh
# compile-corpus.sh FUZZ_BACKEND DUMPDIR CC CLANG "STUB_CFLAGS" INPUT-DIR...
#
# Runs the backend fuzz target over every input with FUZZ_DUMP_DIR set, so
# that it writes what ipcgen generates for each accepted input, and compiles
# every generated .c under gcc and clang with the flags generated code must
# pass (DESIGN.md: warning-free under -std=c11 -Wall -Wextra -Wpedantic
# -Werror).
bin=$1 dump=$2 cc=$3 clang=$4 flags=$5
shift 5
rm -rf "$dump"
mkdir -p "$dump"
files=$(for d; do find "$d" -type f; done | sort)
[ -n "$files" ] || { echo "compile-corpus: no inputs"; exit 1; }
# shellcheck disable=SC2086
FUZZ_DUMP_DIR=$dump/out "$bin" $files >"$dump/run.log" 2>&1 || {
	tail -n 40 "$dump/run.log"; echo "compile-corpus: the backend target failed"; exit 1; }
pass=0 fail=0
for d in "$dump"/out/*/; do
	for f in "$d"*.c; do
		[ -f "$f" ] || continue
		for c in $cc $clang; do
			# shellcheck disable=SC2086
			if $c $flags -Iruntime/include -I"$d" -c -o "$dump/o.o" "$f" 2>"$dump/err"; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				echo "not ok - $c $f"
				head -n 20 "$dump/err"
			fi
		done
	done
done
echo "compile-corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
