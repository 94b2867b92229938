#!/bin/sh
# parts.sh IPCGEN: a large file is parsed in two parts on two threads (ast.c,
# parse_file).  Whatever the input, the result must be exactly that of one
# parse: the same outputs byte for byte, the same diagnostics, the same exit
# status, with IPCGEN_THREADS=2 (parts, even on one processor) and
# IPCGEN_THREADS=1 (one parse).
ipcgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
no() { echo "not ok - $1"; fail=$((fail + 1)); }

# big.ipc: about 400 KiB of every kind of declaration, doc comments above
# the declarations that could start the second part, a 'use' and errors in
# both halves, CRLF on request.  gen N [EXTRA-AWK-CODE]
gen() {
	awk -v n="$1" '
	BEGIN {
		print "# The namespace."
		print "namespace big;"
		print "use aux;"
		for (i = 0; i < n; i++) {
			if (i == int(n / 2)) print "use aux;"
			if (i % 3 == 0) { print "# Errors of group " i "."; print "# Two lines." }
			print "error e" i ";"
			if (i % 2 == 0) print "# Kinds " i "."
			else print ""
			printf "enum kind%d : u16 { A = 1, B, C, # after\n\tD = 9, };\n", i
			if (i % 2 == 1) print "# Interface " i " documented."
			par = (i > 0 && i % 5 == 0) ? " :: if" (i - 1) : ""
			printf "interface if%d%s {\n", i, par
			for (m = 1; m <= 12; m++) {
				if (m % 4 == 0) print "\t# Method " m "."
				printf "\tcall m%d_%d{c: page...}(a: u32, s: string<40>, k: kind%d, x: aux::word) bytes<16> raises (e%d, aux::gone);\n", i, m, i, i
			}
			printf "\tsend note%d(b: bool);\n};\n\n", i
		}
	}' >"$t/big.ipc"
	printf 'namespace aux;\nerror gone;\nenum word { W0, W1 };\n' >"$t/aux.ipc"
}

# same NAME: ipcgen on $t/big.ipc with one thread and with parts; outputs,
# diagnostics and exit status must match.
same() {
	name=$1; shift
	rm -rf "$t/o1" "$t/o2" && mkdir "$t/o1" "$t/o2"
	IPCGEN_THREADS=1 "$ipcgen" "$@" -M -o "$t/o1" "$t/big.ipc" >"$t/out1" 2>"$t/err1"; st1=$?
	IPCGEN_THREADS=2 "$ipcgen" "$@" -M -o "$t/o2" "$t/big.ipc" >"$t/out2" 2>"$t/err2"; st2=$?
	if [ -f "$t/o2/big.d" ]; then
		sed "s|$t/o2|$t/o1|g" "$t/o2/big.d" >"$t/big.d" && mv "$t/big.d" "$t/o2/big.d"
	fi
	if [ "$st1" -ne "$st2" ]; then
		no "$name: exit $st1 with one thread, $st2 with parts"
	elif ! cmp -s "$t/err1" "$t/err2"; then
		no "$name: the diagnostics differ"; diff "$t/err1" "$t/err2" | head -10 | sed 's/^/# /'
	elif ! diff -r "$t/o1" "$t/o2" >/dev/null; then
		no "$name: the outputs differ"
	else
		ok "$name (exit $st1, $(wc -l <"$t/err1") lines of diagnostics)"
	fi
}

gen 700
size=$(wc -c <"$t/big.ipc")
[ "$size" -gt 300000 ] && ok "the input is large enough to be parsed in parts ($size bytes)" ||
	no "the input is only $size bytes"
same "a valid file"
[ -s "$t/o1/big_server.c" ] && ok "it was compiled" || no "nothing was written"
same "a valid file, --fuzz" --fuzz

# CRLF and CR line ends.
sed 's/$/\r/' "$t/big.ipc" >"$t/crlf" && mv "$t/crlf" "$t/big.ipc"
same "CRLF line ends"
tr -d '\n' <"$t/big.ipc" >"$t/cr" && mv "$t/cr" "$t/big.ipc"
same "CR line ends"

# Errors, each where the second part would start or around it: the lines
# of the middle of the file and of three quarters.
gen 700
lines=$(wc -l <"$t/big.ipc")
half=$((lines / 2)) late=$((lines * 3 / 4))
# errat LINE TEXT NAME: TEXT inserted as line LINE of a fresh file.
errat() {
	gen 700
	sed -i "$1i\\$2" "$t/big.ipc"
	same "$3"
	[ "$st1" -ne 0 ] && ok "$3 is an error" || no "$3 was not found"
}
errat "$late" "	call broken(;" "a syntax error late in the file"
for k in 0 1 2 3 4 5 6 7 8 9; do
	errat "$((half + k))" "interface" "a syntax error at line middle+$k"
