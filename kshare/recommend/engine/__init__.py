"""The recommender engine: pure numpy / scipy / scikit-learn, no Django.

``base`` (TrainData, the Recommender protocol, top_k), ``models`` (Popularity, ContentTfidf, EASE,
ItemKNN, PureSVD, GroupPopularity, Hybrid), ``batched``, ``split`` (the time split the hybrid is
tuned on), ``metrics`` (the ranking metrics the tuning and the evaluation share) and ``experts``
(the host finder). The offline evaluation lives in ``kshare.recommend.evaluation``.
"""
