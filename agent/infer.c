/*
 * infer.c - the running model: loading a verified package into its own
 * arena with the self-test, and inference on a generated input (on a timer
 * or on Execute /32102/0/6) whose output, latency and count the ML
 * Inference object reports.
 */
#include <stdio.h>
#include <string.h>

#include "agent_internal.h"

void agent_model_unload(agent_model_t *m)
{
    tml_free(m->data);
    tml_free(m->arena);
    memset(m, 0, sizeof(*m));
    m->slot = -1;
}

tml_status_t agent_model_load(tml_agent_t *a, uint8_t *data, size_t len, int slot, agent_model_t *m,
                              char *why, size_t why_cap)
{
    memset(m, 0, sizeof(*m));
    m->slot = -1;
    tml_err_t err;
    tml_err_clear(&err);
    tml_status_t st = tml_spkg_verify(data, len, a->have_trust_key ? a->trust_key : NULL, &m->info, &err);
    if (st != TML_OK) {
        snprintf(why, why_cap, "%s", tml_err_message(&err));
        tml_free(data);
        return st;
    }
    uint32_t arena_len = tml_rt_arena_len(data, m->info.pkg_len);
    if (arena_len == 0 || arena_len > a->profile->model_ram_bytes) {
        snprintf(why, why_cap, "arena of %u bytes does not fit the profile", arena_len);
        tml_free(data);
        return TML_ERR_NOFIT;
    }
    m->arena = tml_malloc(arena_len);
    if (!m->arena) {
        snprintf(why, why_cap, "out of memory for the arena");
        tml_free(data);
        return TML_ERR_NOMEM;
    }
    m->arena_len = arena_len;
    uint8_t digest[32];
    st = tml_spkg_selftest(data, m->info.pkg_len, m->arena, arena_len, digest, &err);
    if (st == TML_OK && (m->info.flags & TML_SPKG_FLAG_SELFTEST) &&
        memcmp(digest, m->info.selftest_sha256, 32) != 0) {
        st = TML_ERR_CORRUPT;
        tml_err_set(&err, st, "self-test output differs from the one the service computed");
    }
    if (st == TML_OK)
        st = tml_rt_init(&m->rt, data, m->info.pkg_len, m->arena, arena_len, TML_RT_SKIP_BODY_DIGEST);
    if (st != TML_OK) {
        snprintf(why, why_cap, "self-test failed: %s", tml_err_message(&err));
        tml_free(m->arena);
        tml_free(data);
        memset(m, 0, sizeof(*m));
        m->slot = -1;
        return st;
    }
    m->data = data;
    m->len = len;
    m->slot = slot;
    m->loaded = true;
    return TML_OK;
}

static double element(const tml_pkg_tensor_t *t, const uint8_t *p, uint32_t i)
{
    double v;
    switch (t->dtype) {
    case TML_DT_F32: {
        float f;
        memcpy(&f, p + 4 * i, 4);
        return f;
    }
    case TML_DT_I8:
        v = (int8_t)p[i];
        break;
    case TML_DT_U8:
    case TML_DT_BOOL:
        v = p[i];
        break;
    case TML_DT_I16: {
        int16_t x;
        memcpy(&x, p + 2 * i, 2);
        v = x;
        break;
    }
    case TML_DT_I32: {
        int32_t x;
        memcpy(&x, p + 4 * i, 4);
        v = x;
        break;
    }
    default:
        return 0;
    }
    return t->scale != 0.0f ? (v - t->zero_point) * t->scale : v;
}

tml_status_t agent_infer(tml_agent_t *a)
{
    agent_model_t *m = &a->model;
    if (!m->loaded)
        return TML_ERR_STATE;
    for (uint32_t i = 0; i < tml_rt_n_inputs(&m->rt); i++) {
        const tml_pkg_tensor_t *t = tml_rt_input(&m->rt, i);
        tml_spkg_fill_input(t->dtype, i, (uint32_t)a->n_inferences + 1, tml_rt_tensor_data(&m->rt, t),
                            t->byte_len);
    }
    uint64_t t0 = agent_now_us(a);
    tml_status_t st = tml_rt_invoke(&m->rt);
    uint64_t t1 = agent_now_us(a);
    if (st != TML_OK)
        return st;
    a->last_latency_us = (uint32_t)(t1 - t0);
    a->n_inferences++;
    const tml_pkg_tensor_t *out = tml_rt_output(&m->rt, 0);
    const uint8_t *data = tml_rt_tensor_data(&m->rt, out);
    uint32_t size = tml_dtype_size(out->dtype), n = size ? out->byte_len / size : 0;
    size_t off = 0;
    double best = 0;
    a->top_class = -1;
    a->last_output[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        double v = element(out, data, i);
        if (a->top_class < 0 || v > best) {
            best = v;
            a->top_class = (int32_t)i;
        }
        if (i < 16 && off < sizeof(a->last_output))
            off += (size_t)snprintf(a->last_output + off, sizeof(a->last_output) - off, "%s%.4g",
                                    i ? "," : "", v);
    }
    a->last_output_raw_len = out->byte_len < sizeof(a->last_output_raw) ? out->byte_len
                                                                       : sizeof(a->last_output_raw);
    memcpy(a->last_output_raw, data, a->last_output_raw_len);
    agent_changed(a);
    return TML_OK;
}

void agent_infer_step(tml_agent_t *a)
{
    if (!a->infer_period_ms || !a->model.loaded)
        return;
    uint64_t now = agent_now_us(a);
    if (now < a->next_infer_us)
        return;
    a->next_infer_us = now + (uint64_t)a->infer_period_ms * 1000u;
    agent_infer(a);
}
