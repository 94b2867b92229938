#!/bin/sh
# cli.sh IPCGEN: the command line as ipcgen(1) documents it: exit statuses,
# -o, -c, -s, -M, -I, atomic and unchanged-only writes, nothing written on
# error, and hostile inputs that must be refused without a crash.
ipcgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
no() { echo "not ok - $1"; fail=$((fail + 1)); }
expect() {  # expect STATUS NAME CMD...: run CMD, compare its exit status
	want=$1 name=$2; shift 2
	"$@" >"$t/stdout" 2>"$t/stderr"; st=$?
	if [ "$st" -eq "$want" ]; then ok "$name"; else no "$name (exit $st, expected $want)"; sed 's/^/# /' "$t/stderr"; fi
}

expect 0 "--help exits 0" "$ipcgen" --help
grep -q '^usage: ipcgen' "$t/stdout" && ok "--help prints usage" || no "--help prints usage"
# Every option ipcgen(1)'s first synopsis line has, --help's has too.
head -n 1 "$t/stdout" | grep -q -- '--fuzz.*--check' && ok "--help's first line has --fuzz and --check" || no "--help's first line: $(head -n 1 "$t/stdout")"
expect 0 "--version exits 0" "$ipcgen" --version
grep -q '^ipcgen [0-9]' "$t/stdout" && ok "--version prints the version" || no "--version prints the version"
expect 2 "no input is a usage error" "$ipcgen"
expect 2 "an unknown option is a usage error" "$ipcgen" --frobnicate x.ipc
expect 2 "-c with -s is a usage error" "$ipcgen" -c -s protocols/io.ipc
expect 2 "a missing output folder is an error" "$ipcgen" -o "$t/nowhere" protocols/io.ipc
expect 1 "a missing input is an input error" "$ipcgen" -o "$t" "$t/missing.ipc"
grep -q "cannot read" "$t/stderr" && ok "a missing input is named" || no "a missing input is named"

mkdir "$t/a" "$t/c" "$t/s"
expect 0 "generates io" "$ipcgen" -o "$t/a" protocols/io.ipc
[ "$(ls "$t/a" | tr '\n' ' ')" = "io.h io_client.c io_server.c " ] && ok "writes NS.h, NS_client.c, NS_server.c" || no "output names: $(ls "$t/a")"
expect 0 "-c" "$ipcgen" -c -o "$t/c" protocols/io.ipc
[ "$(ls "$t/c" | tr '\n' ' ')" = "io.h io_client.c " ] && ok "-c writes the header and the client" || no "-c wrote: $(ls "$t/c")"
expect 0 "-s" "$ipcgen" --server -o "$t/s" protocols/io.ipc
[ "$(ls "$t/s" | tr '\n' ' ')" = "io.h io_server.c " ] && ok "-s writes the header and the server" || no "-s wrote: $(ls "$t/s")"
mkdir "$t/f"
expect 0 "--fuzz" "$ipcgen" --fuzz -s -o "$t/f" protocols/io.ipc
[ "$(ls "$t/f" | tr '\n' ' ')" = "io.h io_fuzz.c io_server.c " ] && ok "--fuzz adds NS_fuzz.c" || no "--fuzz wrote: $(ls "$t/f")"
cmp -s "$t/a/io.h" "$t/c/io.h" && ok "the header is the same whatever the sides" || no "the header depends on -c"

# Unchanged outputs are not rewritten: their mtime stays.
touch -d '2001-01-01 00:00:00' "$t/a/io.h" "$t/a/io_client.c"
expect 0 "regenerates io" "$ipcgen" -o "$t/a" protocols/io.ipc
[ "$(date -r "$t/a/io.h" +%Y)" = 2001 ] && ok "an unchanged output keeps its mtime" || no "an unchanged output was rewritten"
ls -A "$t/a" | grep -q '^\.ipcgen-' && no "a temporary file was left behind" || ok "no temporary file is left behind"

