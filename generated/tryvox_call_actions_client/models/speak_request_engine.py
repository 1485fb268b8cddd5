from enum import StrEnum


class SpeakRequestEngine(StrEnum):
    NEURAL = "neural"
    STANDARD = "standard"

    def __str__(self) -> str:
        return str(self.value)
