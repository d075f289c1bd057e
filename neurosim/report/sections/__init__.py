"""The report sections that ship with neurosim; importing this package registers them all.

Each module registers its own sections with `neurosim.report.section.section`; a family that
lives elsewhere registers its sections in its own module, announced as an entry point of group
`neurosim.report_sections`.
"""

from neurosim.report.section import SECTIONS, all_sections
from neurosim.report.sections import activity, classification, control, runs, sweep

__all__ = ["SECTIONS", "activity", "all_sections", "classification", "control", "runs", "sweep"]
