// Package drift compares score histograms and estimates accuracy without labels, from bucket
// counts only. Scores are probabilities in [0, 1].
//
// # Distribution drift
//
// [Comparer.Compare] measures how far a current score histogram has moved from a reference one.
// Both must count over the same buckets; [Comparer.AlignExponential] brings two OpenTelemetry
// exponential histograms onto common buckets first. The native buckets are merged into at most
// a given number of contiguous bins of about equal reference mass (quantile binning of the
// reference, as in the classic PSI and in early Evidently releases, which cut the reference with
// pandas.qcut); each side's bins become proportions, and a zero proportion is replaced by
// [Floor] = 1e-4 without renormalising (Evidently's np.place convention). Three statistics are
// offered, each flagged at or above its [Statistic.DefaultThreshold]:
//
//   - PSI, Σ (cur−ref)·ln(cur/ref), flagged at 0.2: the usual "significant shift" rule of thumb
//     (0.1–0.2 moderate). Evidently's PSI test defaults to 0.1.
//   - JS, the Jensen–Shannon distance with base-2 logarithms, in [0, 1], flagged at 0.1, the
//     threshold of Evidently's jensenshannon test. Evidently calls scipy's jensenshannon with
//     its default natural logarithm, which gives √(ln 2) ≈ 0.833 times this value, and does not
//     floor zeros; 0.1 here is therefore stricter, about 0.083 on Evidently's scale.
//   - Hellinger, √(Σ (√ref − √cur)²)/√2, in [0, 1], flagged at 0.15, the upper end of whylogs'
//     NO_DRIFT band (0 to 0.15; 0.4 and up is DRIFT). Evidently's Hellinger test defaults to 0.1.
//
// For small shifts all three are Σ (ref−cur)²/ref up to a factor: PSI ≈ 8·ln 2·JS² and
// Hellinger ≈ 0.83·JS. PSI 0.2 and Hellinger 0.15 nearly agree (Hellinger 0.15 is PSI ≈ 0.18),
// while JS 0.1 is PSI ≈ 0.055: with a reference of only 500 scores, sampling noise alone
// passes JS's default in about 8% of 500-score windows (see simulation_test.go).
//
// # Expected accuracy without labels
//
// [ExplicitAccuracy] and [ExponentialAccuracy] estimate a binary classifier's accuracy from the
// histogram of its predicted probabilities alone, as confidence-based performance estimation
// (NannyML's CBPE) does: if the scores are calibrated, a score p predicted positive (p > t) is
// right with probability p and one predicted negative with probability 1 − p. The estimate is
// exact up to where scores sit inside their bucket, which the returned bounds cover.
//
// Everything runs on caller-owned or reused memory: a [Comparer] allocates only while its
// buffers grow, and the accuracy functions never allocate.
package drift // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
