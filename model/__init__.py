"""The model: pure definitions every room shares (no database, no network).

``schema`` (the analytics store's tables, mirroring CIN census, SEN2 and service involvements),
``codes`` (code lists), ``workdays`` (England working days), ``upn`` (Unique Pupil Number rules),
``demo_accounts`` (which demo account is which demo worker) and ``settings`` (configuration, read
once from the environment at start-up).
"""
