# minimize.awk: greedy set cover.  Reads lines "PATH SIZE EDGE...", one per
# input with every coverage edge it reaches, and prints the paths of a small
# set of inputs that together reach every edge any of them reaches: at each
# step the input adding the most new edges (the smaller on a tie).  A set's
# gain only shrinks, so gains are recomputed lazily.  libFuzzer's -merge=1
# adds inputs smallest first and keeps more (a sixth more for the front
# end's corpus).  make fuzz-minimize (run-fuzz.sh -m) feeds it; make fuzz
# does not: the edges of each input alone cost a process per input.
{
	path[NR] = $1
	size[NR] = $2
	cov[NR] = ""
	for (k = 3; k <= NF; k++)
		cov[NR] = cov[NR] " " $k
	gain[NR] = NF - 2
}
END {
	for (;;) {
		best = -1
		for (i in gain)
			if (gain[i] > 0 && (best < 0 || gain[i] > gain[best] ||
			    (gain[i] == gain[best] && size[i] < size[best])))
				best = i
		if (best < 0)
			break
		m = split(cov[best], e, " ")
		g = 0
		for (k = 1; k <= m; k++)
			if (!(e[k] in covered))
				g++
		if (g < gain[best]) {   # stale: re-rank with the true gain
			gain[best] = g
			continue
		}
		for (k = 1; k <= m; k++)
			covered[e[k]] = 1
		delete gain[best]
		print path[best]
	}
}
