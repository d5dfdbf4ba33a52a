#!/bin/sh
# PDQ: bit-exact with the reference C++ code (full-resolution convention) on
# every image of vectors/pdq.tsv, decoded by ImageMagick to PNM as the
# reference's CImg front end does (the helper reads samples wider than 8 bits
# as CImg does, low byte of 16-bit words, so the 16-, 24- and 32-bit TIFF
# vectors are reproduced too: they record the reference's input quirk).
. "$(dirname "$0")/lib.sh"

test_expect_success 'every listed image hashes as the reference' '
	tail -n +2 "$VECTORS/pdq.tsv" >all.tsv &&
	n=0 &&
	: >expect && : >paths && : >files &&
	while IFS="	" read -r path hash q rest; do
		n=$((n + 1)) &&
		ln -s "$CORPUS/$path" "src$n.${path##*.}" &&
		printf "%s\t%s\t%s\n" "$path" "$hash" "$q" >>expect &&
		printf "%s\n" "$path" >>paths &&
		printf "img%s.pnm\n" $n >>files ||
		return 1
	done <all.tsv &&
	# One ImageMagick process for all (126 start-ups cost a minute); it
	# exits 1 on warnings (an unknown TIFF tag) yet writes the images, and
	# stops at some: convert does the rest one by one.
	{ mogrify -format pnm src* 2>/dev/null || :; } &&
	i=1 &&
	while [ $i -le $n ]; do
		if [ -s src$i.pnm ]; then
			mv src$i.pnm img$i.pnm
		else
			p=$(sed -n ${i}p paths) &&
			{ convert "$CORPUS/$p" pnm:img$i.pnm 2>/dev/null ||
			  test -s img$i.pnm; } || return 1
		fi
		i=$((i + 1))
	done &&
	test "$n" -eq "$(wc -l <all.tsv)" && test "$n" -ge 126 &&
	prov-test pdq_pnm $(cat files) >hashes &&
	paste paths hashes >actual &&
	test_cmp expect actual
'

test_expect_success 'the vectors include full-resolution frames of quality 100' '
	grep -c "^frames/.*	100$" expect >count &&
	test "$(cat count)" -ge 34
'

test_expect_success 'a changed frame gives a different, near hash' '
	f=$CORPUS/frames/sintel/faldoi-alley_1/clean/frame_0001.png &&
	convert "$f" pnm:a.pnm &&
	convert "$f" -fill white -draw "rectangle 10,10 120,60" pnm:b.pnm &&
	prov-test pdq_pnm a.pnm b.pnm >out &&
	a=$(sed -n 1p out | cut -f1) && b=$(sed -n 2p out | cut -f1) &&
	test "$a" != "$b" &&
	d=$(prov-test pdq_distance "$a" "$b") &&
	test "$d" -gt 0 && test "$d" -le 31
'

test_expect_success 'distance: identical 0, complement 256, bad hex refused' '
	h=21693369066deb842a348b7599a4df76bf36b9b4f23652563b598e298d8f0382 &&
	c=de96cc96f992147bd5cb748a665b208940c9464b0dc9ada9c4a671d67270fc7d &&
	echo 0 >expect && prov-test pdq_distance $h $h >out && test_cmp expect out &&
	echo 256 >expect && prov-test pdq_distance $h $c >out && test_cmp expect out &&
	test_must_fail prov-test pdq_distance $h xyz 2>err &&
	grep -q "not a PDQ hash" err
'

test_done
