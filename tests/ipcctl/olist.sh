# olist.sh: sourced by lang.sh (its t, $fs, $evil, $work) with the
# ctllang::fs servers running: lists, structs and optional values that may
# go out of line (ipcgen(5), "Out of line") through ipcctl, both ways,
# against the generated server, which refuses any other encoding than its
# own: each at the counts around its share, a list of u32 and one of
# structs with strings inside, a struct and an optional list, as text and
# JSON; a one-way send of a list in and out of line; a list past its bound
# refused before anything is sent; and an evil
# server's values out of line, refused as the generated client refuses
# them.

# nums N [FROM]: "FROM, FROM+1, ..." N numbers, as ipcctl writes and prints them.
nums() {
	awk -v n="$1" -v from="${2:-0}" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d", i ? ", " : "", from + i }'
}

# recs N ID JSON: N recs as ipcctl prints them (text, or JSON if JSON is 1),
# the first with a note, their ids from ID.
recs() {
	awk -v n="$1" -v id="$2" -v json="${3:-0}" 'BEGIN {
		for (i = 0; i < n; i++) {
			note = i ? "null" : "\"hi\""
			if (json)
				printf "%s{\"id\": %d, \"name\": \"rec-%012d\", \"tags\": [%d, 7], \"note\": %s}",
					i ? ", " : "", id + i, i, i, note
			else
				printf "%s{id=%d, name=\"rec-%012d\", tags=[%d, 7], note=%s}", i ? ", " : "", id + i, i,
					i, note
		}
	}'
}

# ---- a list of u32: 488 words inline (the count and 487 numbers), past them out of line --
t 0 'result = [1, 2, 3]' $I $fs nums 'v=[1, 2, 3]'
t 0 '{"status": "ok", "results": {"result": []}}' $I -j $fs nums 'v=[]'
for count in 487 488 1000 2000; do
	t 0 "result = [$(nums $count 5)]" $I $fs nums "v=[$(nums $count 5)]"
done
t 0 "{\"status\": \"ok\", \"results\": {\"result\": [$(nums 1500)]}}" $I -j $fs nums "v=[$(nums 1500)]"
# Past the bound: refused before the service is even looked for.
t 2 "2> ipcctl: 'v': expected list<u32, 2000> (at most 2000 elements), got more" \
	$I call "$work/nobody.sock" ctllang::fs nums "v=[$(nums 2001)]"
t 2 "2> ipcctl: 'v[600]': expected u32 (0..4294967295), got \"-1\"" \
	$I call "$work/nobody.sock" ctllang::fs nums "v=[$(nums 600), -1]"

# ---- structs with strings, a list and an optional value: 487 words inline -------------
# 60 recs take 483 words (8 each, the first's note 2 more, the count), 61 take 491.
for count in 1 60 61 200; do
	t 0 "got = [$(recs $count 1000)]
n = $count" $I $fs recs "v=[$(recs $count 0)]" tag=1000
done
t 0 "{\"status\": \"ok\", \"results\": {\"got\": [$(recs 61 7 1)], \"n\": 61}}" \
	$I -j $fs recs "v=[$(recs 61 0 1)]" tag=7
t 2 "2> ipcctl: 'v[3].name': expected string<40> (at most 40 bytes), got 41 bytes" \
	$I $fs recs "v=[$(recs 3 0), {id=0, name=$(awk 'BEGIN { for (i = 0; i < 41; i++) printf "a" }'), tags=[]}]" tag=0

# ---- two lists of one side: 244 words each ------------------------------------------
t 0 'lo = [1]
hi = [2, 3]' $I $fs split 'v=[1, 2, 3]'
# 487 numbers: inline in the request; lo's 243 inline, hi's 244 out of line.
t 0 "lo = [$(nums 243)]
hi = [$(nums 244 243)]" $I $fs split "v=[$(nums 487)]"
t 0 "{\"status\": \"ok\", \"results\": {\"lo\": [$(nums 489)], \"hi\": [$(nums 489 489)]}}" \
	$I -j $fs split "v=[$(nums 978)]"

