"""The recommender engine: pure numpy / scipy / scikit-learn, no Django.

``base`` (TrainData, the Recommender protocol, top_k), ``models`` (Popularity, ContentTfidf, EASE,
ItemKNN, PureSVD, GroupPopularity, Hybrid), ``metrics``, ``movietweetings`` and ``synthetic`` (the
offline data sets) and ``evaluate`` (every model on one data set, for `kshare recommend evaluate`).
"""
