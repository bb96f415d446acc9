"""Text retrieval, and the FAQ knowledge base it serves: what finds a text by meaning and by words.

`vector_index` (FAISS inner-product search over any vectors: text embeddings, ALS item factors),
`text` (sentence embeddings, BM25 over jieba words and CJK n-grams, their fusion, text
normalisation), `faq_index` (the FAQ retriever the action server answers from) and
`faq_evaluation` (its measurement on the held-out questions of `evalsets/`). Product search in
`recommender` is built on `text` and `vector_index`. Imports nothing of the project but `kelian`.
"""
