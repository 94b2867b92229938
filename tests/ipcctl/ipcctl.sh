#!/bin/sh
# ipcctl.sh IPCCTL SERVER GENDIR WORKDIR LANGSERVER MULTISERVER: runs the ctltest::kv server
# (tests/ipcctl/server.c, its stubs generated into GENDIR) and calls every
# method of tests/ipcctl/ctltest.ipc through IPCCTL, asserting its exact
# output and exit status: results as text and JSON, declared errors,
# statuses, bad arguments of each type, unknown names, capabilities passed
# and returned, a send, list with matching and mismatching fingerprints, a
# killed server and a path with no server.  Then lang.sh: language 2's
# values of tests/ipcctl/ctllang.ipc, served by LANGSERVER; then multi.sh:
# methods of every ancestor of multi::log, served by MULTISERVER.
set -u
ctl=$1 server=$2 gen=$3 work=$4 lang_server=$5 multi_server=$6
dir=tests/ipcctl
rm -rf "$work"
mkdir -p "$work"
sock=$work/kv.sock
n=0 fails=0

# t STATUS EXPECTED ARGS...: ipcctl ARGS exits with STATUS and prints
# EXPECTED: its standard output, then its standard error with each line
# after "2> ".
t() {
	want_st=$1 want=$2
	shift 2
	n=$((n + 1))
	"$ctl" "$@" >"$work/out" 2>"$work/err"
	st=$?
	got=$(cat "$work/out"; sed 's/^/2> /' "$work/err")
	if [ "$st" != "$want_st" ] || [ "$got" != "$want" ]; then
		fails=$((fails + 1))
		printf 'FAIL: ipcctl %s\n  want (exit %s):\n%s\n  got (exit %s):\n%s\n' "$*" \
			"$want_st" "$want" "$st" "$got"
	fi
}

# start_server [--evil] SOCKET: starts the server, sets pid.
start_server() {
	"${server_bin:-$server}" "$@" &
	pid=$!
	i=0
	eval "path=\${$#}"
	while [ ! -S "$path" ]; do
		i=$((i + 1))
		[ $i -lt 500 ] || { echo "server did not start"; kill $pid; exit 1; }
		sleep 0.01
	done
}
start_server --evil "$work/evil.sock"
evil_pid=$pid
start_server "$sock"
trap 'kill $pid $evil_pid 2>/dev/null' EXIT

# What ipcgen wrote into the generated header: ipcctl must agree.
hdr() { sed -n "s/^#define CTLTEST_$1 UINT[0-9]*_C(\(0x[0-9a-f]*\)).*/\1/p" "$gen/ctltest.h"; }
base_id=$(hdr BASE_ID) base_abi=$(hdr BASE_ABI) kv_id=$(hdr KV_ID) kv_abi=$(hdr KV_ABI)
[ -n "$base_id" ] && [ -n "$kv_abi" ] || { echo "no IDs in $gen/ctltest.h"; exit 1; }

I="-I $dir"
kv="call $sock ctltest::kv"

# ---- list ----------------------------------------------------------------
methods="	call ping() void (from ctltest::base)
	call put(key: string<16>, value: bytes<8>) u32 raises (ctltest::too_big)
	call get(key: string<16>) bytes<8> raises (ctltest::not_found)
	call add(a: i32, b: i8, c: u64, d: u16) i64
	call paint(c: ctltest::color, on: bool) ctltest::color
	call greet(name: string<32>) string<40>
	call fail(which: u8) void raises (ctltest::not_found, ctltest::too_big)
	call head{f: cap}(max: u32) string<64>
	call measure{pages: page...}() size
	call make{; out: page}(text: string<32>) void
	send note(text: string<32>)
	call last() string<32>
	call wide() u64
	call neg() i64"
t 0 "ctltest::base: served (id $base_id, fingerprint $base_abi)
	call ping() void
ctltest::kv :: ctltest::base: served (id $kv_id, fingerprint $kv_abi)
$methods" list "$sock" $dir/ctltest.ipc

t 1 "ctlother::absent: not served (id 0xc744c1a1, fingerprint 0x02fbdb4baca751e6)
	call nothing() void" list "$sock" $dir/ctlother.ipc

