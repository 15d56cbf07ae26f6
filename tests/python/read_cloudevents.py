"""Reads deliveries with the CloudEvents Python SDK (PyPI `cloudevents`), which no one here wrote.

stdin: a JSON list of {"format", "headers": {name: value}, "body_base64"}.
stdout: a JSON list, one per delivery: the event's attributes and data as the SDK read them, or
{"error": "..."} when the SDK refused it. The `json` format is read as a JSON CloudEvent
(`from_json`); the CloudEvents formats through the HTTP binding (`from_http`), strictly as sent.
"""

import base64
import json
import sys

from cloudevents.http import from_http, from_json


def read(delivery):
    body = base64.b64decode(delivery["body_base64"])
    if delivery["format"] == "json":
        event = from_json(body)
    else:
        event = from_http(delivery["headers"], body)
    attributes = dict(event.get_attributes())
    return {"attributes": attributes, "data": event.get_data()}


def main():
    out = []
    for delivery in json.load(sys.stdin):
        try:
            out.append(read(delivery))
        except Exception as error:  # the SDK's refusal is what the test reports
            out.append({"error": f"{type(error).__name__}: {error}"})
    json.dump(out, sys.stdout, default=str)


main()
