# lang.sh: sourced by ipcctl.sh (its t, $ctl, $work, $dir) with $lang_server
# set: language 2's values of tests/ipcctl/ctllang.ipc through ipcctl,
# against tests/ipcctl/lang_server.c: structs, lists, optional values, bit
# sets, constants and several named results, passed and returned, as text
# and JSON; raises (ctllang::*) errors by name and by code; bad arguments
# of each new kind, with the path inside them; and an evil server's
# malformed replies, refused as the generated client refuses them; then
# olist.sh: lists out of line.

printf abc >"$work/three"
start_server --evil "$work/lang-evil.sock"
lang_evil_pid=$pid
start_server "$work/lang.sock"
lang_pid=$pid
trap 'kill $lang_pid $lang_evil_pid 2>/dev/null' EXIT
fs="call $work/lang.sock ctllang::fs"
ent='{name=a, kind=FILE, mode=READ|WRITE, mtime={sec=-1, nsec=2}, tags=[]}'
ent_out='{name="a", kind=FILE, mode=READ|WRITE, size=null, mtime={sec=-1, nsec=2}, tags=[]}'

# ---- list: several results, raises (ns::*), skip -----------------------------
lang_id=$(sed -n 's/^#define CTLLANG_FS_ID UINT32_C(\(0x[0-9a-f]*\)).*/\1/p' "$gen/ctllang.h")
lang_abi=$(sed -n 's/^#define CTLLANG_FS_ABI UINT64_C(\(0x[0-9a-f]*\)).*/\1/p' "$gen/ctllang.h")
t 0 "ctllang::fs: served (id $lang_id, fingerprint $lang_abi)
	call stat(name: string<12>) ctllang::entry raises (ctllang::missing)
	call put(ents: list<ctllang::entry, 3>) (count: u32, first: string<12>?) raises (ctllang::*)
	call list(dir: string<12>, max: u32?) (ents: list<ctllang::entry, 3>, more: bool) raises (ctllang::*)
	call echo(e: ctllang::entry) ctllang::entry
	call names(parts: list<string<8>, 4>) (joined: string<40>, count: u32)
	call blobs(b: ctllang::blob?, w: ctllang::wide, m: ctllang::mode) (ob: ctllang::blob?, ow: ctllang::wide, om: ctllang::mode)
	call grid(rows: list<ctllang::row, 2>) list<ctllang::row, 2>
	send note(when: ctllang::time?, flags: ctllang::mode)
	call last() (when: ctllang::time?, flags: ctllang::mode)
	call pack{; out: page}(e: ctllang::entry?, n: u8) (size: u32, name: string<12>?)
	call plain(x: u32) u32
	call swap{a: cap?, fds: cap..., ports: cap...; one: cap?, out: cap..., more: cap...}() u32
	call blob(data: bytes<100000>, name: string<8000>) (back: bytes<100000>, n: u32)
	call nums(v: list<u32, 2000>) list<u32, 2000>
	call recs(v: list<ctllang::rec, 200>, tag: u32) (got: list<ctllang::rec, 200>, n: u64)
	call split(v: list<u32, 2000>) (lo: list<u32, 2000>, hi: list<u32, 2000>)
	call doc(d: ctllang::doc) ctllang::doc
	call maybe(o: list<u32, 1000>?) list<u32, 1000>?
	send heap(v: list<u32, 2000>)
	call tally() u64" list "$work/lang.sock" $dir/ctllang.ipc
# The label of list: number 4, after a skip.
"$ctl" -j list "$work/lang.sock" $dir/ctllang.ipc >"$work/json"
n=$((n + 1))
grep -qF "\"name\": \"list\", \"label\": \"$(printf '0x%08x0004' "$lang_id")\", \"signature\": \"call list(dir: string<12>, max: u32?) (ents: list<ctllang::entry, 3>, more: bool) raises (ctllang::*)\"" \
	"$work/json" || { fails=$((fails + 1)); echo "FAIL: list --json of ctllang"; cat "$work/json"; }

# ---- structs, lists, optional values, bit sets ---------------------------------
t 0 'result = {name="x", kind=LINK, mode=READ|WRITE, size=null, mtime={sec=-5, nsec=7}, tags=[1, 255]}' \
	$I $fs stat name=x
t 0 '{"status": "ok", "results": {"result": {"name": "big", "kind": "LINK", "mode": "READ|WRITE", "size": 1099511627776, "mtime": {"sec": -5, "nsec": 7}, "tags": [1, 255]}}}' \
	$I -j $fs stat name=big