# Nothing is written when any input has an error; existing outputs stay.
cp "$t/a/io.h" "$t/io.h.before"
printf 'namespace bad;\ninterface x { call f(a: nope) void; }\n' >"$t/bad.ipc"
expect 1 "an error in one input fails the run" "$ipcgen" -o "$t/a" protocols/dev.ipc "$t/bad.ipc"
[ ! -e "$t/a/dev.h" ] && ok "nothing is written when an input has an error" || no "dev.h was written despite an error"
cmp -s "$t/a/io.h" "$t/io.h.before" && ok "existing outputs stay as they were" || no "io.h changed"

# A UTF-8 byte order mark first in a file is not part of its text: the
# same output, and positions on its first line as without it.
mkdir "$t/bom" "$t/nobom"
cp protocols/io.ipc "$t/nobom/io.ipc"
{ printf '\357\273\277'; cat protocols/io.ipc; } >"$t/bom/io.ipc"
expect 0 "a byte order mark first is ignored" "$ipcgen" -I protocols -o "$t/bom" "$t/bom/io.ipc"
"$ipcgen" -I protocols -o "$t/nobom" "$t/nobom/io.ipc"
cmp -s "$t/bom/io_client.c" "$t/nobom/io_client.c" && cmp -s "$t/bom/io.h" "$t/nobom/io.h" \
	&& ok "a byte order mark changes no output" || no "a byte order mark changed the output"
printf '\357\273\277namespace b @\n' >"$t/bom/b.ipc"
expect 1 "an error after a byte order mark" "$ipcgen" -o "$t/bom" "$t/bom/b.ipc"
grep -q '^.*b.ipc:1:13: error: unexpected character' "$t/stderr" && ok "a byte order mark moves no column" \
	|| { no "column after a byte order mark"; cat "$t/stderr"; }

# -M: a make dependency file naming every input, used ones included.
mkdir "$t/m"
expect 0 "-M" "$ipcgen" -M -I protocols -o "$t/m" protocols/dev.ipc
grep -q "^$t/m/dev.h $t/m/dev_client.c $t/m/dev_server.c: protocols/dev.ipc protocols/io.ipc protocols/errors.ipc\$" "$t/m/dev.d" \
	&& ok "-M lists the outputs and every input" || { no "-M content"; cat "$t/m/dev.d"; }
grep -q '^protocols/io.ipc:$' "$t/m/dev.d" && ok "-M adds an empty rule per used file" || no "-M phony rules"
# Paths make must read back: ':' and spaces escaped; a newline or a tab,
# which make cannot name, refused.
mkdir -p "$t/md/co:lon sp" "$t/md/o"
printf 'namespace dq;\nerror x;\n' >"$t/md/co:lon sp/dq.ipc"
expect 0 "-M with ':' and a space in a path" "$ipcgen" -M -o "$t/md/o" "$t/md/co:lon sp/dq.ipc"
printf 'all: o/dq.h\ninclude o/dq.d\n' >"$t/md/Mk"
(cd "$t/md" && make -s -f Mk -n >/dev/null 2>&1) && ok "make reads that .d" || no "make cannot read: $(cat "$t/md/o/dq.d")"
mkdir -p "$t/md/new
line"
printf 'namespace dn;\nerror x;\n' >"$t/md/new
line/dn.ipc"
expect 2 "-M with a newline in a path is an error" "$ipcgen" -M -o "$t/md/o" "$t/md/new
line/dn.ipc"
grep -q "make cannot name a file with a newline or a tab" "$t/stderr" && ok "the reason is given" || no "newline: $(cat "$t/stderr")"
[ ! -e "$t/md/o/dn.d" ] && ok "and no .d is written" || no "a .d was written"
# Every used file, however many: 1100.
mkdir "$t/mu"
awk -v d="$t/mu" 'BEGIN { f = d "/top.ipc"; print "namespace top;" > f
	for (i = 0; i < 1100; i++) { print "use m" i ";" > f; g = d "/m" i ".ipc"; printf "namespace m%d;\n", i > g; close(g) }
	close(f) }'
