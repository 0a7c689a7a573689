"""The local stack's ports: unique free ports, and ports added to old stack homes."""

import qsmo_stack


def test_free_ports_of_one_process_are_never_repeated() -> None:
    ports = [qsmo_stack.free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)


def test_a_default_home_gets_the_default_of_a_port_added_since() -> None:
    saved = {k: v for k, v in qsmo_stack.DEV_PORTS.items() if k != "kafka-sasl"}
    assert qsmo_stack._with_new_ports(saved) == qsmo_stack.DEV_PORTS


def test_a_home_on_other_ports_gets_a_free_port_not_the_default() -> None:
    saved = {name: 41000 + i for i, name in enumerate(qsmo_stack.DEV_PORTS) if name != "kafka-sasl"}
    ports = qsmo_stack._with_new_ports(saved)
    assert {k: ports[k] for k in saved} == saved
    assert ports["kafka-sasl"] != qsmo_stack.DEV_PORTS["kafka-sasl"]
    assert ports["kafka-sasl"] not in saved.values()
