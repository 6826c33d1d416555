"""One module per rule: bad() fires exactly BAD, good() fires nothing (test_rule_examples.py).

Each module defines bad() and good() returning model bytes and BAD, the exact set of
(rule ID, Location) pairs the bad model must produce. SETTINGS (and GOOD_SETTINGS for the
good model, defaulting to SETTINGS) are config keys for the run; the default names a
runtime version so that TFL107's informational finding stays out of the way.
"""