# ---- lists out of line that a generated client refuses -------------------------------
# nums with k numbers: reply k of evil_nums (lang_server.c); 0 is valid.
t 0 "result = [$(nums 488)]" $I $evil nums 'v=[]'
for k in 1 2 3 4 5 6 7 8 9 10 11; do
	t 1 "2> ipcctl: ctllang::fs.nums: IPC_EPROTO (malformed message)" $I $evil nums "v=[$(nums $k)]"
done
t 1 "2> ipcctl: ctllang::fs.split: IPC_EPROTO (malformed message)" $I $evil split 'v=[]'
t 0 "lo = [$(nums 244)]
hi = [$(nums 245)]" $I $evil split 'v=[0]'
t 1 "2> ipcctl: ctllang::fs.split: IPC_EPROTO (malformed message)" $I $evil split 'v=[0, 1]'
for k in 0 1 2; do
	t 1 "2> ipcctl: ctllang::fs.recs: IPC_EPROTO (malformed message)" $I $evil recs 'v=[]' tag=$k
done

# ---- a struct and an optional value out of line ---------------------------------------
# doc "t" with n words: 3 + n words after its length word, inline up to n = 484.
for count in 0 484 485 1000; do
	t 0 "result = {title=\"t\", words=[$(nums $count)]}" $I $fs doc "d={title=\"t\", words=[$(nums $count)]}"
done
t 0 "{\"status\": \"ok\", \"results\": {\"result\": {\"title\": \"t\", \"words\": [$(nums 700 3)]}}}" \
	$I -j $fs doc "d={title=\"t\", words=[$(nums 700 3)]}"
t 2 "2> ipcctl: 'd.words': expected list<u32, 1000> (at most 1000 elements), got more" \
	$I call "$work/nobody.sock" ctllang::fs doc "d={title=\"t\", words=[$(nums 1001)]}"
# maybe: 2 + n words with its presence word, inline up to n = 486; absent, one word.
t 0 'result = (absent)' $I $fs maybe
t 0 '{"status": "ok", "results": {"result": null}}' $I -j $fs maybe
for count in 0 486 487 1000; do
	t 0 "result = [$(nums $count)]" $I $fs maybe "o=[$(nums $count)]"
done
# ---- one way: a list in a send (heap), inline and out of line; tally sums them --------
t 0 "" $I send "$work/lang.sock" ctllang::fs heap 'v=[1, 2, 3]'
t 0 'result = 6' $I $fs tally
t 0 "" $I send "$work/lang.sock" ctllang::fs heap "v=[$(nums 1500)]"
t 0 'result = 1124256' $I $fs tally
t 0 "" $I send "$work/lang.sock" ctllang::fs heap "v=[$(nums 2000)]"
t 0 '{"status": "ok", "results": {"result": 3123256}}' $I -j $fs tally
t 2 "2> ipcctl: 'v': expected list<u32, 2000> (at most 2000 elements), got more" \
	$I send "$work/nobody.sock" ctllang::fs heap "v=[$(nums 2001)]"

# What a generated client refuses, and what it takes (evil_doc, evil_maybe in lang_server.c).
t 0 'result = {title="t", words=[]}' $I $evil doc 'd={title="t", words=[0]}'
t 0 "result = {title=\"t\", words=[$(nums 485)]}" $I $evil doc 'd={title="t", words=[2]}'
for k in 1 3 4; do
	t 1 "2> ipcctl: ctllang::fs.doc: IPC_EPROTO (malformed message)" $I $evil doc "d={title=\"t\", words=[$k]}"
done
t 0 "result = [$(nums 487)]" $I $evil maybe 'o=[2]'
for k in 0 1; do
	t 1 "2> ipcctl: ctllang::fs.maybe: IPC_EPROTO (malformed message)" $I $evil maybe "o=[$k]"
done
