# multi.sh: sourced by ipcctl.sh (its t, start_server, $ctl, $work, $gen)
# with $multi_server set: multi::log of tests/ipcgen/ok/multi.ipc, an
# interface with several parents that reaches node through three of them,
# through ipcctl: list (parents, each inherited method once, from whom),
# calls and a send of every ancestor under the interface and under the
# ancestors' own names, a declared error, a misspelt inherited method.

start_server "$work/multi.sock"
multi_pid=$pid
trap 'kill $multi_pid 2>/dev/null' EXIT
ok=tests/ipcgen/ok
log="call $work/multi.sock multi::log"

mhdr() { sed -n "s/^#define MULTI_$1 UINT[0-9]*_C(\(0x[0-9a-f]*\)).*/\1/p" "$gen/multi.h"; }
node="	call name() string<32> (from multi::node)
	call touch(n: u32) u64 (from multi::node)"
t 0 "multi::node: served (id $(mhdr NODE_ID), fingerprint $(mhdr NODE_ABI))
	call name() string<32>
	call touch(n: u32) u64
multi::readable :: multi::node: served (id $(mhdr READABLE_ID), fingerprint $(mhdr READABLE_ABI))
$node
	call read(n: u32) bytes<16>
multi::writable :: multi::node: served (id $(mhdr WRITABLE_ID), fingerprint $(mhdr WRITABLE_ABI))
$node
	call write(data: bytes<16>) size raises (multi::denied)
	send clear()
multi::file :: multi::readable, multi::writable: served (id $(mhdr FILE_ID), fingerprint $(mhdr FILE_ABI))
$node
	call read(n: u32) bytes<16> (from multi::readable)
	call write(data: bytes<16>) size raises (multi::denied) (from multi::writable)
	send clear() (from multi::writable)
	call close() void
multi::log :: multi::writable, multi::file, multi::node: served (id $(mhdr LOG_ID), fingerprint $(mhdr LOG_ABI))
$node
	call write(data: bytes<16>) size raises (multi::denied) (from multi::writable)
	send clear() (from multi::writable)
	call read(n: u32) bytes<16> (from multi::readable)
	call close() void (from multi::file)
	call count() u32" list "$work/multi.sock" $ok/multi.ipc
"$ctl" -j list "$work/multi.sock" $ok/multi.ipc >"$work/multi.json"
for want in '"name": "multi::log", "parents": ["multi::writable", "multi::file", "multi::node"]' \
	'"name": "multi::readable", "parent": "multi::node"' \
	"{\"kind\": \"call\", \"name\": \"touch\", \"label\": \"$(mhdr NODE_ID)0002\", \"signature\": \"call touch(n: u32) u64\", \"from\": \"multi::node\"}"; do
	n=$((n + 1))
	grep -qF "$want" "$work/multi.json" || { fails=$((fails + 1)); echo "FAIL: multi list --json lacks $want"; }
done

# Each ancestor's method under its own label, through the interface.
t 0 'result = "the log"' -I $ok $log name
t 0 'result = 2' -I $ok $log touch n=2
t 0 'result = 5' -I $ok call "$work/multi.sock" multi::file touch n=3
t 0 'result = 6' -I $ok call "$work/multi.sock" multi::node touch n=1
t 0 'result = 2' -I $ok $log write data=6869
t 0 'result = 6869' -I $ok $log read n=9
t 0 '{"status": "ok", "results": {"result": "68"}}' -I $ok -j call "$work/multi.sock" multi::readable read n=1
t 0 '' -I $ok send "$work/multi.sock" multi::log clear
t 0 'result = ' -I $ok $log read n=9
t 0 'result = 1' -I $ok $log count
t 0 '' -I $ok $log close
t 1 '2> ipcctl: multi::log.write: multi::denied: The object does not allow it.' -I $ok $log write data=00
t 2 "2> ipcctl: 'multi::log' has no method 'raed'; did you mean 'read'?" -I $ok $log raed n=1
kill $multi_pid
