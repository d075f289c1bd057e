"""Learner families: the base class and metrics one kind of task needs (classification, control).

A family's module declares its metrics and the Learner base its learners derive from; tasks live
in `neurosim.tasks`, report sections in `neurosim.report.sections`.
"""
