"""JSON codecs for Kafka message values: pydantic models to bytes and back."""

from typing import TypeVar

from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)


def encode(message: BaseModel) -> bytes:
    """Serialize a message model as compact UTF-8 JSON."""
    return message.model_dump_json().encode()


def decode(model: type[ModelT], payload: bytes) -> ModelT:
    """Parse and validate ``payload``; raises ``pydantic.ValidationError`` on bad input."""
    return model.model_validate_json(payload)
