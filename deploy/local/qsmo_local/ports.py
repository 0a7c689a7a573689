"""The development ports of ``make up`` and free ports for stacks that run beside it."""

import socket

DEV_PORTS = {
    "kafka": 9092,
    "kafka-controller": 9093,
    "kafka-sasl": 9094,
    "mongo": 27017,
    "prometheus": 9090,
    "gateway": 8000,
    "ingest": 8001,
    "measures": 8002,
    "scorecard": 8003,
    "notifications": 8004,
    "oidc": 8010,
    "smtp": 8025,
}

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, never one this process handed out before.

    The kernel may give the same free port to two ``bind(0)`` calls in a row (seen: the
    gateway and scorecard of one test lane got one port), so ports are remembered.
    """
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def with_new_ports(saved: dict[str, int]) -> dict[str, int]:
    """A home's saved ports plus those added to the stack since: their defaults for a home on
    the default ports (``make up``), free ones for a home on other ports (no collision with
    a default stack running beside it)."""
    on_defaults = all(DEV_PORTS.get(name) == port for name, port in saved.items())
    added = {
        name: (port if on_defaults else free_port())
        for name, port in DEV_PORTS.items()
        if name not in saved
    }
    return {**saved, **added}


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.3)
        return probe.connect_ex(("127.0.0.1", port)) == 0
