"""Code shared by the API, the workers, the CLI and third-party verifiers.

See README.md in this folder for the layering rule that governs it.
"""