t 0 "result = $ent_out" $I $fs echo "e=$ent"
# JSON-like: quoted names, ':' for '=', spaces, escapes, a trailing comma.
t 0 'result = {name="b \"c\"\té", kind=DIR, mode=0, size=18446744073709551615, mtime={sec=-9223372036854775808, nsec=4294967295}, tags=[0, 1, 2, 255]}' \
	$I $fs echo 'e={ "name": "b \"c\"\t\u00e9", "kind": "DIR", "mode": "0", "size": 0xffffffffffffffff,
	"mtime": {"sec": -9223372036854775808, "nsec": 4294967295}, "tags": [0, 1, 2, 255], }'
# Constants where a number goes: NAME of the namespace, or NS::NAME.
t 0 'result = {name="c", kind=LINK, mode=READ|EXEC, size=12, mtime={sec=3, nsec=12}, tags=[3]}' \
	$I $fs echo 'e={name=c, kind=7, mode=1|EXEC, size=NAME_MAX, mtime={sec=NENTS, nsec=ctllang::NAME_MAX}, tags=[NENTS]}'
t 0 'size = 12
name = (absent)
out = fd 4 (page, 4096 bytes)' $I $fs pack n=NAME_MAX
t 0 '{"status": "ok", "results": {"size": 1, "name": "q", "out": {"fd": 4, "kind": "page", "size": 4096}}}' \
	$I -j $fs pack n=1 "e={name=q, kind=LINK, mode=EXEC, size=null, mtime={sec=1, nsec=1}, tags=[9]}"
t 0 'count = 2
first = "a"' $I $fs put "ents=[$ent, {name=b, kind=DIR, mode=WRITE, size=5, mtime={sec=0, nsec=0}, tags=[1, 2, 3, 4]}]"
both="ents = [$ent_out, {name=\"b\", kind=DIR, mode=WRITE, size=5, mtime={sec=0, nsec=0}, tags=[1, 2, 3, 4]}]
more = false"
t 0 "$both" $I $fs list dir=x
t 0 "ents = [$ent_out]
more = true" $I $fs list dir=x max=1
t 0 '{"status": "ok", "results": {"ents": [{"name": "a", "kind": "FILE", "mode": "READ|WRITE", "size": null, "mtime": {"sec": -1, "nsec": 2}, "tags": []}], "more": true}}' \
	$I -j $fs list dir=x max=1
t 0 '{"status": "ok", "results": {"ents": [], "more": true}}' $I -j $fs list dir=x max=0
t 0 "$both" $I $fs list dir=x max=null
t 0 'count = 0
first = (absent)' $I $fs put 'ents=[]'
t 0 '{"status": "ok", "results": {"count": 0, "first": null}}' $I -j $fs put 'ents=[ ]'
t 0 'joined = "a/b,c/é/"
count = 4' $I $fs names 'parts=[a, "b,c", "\u00e9", ""]'
t 0 'ob = (absent)
ow = 0
om = EXEC' $I $fs blobs w=LOW m=EXEC
t 0 'ob = {data=0102, note=null}
ow = HIGH
om = READ|EXEC' $I $fs blobs 'b={data=0102}' w='HIGH|LOW' m='READ | 0x8'
t 0 '{"status": "ok", "results": {"ob": {"data": "ff", "note": "hi"}, "ow": "LOW|HIGH", "om": "0"}}' \
	$I -j $fs blobs 'b={data=ff, note=hi}' w=HIGH m=0
t 0 'ob = (absent)
ow = LOW
om = READ' $I $fs blobs b=null w=0 m=1
t 0 'result = [{cells=[-1, 127, -127]}, {cells=[]}]' $I $fs grid 'rows=[{cells=[1, -128, 127]}, {cells=[]}]'
t 0 '{"status": "ok", "results": {"result": []}}' $I -j $fs grid 'rows=[]'
t 0 'result = 8' $I $fs plain x=7
t 0 "" $I send "$work/lang.sock" ctllang::fs note flags=READ
t 0 'when = (absent)
flags = READ' $I $fs last
t 0 '{"status": "ok", "results": {"when": null, "flags": "READ"}}' $I -j $fs last
t 0 "" $I send "$work/lang.sock" ctllang::fs note 'when={sec=-2, nsec=3}' flags='WRITE|READ'
t 0 'when = {sec=-2, nsec=3}
flags = READ|WRITE' $I $fs last

# ---- declared errors: by name, and by code of raises (ctllang::*) ---------------
t 1 "2> ipcctl: ctllang::fs.stat: ctllang::missing: Nothing by that name." $I $fs stat name=none
t 1 "2> ipcctl: ctllang::fs.list: ctllang::full: No room left." $I $fs list dir=full
t 1 '{"status": "error", "error": "ctllang::missing", "code": 792068106}
2> ipcctl: ctllang::fs.list: ctllang::missing: Nothing by that name.' $I -j $fs list dir=gone
t 1 "2> ipcctl: ctllang::fs.list: ctllang::<99>" $I $fs list dir=odd
t 1 '{"status": "error", "error": "ctllang::<99>", "code": 792068195}
2> ipcctl: ctllang::fs.put: ctllang::<99>' $I -j $fs put 'ents=[{name=odd, kind=FILE, mode=0, mtime={sec=0, nsec=0}, tags=[]}]'

