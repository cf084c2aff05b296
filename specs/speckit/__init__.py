"""Project tooling for finAPI's OpenAPI specs: lock, normalisation, generation.

Nothing here ships in the wheel. `noxfile.py` drives it with
``python -m speckit ...`` and the tests import it from the ``specs/`` folder.
"""
