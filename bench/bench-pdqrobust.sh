#!/bin/sh
# bench-pdqrobust.sh: how well PDQ finds a frame after what a leak does to
# it, and how often different frames match.  A benchmark, not a test.
#
# Sources: the Sintel frames of the corpus (the "clean" renders of three
# shots and the raft-demo shot) and EXR frames of the corpus (ScanLines,
# LuminanceChroma, Beachball).  Each is transformed with ImageMagick or
# oiiotool: JPEG quality 90/70/50, resize to 50% and 25%, crop 3% and 10%
# (centred), letterbox (scaled to 1920x803 in 1920x1080), pillarbox (bars
# of a sixth of the width on each side), gamma 0.8 and
# 1.25, burned-in text, and for EXR the 8-bit sRGB export (oiiotool and
# ImageMagick) and a JPEG of it.  Every file is hashed by prov (prov-test
# pdq_fp, the format modules' pdq and pdq_trimmed); the distance of a copy
# to its source is the smallest over {pdq, pdq_trimmed} x {pdq,
# pdq_trimmed}, as prov's matching does.  Reported per transformation:
# recall at distance <= 31, mean and largest distance.  Then the false
# matches: pairs of frames of different shots, and neighbouring frames of
# one shot (animation makes them near-identical).
# No reference PDQ tool is installed here, so the reference's recall is not
# shown; prov's hash equals the reference's on the same pixels (t1400).
#
# Environment: BENCH_DIR (scratch), PROV_BENCH_BIN.
set -u
: "${BENCH_DIR:?}" "${PROV_BENCH_BIN:?}"
CORPUS=${PROV_CORPUS:-$(cd "$(dirname "$0")/../../shared/corpus" 2>/dev/null && pwd)}
helper=$(dirname "$PROV_BENCH_BIN")/tests/prov-test
[ -x "$helper" ] || { echo "bench-pdqrobust: no $helper" >&2; exit 2; }
dir=$BENCH_DIR/pdqrobust
mkdir -p "$dir/src" "$dir/t" && cd "$dir" || exit 2

# sources: NAME -> file (PNG frames linked, EXR frames linked)
if [ ! -f sources.tsv ]; then
	: >sources.tsv
	for f in $(find "$CORPUS/frames/sintel" -path "*/clean/*.png" | sort) \
	    $(find "$CORPUS/frames/sintel/raft-demo" -name "*.png" | sort); do
		shot=$(basename "$(dirname "$(dirname "$f")")")
		[ "$shot" = sintel ] && shot=raft-demo
		n="$shot-$(basename "$f" .png)"
		ln -sf "$f" "src/$n.png"
		printf "%s\t%s\tsrc/%s.png\n" "$n" "$shot" "$n" >>sources.tsv
	done
	for e in ScanLines/Cannon ScanLines/Carrots LuminanceChroma/Garden \
	    Beachball/singlepart.0001; do
		n="exr-$(basename "$e")"
		ln -sf "$CORPUS/exr/openexr-images/$e.exr" "src/$n.exr"
		printf "%s\texr-%s\tsrc/%s.exr\n" "$n" "$(basename "$e")" "$n" >>sources.tsv
	done
fi

# transformations: NAME and an ImageMagick operator list on an 8-bit image
transforms='jpeg90|-quality 90|jpg
jpeg70|-quality 70|jpg
jpeg50|-quality 50|jpg
resize50|-resize 50%|png
resize25|-resize 25%|png
crop3|-gravity center -crop 97%x97%+0+0 +repage|png
crop10|-gravity center -crop 90%x90%+0+0 +repage|png
letterbox|-resize 1920x803! -background black -gravity center -extent 1920x1080|png
pillarbox|-background black -gravity center -extent %PWx%H|png
gamma0.8|-gamma 0.8|png
gamma1.25|-gamma 1.25|png
text|-gravity south -pointsize %P -fill white -stroke black -strokewidth 2 -annotate +0+20 "CONFIDENTIAL vendor copy"|png'