# ---- bad arguments of each new kind: the path inside them -------------------------
T="2> ipcctl: 'ents"
e1='kind=FILE, mode=0, mtime={sec=0, nsec=0}, tags=[]'
t 2 "$T[0]': missing field 'kind' (ctllang::kind)" $I $fs put 'ents=[{name=a}]'
t 2 "$T[1]': ctllang::entry has no field 'nme'; did you mean 'name'?" $I $fs put "ents=[{name=a, $e1}, {nme=a}]"
t 2 "$T[0]': ctllang::entry has no field 'x'" $I $fs put "ents=[{name=a, $e1, x=1}]"
t 2 "$T[0].name': given twice" $I $fs put "ents=[{name=a, name=b}]"
t 2 "$T[2].name': expected string<12> (at most 12 bytes), got 13 bytes" $I $fs put "ents=[{name=a, $e1}, {name=b, $e1}, {name=1234567890123, $e1}]"
t 2 "$T': expected list<ctllang::entry, 3> (at most 3 elements), got more" $I $fs put "ents=[{name=a, $e1}, {name=b, $e1}, {name=c, $e1}, {name=d, $e1}]"
t 2 "$T[0].kind': expected ctllang::kind (FILE, DIR, LINK, or a member's value), got \"FIEL\"; did you mean 'FILE'?" \
	$I $fs put 'ents=[{name=a, kind=FIEL}]'
t 2 "$T[0].mode': expected ctllang::mode (READ, WRITE, EXEC joined with '|', or a number), got \"REED|WRITE\"; did you mean 'READ'?" \
	$I $fs put 'ents=[{name=a, kind=FILE, mode=REED|WRITE}]'
t 2 "2> ipcctl: 'm': expected ctllang::mode (READ, WRITE, EXEC joined with '|', or a number), got \"4\"" $I $fs blobs w=0 m=4
t 2 "2> ipcctl: 'm': expected ctllang::mode (READ, WRITE, EXEC joined with '|', or a number), got \"READ|\"" $I $fs blobs w=0 m='READ|'
t 2 "2> ipcctl: 'w': expected ctllang::wide (LOW, HIGH joined with '|', or a number), got \"2\"" $I $fs blobs w=2 m=0
t 2 "$T[0].tags[1]': expected u8 (0..255), got \"256\"" $I $fs put 'ents=[{name=a, kind=FILE, mode=0, mtime={sec=0, nsec=0}, tags=[1, 256]}]'
t 2 "$T[0].tags': expected list<u8, 4> (at most 4 elements), got more" $I $fs put 'ents=[{name=a, kind=FILE, mode=0, mtime={sec=0, nsec=0}, tags=[1, 2, 3, 4, 5]}]'
t 2 "$T[0].tags': expected list<u8, 4> ([VALUE, ...]), got \"null\"" $I $fs put 'ents=[{name=a, kind=FILE, mode=0, mtime={sec=0, nsec=0}, tags=null}]'
t 2 "$T[0].mtime': expected ctllang::time ({FIELD=VALUE, ...}), got \"5\"" $I $fs put 'ents=[{name=a, kind=FILE, mode=0, mtime=5}]'
t 2 "$T[0].mtime.sec': expected i64 (-9223372036854775808..9223372036854775807), got \"soon\"" $I $fs put 'ents=[{name=a, kind=FILE, mode=0, mtime={sec=soon}}]'
t 2 "$T': expected list<ctllang::entry, 3> ([VALUE, ...]), got \"{}\"" $I $fs put 'ents={}'
t 2 "$T': expected list<ctllang::entry, 3> ([VALUE, ...]), got \"null\"" $I $fs put 'ents=null'
t 2 "$T': expected a value or ']', got the end" $I $fs put 'ents=['
t 2 "$T': expected nothing after the value, got \"x\"" $I $fs put 'ents=[] x'
t 2 "$T[0]': expected ',' or '}', got \"x}]\"" $I $fs put 'ents=[{name="a" x}]'
t 2 "$T[0].name': expected '=' after the field's name, got \"1}]\"" $I $fs put 'ents=[{"name" 1}]'
t 2 "$T[0]': expected a field's name or '}', got \"-}]\"" $I $fs put 'ents=[{-}]'
t 2 "$T[0].name': a quoted string has no closing '\"'" $I $fs put 'ents=[{name="a}]'
t 2 "$T[0].name': bad escape \"\\\\q\" in a quoted string" $I $fs put 'ents=[{name="\q"}]'
t 2 "$T[0].name': a quoted string cannot hold NUL" $I $fs put 'ents=[{name="\u0000"}]'
t 2 "$T[0].name': expected string<12> (UTF-8 text), got invalid UTF-8" $I $fs put 'ents=[{name="\xff"}]'
t 2 "$T[0].name': expected string<12>, got \"[1, 2]\"" $I $fs put 'ents=[{name=[1, 2]}]'
t 2 "2> ipcctl: 'parts': expected list<string<8>, 4> (at most 4 elements), got more" $I $fs names 'parts=[a, b, c, d, e]'
t 2 "2> ipcctl: 'parts[1]': expected string<8> (at most 8 bytes), got 9 bytes" $I $fs names 'parts=[a, 123456789]'
t 2 "2> ipcctl: 'parts': expected ',' or ']', got \"}\"" $I $fs names 'parts=[a}'
t 2 "2> ipcctl: 'b.data': expected bytes<8> (hex digits, or @FILE), got \"zz\"" $I $fs blobs 'b={data=zz}' w=0 m=0
t 2 "2> ipcctl: 'b': expected ctllang::blob? ({FIELD=VALUE, ...}), got \"5\"" $I $fs blobs b=5 w=0 m=0
t 2 "2> ipcctl: 'b': missing field 'data' (bytes<8>)" $I $fs blobs 'b={note=x}' w=0 m=0
t 2 "2> ipcctl: 'rows[0].cells[0]': expected i8 (-128..127), got \"-129\"" $I $fs grid 'rows=[{cells=[-129]}]'
t 2 "2> ipcctl: 'when.nsec': expected u32 (0..4294967295), got \"-1\"" $I send "$work/lang.sock" ctllang::fs note 'when={sec=0, nsec=-1}' flags=0
t 2 "2> ipcctl: missing argument 'flags' (ctllang::mode)" $I send "$work/lang.sock" ctllang::fs note
t 2 "2> ipcctl: 'x': expected u32 (0..4294967295), got \"NAME_MAXX\"" $I $fs plain x=NAME_MAXX
t 2 "2> ipcctl: 'x': expected u32 (0..4294967295), got \"nosuch::NAME_MAX\"" $I $fs plain x=nosuch::NAME_MAX

