#!/usr/bin/python3
"""validate.py SCHEMA FILE: validate a JSON document, or every line of an
NDJSON stream, against a JSON Schema (2020-12).  Exit 1 on the first
invalid document, naming its line."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
validator.check_schema(schema)
text = open(sys.argv[2], "rb").read().decode("utf-8")
docs = []
stripped = text.strip()
if stripped.startswith("{") and "\n" not in stripped:
    docs = [(1, stripped)]
elif stripped.startswith("[") or (stripped.startswith("{") and not all(
        l.strip().startswith("{") for l in stripped.splitlines() if l.strip())):
    docs = [(1, stripped)]
else:
    docs = [(i + 1, l) for i, l in enumerate(text.splitlines()) if l.strip()]
if not docs:
    print("no documents in", sys.argv[2], file=sys.stderr)
    sys.exit(1)
for line, doc in docs:
    errors = sorted(validator.iter_errors(json.loads(doc)), key=str)
    if errors:
        print("%s:%d: %s" % (sys.argv[2], line, errors[0].message), file=sys.stderr)
        sys.exit(1)
print("%d valid" % len(docs))
