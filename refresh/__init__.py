"""The refresh: builds the analytics store and swaps it in (batch, with write access).

``ingest`` loads council returns (CIN census, SEN2, interventions, population) into a ledger;
``demo`` generates synthetic data; ``derive`` computes the derived columns both share; ``database``
bulk-loads a new store and swaps it over the served one. Depends on ``model`` only.
"""
