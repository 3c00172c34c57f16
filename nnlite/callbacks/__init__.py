"""Callbacks for ``fit``, as ``keras.callbacks``."""

from .backup import BackupAndRestore
from .base import CALLBACKS, Callback, History
from .callback_list import CallbackList
from .live import LivePlot
from .monitors import EarlyStopping, ModelCheckpoint, MonitorCallback, ReduceLROnPlateau
from .progress import ProgbarLogger, format_logs
from .simple import CSVLogger, LambdaCallback, LearningRateScheduler, TerminateOnNaN
from .tensorboard import TensorBoard

__all__ = [
    "BackupAndRestore", "CALLBACKS", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
    "LambdaCallback", "LearningRateScheduler", "LivePlot", "ModelCheckpoint", "MonitorCallback", "ProgbarLogger",
    "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN", "format_logs",
]
