#!/bin/sh
# rtc.sh SERIAL_TEST BASE [OPTION...] -- QEMU-COMMAND...: boots the example
# OS with its CMOS clock set to BASE (QEMU -rtc base=BASE, e.g.
# 2020-02-29T23:59:58; from there the clock runs with the host's), under
# serial_test with its OPTIONs, and checks the date that usrinit logs,
#   [usrinit] date: YYYY-MM-DD hh:mm:ss UTC (SECONDS)
# SECONDS must be that date's (as the host's date(1) counts), no earlier
# than BASE and no later than BASE plus the seconds the boot took.
serial_test=$1 base=$2
shift 2
log=$(mktemp) || exit 2
trap 'rm -f "$log"' EXIT
start=$(date +%s)
"$serial_test" -w 'echo ready' -w '[usrinit] date: ' "$@" -rtc "base=$base" >"$log"
st=$?
end=$(date +%s)
cat "$log"
[ "$st" -eq 0 ] || exit 1
line=$(sed -n 's/^\[usrinit\] date: \(.*\) UTC (\([0-9]*\))$/\1|\2/p' "$log")
date=${line%|*} secs=${line#*|}
lo=$(date -u -d "$(echo "$base" | tr T ' ')" +%s) || exit 2
hi=$((lo + end - start + 1))
said=$(date -u -d "$date" +%s 2>/dev/null)
if [ -z "$line" ]; then
	echo "rtc: no date in the log"; exit 1
elif [ "$said" != "$secs" ]; then
	echo "rtc: $date is not $secs seconds since the epoch (date(1) says ${said:-no date})"; exit 1
elif [ "$secs" -lt "$lo" ] || [ "$secs" -gt "$hi" ]; then
	echo "rtc: $date ($secs) is not between $base ($lo) and the end of the boot ($hi)"; exit 1
fi
echo "rtc: $date, $((secs - lo)) seconds after $base: ok"