if [ ! -f made ]; then
	echo "making the transformed copies in $dir/t"
	while IFS="	" read -r n shot f; do
		[ -f "t/$n.text.png" ] && continue	# made by an interrupted run
		in=$f
		case $f in *.exr)
			# the 8-bit exports a vendor makes from the EXR
			# drop alpha first where there is one: PNG stores straight
			# alpha, so oiiotool would un-premultiply the colour
			ch=
			exrheader "$f" | grep -q "^ *A, " && ch="--ch R,G,B"
			oiiotool "$f" $ch --colorconvert linear sRGB -d uint8 -o "t/$n.oiio-png.png" || exit 2
			convert "$f" -colorspace sRGB -depth 8 -alpha off "t/$n.im-png.png" &&
			convert "t/$n.oiio-png.png" -quality 85 "t/$n.export-jpeg85.jpg" || exit 2
			in=t/$n.oiio-png.png ;;
		esac
		h=$(identify -format "%h" "$in") && w=$(identify -format "%w" "$in") || exit 2
		printf '%s\n' "$transforms" | while IFS='|' read -r tn ops ext; do
			ops=$(printf '%s' "$ops" | sed -e "s/%PW/$((w * 4 / 3))/" \
				-e "s/%H/$h/" -e "s/%P/$((h / 12))/")
			eval "convert \"\$in\" $ops \"t/\$n.\$tn.\$ext\"" || exit 2
		done || exit 2
	done <sources.tsv
	touch made
fi

"$helper" pdq_fp src/* t/* 2>/dev/null | awk -F'\t' '$2 == "0"' >hashes.tsv

python3 - sources.tsv hashes.tsv <<'PY'
import sys, os, itertools
src = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
h = {}
for l in open(sys.argv[2]):
    f = l.rstrip("\n").split("\t")
    hs = [(f[2], int(f[3]))]
    if len(f) > 5 and f[4] != "-":
        hs.append((f[4], int(f[5])))
    h[os.path.relpath(f[0])] = hs
def dist(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")
def best(a, b):
    return min(dist(x[0], y[0]) for x in h[a] for y in h[b])
def plain(a, b):
    return dist(h[a][0][0], h[b][0][0])
rows = {}
for n, shot, f in src:
    if f not in h:
        continue
    for t in sorted(os.listdir("t")):
        if not t.startswith(n + "."):
            continue
        tn = t[len(n) + 1:].rsplit(".", 1)[0]
        p = "t/" + t
        if p in h:
            rows.setdefault(tn, []).append((best(f, p), plain(f, p), h[f][0][1]))
print("%-14s %5s %8s %8s %6s %8s %6s" % ("transform", "n", "recall", "(plain)", "mean", "median", "max"))
for tn in sorted(rows):
    r = rows[tn]
    d = sorted(x[0] for x in r)
    rec = sum(1 for x in r if x[0] <= 31) / len(r)
    recp = sum(1 for x in r if x[1] <= 31) / len(r)
    print("%-14s %5d %7.0f%% %7.0f%% %6.1f %8d %6d" % (tn, len(r), 100 * rec, 100 * recp,
        sum(d) / len(d), d[len(d) // 2], d[-1]))
print("(recall: distance <= 31 over pdq and pdq_trimmed; (plain): pdq alone)")
# false matches between different source frames
srcs = [(n, shot, f) for n, shot, f in src if f in h]
diff, neigh, near = [], [], []
def num(n):
    try:
        return int(n.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        return None
for (a, sa, fa), (b, sb, fb) in itertools.combinations(srcs, 2):
    d = best(fa, fb)
    if sa != sb:
        diff.append(d)
    elif num(a) is not None and num(b) is not None and abs(num(a) - num(b)) == 1:
        neigh.append(d)
    else:
        near.append(d)
def fm(name, d):
    if not d:
        return
    d.sort()
    print("%-34s %5d pairs, %5.1f%% within 31, min %d, median %d" % (name, len(d),
        100 * sum(1 for x in d if x <= 31) / len(d), d[0], d[len(d) // 2]))
fm("different shots", diff)
fm("neighbouring frames of one shot", neigh)
fm("other frames of one shot", near)
PY
