"""DomainError: a rule violation, carried to the HTTP shell as an RFC 9457 problem."""

DOCS_ERRORS = "https://docs.tryvox.io/errors/"


class DomainError(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str, pointer: str | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.pointer = pointer

    def problem(self) -> dict:
        body = {
            "type": DOCS_ERRORS + self.code.replace("_", "-"),
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if self.pointer is not None:
            body["errors"] = [{"pointer": self.pointer, "message": self.detail}]
        return body
