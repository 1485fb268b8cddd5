from enum import StrEnum


class CallStatus(StrEnum):
    COMPLETED = "completed"
    IN_PROGRESS = "in-progress"
    RINGING = "ringing"
    TRANSFERRING = "transferring"

    def __str__(self) -> str:
        return str(self.value)