# ---- capabilities in any shape: optional ones, several lists ---------------------------
t 0 'result = 0
one = (absent)
out = []
more = []' $I $fs swap
t 0 '{"status": "ok", "results": {"result": 0, "one": null, "out": [], "more": []}}' $I -j $fs swap
t 0 'result = 4
one = fd 3 (device)
out = [fd 4 (file, 3 bytes), fd 5 (device)]
more = [fd 6 (directory)]' $I $fs swap a=@/dev/null fds=@"$work/three" fds=@/dev/zero ports=@/
t 0 'result = 1
one = (absent)
out = []
more = [fd 3 (file, 3 bytes)]' $I $fs swap ports=@"$work/three"

# ---- out of line: values past their share of the message, both ways ------------------
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "%c", 65 + i % 26 }' >"$work/tenk"
tenk_hex=$(od -An -tx1 -v "$work/tenk" | tr -d ' \n')
long=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "n" }')
t 0 "back = $tenk_hex
n = 15000" $I $fs blob data=@"$work/tenk" name="$long"
t 0 "back = 0102
n = 3" $I $fs blob data=0102 name=x
t 0 "{\"status\": \"ok\", \"results\": {\"back\": \"$tenk_hex\", \"n\": 10001}}" $I -j $fs blob data=@"$work/tenk" name=y

# ---- replies a generated client refuses ----------------------------------------------
evil="call $work/lang-evil.sock ctllang::fs"
for call in "stat name=a" "put ents=[]" "list dir=" "list dir=a" "list dir=ab" "list dir=abc" \
	"names parts=[]" "blobs w=0 m=0" "blobs w=0 m=1" "blobs w=0 m=2" "grid rows=[]" last \
	"pack n=1" "plain x=1" swap "blob data=00 name=x"; do
	t 1 "2> ipcctl: ctllang::fs.${call%% *}: IPC_EPROTO (malformed message)" $I $evil $call
done
t 1 "2> ipcctl: ctllang::fs.echo: IPC_EPROTO (malformed message)" $I $evil echo "e=$ent"
t 1 "2> ipcctl: ctllang::fs.list: ctllang::<99>" $I $evil list dir=abcd
t 0 'ob = (absent)
ow = LOW|HIGH
om = READ|WRITE|EXEC' $I $evil blobs w=0 m=3

# ---- lists out of line ----------------------------------------------------------------
. tests/ipcctl/olist.sh
kill $lang_pid $lang_evil_pid
