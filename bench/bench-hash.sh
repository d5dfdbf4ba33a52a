#!/bin/sh
# bench-hash.sh: byte hashing, prov-fp against the tools a user would run.
#
# Two data sets of random bytes (so no format module decodes anything and
# the figure is reading + SHA-256): HASH_BIG_MB megabytes in 1000 files
# (default 2000 MB), and 20000 small files of 4 KiB.  Each is read once
# first so every tool reads from the page cache.  Timed, best of two:
# prov-fp -j1 and -j2, coreutils sha256sum, openssl dgst -sha256,
# hashdeep -c sha256 -r (its own threads), b3sum (BLAKE3, for scale: not
# SHA-256).  Ratios are against openssl dgst, the one-core SHA-256 limit.
# Environment: BENCH_DIR (scratch), PROV_BIN, HASH_BIG_MB.
set -u
: "${BENCH_DIR:?}" "${PROV_BIN:?}"
BIG_MB=${HASH_BIG_MB:-2000}
dir=$BENCH_DIR/hash
rm -rf "$dir" && mkdir -p "$dir/big" "$dir/small" && cd "$dir" || exit 2

per=$((BIG_MB * 1024 / 1000))
i=0
while [ $i -lt 1000 ]; do
	head -c "${per}K" /dev/urandom >"big/f$i.bin"
	i=$((i + 1))
done
head -c $((20000 * 4096)) /dev/urandom | split -b 4096 -a 5 - small/s
cat big/* small/* >/dev/null

now() { date +%s.%N; }
# best wall seconds of two runs of "$@" (output discarded)
best() {
	b=
	for _ in 1 2; do
		t0=$(now)
		"$@" >/dev/null 2>&1
		t=$(echo "$(now) - $t0" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

for set in big small; do
	mb=$(du -sm --apparent-size "$set" | cut -f1)
	n=$(ls "$set" | wc -l)
	echo "-- $set: $n files, $mb MB"
	ref=$(best sh -c "openssl dgst -sha256 $set/* ")
	report() {
		printf '%-28s %8.2f s %8.0f MB/s   %5.2fx openssl\n' "$1" "$2" \
		    "$(echo "$mb / $2" | bc -l)" "$(echo "$ref / $2" | bc -l)"
	}
	report "openssl dgst -sha256" "$ref"
	report "prov-fp -j1" "$(best "$PROV_BIN/prov-fp" -q -j 1 "$set")"
	report "prov-fp -j2" "$(best "$PROV_BIN/prov-fp" -q -j 2 "$set")"
	report "sha256sum" "$(best sh -c "sha256sum $set/*")"
	if command -v hashdeep >/dev/null; then
		report "hashdeep -c sha256 -r" "$(best hashdeep -c sha256 -r "$set")"
	fi
	if command -v b3sum >/dev/null; then
		report "b3sum (BLAKE3)" "$(best sh -c "b3sum $set/*")"
	fi
done
rm -rf "$dir"
