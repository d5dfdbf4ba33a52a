#!/bin/sh
# EXR views and layers: every group of channels with colour ("left.R",
# "diffuse.R", "right.Y") gets its own PDQ in the part's "layers", and an
# 8-bit export of one view or one layer (oiiotool, ImageMagick) matches
# that entry and not the others (schemas/pdq-v1.md section 6).
. "$(dirname "$0")/lib.sh"

MV=$CORPUS/exr/openexr-images/MultiView
BB=$CORPUS/exr/openexr-images/Beachball
SL=$CORPUS/exr/openexr-images/ScanLines

# layers FILE: one line per entry of the first image's "layers":
# "<layer or -> <view or -> <channels,> <hash>".
layers() {
	"$PYTHON" -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
for e in r["images"][0].get("layers", []):
    print(e["layer"] or "-", e.get("view", "-"), ",".join(e["channels"]), e["pdq"]["hash"])
' "$1"
}
# distances FILE.json PNG...: for each entry of "layers", the Hamming
# distance of its hash to each PNG's top-level pdq, "<layer> <d1> <d2> ...".
distances() {
	j=$1; shift
	prov-fp --json "$@" >pngs.json &&
	"$PYTHON" -c '
import json, sys
def d(a, b): return bin(int(a, 16) ^ int(b, 16)).count("1")
r = json.loads(open(sys.argv[1]).readline())
pngs = [json.loads(l)["pdq"]["hash"] for l in open("pngs.json")]
for e in r["images"][0]["layers"]:
    print(e["layer"] or "-", *[d(e["pdq"]["hash"], p) for p in pngs])
' "$j"
}
# near FILE LAYER COLUMN: the distance in that row and column is at most 8,
# every other column of the row more than 31.
near() {
	awk -v l="$2" -v c="$3" '
	$1 == l { found = 1
		for (i = 2; i <= NF; i++)
			if ((i == c + 1 && $i > 8) || (i != c + 1 && $i <= 31)) bad = 1 }
	END { exit !(found && !bad) }' "$1"
}

test_expect_success 'single-part multi-view: one entry per view, the default view unprefixed' '
	prov-fp --json "$MV/Adjuster.exr" >adj.json 2>err &&
	test_must_be_empty err &&
	layers adj.json >got &&
	cut -d" " -f1-3 got >names &&
	cat >expect <<-\EOF &&
	- center R,G,B
	left left left.R,left.G,left.B
	right right right.R,right.G,right.B
	EOF
	test_cmp expect names &&
	# the unprefixed entry repeats the image (and record) hash, the views differ
	"$PYTHON" -c "
