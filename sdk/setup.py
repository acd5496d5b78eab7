"""The client alone: ``pip install ./sdk`` installs ``bench_sdk`` and its ``softqcos_sdk``
alias with nothing but ``requests``, from the same sources as the platform."""

from setuptools import setup

setup(
    name="qcos-bench-sdk",
    version="0.1.0",
    description="Python client of the qcos-bench HTTP API",
    license="Apache-2.0",
    python_requires=">=3.11",
    package_dir={"": ".."},
    packages=["bench_sdk", "softqcos_sdk"],
    package_data={"bench_sdk": ["py.typed"], "softqcos_sdk": ["py.typed"]},
    install_requires=["requests>=2.31"],
)
