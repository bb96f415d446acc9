"""Product recommendations and product search for the bot and the console, learnt from the CRM.

Three rooms: `serving` (what the action server and the console load: `serving.service.Recommender`),
`training` (a version from the CRM or a file) and `evaluation` (the evaluation contract, product
search figures, benchmarks); what they share lives here (records, catalogue, interactions, the
collaborative models, settings, the trained model and its artifacts), with `crm_source`, the one
module that reads `crm`. Text retrieval (FAISS, embeddings, BM25) is the `retrieval` package. The
commands are `python -m recommender …` and `python -m recommender.evaluate`; docs/recommender.md.
"""
