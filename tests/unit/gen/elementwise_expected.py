#!/usr/bin/python3
"""Expected int8 outputs for tests/unit/test_kernels_elementwise.c.

An independent model of TFLite Micro's reference int8 arithmetic (gemmlowp
fixed point) in Python integers, written from the algorithm descriptions,
not from the C code under test. Run: /usr/bin/python3 elementwise_expected.py
and paste the printed arrays into the test.
"""
import math
import struct


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def wrap32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >= 1 << 31 else x


def tdiv(a, b):  # C integer division (truncation toward zero)
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def srdhm(a, b):
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return tdiv(ab + nudge, 1 << 31)


def rdbp(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def mbqm(x, m, s):
    return rdbp(srdhm(wrap32(x << max(s, 0)), m), max(-s, 0))


def quantize_multiplier(real):
    if real == 0:
        return 0, 0
    q, e = math.frexp(real)
    qf = math.floor(q * (1 << 31) + 0.5)
    if qf == 1 << 31:
        qf //= 2
        e += 1
    if e < -31:
        return 0, 0
    return qf, e


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def mul_pot(x, e):  # SaturatingRoundingMultiplyByPOT
    if e <= 0:
        return rdbp(x, -e)
    thr = (1 << (31 - e)) - 1
    if x > thr:
        return (1 << 31) - 1
    if x < -thr:
        return -(1 << 31)
    return x << e


ONE = (1 << 31) - 1


def exp_quarter(a):
    x = a + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_4 = mul_pot(x4, -2)
    poly = mul_pot(srdhm(x4_4 + x3, 715827883) + x2, -1)
    return 1895147668 + srdhm(1895147668, x + poly)


def exp_neg(a, ib):
    fb = 31 - ib
    quarter = 1 << (fb - 2)
    amq = (a & (quarter - 1)) - quarter
    r = exp_quarter(mul_pot(amq, ib))
    rem = amq - a
    consts = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242]
    for k, c in enumerate(consts):
        e = k - 2
        if ib > e and rem & (1 << (fb + e)):
            r = srdhm(r, c)
    return ONE if a == 0 else r


def newton(a):
    hd = tdiv(a + ONE + (1 if a + ONE >= 0 else -1), 2)
    x = 1515870810 + srdhm(hd, -1010580540)
    for _ in range(3):
        x = x + mul_pot(srdhm(x, (1 << 29) - srdhm(hd, x)), 2)
    return x


def one_over_1px(a):
    return mul_pot(newton(a), 1)


def logistic_q0(a, ib):
    if a == 0:
        return 1 << 30
    pos = one_over_1px(exp_neg(-abs(a), ib))
    return pos if a > 0 else ONE - pos


def tanh_q0(a, ib):
    if a == 0:
        return 0
    t = mul_pot(newton(exp_neg(-abs(a), ib + 1)) - (1 << 29), 2)
    return -t if a < 0 else t


def radius(ib, shift):
    return math.floor(((1 << ib) - 1) * 2.0 ** (31 - ib - shift))


def softmax_s8(row, beta, in_scale):
    real = min(beta * in_scale * (1 << 26), (1 << 31) - 1.0)
    m, s = quantize_multiplier(real)
    diff_min = -radius(5, s)
    mx = max(row)
    total = 0
    for v in row:
        d = v - mx
        if d >= diff_min:
            total += rdbp(exp_neg(srdhm(d << s, m), 5), 12)
    clz = 32 - total.bit_length()
    nbou = 12 - clz
    scale = one_over_1px(wrap32((total << clz) - (1 << 31)))
    out = []
    for v in row:
        d = v - mx
        if d >= diff_min:
            r = rdbp(srdhm(scale, exp_neg(srdhm(d << s, m), 5)), nbou + 23)
            out.append(clamp(r - 128, -128, 127))
        else:
            out.append(-128)
    return (m, s, diff_min), out


def q4_params(scale):
    q, e = math.frexp(scale * (1 << 27))
    return math.floor(q * (1 << 31) + 0.5), e


def logistic_s8(xs, scale, zp):
    m, s = q4_params(scale)
    rad = radius(4, s)
    out = []
    for x in xs:
        d = x - zp
        if d <= -rad:
            out.append(-128)
        elif d >= rad:
            out.append(127)
        else:
            out.append(clamp(rdbp(logistic_q0(mbqm(d, m, s), 4), 23) - 128, -128, 127))
    return (m, s, rad), out


def tanh_s8(xs, scale, zp):
    m, s = q4_params(scale)
    rad = radius(4, s)
    out = []
    for x in xs:
        d = x - zp
        if d <= -rad:
            out.append(-128)
        elif d >= rad:
            out.append(127)
        else:
            out.append(clamp(rdbp(tanh_q0(mbqm(d, m, s), 4), 24), -128, 127))
    return (m, s, rad), out


