"""Deep reinforcement-learning agents for the control tasks, and the pieces they share."""