# An edited copy: a's type changes the fingerprint of kv, not of base.
mkdir -p "$work/edited"
sed 's/call add(a: i32,/call add(a: i64,/' $dir/ctltest.ipc >"$work/edited/ctltest.ipc"
cmp -s $dir/ctltest.ipc "$work/edited/ctltest.ipc" && { echo "the edit did nothing"; exit 1; }
"$ctl" list "$sock" "$work/edited/ctltest.ipc" >"$work/list" 2>&1
st=$?
edited_abi=$(sed -n 's/.*fingerprint \(0x[0-9a-f]*\) here.*/\1/p' "$work/list")
[ -n "$edited_abi" ] && [ "$edited_abi" != "$kv_abi" ] || { echo "no other fingerprint"; cat "$work/list"; exit 1; }
t 1 "ctltest::base: served (id $base_id, fingerprint $base_abi)
	call ping() void
ctltest::kv :: ctltest::base: served with another fingerprint (id $kv_id, fingerprint $edited_abi here, $kv_abi at the service)
$(echo "$methods" | sed 's/add(a: i32/add(a: i64/')" list "$sock" "$work/edited/ctltest.ipc"

t 1 "{\"service\": \"$sock\", \"interfaces\": [{\"name\": \"ctlother::absent\", \"id\": \"0xc744c1a1\", \"fingerprint\": \"0x02fbdb4baca751e6\", \"status\": \"not served\", \"methods\": [{\"kind\": \"call\", \"name\": \"nothing\", \"label\": \"0xc744c1a10001\", \"signature\": \"call nothing() void\"}]}]}" \
	--json list "$sock" $dir/ctlother.ipc
"$ctl" -j list "$sock" "$work/edited/ctltest.ipc" $dir/ctlother.ipc >"$work/json"
st=$?
for want in '"status": "mismatch"' "\"service_fingerprint\": \"$kv_abi\"" "\"fingerprint\": \"$edited_abi\"" \
	'"name": "ctlother::absent", "id": "0xc744c1a1", "fingerprint": "0x02fbdb4baca751e6", "status": "not served"' \
	'{"kind": "send", "name": "note", "label": "0xd4535deb000a", "signature": "send note(text: string<32>)"}' \
	'"parent": "ctltest::base"' '"from": "ctltest::base"'; do
	n=$((n + 1))
	grep -qF "$want" "$work/json" || { fails=$((fails + 1)); echo "FAIL: list --json lacks $want"; }
done
n=$((n + 1))
[ "$st" = 1 ] || { fails=$((fails + 1)); echo "FAIL: list --json of a mismatch: exit $st"; }
if command -v python3 >/dev/null; then
	n=$((n + 1))
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/json" ||
		{ fails=$((fails + 1)); echo "FAIL: list --json is not JSON"; }
fi

# ---- calls -----------------------------------------------------------------
t 0 "" $I $kv ping
t 0 "" $I call "$sock" ctltest::base ping
t 0 "result = 1" $I $kv put key=a value=0102ff
t 0 "result = 2" $I $kv put key=empty value=
t 0 "result = 0102ff" $I $kv get key=a
t 0 "result = " $I $kv get key=empty
t 0 '{"status": "ok", "results": {"result": "0102ff"}}' $I -j $kv get key=a
printf 'AB\n' >"$work/two"
t 0 "result = 2" $I $kv put key=a value=@"$work/two"
t 0 "result = 41420a" $I $kv get key=a
t 0 "result = -2147483515" $I $kv add a=-2147483648 b=127 c=0 d=6
t 0 "result = -1" $I $kv add a=0 b=-128 c=0x7f d=0
t 0 "result = 65535" $I $kv add a=0 b=0 c=0 d=0xFFFF
t 0 '{"status": "ok", "results": {"result": -9223372036854775808}}' $I --json $kv add a=0 b=0 c=0x8000000000000000 d=0
t 0 "result = GREEN" $I $kv paint c=RED on=true
t 0 "result = RED" $I $kv paint c=7 on=true
t 0 "result = RED" $I $kv paint c=-1 on=false
t 0 '{"status": "ok", "results": {"result": "BLUE"}}' $I -j $kv paint c=GREEN on=true
t 0 'result = "hello, Zoë!"' $I $kv greet name=Zoë
t 0 'result = "hello, a \"b\"\\\tc!"' $I $kv greet "name=a \"b\"\\	c"
t 0 '{"status": "ok", "results": {"result": "hello, \"\u0001\"!"}}' $I -j $kv greet "name=\"$(printf '\001')\""
t 0 'result = "hello, !"' $I $kv greet name=
t 0 'result = 18446744073709551615' $I $kv wide
t 0 'result = -9223372036854775808' $I $kv neg
t 0 '{"status": "ok", "results": {"result": 18446744073709551615}}' $I -j $kv wide

