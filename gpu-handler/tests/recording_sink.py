"""An ImageSink that keeps what the engine hands it, for the engine tests."""


class RecordingSink:
    def __init__(self):
        self.images: dict[int, bytes] = {}
        self.order: list[int] = []
        self.progress_values: list[float] = []

    def image(self, position: int, load) -> None:
        self.images[position] = load()
        self.order.append(position)

    def progress(self, fraction: float, message: str | None = None) -> None:
        self.progress_values.append(fraction)
