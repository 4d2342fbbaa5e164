"""Reproducible evaluation and reporting toolkit for the Economic Inactivity Trailblazers.

Data flows one way: ``data`` (read, validate, quarantine) -> ``metrics`` (typed results) ->
``figures`` (named, defined numbers) -> ``disclosure`` -> ``charts`` -> ``documents`` ->
``pipeline`` -> ``cli``. ``errors``, ``params`` and ``paths`` are leaves any stage may import.
"""

__version__ = "0.1.0"
