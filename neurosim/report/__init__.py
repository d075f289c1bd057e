"""The experiment report: runs grouped, sections registered per family, markdown and HTML.

`neurosim.report.writer.write_report` writes it; `neurosim.report.summary.summary_table` is the
table printed after a run. Nothing is imported here, so the summary stays free of matplotlib.
The report reads runs only through a store's `runs()` and artifacts only by kind, and draws
only with `neurosim.plotting`, so it works on any subset of artifacts and never needs torch or
brian2.
"""
