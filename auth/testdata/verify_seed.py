"""Receiving side of the sorted_json scheme, as Sentyr's guide writes it.

Reads one JSON object per line on stdin:
  {"body": <base64 of the request body>, "encoding": <Content-Encoding>,
   "signature": <X-Signature>, "secret": <shared secret>}
and prints "ok" or "rejected: <why>" per line. The verification is the
the guide's verify_signature, unchanged, applied to json.loads(body).
"""
import base64
import gzip
import hashlib
import hmac
import json
import sys


def verify_signature(payload: dict, signature: str, secret: str) -> bool:
    payload_str = json.dumps(payload, sort_keys=True)
    expected_signature = hmac.new(
        secret.encode(),
        payload_str.encode(),
        hashlib.sha256,
    ).hexdigest()
    return hmac.compare_digest(signature, expected_signature)


def main():
    for line in sys.stdin:
        case = json.loads(line)
        try:
            body = base64.b64decode(case["body"])
            if case.get("encoding") == "gzip":
                body = gzip.decompress(body)
            payload = json.loads(body)
            ok = verify_signature(payload, case["signature"], case["secret"])
            print("ok" if ok else "rejected: signature mismatch", flush=True)
        except Exception as e:  # a broken body is a rejected request
            print("rejected: %s" % type(e).__name__, flush=True)


main()
