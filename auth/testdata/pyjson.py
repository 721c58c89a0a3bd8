"""Prints json.dumps(json.loads(body), sort_keys=True) for each body.

Reads one JSON string per line on stdin, the base64 of a body, and prints
one JSON string per line: the re-serialised body, or "ERROR".
"""
import base64
import json
import sys

for line in sys.stdin:
    body = base64.b64decode(json.loads(line))
    try:
        out = json.dumps(json.loads(body), sort_keys=True)
    except Exception:
        out = "ERROR"
    print(json.dumps(out), flush=True)
