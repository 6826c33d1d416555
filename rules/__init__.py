"""tfllint's built-in rules, one module per rule (installed as the package tfllint.rules).

They are loaded through the `tfllint.rules` entry point, the same door third-party rule
packages use. Data tables the rules and analyses share live in data/, each citing its
source.
"""
