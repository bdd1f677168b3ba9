"""A real SMTP server for the tests (aiosmtpd) on a free port: it keeps what it is sent,
and refuses recipients at bounce.example as a mailbox that does not exist would."""
import contextlib
import email
import email.policy

from aiosmtpd.controller import Controller

from tests.edge.browser import free_port


class Mailbox:
    """The handler: messages as ``email.message.EmailMessage``, in the order received."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@bounce.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address):
        return [message for message in self.messages if message["To"] == address]


@contextlib.contextmanager
def smtp_server():
    """(port, Mailbox) of a running server; stopped after."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()
