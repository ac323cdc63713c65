"""Code suggestions: embeddings, lemmas, caches, features, the estimator, policy, explanations, evaluation."""
