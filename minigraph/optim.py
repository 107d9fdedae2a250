"""Update rules in cs231n's config-dict style, the same rules as optimizer objects
(``Adam(params, lr=...)`` with ``step()`` and ``zero_grad()``), and gradient clipping.

Each rule is ``rule(w, dw, config=None) -> (w, config)``. Unlike cs231n's, they update
``w`` in place and return that same array, so every built graph holding the parameter
stays current. ``config`` holds the hyper-parameters and the rule's state (moments, step
count); it is created with cs231n's defaults when None is passed.
"""

import numpy as np

from . import fast
from .errors import AnomalyError, UsageError, WrongTypeError, check_number


def _defaults(config, rule, **defaults):
    """``config`` with cs231n's defaults filled in, each hyper-parameter checked against
    SETTING_RANGES (a config dict edited by hand or read from a file is caught here)."""
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
        _check_setting(f"optim.{rule}", key, config[key], keyword=key)
    return config


def _like(w, value):
    """A Python float as a scalar of w's dtype, so float32 training stays float32."""
    return w.dtype.type(value)


def sgd(w, dw, config=None):
    """w -= learning_rate * dw."""
    config = _defaults(config, "sgd", learning_rate=1e-2)
    w -= _like(w, config["learning_rate"]) * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """v = momentum * v - learning_rate * dw; w += v."""
    config = _defaults(config, "sgd_momentum", learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity")
    if v is None:
        v = config["velocity"] = np.zeros_like(w)
    v *= _like(w, config["momentum"])
    v -= _like(w, config["learning_rate"]) * dw
    w += v
    return w, config


def rmsprop(w, dw, config=None):
    """Divide the step by a running root-mean-square of recent gradients."""
    config = _defaults(config, "rmsprop", learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = config.get("cache")
    if cache is None:
        cache = config["cache"] = np.zeros_like(w)
    decay = _like(w, config["decay_rate"])
    cache *= decay
    cache += (1 - decay) * dw * dw
    w -= _like(w, config["learning_rate"]) * dw / (np.sqrt(cache) + _like(w, config["epsilon"]))
    return w, config


def adagrad(w, dw, config=None):
    """min-char-rnn's rule: divide the step by the root of all past squared gradients."""
    config = _defaults(config, "adagrad", learning_rate=1e-1, epsilon=1e-8)
    cache = config.get("cache")
    if cache is None:
        cache = config["cache"] = np.zeros_like(w)
    cache += dw * dw
    w -= _like(w, config["learning_rate"]) * dw / (np.sqrt(cache) + _like(w, config["epsilon"]))
    return w, config


def adam(w, dw, config=None):
    """Adam with bias correction (Kingma and Ba, 2015); cs231n's defaults."""
    config = _defaults(config, "adam", learning_rate=1e-3, beta1=0.9, beta2=0.999,
                       epsilon=1e-8, t=0)
    m, v = config.get("m"), config.get("v")
    if m is None:
        m = config["m"] = np.zeros_like(w)
        v = config["v"] = np.zeros_like(w)
    config["t"] += 1
    beta1, beta2 = config["beta1"], config["beta2"]
    step = config["learning_rate"] * np.sqrt(1 - beta2 ** config["t"]) / (1 - beta1 ** config["t"])
    fast.adam_update(w, dw, m, v, _like(w, beta1), _like(w, 1 - beta1), _like(w, beta2),
                        _like(w, 1 - beta2), _like(w, step), _like(w, config["epsilon"]))
    return w, config


RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum, "rmsprop": rmsprop, "adagrad": adagrad,
         "adam": adam}


def get_rule(name):
    if callable(name):
        return name
    try:
        return RULES[name]
    except KeyError:
        raise UsageError(f"unknown update rule {name!r}; choose one of {sorted(RULES)}") from None


def global_norm(grads):
    """sqrt of the sum of squares of every gradient in the dict."""
    total = sum(float(np.vdot(g, g)) for g in grads.values())
    if np.isfinite(total):
        return float(np.sqrt(total))
    # float32 squares overflow for entries near 1e19: divide by the largest entry first
    scale = max((float(np.abs(g).max()) for g in grads.values() if g.size), default=0.0)
    if not np.isfinite(scale) or scale == 0:
        return scale
    return scale * float(np.sqrt(sum(float(np.vdot(g / g.dtype.type(scale), g / g.dtype.type(
        scale))) for g in grads.values())))


def clip_by_global_norm(grads, max_norm):
    """Scale every gradient in place by max_norm / norm when the global norm exceeds
    max_norm; returns the norm before clipping.

    A gradient holding inf or NaN cannot be clipped (max_norm / inf would turn every
    entry, in every gradient, into 0 or NaN): it raises AnomalyError naming the gradient
    and leaves all gradients untouched. With ``max_norm=None`` nothing is scaled and the
    norm (possibly inf or NaN) is only reported, so a caller can decide.
    """
    if max_norm is not None:
        check_number("clip_by_global_norm", "max_norm", max_norm, strict=True)
    norm = global_norm(grads)
    if max_norm is not None and not np.isfinite(norm):
        bad = next((name for name, g in grads.items() if not np.all(np.isfinite(g))), None)
        raise AnomalyError(f"clip_by_global_norm: gradient {bad!r} holds inf or NaN (global norm "
                         f"{norm}); clipping would corrupt every gradient, so none was changed")
    if max_norm is not None and norm > max_norm:
        for g in grads.values():
            g *= g.dtype.type(max_norm / norm)
    return norm


# The allowed range of each hyper-parameter: (minimum, strict, below). A learning rate of
# 0 is allowed (a schedule may decay to it); a negative one would climb the loss.
SETTING_RANGES = {
    "learning_rate": (0.0, False, None),
    "momentum": (0.0, False, 1.0),
    "decay_rate": (0.0, False, 1.0),
    "beta1": (0.0, False, 1.0),
    "beta2": (0.0, False, 1.0),
    "epsilon": (0.0, False, None),  # 0 is allowed: tests compare the bare formulas
}
_SHORT_NAMES = {"learning_rate": "lr", "epsilon": "eps"}  # the constructors' keyword names


def _check_setting(owner, setting, value, keyword=None):
    """UsageError naming the setting (as ``keyword``, default the constructors' name), its
    allowed range and the value, when out of range. A subclass's own settings, not in
    SETTING_RANGES, are the subclass's to check."""
    if setting not in SETTING_RANGES:
        return
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # a scalar read back from a file
    minimum, strict, below = SETTING_RANGES[setting]
    check_number(owner, keyword or _SHORT_NAMES.get(setting, setting), value, minimum,
                 strict=strict, below=below)


class Optimizer:
    """Updates parameter nodes in place from their ``.grad`` with one of the rules above:
    ``opt = mg.optim.Adam(graph.params, lr=5e-3)``, then per batch ``opt.zero_grad()``,
    forward, backward, ``opt.step()``.

    ``params``: parameter nodes (a list, a dict's values, ``graph.params``). Each keeps its
    own config dict (hyper-parameters and the rule's moments) in ``configs``, as the
    cs231n solver keeps one per weight, so the object and the functions give the same
    numbers. A parameter whose ``.grad`` is None (unused by the last backward) is skipped.
    """

    rule = None

    def __init__(self, params, **hyper):
        params = list(params.values()) if isinstance(params, dict) else list(params)
        for p in params:
            value = getattr(p, "value", None)
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
                raise WrongTypeError(f"{type(self).__name__}: expected parameter nodes holding "
                                f"float arrays, got {p!r}")
        if len({id(p) for p in params}) != len(params):
            raise UsageError(f"{type(self).__name__}: a parameter is listed twice; it "
                             "would be updated twice per step")
        for setting, value in hyper.items():
            _check_setting(type(self).__name__, setting, value)
        self.params = params
        self.configs = [dict(hyper) for _ in params]

    @property
    def lr(self):
        return self.configs[0]["learning_rate"] if self.configs else None

    @lr.setter
    def lr(self, value):
        """Set the learning rate of every parameter (learning-rate decay)."""
        _check_setting(type(self).__name__, "learning_rate", value)
        for config in self.configs:
            config["learning_rate"] = value

    def step(self):
        """One update of every parameter that has a gradient."""
        for p, config in zip(self.params, self.configs):
            if p.grad is not None:
                self.rule(p.value, p.grad, config)

    def zero_grad(self):
        """Forget every parameter's gradient (backward adds into it otherwise)."""
        for p in self.params:
            p.zero_grad()


class SGD(Optimizer):
    """w -= lr * dw; with ``momentum`` > 0, cs231n's sgd_momentum (v = momentum v - lr dw;
    w += v)."""

    def __init__(self, params, lr=1e-2, momentum=0.0):
        if momentum:
            super().__init__(params, learning_rate=lr, momentum=momentum)
            self.rule = sgd_momentum
        else:
            super().__init__(params, learning_rate=lr)
            self.rule = sgd


class RMSProp(Optimizer):
    """cs231n's rmsprop: w -= lr dw / (sqrt(cache) + eps), cache a running mean of dw^2."""

    rule = staticmethod(rmsprop)

    def __init__(self, params, lr=1e-2, decay_rate=0.99, eps=1e-8):
        super().__init__(params, learning_rate=lr, decay_rate=decay_rate, epsilon=eps)


class Adagrad(Optimizer):
    """min-char-rnn's adagrad: w -= lr dw / (sqrt(sum of all dw^2) + eps)."""

    rule = staticmethod(adagrad)

    def __init__(self, params, lr=1e-1, eps=1e-8):
        super().__init__(params, learning_rate=lr, epsilon=eps)


class Adam(Optimizer):
    """cs231n's adam, with bias correction (Kingma and Ba, 2015)."""

    rule = staticmethod(adam)

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, learning_rate=lr, beta1=beta1, beta2=beta2, epsilon=eps)