expect 0 "-M with 1100 used files" "$ipcgen" -M -o "$t/mu" "$t/mu/top.ipc"
[ "$(grep -c '^.*/m[0-9]*\.ipc:$' "$t/mu/top.d")" -eq 1100 ] && ok "all 1100 are listed" || no "listed: $(grep -c 'ipc:$' "$t/mu/top.d")"
rm -rf "$t/mu"

# use: the importing file's folder first, then each -I folder in order.
mkdir -p "$t/u/one" "$t/u/two" "$t/u/main"
printf 'namespace lib;\ninterface one {}\n' >"$t/u/one/lib.ipc"
printf 'namespace lib;\ninterface two {}\n' >"$t/u/two/lib.ipc"
printf 'namespace app;\nuse lib;\ninterface x :: lib::one {}\n' >"$t/u/main/app.ipc"
expect 0 "use finds the first -I folder" "$ipcgen" -I "$t/u/one" -I "$t/u/two" -o "$t" "$t/u/main/app.ipc"
expect 1 "use searches -I folders in order" "$ipcgen" -I "$t/u/two" -I "$t/u/one" -o "$t" "$t/u/main/app.ipc"
cp "$t/u/two/lib.ipc" "$t/u/main/lib.ipc"
expect 1 "use looks in the file's own folder first" "$ipcgen" -I "$t/u/one" -o "$t" "$t/u/main/app.ipc"
printf 'namespace other;\n' >"$t/u/one/wrong.ipc"
printf 'namespace app2;\nuse wrong;\n' >"$t/u/main/app2.ipc"
expect 1 "a used file must declare the namespace it is named for" "$ipcgen" -I "$t/u/one" -o "$t" "$t/u/main/app2.ipc"

# --lock and --compat.
expect 2 "--lock with --compat is a usage error" "$ipcgen" --lock "$t/l" --compat "$t/l" protocols/io.ipc
expect 0 "--lock" "$ipcgen" --lock "$t/io.lock" protocols/io.ipc
expect 0 "--compat against its own lock" "$ipcgen" --compat "$t/io.lock" protocols/io.ipc
printf 'not a lock\n' >"$t/bad.lock"
expect 2 "--compat with a file that is not a lock" "$ipcgen" --compat "$t/bad.lock" protocols/io.ipc
expect 2 "--compat with a missing lock" "$ipcgen" --compat "$t/none.lock" protocols/io.ipc
sed 's/$/\r/' "$t/io.lock" >"$t/crlf.lock"
expect 0 "--compat reads a lock with CRLF line ends" "$ipcgen" --compat "$t/crlf.lock" protocols/io.ipc
sed 's/(uintptr,size)/(uintptr,si\x1b[2Jze)/' "$t/io.lock" >"$t/esc.lock"
expect 2 "--compat refuses a lock holding control bytes" "$ipcgen" --compat "$t/esc.lock" protocols/io.ipc
grep -q 'control byte 0x1b' "$t/stderr" && ok "the control byte is named, not echoed" || no "control byte message"
: >"$t/empty.lock"
expect 2 "--compat refuses an empty lock" "$ipcgen" --compat "$t/empty.lock" protocols/io.ipc
grep -q 'not an ipcgen lock file' "$t/stderr" && ok "an empty lock: its missing first line is named" || no "empty lock message"
expect 2 "--compat refuses /dev/null as a lock" "$ipcgen" --compat /dev/null protocols/io.ipc
# A NUL must not end the file early, hiding what follows (an interface gone).
{ head -n 3 "$t/io.lock"; printf '\0'; tail -n +4 "$t/io.lock"; printf 'interface io::gone 00000001 0000000000000001 - @ io.ipc:1\n'; } >"$t/nul.lock"
expect 2 "--compat refuses a lock holding a NUL" "$ipcgen" --compat "$t/nul.lock" protocols/io.ipc
grep -q 'nul.lock:4: malformed lock file line (control byte 0x00)' "$t/stderr" && ok "the NUL's line is named" || no "NUL message"

