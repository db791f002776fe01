"""Reads an .eml file with Python's own email parser and prints what a mail client would show, as
JSON: the decoded headers, and the text and HTML parts. An independent check of Kobling's MIME."""
import json
import sys
from email import policy
from email.parser import BytesParser

with open(sys.argv[1], "rb") as file:
    raw = file.read()
message = BytesParser(policy=policy.default).parsebytes(raw)
parts = {}
for part in message.walk():
    if part.get_content_maintype() == "text":
        parts[part.get_content_type()] = part.get_content()
print(json.dumps({
    "headers": {name: str(value) for name, value in message.items()},
    "contentType": message.get_content_type(),
    "text": parts.get("text/plain"),
    "html": parts.get("text/html"),
    "longestLine": max(len(line) for line in raw.split(b"\r\n")),
    "longestLineText": max(raw.split(b"\r\n"), key=len).decode("utf-8", "replace"),
    "bareLineFeeds": raw.replace(b"\r\n", b"").count(b"\n"),
}, ensure_ascii=False))
