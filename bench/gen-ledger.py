#!/usr/bin/env python3
"""gen-ledger.py KEYFILE AUTHOR N [TO PROJECT] < head.ndjson > export.ndjson

Appends entries to the first entries of a prov-ledger export (init,
parties, approvals), up to N entries in all, each signed with the party's
key (a prov-ledger key file) exactly as prov-ledger signs: Ed25519 over the
canonical JSON of the entry without "sig".  Without TO, sightings; with TO
and PROJECT, handoffs of one artifact from AUTHOR to TO, as
`prov-test ledger_fill` appends them (the manifest root and count, and
"covered": true, which the head's approvals must make so).  For benchmarks
only: a ledger is then made with `prov-ledger import`.
"""
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

keyfile, author, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
to, project = (sys.argv[4], sys.argv[5]) if len(sys.argv) == 6 else (None, None)
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
    if to is None:
        e = {"author": author, "body": {"artifacts": [{"path": "leak/f%07d.exr" % seq,
             "sha256": "%064x" % seq}], "where": "share %d" % (seq % 97)},
             "key": vkey, "seq": seq, "time": last["time"], "type": "sighting"}
    else:
        path = "%s/sh%08d.exr" % (project, seq)
        art = {"kind": "exr", "path": path,
               "sha256": hashlib.sha256(path.encode()).hexdigest(), "size": seq}
        # RFC 6962: the root of one leaf is its leaf hash
        root = hashlib.sha256(b"\0" + canon(art).encode()).hexdigest()
        e = {"author": author, "body": {"covered": True, "from": author, "manifest": {
             "artifacts": [art], "count": 1, "root": root}, "project": project, "to": to},
             "key": vkey, "seq": seq, "time": last["time"], "type": "handoff"}
    e["sig"] = base64.b64encode(key.sign(canon(e).encode())).decode()
    out.write(canon(e) + "\n")