import json
r = json.load(open(\"adj.json\"))
im = r[\"images\"][0]
l = im[\"layers\"]
assert l[0][\"pdq\"] == im[\"pdq\"] == r[\"pdq\"], l[0]
assert len({e[\"pdq\"][\"hash\"] for e in l}) == 3, l
assert all(e[\"pdq\"][\"quality\"] >= 50 for e in l), l
" &&
	test_json_valid fingerprint.schema.json adj.json
'

test_expect_success 'an oiiotool sRGB export of each view matches that view only' '
	for v in left right; do
		oiiotool "$MV/Adjuster.exr" --ch $v.R,$v.G,$v.B --chnames R,G,B \
			--colorconvert linear sRGB -d uint8 -o $v.png || return 1
	done &&
	oiiotool "$MV/Adjuster.exr" --ch R,G,B --colorconvert linear sRGB -d uint8 -o center.png &&
	distances adj.json center.png left.png right.png >d &&
	cat d &&
	near d - 1 && near d left 2 && near d right 3
'

test_expect_success 'luminance views (Y, right.Y): the right eye exported alone matches "right"' '
	prov-fp --json "$MV/Fog.exr" >fog.json &&
	layers fog.json | cut -d" " -f1-3 >names &&
	printf "%s\n" "- left Y" "right right right.Y" >expect &&
	test_cmp expect names &&
	oiiotool "$MV/Fog.exr" --ch right.Y --chnames Y --colorconvert linear sRGB \
		-d uint8 -o fog-right.png &&
	oiiotool "$MV/Fog.exr" --ch Y --colorconvert linear sRGB -d uint8 -o fog-left.png &&
	distances fog.json fog-left.png fog-right.png >d &&
	cat d &&
	near d - 1 && near d right 2 &&
	test_json_valid fingerprint.schema.json fog.json
'

test_expect_success 'stereo frame with a data window: the left eye matches "left", trimmed too' '
	prov-fp --json "$BB/singlepart.0001.exr" >bb.json &&
	layers bb.json | cut -d" " -f1-3 >names &&
	printf "%s\n" "- right R,G,B" "left left left.R,left.G,left.B" >expect &&
	test_cmp expect names &&
	oiiotool "$BB/singlepart.0001.exr" --ch left.R,left.G,left.B --chnames R,G,B \
		--colorconvert linear sRGB -d uint8 -o bb-left.png &&
	oiiotool "$BB/singlepart.0001.exr" --ch R,G,B --colorconvert linear sRGB \
		-d uint8 -o bb-right.png &&
	distances bb.json bb-right.png bb-left.png >d &&
	cat d &&
	near d - 1 && near d left 2 &&
	# the left eye has bars of its own, hashed inside them as for the image
	"$PYTHON" -c "
import json
r = json.load(open(\"bb.json\"))
l = r[\"images\"][0][\"layers\"]
assert \"pdq_trimmed\" in l[1] and len(l[1][\"pdq_trimmed\"][\"box\"]) == 4, l[1]
assert l[0][\"pdq_trimmed\"] == r[\"images\"][0][\"pdq_trimmed\"], l[0]
" &&
	test_json_valid fingerprint.schema.json bb.json
'

test_expect_success 'AOV layers in one part: a pass exported to PNG matches its layer only' '
	# beauty = Carrots, diffuse = Cannon at the same size, specular = Carrots
	# upside down: three different pictures in one ZIP part.
	oiiotool "$SL/Carrots.exr" --ch R,G,B \
		"$SL/Cannon.exr" --ch R,G,B --resize 600x400 \
			--chnames diffuse.R,diffuse.G,diffuse.B --chappend \
		"$SL/Carrots.exr" --ch R,G,B --flip \
			--chnames specular.R,specular.G,specular.B --chappend \
		-d half --compression zip -o aov.exr &&
	prov-fp --json aov.exr >aov.json 2>err &&
	test_must_be_empty err &&
	layers aov.json | cut -d" " -f1-3 >names &&
	printf "%s\n" "- - R,G,B" "diffuse - diffuse.R,diffuse.G,diffuse.B" \
		"specular - specular.R,specular.G,specular.B" >expect &&
	test_cmp expect names &&
	oiiotool aov.exr --ch diffuse.R,diffuse.G,diffuse.B --chnames R,G,B \
		--colorconvert linear sRGB -d uint8 -o diffuse.png &&
	oiiotool aov.exr --ch specular.R,specular.G,specular.B --chnames R,G,B \
		--colorconvert linear sRGB -d uint8 -o specular.png &&
	# ImageMagick reads the unprefixed channels only: the beauty
	convert aov.exr -colorspace sRGB -depth 8 beauty.png &&
	distances aov.json beauty.png diffuse.png specular.png >d &&
	cat d &&
	near d - 1 && near d diffuse 2 && near d specular 3 &&
	test_json_valid fingerprint.schema.json aov.json
'

test_expect_success 'a layer without colour only (u, v, Z) or one channel short gets no entry' '
	oiiotool "$SL/Carrots.exr" --ch R,G,B \
		"$SL/Carrots.exr" --ch R,G --chnames half.R,half.G --chappend \
		"$SL/Carrots.exr" --ch R,G --chnames motion.u,motion.v --chappend \
		-d half --compression zip -o partial.exr &&
	prov-fp --json partial.exr >partial.json &&
	"$PYTHON" -c "
import json
r = json.load(open(\"partial.json\"))
im = r[\"images\"][0]
assert \"pdq\" in im and \"layers\" not in im, im.keys()
" &&
	# only prefixed colour: the part has no pdq of its own, the layer has one
	oiiotool "$SL/Carrots.exr" --ch R,G,B --chnames beauty.R,beauty.G,beauty.B \
		-d half --compression zip -o prefixed.exr &&
	prov-fp --json prefixed.exr >prefixed.json &&
	layers prefixed.json | cut -d" " -f1-3 >names &&
	echo "beauty - beauty.R,beauty.G,beauty.B" >expect &&
	test_cmp expect names &&
	"$PYTHON" -c "
import json
r = json.load(open(\"prefixed.json\"))
assert \"pdq\" not in r[\"images\"][0] and \"pdq\" not in r, r.keys()
" &&
	test_json_valid fingerprint.schema.json prefixed.json
'

test_expect_success 'multi-part stereo: each part is an image with its view, no layers' '
	prov-fp --json "$BB/multipart.0001.exr" >mp.json &&
	"$PYTHON" -c "
import json
r = json.load(open(\"mp.json\"))
views = [(im.get(\"name\"), im.get(\"view\"), \"pdq\" in im, \"layers\" in im) for im in r[\"images\"]]
print(views)
assert (\"rgba_right\", \"right\", True, False) in views, views
assert (\"rgba_left\", \"left\", True, False) in views, views
assert all(not l for _, _, _, l in views), views
"
'

test_expect_success 'the layers are the same with -j 2 as with one worker' '
	prov-fp --json "$MV/Adjuster.exr" "$MV/Fog.exr" "$BB/singlepart.0001.exr" >j1 &&
	prov-fp --json -j 2 "$MV/Adjuster.exr" "$MV/Fog.exr" "$BB/singlepart.0001.exr" >j2 &&
	test "$(grep -c "\"layers\"" j1)" = 3 &&
	test_cmp j1 j2
'

test_expect_success 'prov-ledger match finds a leaked view and a pass by their layer hashes' '
	PROV_LEDGER=$TRASH/studio.ledger &&
	export PROV_LEDGER &&
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger init --origin studio.example/prov --key op.key >/dev/null &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key &&
	cat adj.json aov.json >handed &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <handed >h &&
	test "$(cat h)" = 3 &&
	# found copies: the right eye and the diffuse pass, 8-bit PNGs
	prov-fp --json right.png diffuse.png >found &&
	prov-ledger match --json <found >out 2>err &&
	test_must_be_empty err &&
	test_json_valid pdq-match.schema.json out &&
	"$PYTHON" -c "
import json
m = [json.loads(l) for l in open(\"out\")]
got = sorted((x[\"query\"], x[\"path\"].rsplit(\"/\", 1)[-1], x[\"distance\"]) for x in m)
print(got)
assert got == [(\"diffuse.png\", \"aov.exr\", 0), (\"right.png\", \"Adjuster.exr\", 0)], got
"
'

test_done
