#!/bin/sh
# bench-ledger.sh: the ledger's appends, checkpoints, proofs and re-verification.
#
#   1. `prov-ledger handoff` of a generated 10^5-artifact prov-fp NDJSON
#      manifest into a small ledger (one signed entry, one transaction).
#   2. A ledger of $LEDGER_N entries (default 10^5; LEDGER_N=1000000 for the
#      full figure) built by `prov-test ledger_fill`: every entry is built,
#      signed, verified and appended through prov_ledger_append in its own
#      transaction, as the command does, on a file opened with
#      PROV_LEDGER_NOSYNC (WAL, synchronous=NORMAL: atomic, no fsync per
#      entry).  Time per append is printed per batch.
#   3. On that ledger: `checkpoint`, `prove ID`, `prove --consistency`
#      (milliseconds, the command's whole run including opening the file),
#      a full re-verification (`export | import` into a new ledger: every
#      signature, sequence number and the tree recomputed) and, for
#      comparison, what a user would otherwise run: the root recomputed from
#      the export by tests/merkle_root.py (Python hashlib, no signatures).
#   4. File size per entry.
#
# Wall and CPU (user+sys) seconds are both shown: on a loaded machine the
# CPU figure is the steadier one.  The proof and checkpoint figures are
# whole command runs (process start, opening the file, the lookups).
# LEDGER_FROM=FILE skips step 2's fill and uses a copy of that ledger (its
# operator key in op.key beside it), e.g. one left by an earlier long fill.
# Environment: BENCH_DIR (scratch), PROV_BIN, PROV_BENCH_BIN, LEDGER_N, LEDGER_FROM,
# ARTIFACTS (100000).
set -u
: "${BENCH_DIR:?}" "${PROV_BIN:?}" "${PROV_BENCH_BIN:?}"
LEDGER_N=${LEDGER_N:-100000}
ARTIFACTS=${ARTIFACTS:-100000}
PL=$PROV_BIN/prov-ledger
HELPER=$(dirname "$PROV_BENCH_BIN")/tests/prov-test
ROOTPY=$(pwd)/tests/merkle_root.py
if [ ! -x "$HELPER" ]; then
	make "$(realpath --relative-to=. "$(dirname "$PROV_BENCH_BIN")")/tests/prov-test" >/dev/null ||
	    { echo "bench-ledger: cannot build $HELPER" >&2; exit 2; }
fi
dir=$BENCH_DIR/ledger
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 2

# t LABEL CMD...: runs CMD, prints wall and CPU seconds; stdout to $dir/out.
t() {
	label=$1
	shift
	/usr/bin/time -f "%e %U %S" -o time.txt "$@" >out || { echo "$label: failed" >&2; exit 2; }
	read -r wall user sys <time.txt
	printf '%-42s %8.3f s wall %8.3f s cpu\n' "$label" "$wall" "$(echo "$user + $sys" | bc)"
	last_wall=$wall
}

echo "-- a handoff of $ARTIFACTS artifacts"
python3 -c "
import hashlib
for i in range($ARTIFACTS):
    h = hashlib.sha256(str(i).encode()).hexdigest()
    print('{\"path\":\"ep104/sq%03d/sh%06d.exr\",\"kind\":\"exr\",\"size\":%d,\"sha256\":\"%s\",\"pixels\":\"v1:%s\"}' % (i // 1000, i, 1000 + i, h, h))
" >big.ndjson
export PROV_LEDGER=$dir/small.ledger
"$PL" key generate small.example/prov -o op.key >/dev/null &&
"$PL" key generate studio -o studio.key >studio.vkey &&
"$PL" key generate vendor -o vendor.key >vendor.vkey &&
"$PL" init --origin small.example/prov --key op.key >/dev/null &&
"$PL" party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key >/dev/null &&
"$PL" party add vendor --role vendor --vkey "$(cat vendor.vkey)" --key studio.key >/dev/null &&
"$PL" approve vendor --project ep104 --key studio.key >/dev/null || exit 2
t "prov-ledger handoff ($ARTIFACTS artifacts)" sh -c "'$PL' handoff --to vendor --project ep104 --key studio.key <big.ndjson"
t "sha256sum of the same NDJSON (reference)" sha256sum big.ndjson
printf '%-42s %8d bytes\n' "ledger file after it" "$(stat -c %s small.ledger)"

if [ -n "${LEDGER_FROM:-}" ]; then
	# A ledger built before (by ledger_fill; its operator key beside it
	# as op.key): the append figures are those of that run.
	sqlite3 "$LEDGER_FROM" ".backup big.ledger" && cp "$(dirname "$LEDGER_FROM")/op.key" bigop.key ||
	    exit 2
	LEDGER_N=$(sqlite3 big.ledger "SELECT count(*) FROM entries")
	echo "-- a ledger of $LEDGER_N entries (copied from $LEDGER_FROM)"
else
	echo "-- a ledger of $LEDGER_N entries"
	t "prov-test ledger_fill $LEDGER_N" "$HELPER" ledger_fill big.ledger bigop.key "$LEDGER_N" \
	    $((LEDGER_N / 5 > 0 ? LEDGER_N / 5 : 1))
	sed 's/^/    /' out
	printf '%-42s %8.1f us\n' "per append (wall, whole run)" "$(echo "$last_wall * 1000000 / $LEDGER_N" | bc -l)"
fi
export PROV_LEDGER=$dir/big.ledger
t "checkpoint" "$PL" checkpoint --key bigop.key
t "prove $((LEDGER_N / 2)) (inclusion)" "$PL" prove $((LEDGER_N / 2)) --json
printf '%-42s %8.1f ms\n' "  inclusion proof" "$(echo "$last_wall * 1000" | bc -l)"
t "prove --consistency $((LEDGER_N / 3))" "$PL" prove --consistency $((LEDGER_N / 3)) --json
printf '%-42s %8.1f ms\n' "  consistency proof" "$(echo "$last_wall * 1000" | bc -l)"
t "export" "$PL" export
mv out export.ndjson
t "re-verification (import of the export)" sh -c "'$PL' --ledger verify.ledger import <export.ndjson"
reimport=$last_wall
t "root by merkle_root.py (no signatures)" python3 "$ROOTPY" export.ndjson
py=$last_wall
if [ -x "$PROV_BIN/prov-audit" ]; then
	t "prov-audit (tree, signatures, checkpoints)" "$PROV_BIN/prov-audit" --ledger big.ledger
fi
printf '%-42s %8.2fx\n' "re-verification / python root" "$(echo "$reimport / $py" | bc -l)"
size=$(stat -c %s big.ledger)
printf '%-42s %8d bytes (%d per entry; export %d per entry)\n' "ledger file" "$size" \
    $((size / LEDGER_N)) $(($(stat -c %s export.ndjson) / LEDGER_N))
