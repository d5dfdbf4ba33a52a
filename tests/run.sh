#!/bin/sh
# run.sh: the whole suite.  Unit tests (TAP from one binary), then every
# command test tests/cli/t*.sh; prints each TAP line and closes with
# "N passed, N failed".  Exit 0 only when nothing failed.
#
# Environment: PROV_BIN (tools), PROV_UNIT (unit binary), PROV_TEST (helper),
# PROV_CORPUS, PROV_VECTORS.  Arguments: optional test script names.
cd "$(dirname "$0")/.." || exit 2
log=$(mktemp)
status=0

if [ $# -eq 0 ]; then
	set -- tests/cli/t[0-9]*.sh
	if [ -n "${PROV_UNIT:-}" ]; then
		echo "# unit"
		"$PROV_UNIT" | tee -a "$log" || status=1
	fi
fi
# The command tests run two at a time (the machines have two cores); the
# output of each script is kept together.
outdir=$(mktemp -d)
for t in "$@"; do
	[ -f "$t" ] || continue
	printf '%s\n' "$t"
done | xargs -P 2 -I{} sh -c 'n=$(basename {} .sh); sh {} > "$1/$n.out" 2>&1; echo $? > "$1/$n.rc"' _ "$outdir"
for t in "$@"; do
	n=$(basename "$t" .sh)
	[ -f "$outdir/$n.out" ] || continue
	echo "# $n"
	cat "$outdir/$n.out"
	cat "$outdir/$n.out" >> "$log"
	rc=$(cat "$outdir/$n.rc")
	if [ "$rc" != 0 ] && ! grep -q '^not ok' "$outdir/$n.out"; then
		# A script that died without a failing test still fails the run.
		echo "not ok - $n exited with status $rc"
		echo "not ok - $n" >> "$log"
	fi
done
rm -rf "$outdir"
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok' "$log")
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$status" = 0 ] && [ "$passed" -gt 0 ]
