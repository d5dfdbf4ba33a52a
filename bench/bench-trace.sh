#!/bin/sh
# bench-trace.sh: prov-trace, 10^4 found frames against a large ledger.
#
# A ledger is built with prov-ledger from synthetic prov-fp records
# (bench/gen-trace.py): $FRAMES frames (default 10^6) handed studio ->
# vendor in handoffs of $PER (10^5); half of them handed on vendor -> sub
# (approved, by delegation) and a quarter of those sub -> other (no
# approval).  $FOUND (10^4) found records: 40% the same bytes as a ledger
# frame, 30% the same pixels in other bytes, 20% a PDQ hash 6 bits from the
# frame's, 10% unknown.  prov-trace --json --records runs on them with -j 2
# three times: first building the PDQ index file from the ledger, then
# loading it (twice).  Wall and CPU seconds and the peak RSS are printed.
#
# The comparison is what an investigator could do without it: the exact
# bytes by an SQL join of the found sha256 values against the ledger's
# artifact index with the sqlite3 shell (no pixels, no perceptual matches,
# no custody), and the perceptual matches by `prov-ledger match` (no
# custody either).
#
# Environment: BENCH_DIR (scratch), PROV_BIN, FRAMES, PER, FOUND.
#
# Figures of 2026-11-29 on the 2-core development machine while four other
# sanitizer test suites ran on it (load average 18 to 21): wall times are
# inflated several times, CPU seconds (all threads) are the better guide.
# FRAMES=200000 PER=50000 (3.5 x 10^5 artifacts in 14 entries, a 262 MB
# ledger, 372 s to build with prov-ledger), FOUND=10000:
#   run                              wall_s  cpu_s  rss_MB
#   prov-trace (builds the index)     69.4    9.4    319
#   prov-trace (index loaded)         47.0    8.3    318
#   prov-trace (index loaded)         41.5    8.5    317
#   sqlite3 join, bytes only           1.4    0.2      6   (4000 found)
#   prov-ledger match, PDQ only       84.5   11.9    781   (2.0 x 10^6 lines)
# Verdicts 6765 in-chain, 2235 left-chain, 1000 untraced; matches 4000
# bytes, 3000 pixels, 2000 perceptual, 1000 none; index file 41 MB.
# prov-trace does all three kinds and the custody in less CPU than the
# PDQ-only match (it keeps the closest artifacts only).
# Towards 10^7 ledger frames (not measured here, an estimate): the bytes
# and pixels lookups are SQLite index probes (log n); the PDQ search of
# 10^4 queries against 10^7 hashes takes about 20 s wall on 2 threads and
# a 1.07 GB index file (bench-pdqidx.sh); each matched handoff entry is
# read once for its sender, receiver and project (about 100 to 200 entries
# of 10^5 frames, some 5 to 10 GB of JSON read by SQLite) - so minutes on
# 2 cores, with the mapped index (about 1.1 GB) dominating the memory.
set -u
: "${BENCH_DIR:?}" "${PROV_BIN:?}"
FRAMES=${FRAMES:-1000000}
PER=${PER:-100000}
FOUND=${FOUND:-10000}
PATH=$PROV_BIN:$PATH
dir=$BENCH_DIR/trace
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 2
PROV_LEDGER=$dir/bench.ledger
export PROV_LEDGER LC_ALL=C

# timed OUT IN CMD...: runs CMD <IN >OUT; "wall_s cpu_s maxrss_MB" into fig.
timed() {
	out=$1 in=$2
	shift 2
	/usr/bin/time -f "%e %U %S %M" -o t.out "$@" <"$in" >"$out"
	tail -n 1 t.out | { read -r w u s m; echo "$w $(echo "$u + $s" | bc) $((m / 1024))"; } >fig
}

