"""``python -m kechuang`` (and ``spark-submit …/kechuang/__main__.py``): the command line."""

from .cli import app

app(prog_name="kechuang")
