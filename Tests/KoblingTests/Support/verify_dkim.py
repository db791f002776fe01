"""Verifies a message's DKIM signature with dkimpy, an independent implementation. The public key
is given as a file of base64 DER instead of a DNS lookup. Prints JSON: whether it verified, and the
headers the signature covers."""
import json
import re
import sys

import dkim

message = open(sys.argv[1], "rb").read()
public_key = open(sys.argv[2]).read().strip()


def dns(name, timeout=5):
    return f"v=DKIM1; k=rsa; p={public_key}".encode()


headers = message.split(b"\r\n\r\n", 1)[0].decode().replace("\r\n ", " ").replace("\r\n\t", " ")
found = re.search(r"^DKIM-Signature:.*?\bh=([^;]*)", headers, re.M)
print(json.dumps({
    "verified": bool(dkim.verify(message, dnsfunc=dns)),
    "signedHeaders": [h.strip() for h in found.group(1).split(":")] if found else [],
}))
