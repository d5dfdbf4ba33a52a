#!/bin/sh
# The test machinery itself: the helper runs, escaping is as documented.
. "$(dirname "$0")/lib.sh"

test_expect_success 'the corpus is where the tests look for it' '
	test -f "$CORPUS/SOURCES.md"
'

test_expect_success 'prov-test hashes as sha256sum does' '
	prov-test sha256 abc >out &&
	printf abc | sha256sum | cut -d" " -f1 >expect &&
	test_cmp expect out
'

test_expect_success 'names with controls are escaped' '
	prov-test escape "$(printf "a\\\\b\033c")" >out &&
	printf "%s\n" "a\\\\b\\x1bc" >expect &&
	test_cmp expect out
'

test_expect_success 'test_must_fail tells a usage error from a crash' '
	test_must_fail --status=2 prov-test no-such-verb 2>err &&
	grep -q usage err
'

test_done
