"""Classical (non-neural) baselines: the floor any learner should beat."""
