"""The report sections that ship with neurosim, one module per family (plus the shared ones).

Each module registers its sections with `neurosim.report.section.section` and is announced as an
entry point of group `neurosim.report_sections` (setup.cfg), exactly as a family that lives in
another package announces its own; nothing here lists them.
"""