python3 "$OLDPWD/bench/gen-trace.py" . "$FRAMES" "$PER" "$FOUND" || exit 2
prov-ledger key generate bench.example/prov -o op.key >/dev/null
for p in studio vendor sub other; do prov-ledger key generate $p -o $p.key >$p.vkey; done
prov-ledger init --origin bench.example/prov --key op.key >/dev/null
prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key >/dev/null
prov-ledger party add vendor --role vendor --vkey "$(cat vendor.vkey)" --key studio.key >/dev/null
prov-ledger party add sub --role subcontractor --vkey "$(cat sub.vkey)" --key studio.key >/dev/null
prov-ledger party add other --role subcontractor --vkey "$(cat other.vkey)" --key studio.key >/dev/null
prov-ledger approve vendor --project ep --may-delegate-to sub --key studio.key >/dev/null
prov-ledger approve sub --project ep --key studio.key >/dev/null
start=$(date +%s)
n=0
for b in batch*.ndjson; do
	prov-ledger handoff --to vendor --project ep --key studio.key <"$b" >/dev/null || exit 2
	if [ $((n % 2)) = 0 ]; then
		prov-ledger handoff --to sub --project ep --key vendor.key <"$b" >/dev/null || exit 2
		[ $((n % 4)) = 0 ] &&
		    { prov-ledger handoff --to other --project ep --key sub.key <"$b" >/dev/null || exit 2; }
	fi
	n=$((n + 1))
done
arts=$(sqlite3 bench.ledger "SELECT count(*) FROM artifacts")
echo "ledger: $FRAMES frames, $arts artifacts in $(sqlite3 bench.ledger "SELECT count(*) FROM entries") entries," \
    "$(($(stat -c %s bench.ledger) / 1048576)) MB, built in $(($(date +%s) - start)) s"

printf '%-34s %8s %8s %8s\n' run wall_s cpu_s rss_MB
timed trace1.ndjson /dev/null prov-trace --json -j 2 --records found.ndjson
set -- $(cat fig)
printf '%-34s %8s %8s %8s\n' "prov-trace (builds the index)" "$1" "$2" "$3"
first_wall=$1
for i in 2 3; do
	timed trace$i.ndjson /dev/null prov-trace --json -j 2 --records found.ndjson
	set -- $(cat fig)
	printf '%-34s %8s %8s %8s\n' "prov-trace (index loaded)" "$1" "$2" "$3"
done
trace_wall=$1
cmp -s trace1.ndjson trace2.ndjson || echo "bench-trace: runs differ" >&2
jq -r .verdict trace2.ndjson | sort | uniq -c | tr '\n' ' '; echo
jq -r '.match.how // "none"' trace2.ndjson | sort | uniq -c | tr '\n' ' '; echo
echo "index file: $(($(stat -c %s bench.ledger.pdqidx) / 1048576)) MB"

# The manual way: exact bytes by SQL, perceptual by prov-ledger match.
jq -r .sha256 found.ndjson | sed 's/.*/INSERT INTO f VALUES ('"'"'&'"'"');/' >found.sql
cat >join.sql <<'EOT'
CREATE TEMP TABLE f (sha256 TEXT);
.read found.sql
SELECT count(*), count(DISTINCT f.sha256) FROM f JOIN artifacts a ON a.sha256 = f.sha256;
EOT
timed join.out join.sql sqlite3 -readonly bench.ledger
set -- $(cat fig)
printf '%-34s %8s %8s %8s  (%s)\n' "sqlite3 join, bytes only" "$1" "$2" "$3" "$(cat join.out)"
sql_wall=$1
timed match.out found.ndjson prov-ledger match
set -- $(cat fig)
printf '%-34s %8s %8s %8s  (%s lines)\n' "prov-ledger match, PDQ only" "$1" "$2" "$3" "$(wc -l <match.out)"
echo "ratio prov-trace / (sqlite3 join + prov-ledger match) wall:" \
    "$(echo "scale=2; $trace_wall / ($sql_wall + $1)" | bc)"
