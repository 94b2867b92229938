#!/bin/sh
# compile-corpus.sh FUZZ_BACKEND DUMPDIR CC CLANG "STUB_CFLAGS" INPUT-DIR...
#
# Runs the backend fuzz target over every input with FUZZ_DUMP_DIR set, so
# that it writes what ipcgen generates for each accepted input (NS.h,
# NS_client.c, NS_server.c, NS_fuzz.c), then:
#   - compiles every generated .c under gcc and clang with the flags
#     generated code must pass (DESIGN.md: warning-free under -std=c11
#     -Wall -Wextra -Wpedantic -Werror);
#   - with clang, links each NS_fuzz.c with the servers beside it
#     (-fsanitize=fuzzer,address,undefined) and runs it for FUZZ_RUNS
#     inputs (default 20000): the generated servers of every protocol in the
#     corpus, fuzzed by their generated harness (ownership, replies).
bin=$1 dump=$2 cc=$3 clang=$4 flags=$5
shift 5
runs=${FUZZ_RUNS:-20000}
rm -rf "$dump"
mkdir -p "$dump"
files=$(for d; do find "$d" -type f; done | sort)
[ -n "$files" ] || { echo "compile-corpus: no inputs"; exit 1; }
# shellcheck disable=SC2086
FUZZ_DUMP_DIR=$dump/out "$bin" $files >"$dump/run.log" 2>&1 || {
	tail -n 40 "$dump/run.log"; echo "compile-corpus: the backend target failed"; exit 1; }
pass=0 fail=0 ran=0
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
	[ -n "$clang" ] || continue
	for f in "$d"*_fuzz.c; do
		[ -f "$f" ] || continue
		exe=${f%.c}
		# shellcheck disable=SC2086
		if ! $clang $flags -Wno-error -g -O1 -fsanitize=fuzzer,address,undefined \
			-fno-sanitize-recover=all -Iruntime/include -I"$d" -o "$exe" "$f" "$d"*_server.c \
			2>"$dump/err"; then
			fail=$((fail + 1))
			echo "not ok - link $f"
			head -n 20 "$dump/err"
		elif ! "$exe" -runs="$runs" -seed=1 >"$dump/fuzz.log" 2>&1; then
			fail=$((fail + 1))
			echo "not ok - run $exe -runs=$runs -seed=1 (protocol: $d)"
			grep -E '==ipcgen-fuzz==|ERROR|SUMMARY' "$dump/fuzz.log" | head -n 10
		else
			pass=$((pass + 1)) ran=$((ran + 1))
		fi
	done
done
echo "compile-corpus: $pass passed, $fail failed ($ran generated fuzz targets run for $runs inputs each)"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
