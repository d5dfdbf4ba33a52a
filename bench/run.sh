#!/bin/sh
# run.sh [NAME...]: runs bench/bench-NAME.sh (all of them by default).
# Each prints its figures and the ratios against the tools a user would
# otherwise use.  Scratch data goes to $BENCH_DIR (default: a temp dir).
cd "$(dirname "$0")/.." || exit 2
: "${PROV_BIN:?PROV_BIN must name the directory of the built tools}"
BENCH_DIR=${BENCH_DIR:-$(mktemp -d)}
export BENCH_DIR PROV_BIN PROV_BENCH_BIN
status=0
if [ $# -eq 0 ]; then
	set -- $(ls bench/bench-*.sh 2>/dev/null | sed 's|bench/bench-||; s|\.sh$||')
fi
for n in "$@"; do
	echo "== $n"
	sh "bench/bench-$n.sh" || status=1
done
exit $status
