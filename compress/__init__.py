"""TorchCompresser: evolve small 8-bit circuits (CGP) that compute a quantized CNN's int8 weights."""

__version__ = "0.1.0"