# A lock of dev.ipc alone still notices a change in io::file, which it inherits.
mkdir -p "$t/inh"
cp tests/golden/protocols/io.ipc tests/golden/protocols/dev.ipc "$t/inh/"
expect 0 "--lock of dev.ipc alone" "$ipcgen" --lock "$t/dev.lock" "$t/inh/dev.ipc"
sed -i 's/call seek(offs: i64, w: whence) size;/call seek(offs: i64, w: whence) u64;/' "$t/inh/io.ipc"
expect 1 "--compat sees a change in an inherited interface" "$ipcgen" --compat "$t/dev.lock" "$t/inh/dev.ipc"

# A namespace whose NS.h would hide a system header is refused, in any case
# (file systems that ignore case would find Stdio.h for <stdio.h>).
for ns in errno Stdio UNISTD features; do
	printf 'namespace %s;\n' "$ns" >"$t/hdr.ipc"
	expect 1 "namespace $ns would hide a system header" "$ipcgen" -o "$t" "$t/hdr.ipc"
	[ ! -e "$t/$ns.h" ] && ok "namespace $ns: nothing written" || no "namespace $ns: $ns.h written"
done

# Hostile inputs: refused with exit 1, never a crash.
: >"$t/empty.ipc"
expect 1 "an empty file" "$ipcgen" -o "$t" "$t/empty.ipc"
head -c 100000 /dev/urandom >"$t/random.ipc"
expect 1 "random bytes" "$ipcgen" -o "$t" "$t/random.ipc"
head -c 4096 /dev/zero >"$t/zeros.ipc"
expect 1 "NUL bytes" "$ipcgen" -o "$t" "$t/zeros.ipc"
{ printf 'namespace t; interface a { call f('; head -c 3000000 /dev/zero | tr '\0' 'x'; printf ': u8) void; }\n'; } >"$t/longident.ipc"
expect 1 "a 3 MB identifier on one line" "$ipcgen" -o "$t" "$t/longident.ipc"
{ printf 'namespace t; '; i=0; while [ $i -lt 20000 ]; do printf 'enum e%d { A, } ' $i; i=$((i + 1)); done; printf '\n'; } >"$t/longline.ipc"
expect 0 "a megabyte of declarations on one line" "$ipcgen" -o "$t" "$t/longline.ipc"
{ printf 'namespace t;\ninterface a {\n'; i=0; while [ $i -lt 65536 ]; do printf 'call m%d();\n' $i; i=$((i + 1)); done; printf '}\n'; } >"$t/many.ipc"
expect 1 "65536 methods" "$ipcgen" -o "$t" "$t/many.ipc"
grep -q "at most 65535" "$t/stderr" && ok "65536 methods: the label limit is named" || no "65536 methods message"
{ printf 'namespace t;\n'; i=0; while [ $i -lt 2000 ]; do printf '{'; i=$((i + 1)); done; } >"$t/braces.ipc"
expect 1 "two thousand open braces" "$ipcgen" -o "$t" "$t/braces.ipc"

# A namespace of 240 characters: its outputs' names fit a file name of 255
# bytes, and so do the temporary files beside them.
mkdir "$t/lns"
ns=$(printf '%0240d' 0 | tr 0 n)
printf 'namespace %s;\ninterface a { call f() void; }\n' "$ns" >"$t/lns/x.ipc"
expect 0 "a namespace of 240 characters generates" "$ipcgen" -o "$t/lns" "$t/lns/x.ipc"
[ "$(ls -A "$t/lns" | wc -l)" -eq 4 ] && ok "its three outputs, and no temporary file" || no "it left: $(ls -A "$t/lns" | cut -c1-20 | tr '\n' ' ')"