# Declared errors, and a status.
t 0 "" $I $kv fail which=0
t 1 "2> ipcctl: ctltest::kv.fail: ctltest::not_found: No value is stored under that key." $I $kv fail which=1
t 1 "2> ipcctl: ctltest::kv.fail: ctltest::too_big: The value does not fit." $I $kv fail which=5
t 1 '{"status": "error", "error": "ctltest::too_big", "code": 708444165}
2> ipcctl: ctltest::kv.fail: ctltest::too_big: The value does not fit.' $I -j $kv fail which=5
t 1 "2> ipcctl: ctltest::kv.fail: IPC_EFAULT (server fault)" $I $kv fail which=9
t 1 '{"status": "transport", "error": "IPC_EFAULT", "code": -7, "text": "server fault"}
2> ipcctl: ctltest::kv.fail: IPC_EFAULT (server fault)' $I -j $kv fail which=9
t 1 "2> ipcctl: ctltest::kv.get: ctltest::not_found: No value is stored under that key." $I $kv get key=nothing
t 1 "2> ipcctl: ctltest::kv.put: ctltest::too_big: The value does not fit." $I $kv put key=b value=01020304050607

# Capabilities: a file's descriptor, pages, a page returned.
printf 'first line\nsecond line\n' >"$work/lines"
t 0 'result = "first line"' $I $kv head f=@"$work/lines" max=64
t 0 'result = "fir"' $I $kv head max=3 f=@"$work/lines"
printf 'twelve bytes' >"$work/twelve"
t 0 "result = 12" $I $kv measure pages=@"$work/twelve"
t 0 "result = 12" $I $kv measure pages=@"$work/twelve" pages=@"$work/twelve"
t 0 "result = 0" $I $kv measure
head -c 5000 /dev/zero | tr '\0' x >"$work/big"
t 0 "result = 5000" $I $kv measure pages=@"$work/big"
# Returned: 0, 1, 2 are standard, 3 the connection: the page is 4.
t 0 "out = fd 4 (page, 4096 bytes)" $I $kv make text=hi
t 0 '{"status": "ok", "results": {"out": {"fd": 4, "kind": "page", "size": 4096}}}' $I -j $kv make text=hi

# A send, seen by the next call.
t 0 "" $I send "$sock" ctltest::kv note text=remember
t 0 'result = "remember"' $I $kv last
t 0 '{"status": "sent"}' $I -j send "$sock" ctltest::kv note text=again
t 0 'result = "again"' $I $kv last

