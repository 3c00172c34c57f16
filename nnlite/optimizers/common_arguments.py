"""The arguments every optimizer takes, written once: ``document_common`` puts them into each optimizer's
docstring where it says ``{common arguments}``, so help() on Adam or SGD shows them all."""

from __future__ import annotations

from ..docstrings import with_arguments

COMMON_ARGUMENTS = """        weight_decay: decoupled weight decay, w <- w - lr wd w before each step (None: off; AdamW:
            0.004).
        clipnorm: clip each gradient to this norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip the gradients together to this global norm.
        use_ema: keep an exponential moving average of the weights (Keras's EMA), with
            ``ema_momentum`` and ``ema_overwrite_frequency``.
        ema_momentum: the EMA's momentum.
        ema_overwrite_frequency: every how many steps the EMA replaces the weights (None: at the end only).
        loss_scale_factor: multiply the loss by this, divide the gradients by it (float16 training).
        gradient_accumulation_steps: sum the gradients of this many batches before each step.
        name: the optimizer's name (its lower-case class name by default).
        **kwargs: as Keras, ``lr`` is refused (use ``learning_rate``), ``decay`` is ignored with a warning,
            any other name is refused.
"""


document_common = with_arguments(COMMON_ARGUMENTS)
