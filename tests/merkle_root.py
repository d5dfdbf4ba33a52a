#!/usr/bin/python3
"""merkle_root.py [FILE]: the RFC 6962 root of a prov-ledger export, in
base64, computed independently of prov: one leaf per line (the line's
bytes without the newline).  With --prove N SIZE, reads a `prove --json`
answer on stdin and checks it against the export instead."""
import base64
import hashlib
import json
import sys


def leaf(b):
    return hashlib.sha256(b"\x00" + b).digest()


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def root(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(root(leaves[:k]), root(leaves[k:]))


args = sys.argv[1:]
prove = args[0] == "--prove" if args else False
if prove:
    args = args[1:]
lines = open(args[0], "rb").read().split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
leaves = [leaf(l) for l in lines]
if not prove:
    print(base64.b64encode(root(leaves)).decode())
    sys.exit(0)
p = json.load(sys.stdin)
idx, size = p["leafIdx"], p["treeSize"]
r = base64.b64decode(p["leafHash"])
assert r == leaves[idx], "leaf hash differs from the export's line"
fn, sn = idx, size - 1
for h in (base64.b64decode(x) for x in p["proof"]):
    if fn & 1 or fn == sn:
        r = node(h, r)
        while not fn & 1 and fn:
            fn >>= 1
            sn >>= 1
    else:
        r = node(r, h)
    fn >>= 1
    sn >>= 1
assert sn == 0 and r == root(leaves[:size]) == base64.b64decode(p["root"]), "proof fails"
print("proof ok")
