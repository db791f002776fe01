"""An SMTP server on loopback that misbehaves as real providers do, on a script, for the outbox's
fault tests. Written on asyncio streams rather than aiosmtpd so that it can fail at any point of a
transaction: close after a reply, reset the connection, stop answering, take a message after the
client gave up.

The script (--script, JSON) is a list of rules; each applies where it matches:

  {"stage": "greeting" | "ehlo" | "starttls" | "mail" | "rcpt" | "data" | "content",
   "nth": 10,            # the 10th time any connection reaches the stage (counted from 1), or
   "every": 250,         # every 250th time, or
   "connection": 2,      # on the 2nd connection, or
   "recipient": "a@x",   # at rcpt: this address (with "times", "4xx several times then accept")
   "times": 3,           # at most this often (default: no limit)
   "probability": 0.05,  # with this chance, drawn from --seed
   "action": "reply" | "reset" | "hang" | "late" | "delay" | "tls-fail",
   "reply": "421 4.7.0 Try again later, closing connection",
   "close": true,        # close the connection after the reply
   "delay": 2.0}         # "late": seconds before the message is stored and 250 sent;
                         # "delay": seconds before the stage is answered normally

Rules at "content" apply once the whole message arrived: "reset" and "hang" lose it, "late" keeps
it and answers after the delay (when the client may have given up: a duplicate once it retries).
"tls-fail" answers STARTTLS with 220 and then closes instead of shaking hands. --close-every N
closes a connection silently after its Nth message. A reply of 421 closes unless "close" is false
(a server that says 421 and goes on answering).

Every message stored is written to OUT as NNNNNN.eml with its envelope in NNNNNN.json, as
smtp_server.py writes them; every rule applied (and every close of --close-every) is a line of OUT/faults.jsonl. The port is written
to READY_FILE once the server listens. It stops on SIGTERM.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import ssl
import struct
import sys


class Server:
    def __init__(self, arguments):
        self.out = arguments.out
        self.rules = json.loads(arguments.script) if arguments.script else []
        for rule in self.rules:
            rule.setdefault("applied", 0)
        self.random = random.Random(arguments.seed)
        self.close_every = arguments.close_every
        self.tls = None
        if arguments.cert:
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.load_cert_chain(arguments.cert, arguments.key)
        self.counts = {}
        self.connections = 0
        self.stored = 0

    def log(self, entry):
        with open(os.path.join(self.out, "faults.jsonl"), "a") as file:
            file.write(json.dumps(entry) + "\n")

    def rule_for(self, stage, connection, recipient=None):
        """Counts the stage and answers the first rule that matches it, if any."""
        count = self.counts[stage] = self.counts.get(stage, 0) + 1
        if os.environ.get("FAULTY_DEBUG"):
            self.log({"debug": stage, "count": count, "connection": connection})
        for rule in self.rules:
            if rule["stage"] != stage:
                continue
            if "times" in rule and rule["applied"] >= rule["times"]:
                continue
            if "nth" in rule and rule["nth"] != count:
                continue
            if "every" in rule and count % rule["every"] != 0:
                continue
            if "connection" in rule and rule["connection"] != connection:
                continue
            if "recipient" in rule and rule["recipient"].lower() != (recipient or "").lower():
                continue
            if "probability" in rule and self.random.random() >= rule["probability"]:
                continue
            rule["applied"] += 1
            self.log({"stage": stage, "count": count, "connection": connection, "recipient": recipient,
                      "action": rule.get("action", "reply"), "reply": rule.get("reply")})
            return rule
        return None

    def store(self, sender, recipients, content, tls):
        self.stored += 1
        name = os.path.join(self.out, f"{self.stored:06d}")
        with open(name + ".eml.partial", "wb") as file:
            file.write(content)
        with open(name + ".json", "w") as file:
            json.dump({"from": sender, "to": recipients, "tls": tls, "auth": False}, file)
        os.rename(name + ".eml.partial", name + ".eml")

    async def handle(self, reader, writer):
        self.connections += 1
        connection = self.connections
        try:
            await Session(self, connection, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass


class Closed(Exception):
    pass


class Session:
    def __init__(self, server, connection, reader, writer):
        self.server = server
        self.connection = connection
        self.reader = reader
        self.writer = writer
        self.tls = False
        self.messages = 0
        self.reset_transaction()

    def reset_transaction(self):
        self.sender = None
        self.recipients = []

    async def send(self, line):
        self.writer.write((line + "\r\n").encode())
        await self.writer.drain()

    def reset_connection(self):
        """Ends the connection with a TCP reset rather than a close."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        raise Closed()

    async def apply(self, rule):
        """Acts on a rule; answers True when the stage was answered by it."""
        if rule is None:
            return False
        action = rule.get("action", "reply")
        if action == "delay":
            await asyncio.sleep(rule.get("delay", 1))
            return False
        if action == "reset":
            self.reset_connection()
        if action == "hang":
            # Stops answering; the client's timeout ends the connection.
            await self.reader.read()
            raise Closed()
        if action == "tls-fail":
            await self.send("220 2.0.0 Ready to start TLS")
            self.writer.transport.abort()
            raise Closed()
        reply = rule.get("reply", "451 4.3.0 Try again later")
        await self.send(reply)
        if rule.get("close", reply.startswith("421")):
            self.writer.close()
            raise Closed()
        return True

    async def readline(self):
        line = await self.reader.readline()
        if not line:
            raise Closed()
        return line.decode("utf-8", "replace").rstrip("\r\n")

    async def run(self):
        try:
            if not await self.apply(self.server.rule_for("greeting", self.connection)):
                await self.send("220 kobling-faulty ESMTP")
            while True:
                line = await self.readline()
                verb = line.split(" ", 1)[0].upper()
                argument = line[len(verb):].strip()
                if verb in ("EHLO", "HELO"):
                    if await self.apply(self.server.rule_for("ehlo", self.connection)):
                        continue
                    if verb == "HELO":
                        await self.send("250 kobling-faulty")
                        continue
                    lines = ["kobling-faulty", "PIPELINING", "SIZE 52428800", "8BITMIME", "ENHANCEDSTATUSCODES"]
                    if self.server.tls and not self.tls:
                        lines.append("STARTTLS")
                    for text in lines[:-1]:
                        self.writer.write(f"250-{text}\r\n".encode())
                    await self.send("250 " + lines[-1])
                elif verb == "STARTTLS" and self.server.tls and not self.tls:
                    if await self.apply(self.server.rule_for("starttls", self.connection)):
                        continue
                    await self.send("220 2.0.0 Ready to start TLS")
                    await self.writer.start_tls(self.server.tls)
                    self.tls = True
                    self.reset_transaction()
                elif verb == "MAIL":
                    if await self.apply(self.server.rule_for("mail", self.connection)):
                        continue
                    self.sender = argument.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                    self.recipients = []
                    await self.send("250 2.1.0 OK")
                elif verb == "RCPT":
                    address = argument.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                    if await self.apply(self.server.rule_for("rcpt", self.connection, address)):
                        continue
                    self.recipients.append(address)
                    await self.send("250 2.1.5 OK")
                elif verb == "DATA":
                    if self.sender is None or not self.recipients:
                        await self.send("503 5.5.1 Bad sequence of commands")
                        continue
                    if await self.apply(self.server.rule_for("data", self.connection)):
                        self.reset_transaction()
                        continue
                    await self.send("354 End data with <CR><LF>.<CR><LF>")
                    await self.content()
                elif verb == "RSET":
                    self.reset_transaction()
                    await self.send("250 2.0.0 OK")
                elif verb == "NOOP":
                    await self.send("250 2.0.0 OK")
                elif verb == "QUIT":
                    await self.send("221 2.0.0 Bye")
                    self.writer.close()
                    return
                else:
                    await self.send("500 5.5.2 Command not recognised")
        except Closed:
            return

    async def content(self):
        chunks = []
        while True:
            line = await self.reader.readline()
            if not line:
                raise Closed()
            if line == b".\r\n":
                break
            chunks.append(line[1:] if line.startswith(b"..") else line)
        content = b"".join(chunks)
        sender, recipients = self.sender, self.recipients
        self.reset_transaction()
        rule = self.server.rule_for("content", self.connection)
        if rule is not None and rule.get("action") == "late":
            await asyncio.sleep(rule.get("delay", 1))
            self.server.store(sender, recipients, content, self.tls)
            await self.send("250 2.0.0 Accepted late")
            return
        if await self.apply(rule):
            return
        self.server.store(sender, recipients, content, self.tls)
        await self.send("250 2.0.0 Message accepted for delivery")
        self.messages += 1
        if self.server.close_every and self.messages % self.server.close_every == 0:
            self.server.log({"stage": "content", "count": self.server.stored, "connection": self.connection,
                             "recipient": None, "action": "close-every", "reply": None})
            self.writer.close()
            raise Closed()


async def serve(arguments):
    server = Server(arguments)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", arguments.port)
    port = listener.sockets[0].getsockname()[1]
    with open(arguments.ready_file + ".partial", "w") as file:
        file.write(str(port))
    os.rename(arguments.ready_file + ".partial", arguments.ready_file)
    async with listener:
        await listener.serve_forever()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--script", help="the rules, as JSON")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--close-every", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    arguments = parser.parse_args()
    os.makedirs(arguments.out, exist_ok=True)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    asyncio.run(serve(arguments))


if __name__ == "__main__":
    sys.exit(main())
