"""Progress bars that tell the truth: what they count, in units a reader knows.

A run limited by time shows time (``62/120 s of the time limit``) and the steps done in
its postfix, not a step total it will never reach (``2397/60000 [02:00<46:44]``), nor a
rate of seconds per second. A run limited by steps shows steps.
"""

import time

from tqdm.auto import tqdm

# n and total are seconds here; no rate (it would be seconds per second)
TIME_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of the time limit{postfix}"


class TrainingBar:
    """One bar for a training loop: ``step(**postfix)`` after each step, ``close()``.

    With ``max_seconds`` the bar fills with the time limit (the loop may also end earlier
    at ``total_steps``; the postfix shows ``step=n/total``); without it, it counts steps.
    """

    def __init__(self, desc, *, total_steps=None, max_seconds=None, disable=False,
                 unit="it"):
        self.total_steps, self.steps = total_steps, 0
        self.max_seconds = max_seconds
        self.started = time.monotonic()
        if max_seconds is None:
            self.bar = tqdm(total=total_steps, desc=desc, unit=unit, disable=disable)
        else:
            self.bar = tqdm(total=float(max_seconds), desc=desc, disable=disable,
                            bar_format=TIME_FORMAT)

    def step(self, **postfix):
        self.steps += 1
        if self.max_seconds is None:
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(1)
            return
        done = f"{self.steps}/{self.total_steps}" if self.total_steps else str(self.steps)
        self.bar.set_postfix({"step": done, **postfix}, refresh=False)
        elapsed = min(time.monotonic() - self.started, self.max_seconds)
        self.bar.update(elapsed - self.bar.n)

    def close(self):
        self.bar.close()

    @property
    def disable(self):
        return self.bar.disable