# A namespace named on the command line is the one every use of it gets,
# whatever the order of the arguments (not NS.ipc beside the file that
# uses it).
mkdir -p "$t/uo/other" "$t/uo/o1" "$t/uo/o2"
printf 'namespace b;\nerror found_beside;\n' >"$t/uo/b.ipc"
printf 'namespace b;\nerror named;\n' >"$t/uo/other/b.ipc"
printf 'namespace a;\nuse b;\ninterface i { call f() void raises (b::*); };\n' >"$t/uo/a.ipc"
expect 0 "a use and a named file of one namespace" "$ipcgen" -o "$t/uo/o1" "$t/uo/a.ipc" "$t/uo/other/b.ipc"
expect 0 "the same, named the other way round" "$ipcgen" -o "$t/uo/o2" "$t/uo/other/b.ipc" "$t/uo/a.ipc"
grep -q B_ERR_NAMED "$t/uo/o1/b.h" && cmp -s "$t/uo/o1/b.h" "$t/uo/o2/b.h" && cmp -s "$t/uo/o1/a.h" "$t/uo/o2/a.h" &&
	ok "the named file is used, either way" || no "the named file is used, either way"
# A chain of uses loads without recursion: 3000 files.
mkdir "$t/uc"
awk -v d="$t/uc" 'BEGIN { n = 3000; for (i = 0; i < n; i++) { f = d "/u" i ".ipc";
	if (i < n - 1) printf "namespace u%d;\nuse u%d;\n", i, i + 1 > f; else printf "namespace u%d;\n", i > f;
	close(f) } }'
expect 0 "a chain of 3000 uses" "$ipcgen" --check "$t/uc/u0.ipc"
rm -rf "$t/uc"

# A diagnostic names its file whole, however long the path: 1005 bytes.
lp="$t/lp/$(printf '%0200d' 0 | tr 0 d)/$(printf '%0200d' 0 | tr 0 d)/$(printf '%0200d' 0 | tr 0 d)/$(printf '%0200d' 0 | tr 0 d)/$(printf '%0200d' 0 | tr 0 d)"
mkdir -p "$lp"
printf 'namespace t;\ninterface a { call f(x: sise) void; }\n' >"$lp/t.ipc"
expect 1 "an error in a file of a long path" "$ipcgen" --check "$lp/t.ipc"
grep -q "^$lp/t.ipc:2:25: error: unknown type 'sise'" "$t/stderr" && ok "its file, line and column are all there" || no "long path: $(head -c 200 "$t/stderr")"
rm -rf "$t/lp"
: >"$t/afile"
expect 2 "-o naming a file" "$ipcgen" -o "$t/afile" protocols/io.ipc
grep -q "is not a folder" "$t/stderr" && ok "-o naming a file: the reason" || no "-o a file: $(cat "$t/stderr")"

