#!/usr/bin/env python3
"""Post a message to the webhook in $WEBHOOK_URL (prints it when unset)."""

import json
import os
import sys
import urllib.request

message = " ".join(sys.argv[1:]) or "done"
url = os.environ.get("WEBHOOK_URL")
if not url:
    print(message)
else:
    data = json.dumps({"text": message}).encode()
    urllib.request.urlopen(
        urllib.request.Request(url, data, {"Content-Type": "application/json"}), timeout=10
    )
