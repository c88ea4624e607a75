from tinygen.frontend.reader import load_model

__all__ = ["load_model"]