# Inputs without an end, and outputs that are not files.
expect 1 "/dev/zero as input ends, refused as too large" timeout 60 "$ipcgen" --check /dev/zero
grep -q "cannot read '/dev/zero': File too large" "$t/stderr" && ok "/dev/zero: the reason" || no "/dev/zero: $(cat "$t/stderr")"
mkdir "$t/fifo"
printf 'namespace t;\ninterface a { call f() void; }\n' >"$t/fifo/t.ipc"
mkfifo "$t/fifo/t.h"
expect 2 "a FIFO where an output goes is refused, not waited on" timeout 20 "$ipcgen" -o "$t/fifo" "$t/fifo/t.ipc"
grep -q "cannot write '$t/fifo/t.h': it exists and is not a regular file" "$t/stderr" && ok "a FIFO output: the reason" || no "a FIFO output: $(cat "$t/stderr")"
[ -p "$t/fifo/t.h" ] && ok "the FIFO is left in place" || no "the FIFO was replaced"
# Chains as long as the file: followed without recursion, or refused at a
# documented depth, never a stack overflow.
awk 'BEGIN { print "namespace t;"; for (i = 0; i < 100000; i++) printf "const c%d = c%d;\n", i, i + 1; print "const c100000 = 1;" }' >"$t/consts.ipc"
expect 0 "a constant defined through 100000 others" "$ipcgen" --check "$t/consts.ipc"
sed 's/^const c100000 = 1;/const c100000 = c0;/' "$t/consts.ipc" >"$t/constcycle.ipc"
expect 1 "a cycle of 100001 constants" "$ipcgen" --check "$t/constcycle.ipc"
grep -q "constant 'c0' is defined by itself" "$t/stderr" && grep -q "^ipcgen: 1 error;" "$t/stderr" && ok "a cycle of 100001 constants: reported once" || no "constant cycle message"
awk 'BEGIN { print "namespace t;"; for (i = 0; i < 100000; i++) printf "struct s%d { x: s%d }\n", i, i + 1; print "struct s100000 { x: u8 }" }' >"$t/structs.ipc"
expect 1 "structs nested 100001 levels" "$ipcgen" --check "$t/structs.ipc"
grep -q "struct 's99744' is 257 levels deep (field 'x' holds 't::s99745', 256 deep); structs nest at most 256 levels" "$t/stderr" \
	&& grep -q "^ipcgen: 1 error;" "$t/stderr" && ok "structs nested 100001 levels: reported once" || no "struct depth message"
awk 'BEGIN { print "namespace t;"; print "interface k0 :: k99999 { call f() void; }"; for (i = 1; i < 100000; i++) printf "interface k%d :: k%d {}\n", i, i - 1 }' >"$t/cycle.ipc"
expect 1 "a cycle of 100000 interfaces" "$ipcgen" --check "$t/cycle.ipc"
grep -q "error: interface 't::k1' inherits from itself (through 't::k0')" "$t/stderr" && grep -q "^ipcgen: 1 error;" "$t/stderr" \
	&& ok "a cycle of 100000 interfaces: reported once" || no "interface cycle: $(tail -n 2 "$t/stderr")"
sed 's/^interface k0 :: k99999 {/interface k0 {/' "$t/cycle.ipc" >"$t/ichain.ipc"
expect 1 "a chain of 100000 interfaces (it took minutes: every ancestry walked whole)" timeout 120 "$ipcgen" --check "$t/ichain.ipc"
grep -q "error: interface 'k99999' is more than 245 levels deep; describe's reply carries at most 244" "$t/stderr" \
	&& ok "a chain of 100000 interfaces: the deep ones are refused" || no "interface chain: $(tail -n 2 "$t/stderr")"
# A struct of 40000 fields: its C members are checked for clashes in time
# and memory linear in them (every pair was compared, with new strings:
# 8000 fields took 7 s and 1 GB, 40000 would take minutes and 25 GB).
awk 'BEGIN { print "namespace t;"; printf "struct s {"; for (i = 0; i < 40000; i++) printf " f%d: bytes<4>?,", i; print " }"; print "interface i { call get() s; }" }' >"$t/wide.ipc"
expect 0 "a struct of 40000 fields" timeout 120 "$ipcgen" --check "$t/wide.ipc"
# 1000 methods taking a struct of 60000 values: a method's canonical line
# holds the struct in full, and is kept only for --lock and --compat (it
# took 371 MB and 17 s; 26 MB and 0.04 s now).  Under a 256 MiB address
# space limit, where the binary runs under one (not under ASan).
awk 'BEGIN { print "namespace t;"; printf "struct s {"; for (i = 0; i < 60000; i++) printf " f%d: u8,", i; print " }"; print "interface i {"; for (m = 0; m < 1000; m++) printf "\tcall m%d(a: s) void;\n", m; print "}" }' >"$t/amp.ipc"
lim=
(ulimit -v 262144 && "$ipcgen" --version) >/dev/null 2>&1 && lim='ulimit -v 262144 && '
expect 0 "1000 methods taking a struct of 60000 values${lim:+, in 256 MiB}" timeout 120 \
	sh -c "$lim"'exec "$0" --check "$1"' "$ipcgen" "$t/amp.ipc"
