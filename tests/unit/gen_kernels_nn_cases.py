#!/usr/bin/python3
"""Generates tests/unit/kernels_nn_cases.h, the expected outputs of the nn
kernel tests (test_kernels_nn.c).

Run: /usr/bin/python3 tests/unit/gen_kernels_nn_cases.py > tests/unit/kernels_nn_cases.h

Pure Python (no numpy), exact integer arithmetic. The int8 references are
written from the TFLite quantization spec / TFLM reference-kernel semantics,
independently of the C kernels:
  - conv / depthwise / fc: acc = sum w * (x + input_offset) over window
    positions inside the input ((w + weights_offset) for fc), + bias,
    requantized with gemmlowp's SaturatingRoundingDoublingHighMul followed by
    RoundingDivideByPOT (TFLM's MultiplyByQuantizedMultiplier, double
    rounding), + output_offset, clamped;
  - avg pool: sum of valid positions / their count, rounded half away from
    zero; max pool: max of valid positions; both clamped.
Float references are computed in double from float32-representable inputs;
the test compares with a tolerance.
"""
import random
import struct

I32_MIN = -(1 << 31)
I32_MAX = (1 << 31) - 1


def wrap32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= (1 << 31) else v


def tdiv(a, b):
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def srdhm(a, b):
    if a == I32_MIN and b == I32_MIN:
        return I32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return tdiv(ab + nudge, 1 << 31)


def rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > threshold else 0)


def mbqm(x, m, s):
    left = s if s > 0 else 0
    right = -s if s < 0 else 0
    return rdbpot(srdhm(wrap32(x << left), m), right)


def clamp(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)


def f32(v):
    return struct.unpack('<f', struct.pack('<f', v))[0]


def idx4(d, b, y, x, c):
    return ((b * d[1] + y) * d[2] + x) * d[3] + c


def conv_ref(g, inp, w, bias, q, depthwise, is_float):
    n, ih, iw, ic = g['n'], g['ih'], g['iw'], g['ic']
    oc, kh, kw = g['oc'], g['kh'], g['kw']
    sh, sw, dh, dw = g['sh'], g['sw'], g['dh'], g['dw']
    pt, pl, pb, pr = g['pads']
    oh = (ih + pt + pb - ((kh - 1) * dh + 1)) // sh + 1
    ow = (iw + pl + pr - ((kw - 1) * dw + 1)) // sw + 1
    m = oc // ic if depthwise else 1
    out = []
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for o in range(oc):
                    acc = 0
                    for ky in range(kh):
                        y = oy * sh - pt + ky * dh
                        if y < 0 or y >= ih:
                            continue
                        for kx in range(kw):
                            x = ox * sw - pl + kx * dw
                            if x < 0 or x >= iw:
                                continue
                            if depthwise:
                                c = o // m
                                xv = inp[idx4((n, ih, iw, ic), b, y, x, c)]
                                wv = w[(ky * kw + kx) * oc + o]
                                acc += wv * (xv + (0 if is_float else q['in_off']))
                            else:
                                for c in range(ic):
                                    xv = inp[idx4((n, ih, iw, ic), b, y, x, c)]
                                    wv = w[((o * kh + ky) * kw + kx) * ic + c]
                                    acc += wv * (xv + (0 if is_float else q['in_off']))
                    if bias is not None:
                        acc += bias[o]
                    if is_float:
                        out.append(clamp(acc, q['lo'], q['hi']))
                    else:
                        v = mbqm(acc, q['mult'][o], q['shift'][o]) + q['out_off']
                        out.append(clamp(v, q['lo'], q['hi']))
    return (oh, ow), out


def fc_ref(batches, n_in, n_out, inp, w, bias, q, is_float):
    out = []
    for b in range(batches):
        for o in range(n_out):
            acc = 0
            for i in range(n_in):
                wv = w[o * n_in + i]
                xv = inp[b * n_in + i]
                if is_float:
                    acc += wv * xv
                else:
                    acc += (wv + q['w_off']) * (xv + q['in_off'])
            if bias is not None:
                acc += bias[o]
            if is_float:
                out.append(clamp(acc, q['lo'], q['hi']))
            else:
                k = o if len(q['mult']) > 1 else 0
                v = mbqm(acc, q['mult'][k], q['shift'][k]) + q['out_off']
                out.append(clamp(v, q['lo'], q['hi']))
    return out


