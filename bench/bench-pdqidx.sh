#!/bin/sh
# bench-pdqidx.sh: the PDQ index (libprov/pdqindex.c) against a plain
# linear scan, the tight popcount loop a user would otherwise write.
#
# For each size in $SIZES (default 10^6 and 10^7 stored hashes) and each
# distribution (uniformly random; clustered as a series' frames are, see
# bench/bench_pdqidx.c), bench_pdqidx builds the index on 2 threads, saves
# and reloads its file (mmap, checksum, range checks), runs $QUERIES (10^4)
# queries at distance 31 through it on 2 threads, and $LINEAR (default 200
# at 10^7, 1000 at 10^6) of them by the linear scan on 2 threads: the
# linear scan of all 10^4 would take minutes, so its throughput is measured
# on those and the time for all of them extrapolated.  Both must give the
# same hits on the queries they share (checked).
#
# Wall and CPU seconds are both printed: on a loaded machine the CPU figure
# (all threads) is the steadier one.  Ratios are index vs linear throughput.
# Environment: BENCH_DIR (scratch), PROV_BENCH_BIN, SIZES, QUERIES, LINEAR.
set -u
: "${BENCH_DIR:?}" "${PROV_BENCH_BIN:?}"
SIZES=${SIZES:-"1000000 10000000"}
QUERIES=${QUERIES:-10000}
B=$PROV_BENCH_BIN/bench_pdqidx
[ -x "$B" ] || { echo "bench-pdqidx: $B is not built (make bench-bin)" >&2; exit 2; }
dir=$BENCH_DIR/pdqidx
rm -rf "$dir" && mkdir -p "$dir" || exit 2

printf '%-9s %-9s %7s %7s %7s %7s %6s %6s %10s %10s %10s %8s %8s %9s\n' \
    stored distrib build_s load_s file_MB rss_MB B/hash hits/q \
    idx_q/s idx_q/cpus lin_q/s ratio ratio_cpu lin_all_s
for n in $SIZES; do
	lin=${LINEAR:-$([ "$n" -ge 10000000 ] && echo 200 || echo 1000)}
	for dist in random clustered; do
		flag=
		[ "$dist" = clustered ] && flag=-c
		"$B" $flag -t 2 -q "$QUERIES" -l "$lin" "$n" "$dir/idx" >"$dir/out" ||
		    { echo "bench-pdqidx: bench_pdqidx failed" >&2; exit 2; }
		v() { sed -n "s/^$1 //p" "$dir/out"; }
		printf '%-9s %-9s %7s %7s %7s %7s %6s %6s %10s %10s %10s %8s %8s %9s\n' \
		    "$n" "$dist" "$(v build_s)" "$(v load_s)" "$(v file_mb)" "$(v peak_rss_mb)" \
		    "$(v bytes_per_hash)" "$(v hits_per_query)" "$(v index_qps)" \
		    "$(v index_qps_per_cpu_s)" "$(v linear_qps)" "$(v speedup)x" \
		    "$(v speedup_cpu)x" "$(v linear_s_for_all)"
		rm -f "$dir/idx"
	done
done
echo "(10^4 queries at distance 31 on 2 threads; idx_q/cpus = queries per CPU second;"
echo " lin_all_s = the linear scan's time for all queries, extrapolated)"
