#!/usr/bin/env python3
"""Bytes per stored event in a Redis AOF file, by command and key family.

    bench/aof-breakdown.py <dir>/appendonlydir/appendonly.aof.1.incr.aof

Reads the RESP commands of an AOF increment (not the RDB base), groups them by command and, for
XADD/SET/XACK/XCLAIM/XDEL, by the key's family (events, seen, deliveries, ... of any partition), and
divides by the number of XADDs to the events streams. Take the file from a short ingest run (before
Redis rewrites it), e.g. the Redis that bench/profile-redis.sh starts.
"""
import collections
import sys


def commands(data):
    i = 0
    while i < len(data):
        if data[i:i + 1] != b"*":
            i = data.index(b"\n", i) + 1
            continue
        end = data.index(b"\r\n", i)
        count, start, i = int(data[i + 1:end]), i, end + 2
        args = []
        for _ in range(count):
            end = data.index(b"\r\n", i)
            length = int(data[i + 1:end])
            i = end + 2
            args.append(data[i:i + length])
            i += length + 2
        yield args, i - start


def main(path):
    sizes, counts = collections.Counter(), collections.Counter()
    with open(path, "rb") as f:
        data = f.read()
    for args, size in commands(data):
        name = args[0].decode().upper()
        if name in ("XADD", "SET", "XACK", "XCLAIM", "XDEL") and len(args) > 1:
            # {shiprelay}:seen:... or a partition's {shiprelay:0.71}:events: the name after the tag
            key = args[1].decode(errors="replace")
            rest = key.split("}:", 1)[1] if "}:" in key else key
            name += " " + rest.split(":")[0]
        sizes[name] += size
        counts[name] += 1
    events = counts.get("XADD events", 0)
    if not events:
        sys.exit("no XADD to an events stream in this file")
    print(f"{len(data):,} bytes, {events:,} events: {len(data) / events:,.0f} bytes per event")
    for name, size in sizes.most_common():
        print(f"  {name:24} {counts[name] / events:5.2f} per event {size / events:8.1f} bytes per event")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