done
errat 12 "enum ;" "a syntax error early"
sed -i "${late}i\\call x(;" "$t/big.ipc"
same "two syntax errors"
errat "$late" "	call bad(a: u33);" "an unknown type late in the file"
errat "$late" "$(printf '\001')" "a stray byte late in the file"
errat "$late" "interface" "a misplaced keyword late in the file"
errat "$late" "enum kind0 { X };" "a duplicate declared in the other half"
errat "$late" "# \\xff" "a comment late in the file"
gen 700
printf 'enum kind0 { X }
' >>"$t/big.ipc"
same "a duplicate at the very end"
gen 700
# An interface left open just before the middle: every declaration after
# it is in the interface, a syntax error for a single parse.
sed -i "$((half - 1))i\\interface open {" "$t/big.ipc"
same "an unclosed interface before the middle"
[ "$st1" -ne 0 ] && ok "an unclosed interface is an error" || no "an unclosed interface was not found"
gen 700
sed -i "${late}i\\# a comment" "$t/big.ipc"
same "a comment above a line that could start a part"
# Doc comments after a form feed or a vertical tab, which the lexer takes
# as white space: each stays with its declaration.
for c in 'form feed:\f' 'vertical tab:\v'; do
	awk -v c="$(printf "${c#*:}")" 'BEGIN { print "namespace big;"
		for (i = 0; i < 6000; i++) printf "%s# The doc of k%d.\ninterface k%d { call f(a: u32, b: string<8>) void; }\n", c, i, i }' >"$t/big.ipc"
	same "doc comments after a ${c%%:*}"
done
# Keywords as names at the start of a line: no part starts there.
gen 700
printf 'interface kw {\n\tcall f(\ninterface: u32,\nerror: u8,\nuse: bool) void;\n};\n' >"$t/kw"
sed -i "${half}r $t/kw" "$t/big.ipc"
grep -q '^error: u8' "$t/big.ipc" && ok "keywords as names begin lines" || no "the keyword lines were not made"
same "keywords as names beginning lines"
[ "$st1" -eq 0 ] && ok "keywords as names are names" || no "keywords as names: exit $st1"

# What the C-name claims find in a large unit, whose headers are made
# beside the claims (main.c, struct early): a clash throws them away,
# leaving no temporary file; a parameter named like a global C name is
# escaped, and they are made again with its new name.
gen 700
printf 'interface zz { call f() u32; call f_reply() u32; };\n' >>"$t/big.ipc"
same "a C-name clash at the end"
[ "$st1" -ne 0 ] && ok "the clash is an error" || no "the clash was not found"
[ -z "$(ls -A "$t/o2")" ] && ok "nothing written, no temporary file left" ||
	no "the output folder holds: $(ls -A "$t/o2" | tr '\n' ' ')"
gen 700
printf 'interface zz { call f(big_if0_m0_1: u32, BIG_IF1_ID: u32) u32; };\n' >>"$t/big.ipc"
same "parameters named like global C names"
grep -q 'uint32_t big_if0_m0_1_, uint32_t BIG_IF1_ID_' "$t/o2/big.h" &&
	ok "the header has them escaped" || no "the header lacks big_if0_m0_1_ and BIG_IF1_ID_"

# Random damage, the same on every run (seeds 1..N): each a line deleted,
# doubled or cut, or a token, a brace, a NUL or a doc comment put in.
N=${PARTS_MUTATIONS:-24}
gen 700
cp "$t/big.ipc" "$t/pristine.ipc"
k=1
while [ "$k" -le "$N" ]; do
	awk -v seed="$k" 'BEGIN { srand(seed) }
	{ line[NR] = $0 }
	END {
		at = int(rand() * NR) + 1; op = int(rand() * 7)
		split("interface|enum e {|}|;|{|call x(a: u32);|use aux;", tok, "|")
		for (i = 1; i <= NR; i++) {
			if (i != at) { print line[i]; continue }
			if (op == 0) continue
			if (op == 1) { print line[i]; print line[i]; continue }
			if (op == 2) { print substr(line[i], 1, int(length(line[i]) / 2)); continue }
			if (op == 3) { print "# a comment put in"; print line[i]; continue }
			if (op == 4) { printf "%s%c\n", line[i], 0; continue }
			print tok[int(rand() * 7) + 1]; print line[i]
		}
	}' "$t/pristine.ipc" >"$t/big.ipc"
	same "random damage $k"
	k=$((k + 1))
done

echo "parts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
