"""The dashboard's UI package: everything between the engine (``loop_core``) and the pages.

* ``views/`` and ``formatting``: view models, plain functions from engine results to
  tidy frames and display text; no Streamlit import, so they are unit-tested directly.
* ``charts``: Vega-Lite (Altair) charts from those frames; no Streamlit import either.
* ``caches``, ``entry``, ``sidebar``: the Streamlit side (the cached connection and
  engine calls, the error boundary and the deep-link entry point, the sidebar).
* ``lifecycle``: what starts and stops with the server process (sample, sync, warm-up).
"""
