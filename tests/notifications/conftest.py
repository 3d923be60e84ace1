import pytest


@pytest.fixture
def with_email():
    """Give users an address (the role fixtures have none): ``with_email(editor, publisher, ...)``."""

    def give(*users):
        for user in users:
            user.email = f"{user.username}@example.com"
            user.save(update_fields=["email"])
        return users

    return give


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.HIVE_PUBLIC_URL = "https://hive.example.com"


class SmtpStub:
    """A minimal SMTP server on loopback (socketserver in a thread): accepts every message and keeps its raw
    text, or answers the end of DATA with the next code of ``answers`` (e.g. 451, a temporary failure)."""

    def __init__(self):
        import socketserver
        import threading

        self.messages: list[str] = []
        self.answers: list[int] = []
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 stub ESMTP\r\n")
                while line := self.rfile.readline():
                    command = line.decode().strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250 stub\r\n")
                    elif command == "DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        data = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data.append(chunk.decode())
                        code = stub.answers.pop(0) if stub.answers else 250
                        if code == 250:
                            stub.messages.append("".join(data))
                        self.wfile.write(f"{code} {'queued' if code == 250 else 'try again later'}\r\n".encode())
                    elif command == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def smtp_server(settings):
    """Django's SMTP backend pointed at an ``SmtpStub``."""
    server = SmtpStub()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.close()
