"""Registered torch learners that are not reinforcement-learning agents."""
