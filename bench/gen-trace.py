#!/usr/bin/env python3
"""gen-trace.py DIR FRAMES PER FOUND: synthetic prov-fp records for bench-trace.sh.

Writes DIR/batchNNN.ndjson (FRAMES records in batches of PER: sha256,
pixels, pdq hashes clustered as a series' frames are, 16 bits apart from
their shot's) and DIR/found.ndjson (FOUND records: 40% the same bytes as a
ledger frame, 30% the same pixels in other bytes, 20% a near PDQ hash (6
bits flipped) with other bytes and pixels, 10% unknown).  For benchmarks
only; deterministic (seeded).
"""
import json, os, random, sys

d, frames, per, nfound = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(1)


def flip(h, bits):
    v = int(h, 16)
    for b in rnd.sample(range(256), bits):
        v ^= 1 << b
    return "%064x" % v


def frame(i):
    shot = i // 240
    rs = random.Random(shot * 7919 + 17)
    base = "%064x" % rs.getrandbits(256)
    pdq = flip(base, 16)
    return {"path": "ep%03d/sq%03d/sh%04d/f.%04d.exr" % (shot // 2000, shot // 40 % 50, shot, i % 240),
            "kind": "exr", "size": 1000 + i, "sha256": "%064x" % rnd.getrandbits(256),
            "pixels": "v1:%064x" % rnd.getrandbits(256),
            "pdq": {"hash": pdq, "quality": 100}}


keep = set(rnd.sample(range(frames), nfound))
kept = {}
b = None
for i in range(frames):
    if i % per == 0:
        if b:
            b.close()
        b = open(os.path.join(d, "batch%03d.ndjson" % (i // per)), "w")
    r = frame(i)
    if i in keep:
        kept[i] = r
    b.write(json.dumps(r, separators=(",", ":")) + "\n")
b.close()
with open(os.path.join(d, "found.ndjson"), "w") as f:
    for n, i in enumerate(sorted(keep)):
        r = dict(kept[i])
        r["path"] = "found/%05d.exr" % n
        k = n % 10
        if k >= 4:
            r["sha256"] = "%064x" % rnd.getrandbits(256)
        if k >= 7:
            r["pixels"] = "v1:%064x" % rnd.getrandbits(256)
            r["pdq"] = {"hash": flip(r["pdq"]["hash"], 6), "quality": 90}
        if k == 9:
            r["pdq"] = {"hash": "%064x" % rnd.getrandbits(256), "quality": 90}
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
