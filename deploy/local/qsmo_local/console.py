"""What the stack tells the operator."""


class StackError(RuntimeError):
    """A prerequisite is missing or a component did not start; the message says what to do."""


def log(message: str) -> None:
    print(f"[stack] {message}", flush=True)
