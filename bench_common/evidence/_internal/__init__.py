"""Private implementation of the evidence core: these modules may change without notice.

The public API is what ``bench_common.evidence`` exports; import from there. Keeping the
modules here lets their layout move without breaking anyone who verifies reports.
"""
