"""Apache Spark engine: the rule files compiled to PySpark columns (needs ``pyspark`` and Java)."""

from .engine import SparkResult, evaluate, prepare, read, session

__all__ = ["SparkResult", "evaluate", "prepare", "read", "session"]
