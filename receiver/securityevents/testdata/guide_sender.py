"""The sending code of Sentyr's webhook guide, in the guide's shape
(WebhookSender with format="json" and HMAC-SHA256 auth, send_event and
send_batch), with Python's standard library only.

Usage: guide_sender.py URL SECRET
Prints each payload it sent as one JSON line, then "sent N/M".
"""

import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone


class WebhookSender:
    def __init__(self, url, hmac_secret, hmac_header="X-Signature", source="sentyr"):
        self.url = url
        self.hmac_secret = hmac_secret
        self.hmac_header = hmac_header
        self.source = source

    def _payload(self, event_type, event_data, severity):
        # The guide's generic JSON payload.
        return {
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": self.source,
            "event_type": event_type,
            "severity": severity,
            "data": event_data,
        }

    def _post(self, payload):
        body = json.dumps(payload).encode()
        # The guide's verify_signature checks json.dumps(payload, sort_keys=True).
        signature = hmac.new(
            self.hmac_secret.encode(),
            json.dumps(payload, sort_keys=True).encode(),
            hashlib.sha256,
        ).hexdigest()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", self.hmac_header: signature},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return 200 <= resp.status < 300
        except urllib.error.HTTPError as err:
            print("refused %d %s" % (err.code, err.read().decode().strip()), file=sys.stderr)
            return False

    def send_event(self, event_type, event_data, severity="info"):
        payload = self._payload(event_type, event_data, severity)
        ok = self._post(payload)
        if ok:
            print(json.dumps(payload))
        return ok

    def send_batch(self, events):
        return sum(
            1 for e in events if self.send_event(e["type"], e["data"], e.get("severity", "info"))
        )


def main():
    url, secret = sys.argv[1], sys.argv[2]
    sender = WebhookSender(url, secret)
    sent = 0
    sent += sender.send_event(
        event_type="file_shared_externally",
        event_data={
            "file_id": "abc123",
            "file_name": "sensitive.pdf",
            "owner": "user@example.com",
            "shared_with": "external@partner.com",
        },
        severity="warning",
    )
    events = [
        {
            "type": "file_shared_externally",
            "data": {"file_id": "abc123", "file_name": "doc1.pdf"},
            "severity": "warning",
        },
        {
            "type": "file_shared_externally",
            "data": {"file_id": "def456", "file_name": "doc2.pdf"},
            "severity": "warning",
        },
        {
            "type": "pii_detected",
            "data": {"file_id": "ghi789", "pii_types": ["ssn", "email"]},
            "severity": "critical",
        },
    ]
    sent += sender.send_batch(events)
    # A sender with another secret is refused.
    sent += WebhookSender(url, secret + "-wrong").send_event("test", {"message": "test"}, "info")
    print("sent %d/5" % sent)


if __name__ == "__main__":
    main()