def pool_ref(g, inp, avg, lo, hi, is_float, include_pad=False):
    n, ih, iw, c = g['n'], g['ih'], g['iw'], g['c']
    kh, kw, sh, sw = g['kh'], g['kw'], g['sh'], g['sw']
    pt, pl, pb, pr = g['pads']
    oh = (ih + pt + pb - kh) // sh + 1
    ow = (iw + pl + pr - kw) // sw + 1
    out = []
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    vals = []
                    for ky in range(kh):
                        for kx in range(kw):
                            y = oy * sh - pt + ky
                            x = ox * sw - pl + kx
                            if 0 <= y < ih and 0 <= x < iw:
                                vals.append(inp[idx4((n, ih, iw, c), b, y, x, ch)])
                    assert vals
                    if avg:
                        s = sum(vals)
                        cnt = kh * kw if include_pad else len(vals)
                        if is_float:
                            v = s / cnt
                        else:
                            # half away from zero, exact with integers
                            v = (abs(s) * 2 + cnt) // (2 * cnt)
                            v = v if s >= 0 else -v
                    else:
                        v = max(vals)
                    out.append(clamp(v, lo, hi))
    return (oh, ow), out


def c_float(v):
    text = '%.9g' % v
    if '.' not in text and 'e' not in text and 'inf' not in text:
        text += '.0'
    return text + 'f'


def c_array(ctype, name, vals, per_line=12):
    if ctype == 'float':
        per_line = 6
    lines = []
    for i in range(0, len(vals), per_line):
        chunk = vals[i:i + per_line]
        if ctype == 'float':
            lines.append('    ' + ', '.join(c_float(v) for v in chunk) + ',')
        else:
            lines.append('    ' + ', '.join(str(v) for v in chunk) + ',')
    return 'static const %s %s[%d] = {\n%s\n};\n' % (ctype, name, len(vals), '\n'.join(lines))


rng = random.Random(20240611)


def rand_i8(count, lo=-128, hi=127):
    return [rng.randint(lo, hi) for _ in range(count)]


def rand_f(count):
    return [f32(rng.randint(-1000, 1000) / 1000.0) for _ in range(count)]


out = []
out.append('/* kernels_nn_cases.h - expected outputs for test_kernels_nn.c.\n'
           ' * Generated by tests/unit/gen_kernels_nn_cases.py (pure Python reference\n'
           ' * of the TFLM int8 arithmetic, seed 20240611). Do not edit. */\n')


def emit_conv(name, g, depthwise, bias, q, is_float):
    n, ih, iw, ic, oc, kh, kw = g['n'], g['ih'], g['iw'], g['ic'], g['oc'], g['kh'], g['kw']
    n_w = kh * kw * oc * (1 if depthwise else ic)
    inp = rand_f(n * ih * iw * ic) if is_float else rand_i8(n * ih * iw * ic)
    w = rand_f(n_w) if is_float else rand_i8(n_w, -127, 127)
    (oh, ow), res = conv_ref(g, inp, w, bias, q, depthwise, is_float)
    t = 'float' if is_float else 'int8_t'
    out.append('/* %s: out [%d, %d, %d, %d] */\n' % (name, n, oh, ow, oc))
    out.append(c_array(t, name + '_in', inp))
    out.append(c_array(t, name + '_w', w))
    out.append(c_array(t, name + '_want', res))


# conv_a: 3x3x2 input, 2x2 kernel, 2 outputs, bias, per-channel requant.
emit_conv('conv_a', dict(n=1, ih=3, iw=3, ic=2, oc=2, kh=2, kw=2, sh=1, sw=1, dh=1, dw=1,
                         pads=(0, 0, 0, 0)), False, [100, -50],
          dict(in_off=-5, out_off=-3, mult=[1518500250, 1073741824], shift=[-11, -10],
               lo=-128, hi=127), False)
# conv_b: batch 2, stride 2, padding 1 all round, no bias, clamp [-10, 127].
emit_conv('conv_b', dict(n=2, ih=5, iw=4, ic=3, oc=2, kh=3, kw=3, sh=2, sw=2, dh=1, dw=1,
                         pads=(1, 1, 1, 1)), False, None,
          dict(in_off=128, out_off=10, mult=[1276901417, 2000000000], shift=[-9, -10],
               lo=-10, hi=127), False)
# conv_c: dilation 2 (3x3 effective), asymmetric padding, positive shift.
emit_conv('conv_c', dict(n=1, ih=5, iw=6, ic=2, oc=3, kh=2, kw=2, sh=1, sw=2, dh=2, dw=2,
                         pads=(0, 1, 1, 0)), False, [0, 20000, -20000],
          dict(in_off=-127, out_off=0, mult=[1073741824, 1500000000, 1900000000],
               shift=[-12, -13, -11], lo=-128, hi=127), False)
# dw_a: depth multiplier 2, padding 1, bias, clamp [-20, 40].
emit_conv('dw_a', dict(n=1, ih=4, iw=4, ic=2, oc=4, kh=3, kw=3, sh=1, sw=1, dh=1, dw=1,
                       pads=(1, 1, 1, 1)), True, [1000, -1000, 0, 5],
          dict(in_off=3, out_off=-7, mult=[1300000000, 1100000000, 2100000000, 1073741824],
               shift=[-8, -9, -7, -10], lo=-20, hi=40), False)
