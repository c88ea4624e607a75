"""tinygen: int8 TFLite models to plain C inference code for microcontrollers."""

__version__ = "0.1.0"
