#!/usr/bin/env python3
"""Writes, as Redis protocol on stdout (for `redis-cli --pipe`), N events stored the way shiprelay
stored them before partitions: the event in `{shiprelay}:events`, its id-index and dedupe keys, and
one job per subscription in `{shiprelay}:deliveries`, each job carrying the whole event. Used by
scripts/bench to compare the Redis memory of queued work with the current layout.

  bench/old-layout.py --events N --subscriptions S --event-file EVENT.json
"""
import argparse
import json
import sys


def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--subscriptions", type=int, required=True)
    parser.add_argument("--event-file", required=True)
    args = parser.parse_args()
    template = json.loads(open(args.event_file).read())
    subscriptions = ["sub_01KB%022d" % i for i in range(args.subscriptions)]
    write = sys.stdout.buffer.write
    for n in range(args.events):
        event = dict(template)
        event["id"] = "evt_01KB%022d" % n
        event_json = json.dumps(event, separators=(",", ":"))
        write(command("XADD", "{shiprelay}:events", "*", "id", event["id"], "type", event["type"], "event", event_json))
        write(command("SET", "{shiprelay}:event:" + event["id"], "1764600000000-%d" % (n % 10), "EX", 604800))
        write(command("SET", "{shiprelay}:seen:flexops:bench-%d" % n, json.dumps([event["id"]]), "EX", 604800))
        for sub in subscriptions:
            job = {
                "subscription_id": sub,
                "event_id": event["id"],
                "attempt": 1,
                "first_attempt_at": None,
                "subject": event.get("subject"),
                "event_time": event["time"],
                "received_at": event["data"]["provider"]["received_at"],
                "event": event_json,
            }
            write(command("XADD", "{shiprelay}:deliveries", "*", "job", json.dumps(job, separators=(",", ":"))))


if __name__ == "__main__":
    main()
