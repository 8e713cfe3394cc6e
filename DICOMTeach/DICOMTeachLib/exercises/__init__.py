"""The course's exercises: the mandatory attributes of an IOD, and a drawing of an IOD."""

from .mandatory import (
    ConditionalModule,
    MandatoryAttribute,
    MandatoryAttributes,
    MandatoryEntity,
    MandatoryModule,
    mandatory_attributes,
)

__all__ = [
    "ConditionalModule",
    "MandatoryAttribute",
    "MandatoryAttributes",
    "MandatoryEntity",
    "MandatoryModule",
    "mandatory_attributes",
]
