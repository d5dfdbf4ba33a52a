#!/usr/bin/env python3
"""gen-ledger.py KEYFILE AUTHOR N < head.ndjson > export.ndjson

Appends sighting entries to the first entries of a prov-ledger export
(init, party), up to N entries in all, each signed with the party's key
(a prov-ledger key file) exactly as prov-ledger signs: Ed25519 over the
canonical JSON of the entry without "sig".  For benchmarks only.
"""
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

keyfile, author, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(keyfile).read().strip()
seed = base64.b64decode(text.split("+", 4)[4])[1:]
key = Ed25519PrivateKey.from_private_bytes(seed)
head = [l for l in sys.stdin.read().split("\n") if l]
last = json.loads(head[-1])
party = [json.loads(l) for l in head if json.loads(l)["type"] == "party"
         and json.loads(l)["body"]["name"] == author][0]
vkey = party["body"]["vkey"]
out = sys.stdout
for l in head:
    out.write(l + "\n")
canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
for seq in range(len(head), n):
    e = {"author": author, "body": {"artifacts": [{"path": "leak/f%07d.exr" % seq,
         "sha256": "%064x" % seq}], "where": "share %d" % (seq % 97)},
         "key": vkey, "seq": seq, "time": last["time"], "type": "sighting"}
    e["sig"] = base64.b64encode(key.sign(canon(e).encode())).decode()
    out.write(canon(e) + "\n")