# ---- bad arguments, each type ----------------------------------------------
t 2 "2> ipcctl: 'a': expected i32 (-2147483648..2147483647), got \"x\"" $I $kv add a=x b=0 c=0 d=0
t 2 "2> ipcctl: 'a': expected i32 (-2147483648..2147483647), got \"2147483648\"" $I $kv add a=2147483648 b=0 c=0 d=0
t 2 "2> ipcctl: 'b': expected i8 (-128..127), got \"128\"" $I $kv add a=0 b=128 c=0 d=0
t 2 "2> ipcctl: 'b': expected i8 (-128..127), got \"-129\"" $I $kv add a=0 b=-129 c=0 d=0
t 2 "2> ipcctl: 'c': expected u64 (0..18446744073709551615), got \"-1\"" $I $kv add a=0 b=0 c=-1 d=0
t 2 "2> ipcctl: 'c': expected u64 (0..18446744073709551615), got \"0x10000000000000000\"" $I $kv add a=0 b=0 c=0x10000000000000000 d=0
t 2 "2> ipcctl: 'd': expected u16 (0..65535), got \"65536\"" $I $kv add a=0 b=0 c=0 d=65536
t 2 "2> ipcctl: 'd': expected u16 (0..65535), got \"\"" $I $kv add a=0 b=0 c=0 d=
t 2 "2> ipcctl: 'd': expected u16 (0..65535), got \" 1\"" $I $kv add a=0 b=0 c=0 "d= 1"
t 2 "2> ipcctl: 'max': expected u32 (0..4294967295), got \"-1\"" $I $kv head f=@"$work/lines" max=-1
t 2 "2> ipcctl: 'on': expected bool (true or false), got \"yes\"" $I $kv paint c=RED on=yes
t 2 "2> ipcctl: 'c': expected ctltest::color (RED, GREEN, BLUE, or a member's value), got \"BLEU\"; did you mean 'BLUE'?" $I $kv paint c=BLEU on=true
t 2 "2> ipcctl: 'c': expected ctltest::color (RED, GREEN, BLUE, or a member's value), got \"3\"" $I $kv paint c=3 on=true
t 2 "2> ipcctl: 'key': expected string<16> (at most 16 bytes), got 17 bytes" $I $kv get key=12345678901234567
t 2 "2> ipcctl: 'key': expected string<16> (UTF-8 text), got invalid UTF-8" $I $kv get "key=$(printf '\377')"
t 2 "2> ipcctl: 'value': expected bytes<8> (hex digits, or @FILE), got \"abc\"" $I $kv put key=a value=abc
t 2 "2> ipcctl: 'value': expected bytes<8> (hex digits, or @FILE), got \"zz\"" $I $kv put key=a value=zz
t 2 "2> ipcctl: 'value': expected bytes<8> (at most 8 bytes), got 9 bytes" $I $kv put key=a value=000102030405060708
t 2 "2> ipcctl: 'value': expected bytes<8> (at most 8 bytes), got more from '$work/lines'" $I $kv put key=a value=@"$work/lines"
t 2 "2> ipcctl: 'value': cannot read '$work/none': No such file or directory" $I $kv put key=a value=@"$work/none"
t 2 "2> ipcctl: 'f': expected cap (@FILE to open, or @SOCKET to connect to), got \"3\"" $I $kv head f=3 max=1
t 2 "2> ipcctl: 'f': cannot open '$work/none': No such file or directory" $I $kv head f=@"$work/none" max=1
t 2 "2> ipcctl: 'pages': expected page (@FILE), got \"x\"" $I $kv measure pages=x
t 2 "2> ipcctl: 'pages': cannot use '$work' as a page: not a regular file" $I $kv measure pages=@"$work"

# ---- unknown names, missing arguments ----------------------------------------
t 2 "2> ipcctl: unknown interface 'ctltest::kw'; did you mean 'ctltest::kv'?" $I call "$sock" ctltest::kw ping
t 2 "2> ipcctl: unknown interface 'ctltest::zzzzzz'" $I call "$sock" ctltest::zzzzzz ping
t 2 "2> ipcctl: 'kv': expected an interface as NS::NAME" $I call "$sock" kv ping
t 2 "2> ipcctl: '../x::kv': expected an interface as NS::NAME" $I call "$sock" ../x::kv ping
t 2 "2> ipcctl: cannot find 'nosuch.ipc' for 'nosuch::kv' (searched every -I folder and '.')" $I call "$sock" nosuch::kv ping
t 2 "2> ipcctl: 'ctltest::kv' has no method 'gte'; did you mean 'get'?" $I $kv gte key=a
t 2 "2> ipcctl: 'ctltest::kv' has no method 'frobnicate'" $I $kv frobnicate
t 2 "2> ipcctl: unknown parameter 'kye'; did you mean 'key'?" $I $kv get kye=a
t 2 "2> ipcctl: 'out' is returned by the call, not passed" $I $kv make text=a out=@"$work/lines"
t 2 "2> ipcctl: 'key' is given twice" $I $kv get key=a key=b
t 2 "2> ipcctl: 'key': expected NAME=VALUE" $I $kv get key
t 2 "2> ipcctl: missing argument 'key' (string<16>)" $I $kv get
t 2 "2> ipcctl: missing argument 'b' (i8)" $I $kv add a=1 c=2 d=3
t 2 "2> ipcctl: 'note' is a send: use 'ipcctl send'" $I $kv note text=x
t 2 "2> ipcctl: 'last' is a call: use 'ipcctl call'" $I send "$sock" ctltest::kv last
t 2 "2> ipcctl: unknown command 'cal' (list, call or send)" $I cal "$sock" ctltest::kv ping
t 2 "2> ipcctl: -t: expected milliseconds (0..2147483647), got 'soon'" -t soon $I $kv ping
printf 'namespace broken;\ninterface x { call f() u33; }\n' >"$work/broken.ipc"
t 2 "2> $work/broken.ipc:2:24: error: unknown type 'u33'; did you mean 'u32'?
2>     interface x { call f() u33; }
2>                            ^
2> ipcctl: 1 error in the .ipc files" list "$sock" "$work/broken.ipc"
"$ctl" >"$work/out" 2>&1
st=$?
n=$((n + 1))
{ [ $st = 2 ] && grep -q '^usage: ipcctl' "$work/out"; } || { fails=$((fails + 1)); echo "FAIL: no arguments: exit $st"; }

