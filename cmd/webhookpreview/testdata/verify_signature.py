# The verify_signature of Sentyr's webhook guide (section 4, HMAC
# signature), run on the body and signature the preview printed.
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


body, signature, secret = sys.argv[1], sys.argv[2], sys.argv[3]
print(verify_signature(json.loads(body), signature, secret))
