"""The client under the name the original QCOS Benchmarking API document uses
(``from softqcos_sdk import QCOSClient``): the same objects as ``bench_sdk``."""

from bench_sdk import *  # noqa: F403 - the alias re-exports the whole client
from bench_sdk import __all__ as __all__
