from enum import StrEnum


class RecordingDetailsStatus(StrEnum):
    RECORDING = "recording"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return str(self.value)