def s16(x):
    x &= 0xFFFF
    return x - 0x10000 if x >= 0x8000 else x


def srdhm16(a, b):
    if a == b == -32768:
        return 32767
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    return s16(tdiv(ab + nudge, 1 << 15))


def sdhm16(a, b):
    if a == b == -32768:
        return 32767
    return s16(tdiv(a * b, 1 << 15))


def sls16(x, n):
    return clamp(x * (1 << n), -32768, 32767)


def down16(m):
    return 32767 if m >= (1 << 31) - 1 - (1 << 15) else (m + (1 << 15)) >> 16


def hard_swish_s8(xs, in_s, in_zp, out_s, out_zp):
    hires = f32(f32(1.0 / 128.0) * f32(in_s))
    om, oe = quantize_multiplier(f32(hires / f32(out_s)))
    rm, re = quantize_multiplier(f32(hires / f32(3.0 / 32768.0)))
    om, rm = down16(om), down16(rm)
    out = []
    for x in xs:
        v = s16(x - in_zp)
        hi = s16(v * 128)
        pre = srdhm16(hi, om)
        r = hi
        if re > 0:
            r = sls16(r, re - 1)
        r = srdhm16(r, rm)
        if re > 0:
            r = sls16(r, 1)
        if re < 0:
            r = rdbp(r, -re)
        r = (r + (1 << 15)) >> 1
        y = sdhm16(r, pre)
        y = s16(rdbp(y, -oe) + out_zp)
        out.append(clamp(y, -128, 127))
    return (rm, re, om, oe), out


def add_s8(a, b, s1, z1, s2, z2, so, zo, lo=-128, hi=127):
    tm = 2 * max(f32(s1), f32(s2))
    m1, sh1 = quantize_multiplier(f32(s1) / tm)
    m2, sh2 = quantize_multiplier(f32(s2) / tm)
    mo, sho = quantize_multiplier(tm / ((1 << 20) * f32(so)))
    out = []
    for x, y in zip(a, b):
        r1 = mbqm((x - z1) << 20, m1, sh1)
        r2 = mbqm((y - z2) << 20, m2, sh2)
        out.append(clamp(mbqm(r1 + r2, mo, sho) + zo, lo, hi))
    return (m1, sh1, m2, sh2, mo, sho), out


def mean_requant(sums_and_counts, si, zi, so, zo):
    m, s = quantize_multiplier(f32(si) / f32(so))
    res = []
    for total, n in sums_and_counts:
        sh = min(n.bit_length() - 1, 32, 31 + s)
        mm = ((m << sh) // n)
        res.append(clamp(mbqm(total - zi * n, mm, s - sh) + zo, -128, 127))
    return res


if __name__ == '__main__':
    print('softmax [0,0,0,0] beta 1 scale 0.1:', softmax_s8([0, 0, 0, 0], 1.0, f32(0.1)))
    print('softmax [10,0,-20,-128] beta 1 scale 0.1:', softmax_s8([10, 0, -20, -128], 1.0, f32(0.1)))
    print('softmax [127,-128] beta 1 scale 0.1:', softmax_s8([127, -128], 1.0, f32(0.1)))
    print('softmax [5,5] beta 1 scale 0.1:', softmax_s8([5, 5], 1.0, f32(0.1)))
    xs = [-128, -100, -50, -10, -1, 0, 1, 10, 50, 100, 127]
    print('logistic scale 0.1 zp 0:', logistic_s8(xs, f32(0.1), 0))
    print('logistic scale 0.05 zp -10:', logistic_s8(xs, f32(0.05), -10))
    print('tanh scale 0.05 zp 0:', tanh_s8(xs, f32(0.05), 0))
    print('tanh scale 0.02 zp 5:', tanh_s8(xs, f32(0.02), 5))
    print('hard_swish 0.05/0 -> 0.03/-20:', hard_swish_s8(xs, 0.05, 0, 0.03, -20))
    print('hard_swish 0.5/3 -> 0.25/-100:', hard_swish_s8(xs, 0.5, 3, 0.25, -100))
    print('add 0.1/3 + 0.2/-5 -> 0.25/1:', add_s8([-128, -10, 0, 7, 50, 127], [127, 3, -5, -100, 60, 127],
                                            0.1, 3, 0.2, -5, 0.25, 1))
    print('mean requant 0.1/2 -> 0.05/-3, sums (11-8? ) :',
          mean_requant([(10, 4), (-37, 4), (500, 6), (-700, 6)], 0.1, 2, 0.05, -3))
