"""Offline evaluation of the recommender and the host finder (``kshare recommend evaluate``).

Loaded only by the ``recommend`` management command, bench/ and the tests: no module the web
server or the worker imports may import this package (``tests/test_runtime_imports.py``).
``evaluate`` (every model on one split, the same metrics), the data sets ``movietweetings`` and
``synthetic``, ``pyvideo`` (expertise finding on conference talks), ``baselines`` (models only
the evaluation runs) are pure numpy / scipy / scikit-learn; ``demo`` evaluates on the current
database.
"""
