"""finAPI for Python: the facade over the generated Access and Web Form 2.0 clients."""

__all__: list[str] = []
