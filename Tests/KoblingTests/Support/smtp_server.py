"""A real SMTP server on loopback for Kobling's mail tests (aiosmtpd).

Every message that arrives is written to OUT as NNNNNN.eml, with its envelope beside it in
NNNNNN.json. Options make the server demand STARTTLS (with the given self-signed certificate) and
AUTH, or refuse chosen recipients with a chosen code. It offers PIPELINING (RFC 2920), as most
servers do, unless told not to. When it listens it writes its port to
READY_FILE. It stops on SIGTERM.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out, refusals, pipelining, later_ehlo_delay):
        self.out = out
        self.later_ehlo_delay = later_ehlo_delay
        self.refusals = refusals
        self.pipelining = pipelining
        self.count = 0
        self.greetings = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # Counted so that tests can tell connections are reused (STARTTLS repeats EHLO).
        if session.ssl is None:
            self.greetings += 1
            with open(os.path.join(self.out, "greetings"), "w") as file:
                file.write(str(self.greetings))
            if self.greetings > 1 and self.later_ehlo_delay:
                # A slow server, for every connection after the first: the others go on meanwhile.
                await asyncio.sleep(self.later_ehlo_delay)
        session.host_name = hostname
        if self.pipelining:
            # aiosmtpd reads commands in turn, so commands sent together are answered in order.
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.refusals.get(address.lower())
        if code:
            return f"{code} {'Mailbox unavailable' if code.startswith('5') else 'Try again later'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.out, f"{self.count:06d}")
        with open(name + ".eml.partial", "wb") as file:
            file.write(envelope.original_content)
        with open(name + ".json", "w") as file:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None, "auth": bool(session.authenticated)}, file)
        os.rename(name + ".eml.partial", name + ".eml")
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth", help="USER:PASSWORD; AUTH is then required")
    parser.add_argument("--refuse", action="append", default=[], help="ADDRESS=CODE")
    parser.add_argument("--no-pipelining", action="store_true")
    parser.add_argument("--idle-timeout", type=float, help="seconds before an idle connection is closed")
    parser.add_argument("--later-ehlo-delay", type=float, default=0, help="seconds every EHLO after the first connection's waits")
    arguments = parser.parse_args()

    refusals = dict(item.lower().rsplit("=", 1) for item in arguments.refuse)
    parameters = {}
    if arguments.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
        parameters["tls_context"] = context
        parameters["require_starttls"] = True
    if arguments.auth:
        user, password = arguments.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        parameters["authenticator"] = authenticate
        parameters["auth_required"] = True
        parameters["auth_require_tls"] = bool(arguments.cert)

    if arguments.idle_timeout:
        parameters["timeout"] = arguments.idle_timeout

    # The test process may block signals in the thread that started this one; take them back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    os.makedirs(arguments.out, exist_ok=True)
    controller = Controller(Handler(arguments.out, refusals, not arguments.no_pipelining, arguments.later_ehlo_delay), hostname="127.0.0.1", port=arguments.port,
                            server_hostname="kobling-test", **parameters)
    controller.start()
    with open(arguments.ready_file + ".partial", "w") as file:
        file.write(str(controller.port))
    os.rename(arguments.ready_file + ".partial", arguments.ready_file)

    # Every message is already on disk; a clean stop would wait for clients that keep their
    # connection open for reuse.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