# ---- a fingerprint that differs: refused, unless -n ----------------------------
E="-I $work/edited"
t 1 "2> ipcctl: '$sock' serves ctltest::kv with another fingerprint ($edited_abi here, $kv_abi there); -n calls it anyway" \
	$E $kv add a=1 b=2 c=3 d=4
t 1 "{\"status\": \"mismatch\", \"interface\": \"ctltest::kv\", \"fingerprint\": \"$edited_abi\", \"service_fingerprint\": \"$kv_abi\"}
2> ipcctl: '$sock' serves ctltest::kv with another fingerprint ($edited_abi here, $kv_abi there); -n calls it anyway" \
	$E -j $kv add a=1 b=2 c=3 d=4
t 0 "result = 10" $E -n $kv add a=1 b=2 c=3 d=4
# What the server then refuses: a is an i32 there.
t 1 "2> ipcctl: ctltest::kv.add: IPC_EPROTO (malformed message)" $E -n $kv add a=0x100000000 b=0 c=0 d=0
t 1 "2> ipcctl: '$sock' does not serve ctlother::absent" -I $dir call "$sock" ctlother::absent nothing

# ---- replies a generated client refuses ----------------------------------------
evil="call $work/evil.sock ctltest::kv"
for call in ping "paint c=RED on=true" "add a=0 b=0 c=0 d=0" "greet name=x" last "get key=a" \
	"fail which=0" "put key=a value=00" wide "make text=x" "head f=@$work/lines max=1"; do
	t 1 "2> ipcctl: ctltest::kv.${call%% *}: IPC_EPROTO (malformed message)" $I $evil $call
done
t 1 "2> ipcctl: ctltest::kv.neg: IPC_EBUSY (busy)" $I $evil neg
t 0 "result = 18446744073709551615" $I $evil measure
kill $evil_pid

# ---- no service ----------------------------------------------------------------
t 3 "2> ipcctl: cannot reach '$work/none.sock': No such file or directory" $I call "$work/none.sock" ctltest::kv ping
t 3 "{\"status\": \"unreachable\", \"service\": \"$work/none.sock\", \"error\": \"No such file or directory\"}
2> ipcctl: cannot reach '$work/none.sock': No such file or directory" $I -j call "$work/none.sock" ctltest::kv ping
t 3 "2> ipcctl: cannot reach '$work/lines': not a socket" $I call "$work/lines" ctltest::kv ping
t 3 "2> ipcctl: cannot reach '$work/none.sock': No such file or directory" list "$work/none.sock" $dir/ctltest.ipc
# Bad arguments are found before the service is looked for.
t 2 "2> ipcctl: 'b': expected i8 (-128..127), got \"999\"" $I call "$work/none.sock" ctltest::kv add a=0 b=999 c=0 d=0
# A server that does not answer (stopped): the timeout, then it answers again.
kill -STOP $pid
t 3 "2> ipcctl: cannot reach '$sock': timed out" -t 200 $I $kv ping
t 3 "{\"status\": \"unreachable\", \"service\": \"$sock\", \"error\": \"timed out\"}
2> ipcctl: cannot reach '$sock': timed out" -j --timeout=200 list "$sock" $dir/ctltest.ipc
kill -CONT $pid
t 0 'result = "again"' $I $kv last
kill -KILL $pid
wait $pid 2>/dev/null
[ -S "$sock" ] || { echo "the killed server took its socket along"; exit 1; }
t 3 "2> ipcctl: cannot reach '$sock': Connection refused" $I $kv ping
t 3 "2> ipcctl: cannot reach '$sock': Connection refused" list "$sock" $dir/ctltest.ipc

server_bin=$lang_server
. tests/ipcctl/lang.sh
server_bin=$multi_server
. tests/ipcctl/multi.sh

echo "ipcctl: $n checks, $fails failed"
[ $fails -eq 0 ]
