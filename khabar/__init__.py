"""khabar: raw news text to a GDELT-style event warehouse."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("khabar")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+local"
