#!/usr/bin/env python3
"""Reads the server's /metrics after a fuzz run and fails when an operation of the spec was never
answered with anything but 401, 403 or 404: the fuzz did not reach what it does."""
import re
import sys

import yaml

spec = yaml.safe_load(open(sys.argv[1]))
metrics = open(sys.argv[2]).read()
seen = {}
for method, route, status in re.findall(r'http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\}', metrics):
    seen.setdefault((method, route), set()).add(int(status))
refused = {401, 403, 404}
unreached = []
for path, item in spec["paths"].items():
    for method in ("get", "post", "put", "patch", "delete"):
        if method in item:
            statuses = seen.get((method.upper(), path), set())
            if not statuses - refused:
                unreached.append(f"{method.upper()} {path}: {sorted(statuses) or 'never called'}")
for line in unreached:
    print("only refused:", line)
print(f"{len(unreached)} of the spec's operations got nothing but 401, 403 or 404")
sys.exit(1 if unreached else 0)