# Whatever the input, its checks take time about linear in it: a method
# of 300000 parameters (every pair of names was compared: 100000 took
# 49 s), one raising 300000 errors (50000 took 6 s), and 10000 errors in
# one line of 4 MB (each looked along the whole line: 15 s for 60000 in
# 1 MB).  The timeouts are there to end a run that went quadratic.
awk 'BEGIN { print "namespace t;"; printf "interface i { call f("; for (i = 0; i < 300000; i++) printf "a%d: u8, ", i; print ") void; }" }' >"$t/params.ipc"
expect 1 "a method of 300000 parameters" timeout 120 "$ipcgen" --check "$t/params.ipc"
grep -q "'f' has 300000 parameters; a message carries at most" "$t/stderr" && ok "300000 parameters: the reason" || no "300000 parameters: $(head -n 1 "$t/stderr")"
mkdir "$t/errs"
for k in 0 1 2 3 4; do
	awk -v k=$k 'BEGIN { printf "namespace e%d;\n", k; for (i = 0; i < 60000; i++) printf "error e%d;\n", i }' >"$t/errs/e$k.ipc"
done
awk 'BEGIN { print "namespace t;"; for (k = 0; k < 5; k++) printf "use e%d;\n", k; printf "interface i { call f() void raises ("
	for (k = 0; k < 5; k++) for (i = 0; i < 60000; i++) printf "e%d::e%d, ", k, i; print "); }" }' >"$t/errs/raises.ipc"
expect 0 "a method raising 300000 errors" timeout 120 "$ipcgen" --check "$t/errs/raises.ipc"
awk 'BEGIN { print "namespace t;"; printf "interface i { call f("; for (i = 0; i < 10000; i++) printf "a%d: bytes<4>, na%d: u8, ", i, i; for (i = 0; i < 250000; i++) printf "z%d: u8, ", i; print ") void; }" }' >"$t/longline.ipc"
expect 1 "10000 errors in a line of 4 MB" timeout 120 "$ipcgen" --check "$t/longline.ipc"
[ "$(grep -c "would be 'na[0-9]*' in C, the name of the length of 'a[0-9]*'" "$t/stderr")" -eq 10000 ] \
	&& ok "10000 errors in a line of 4 MB: each reported" || no "a line of 4 MB: $(grep -c error: "$t/stderr") errors"
# --compat finds each interface and method of the lock in one step: 30000
# interfaces took 5.7 s (each looked for along all of them), 200000 would
# take minutes; an interface of 65535 methods is compared too.
awk 'BEGIN { print "namespace t;"; for (i = 0; i < 200000; i++) printf "interface k%d { call f() void; }\n", i
	printf "interface wide {"; for (i = 0; i < 65535; i++) printf " call f%d() void;", i; print " }" }' >"$t/manyif.ipc"
expect 0 "--lock of 200000 interfaces" timeout 120 "$ipcgen" --lock "$t/manyif.lock" "$t/manyif.ipc"
expect 0 "--compat of 200000 interfaces and 65535 methods" timeout 120 "$ipcgen" --compat "$t/manyif.lock" "$t/manyif.ipc"
grep -q "compatible with .* (0 additions)" "$t/stdout" && ok "--compat of 200000 interfaces: compatible" || no "--compat of 200000 interfaces: $(cat "$t/stdout")"
mkdir "$t/deep"
{ awk 'BEGIN { print "namespace t;"; for (i = 0; i < 255; i++) printf "struct s%d { x: s%d }\n", i, i + 1; print "struct s255 { x: u8 }" }'
  printf 'interface i { call f(a: s0) s1; }\n'; } >"$t/deep.ipc"
expect 0 "structs nested 256 levels are generated" "$ipcgen" -o "$t/deep" "$t/deep.ipc"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
