"""Choosing the next word: greedy, temperature sampling and beam search."""

import numpy as np

from minigraph.errors import check_number


def log_softmax(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def pick_next_word(scores, temperature, rng):
    """Argmax when temperature is 0; otherwise a draw from softmax(scores / temperature).
    Lower temperature is more conservative (repeats the likeliest words), higher is more
    diverse (and makes more mistakes). A temperature too small for the division (scores /
    temperature overflows, 1e-310 say) draws from its limit: the likeliest words, evenly."""
    check_number("pick_next_word", "temperature", temperature)
    if temperature == 0:
        return scores.argmax(axis=1)
    with np.errstate(over="ignore"):
        scaled = scores.astype(np.float64) / temperature
        if (np.isinf(scaled) & np.isfinite(scores)).any():  # (top-k's -inf stay as they are)
            # a temperature so small that scores / temperature overflows (1e-310): shift
            # first, so the likeliest words stay at 0 and the others go to -inf, the limit
            # T -> 0 (ties drawn evenly); a finite quotient keeps the division above
            shifted = np.asarray(scores, np.float64)
            scaled = (shifted - shifted.max(axis=1, keepdims=True)) / temperature
    probs = np.exp(log_softmax(scaled))
    draws = rng.random((scores.shape[0], 1))
    return np.minimum((probs.cumsum(axis=1) < draws).sum(axis=1), scores.shape[1] - 1)


def beam_search(advance, h0, start, end, beam_size, max_length, length_penalty=1.0,
                with_notes=False, top=None):
    """The best token sequence under ``advance(words, h, c) -> (scores, h, c)``, which runs
    one step for ``beam_size`` rows at once. Finished hypotheses (ending in ``end``) are
    ranked by total log-probability / length ** length_penalty. Returns a list of ids.

    ``with_notes``: ``advance`` returns a fourth value, one note per row (the attention
    weights of that step, say), and the result is (ids, notes), the note of each id's step
    following the hypothesis it belongs to. ``top``: up to ``top`` (score, ids) pairs
    instead, best first (the candidates that recall@k and re-ranking read)."""
    k = beam_size
    h = np.repeat(h0, k, axis=0)
    c = np.zeros_like(h)
    words = np.full(k, start, dtype=np.int64)
    totals = np.full(k, -np.inf)
    totals[0] = 0.0  # all rows start identical: keep one live copy
    histories = [[] for _ in range(k)]
    notes = [[] for _ in range(k)]  # stays empty lists unless with_notes
    finished = []
    for length in range(1, max_length + 1):
        scores, h, c, *step_notes = advance(words, h, c)
        step_notes = step_notes[0] if with_notes else [None] * k
        candidates = (totals[:, None] + log_softmax(scores.astype(np.float64))).ravel()
        order = np.argsort(-candidates, kind="stable")[:2 * k]
        keep_rows, keep_words, keep_totals = [], [], []
        for rank, flat in enumerate(order):
            row, word = divmod(int(flat), scores.shape[1])
            if not np.isfinite(candidates[flat]):
                break
            if word == end:
                if rank < k:  # an <END> ranked below the beam would not have been kept
                    finished.append((candidates[flat] / length ** length_penalty,
                                     histories[row] + [word], notes[row] + [step_notes[row]]))
            elif len(keep_rows) < k:
                keep_rows.append(row)
                keep_words.append(word)
                keep_totals.append(candidates[flat])
        if not keep_rows:
            break
        if len(finished) >= k:
            kth_best = sorted((f[0] for f in finished), reverse=True)[k - 1]
            # log-probabilities only fall: with no length penalty no live beam can still win;
            # with one, this is the usual early-stopping heuristic
            if max(keep_totals) / (length + 1) ** length_penalty <= kth_best:
                break
        pad = k - len(keep_rows)
        rows = np.array(keep_rows + [keep_rows[0]] * pad)
        histories = [histories[r] + [w] for r, w in zip(rows, keep_words + [keep_words[0]] * pad)]
        notes = [notes[r] + [step_notes[r]] for r in rows]
        words = np.array(keep_words + [keep_words[0]] * pad, dtype=np.int64)
        totals = np.array(keep_totals + [-np.inf] * pad)
        h, c = h[rows], c[rows]
    if not finished:  # nothing reached <END>: fall back to the best live hypothesis
        best = int(np.argmax(totals))
        finished = [(totals[best] / max_length ** length_penalty, histories[best],
                     notes[best])]
    ranked = sorted(finished, key=lambda item: -item[0])  # stable: ties keep finishing order
    if top is not None:
        return [(float(score), tokens[:max_length]) for score, tokens, _ in ranked[:top]]
    _, ids, id_notes = ranked[0]
    ids, id_notes = ids[:max_length], id_notes[:max_length]
    return (ids, id_notes) if with_notes else ids
