# lib.sh: the command-test library, after git's t/test-lib.sh.
#
# A test script sources this file, then runs
#     test_expect_success 'what it shows' '
#             prov-fp x >out &&
#             test_cmp expect out
#     '
# and ends with test_done.  Each test body runs in a subshell inside the
# script's own fresh directory ($TRASH), with the built tools first on PATH.
# Output is TAP.

set -u
LC_ALL=C
TZ=UTC
export LC_ALL TZ
# Under AddressSanitizer an impossible allocation (a corrupt size field a
# library believed) returns NULL as the C library's malloc does, instead of
# aborting: the decoders handle NULL, and that is what the tests exercise.
ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1}
export ASAN_OPTIONS

: "${PROV_BIN:?PROV_BIN must name the directory of the built tools}"
PROV_CORPUS=${PROV_CORPUS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/corpus}
PROV_VECTORS=${PROV_VECTORS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/vectors}
CORPUS=$PROV_CORPUS
VECTORS=$PROV_VECTORS
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
SRC_DIR=$(cd "$TESTS_DIR/.." && pwd)
export PROV_CORPUS PROV_VECTORS CORPUS VECTORS TESTS_DIR SRC_DIR
PATH=$PROV_BIN:$PATH
[ -n "${PROV_TEST:-}" ] && PATH=$(dirname "$PROV_TEST"):$PATH
export PATH
# Debian's python3 has python3-jsonschema; a python3 earlier on PATH may not.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
export PYTHON

test_count=0
test_fail_count=0
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/prov-cli-$(basename "$0" .sh)-XXXXXX")
cd "$TRASH" || exit 2

test_expect_success() {
	test_count=$((test_count + 1))
	if (set -u; eval "$2") >"$TRASH/.log" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_fail_count=$((test_fail_count + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.log" | tail -n 40
	fi
}

# Runs a command that must fail with exactly status 1 or 2 (default: 1 or 2),
# never with a signal or a sanitizer's status.
test_must_fail() {
	want=any
	case $1 in --status=*) want=${1#--status=}; shift ;; esac
	"$@"
	rc=$?
	case $rc in
	1|2) [ "$want" = any ] || [ "$want" = "$rc" ] || {
		echo "test_must_fail: $* exited $rc, wanted $want" >&2; return 1; }
		return 0 ;;
	0) echo "test_must_fail: $* succeeded" >&2; return 1 ;;
	*) echo "test_must_fail: $* died with status $rc" >&2; return 1 ;;
	esac
}

test_cmp() {
	diff -u "$1" "$2"
}

# The file is empty / not empty.
test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "'$1' is not empty:" >&2; cat "$1" >&2; return 1
	fi
}
test_file_not_empty() {
	[ -s "$1" ] || { echo "'$1' is empty" >&2; return 1; }
}

# A JSON document or NDJSON stream validates against a schema in schemas/.
test_json_valid() {
	"$PYTHON" "$TESTS_DIR/validate.py" "$SRC_DIR/schemas/$1" "$2"
}

# The ledger most command tests start from, in $PROV_LEDGER: an operator key
# (op.key), the studio (studio.key) and vendorA (va.key) as parties, each
# key's verifier key beside it (*.vkey).  No approval yet.
ledger_studio_vendor() {
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger init --origin studio.example/prov --key op.key &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key
}

test_done() {
	echo "1..$test_count"
	cd / && rm -rf "$TRASH"
	[ "$test_fail_count" = 0 ]
}