# dw_b: batch 2, stride 2, dilation 2, asymmetric padding, no bias.
emit_conv('dw_b', dict(n=2, ih=5, iw=5, ic=3, oc=3, kh=2, kw=2, sh=2, sw=2, dh=2, dw=2,
                       pads=(0, 1, 1, 0)), True, None,
          dict(in_off=0, out_off=5, mult=[1500000000, 1600000000, 1700000000],
               shift=[-6, -7, -8], lo=-128, hi=127), False)
# conv_f: float conv, geometry of conv_b, bias, clamp [-1.5, 1.2].
emit_conv('conv_f', dict(n=2, ih=5, iw=4, ic=3, oc=2, kh=3, kw=3, sh=2, sw=2, dh=1, dw=1,
                         pads=(1, 1, 1, 1)), False, [f32(0.25), f32(-0.125)],
          dict(lo=f32(-1.5), hi=f32(1.2)), True)
# dw_f: float depthwise, multiplier 2, dilation 2, padding, bias, no clamp.
emit_conv('dw_f', dict(n=1, ih=5, iw=5, ic=2, oc=4, kh=2, kw=2, sh=1, sw=1, dh=2, dw=2,
                       pads=(1, 1, 1, 1)), True, [f32(0.5), f32(-1.0), f32(0.0), f32(2.0)],
          dict(lo=-3.0e38, hi=3.0e38), True)


def emit_fc(name, batches, n_in, n_out, bias, q, is_float):
    inp = rand_f(batches * n_in) if is_float else rand_i8(batches * n_in)
    w = rand_f(n_out * n_in) if is_float else rand_i8(n_out * n_in, -127, 127)
    res = fc_ref(batches, n_in, n_out, inp, w, bias, q, is_float)
    t = 'float' if is_float else 'int8_t'
    out.append('/* %s: [%d, %d] x [%d, %d]^T */\n' % (name, batches, n_in, n_out, n_in))
    out.append(c_array(t, name + '_in', inp))
    out.append(c_array(t, name + '_w', w))
    out.append(c_array(t, name + '_want', res))


# fc_a: per-tensor multiplier with a weight zero point of -2 (offset 2), bias.
emit_fc('fc_a', 2, 5, 3, [300, -200, 17],
        dict(in_off=-4, w_off=2, out_off=6, mult=[1431655765], shift=[-8], lo=-128, hi=127),
        False)
# fc_b: per-channel multipliers, no bias, clamp [-128, 100].
emit_fc('fc_b', 1, 4, 3, None,
        dict(in_off=128, w_off=0, out_off=-20, mult=[1200000000, 1800000000, 2147483647],
             shift=[-10, -11, -9], lo=-128, hi=100), False)
# fc_f: float, batches 3, bias, clamp [-1, 1].
emit_fc('fc_f', 3, 4, 2, [f32(0.5), f32(-0.25)], dict(lo=-1.0, hi=1.0), True)


def emit_pool(name, g, avg, lo, hi, is_float, include_pad=False):
    count = g['n'] * g['ih'] * g['iw'] * g['c']
    inp = rand_f(count) if is_float else rand_i8(count)
    (oh, ow), res = pool_ref(g, inp, avg, lo, hi, is_float, include_pad)
    t = 'float' if is_float else 'int8_t'
    out.append('/* %s: out [%d, %d, %d, %d] */\n' % (name, g['n'], oh, ow, g['c']))
    out.append(c_array(t, name + '_in', inp))
    out.append(c_array(t, name + '_want', res))


emit_pool('avg_a', dict(n=1, ih=5, iw=5, c=2, kh=3, kw=3, sh=2, sw=2, pads=(1, 1, 1, 1)),
          True, -100, 100, False)
emit_pool('max_a', dict(n=2, ih=4, iw=5, c=3, kh=2, kw=3, sh=1, sw=2, pads=(0, 1, 1, 1)),
          False, -50, 127, False)
emit_pool('avg_f', dict(n=1, ih=4, iw=4, c=2, kh=3, kw=3, sh=1, sw=1, pads=(1, 1, 1, 1)),
          True, f32(-0.2), 3.0e38, True)
emit_pool('avg_fp', dict(n=1, ih=4, iw=4, c=2, kh=3, kw=3, sh=1, sw=1, pads=(1, 1, 1, 1)),
          True, -3.0e38, 3.0e38, True, include_pad=True)
emit_pool('max_f', dict(n=1, ih=3, iw=4, c=2, kh=2, kw=2, sh=2, sw=2, pads=(0, 0, 1, 0)),
          False, -3.0e38, f32(0.9), True)

print(''.join(out), end='')
