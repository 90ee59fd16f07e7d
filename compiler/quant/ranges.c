/*
 * ranges.c - choosing an activation's int8 range from calibration
 * statistics, and the int8 params of a range.
 *
 * min/max takes the observed range. Percentile clips each side of a
 * 2048-bin histogram over [min, max] at the given percentile (so a few
 * outliers stop spending the 256 levels). Entropy is TensorRT's
 * calibration ("8-bit Inference with TensorRT", Migacz 2017): over a
 * histogram of |x| (or of x when it is never negative), for every candidate
 * threshold i bins wide, the clipped reference distribution P (outliers
 * added to its last bin) is merged into as many levels as int8 gives that
 * side and expanded back over P's non-empty bins as Q; the threshold with
 * the smallest KL(P || Q) wins. For a never-negative tensor (after a
 * ReLU) the bin holding zero is left out: see entropy_range.
 */
#include <math.h>
#include <string.h>

#include "quant_internal.h"

void tml_quant_params(float lo, float hi, float *scale, int32_t *zero_point)
{
    if (lo > 0.0f)
        lo = 0.0f;
    if (hi < 0.0f)
        hi = 0.0f;
    if (!(hi - lo > 1e-8f))
        hi = lo + 1e-8f;
    double s = ((double)hi - (double)lo) / 255.0;
    double zp = round(-128.0 - (double)lo / s);
    if (zp < -128)
        zp = -128;
    if (zp > 127)
        zp = 127;
    *scale = (float)s;
    *zero_point = (int32_t)zp;
}

/* Value at which the cumulative count of the histogram reaches frac of the
 * total, interpolated within the bin. */
static float hist_quantile(const tml_range_stats_t *s, double frac)
{
    uint64_t total = 0;
    for (int b = 0; b < TML_HIST_BINS; b++)
        total += s->hist[b];
    if (total == 0)
        return s->min;
    double want = frac * (double)total, acc = 0;
    double width = ((double)s->max - (double)s->min) / TML_HIST_BINS;
    for (int b = 0; b < TML_HIST_BINS; b++) {
        if (acc + s->hist[b] >= want) {
            double within = s->hist[b] ? (want - acc) / s->hist[b] : 0;
            return (float)(s->min + (b + within) * width);
        }
        acc += s->hist[b];
    }
    return s->max;
}

/* KL-optimal threshold over hist[0..n) of magnitudes in [0, top]. levels:
 * the int8 levels available for that range. */
static float kl_threshold(const double *hist, int n, double top, int levels)
{
    double best_kl = INFINITY;
    int best_i = n;
    double p[TML_HIST_BINS], q[TML_HIST_BINS];
    for (int i = levels; i <= n; i++) {
        double outliers = 0;
        for (int b = i; b < n; b++)
            outliers += hist[b];
        memcpy(p, hist, (size_t)i * sizeof(double));
        p[i - 1] += outliers;
        /* Merge hist[0..i) into `levels` groups, spread each group's mass
         * evenly over its non-empty bins. */
        for (int k = 0; k < levels; k++) {
            int start = (int)((long long)k * i / levels);
            int end = (int)((long long)(k + 1) * i / levels);
            double mass = 0;
            int nonzero = 0;
            for (int b = start; b < end; b++) {
                mass += hist[b];
                nonzero += hist[b] != 0;
            }
            for (int b = start; b < end; b++)
                q[b] = hist[b] != 0 && nonzero ? mass / nonzero : 0;
        }
        double sum_p = 0, sum_q = 0;
        for (int b = 0; b < i; b++) {
            sum_p += p[b];
            sum_q += q[b];
        }
        if (sum_p <= 0 || sum_q <= 0)
            continue;
        double kl = 0;
        for (int b = 0; b < i; b++) {
            if (p[b] <= 0)
                continue;
            double pb = p[b] / sum_p, qb = q[b] / sum_q;
            /* Q is zero where P has only outliers added: a small floor keeps
             * the divergence finite, as implementations do. */
            kl += pb * log(pb / (qb > 0 ? qb : 1e-10));
        }
        if (kl < best_kl) {
            best_kl = kl;
            best_i = i;
        }
    }
    return (float)(((double)best_i + 0.5) * top / n);
}

static void entropy_range(const tml_range_stats_t *s, float *lo, float *hi)
{
    double hist[TML_HIST_BINS];
    memset(hist, 0, sizeof(hist));
    double width = ((double)s->max - (double)s->min) / TML_HIST_BINS;
    if (s->min >= 0.0f) {
        /* One-sided: bins of x over [0, max]; all 255 steps are usable. */
        double top = s->max;
        for (int b = 0; b < TML_HIST_BINS; b++) {
            double centre = s->min + (b + 0.5) * width;
            int t = (int)(centre / top * TML_HIST_BINS);
            hist[t < TML_HIST_BINS ? t : TML_HIST_BINS - 1] += s->hist[b];
        }
        /* The spike of exact zeros a ReLU leaves is represented exactly
         * whatever the threshold (0 is a level), but it would dominate the
         * divergence of the smoothed Q and drive the threshold down, so
         * the first bin does not take part. */
        hist[0] = 0;
        *lo = 0.0f;
        *hi = fminf(kl_threshold(hist, TML_HIST_BINS, top, 255), s->max);
        return;
    }
    /* Two-sided: bins of |x| over [0, max|x|]; 128 levels a side. */
    double top = fmax(-(double)s->min, (double)s->max);
    for (int b = 0; b < TML_HIST_BINS; b++) {
        double centre = fabs(s->min + (b + 0.5) * width);
        int t = (int)(centre / top * TML_HIST_BINS);
        hist[t < TML_HIST_BINS ? t : TML_HIST_BINS - 1] += s->hist[b];
    }
    float t = kl_threshold(hist, TML_HIST_BINS, top, 128);
    *lo = fmaxf(-t, s->min);
    *hi = fminf(t, s->max);
}

void tml_range_choose(const tml_range_stats_t *s, const tml_quant_opts_t *opts, float *lo,
                      float *hi)
{
    *lo = s->min;
    *hi = s->max;
    if (!s->hist || !(s->max > s->min) || !opts || opts->method == TML_CALIB_MINMAX)
        return;
    if (opts->method == TML_CALIB_PERCENTILE) {
        double keep = opts->percentile > 0.0f ? opts->percentile / 100.0 : 0.9999;
        if (keep > 1.0)
            keep = 1.0;
        *lo = s->min < 0.0f ? hist_quantile(s, 1.0 - keep) : s->min;
        *hi = hist_quantile(s, keep);
        return;
    }
    entropy_range(s, lo, hi);
}
