"""Callbacks for ``fit``, as ``keras.callbacks``."""

from .base import Callback, CallbackList, History
from .monitors import EarlyStopping, ReduceLROnPlateau
from .progress import ProgbarLogger, format_logs
from .simple import CSVLogger, LambdaCallback, LearningRateScheduler, TerminateOnNaN

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ProgbarLogger", "ReduceLROnPlateau", "TerminateOnNaN", "format_logs"]
