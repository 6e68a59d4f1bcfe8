"""kechuang (科创): a platform for regional science-and-technology innovation offices."""

__version__ = "0.1.0"
