/*
 * objects.c - the agent's objects and their resources: 0 Security (closed
 * to the server), 1 Server, 3 Device, 5 Firmware Update, 9 Software
 * Management (one instance: the model), 32101 ML Capabilities and 32102 ML
 * Inference. A read builds the records of the whole instance and keeps
 * those under the requested path; writes and executes go to the install
 * and inference code. The device profile sets what ML Capabilities says.
 */
#include <stdio.h>
#include <string.h>

#include "agent_internal.h"

static const uint16_t instances[] = {
    TML_LWM2M_OBJ_SECURITY, TML_LWM2M_OBJ_SERVER, TML_LWM2M_OBJ_DEVICE, TML_LWM2M_OBJ_FIRMWARE,
    TML_LWM2M_OBJ_SOFTWARE, TML_LWM2M_OBJ_ML_CAPS, TML_LWM2M_OBJ_ML_INFER,
};

static bool have_object(uint16_t obj)
{
    for (size_t i = 0; i < sizeof(instances) / sizeof(instances[0]); i++)
        if (instances[i] == obj)
            return true;
    return false;
}

void agent_object_links(const tml_agent_t *a, char *buf, size_t cap)
{
    (void)a;
    snprintf(buf, cap,
             "</>;rt=\"oma.lwm2m\";ct=%u,</1/0>,</3/0>,</5/0>,</9/0>,</%u/0>;ver=1.0,</%u/0>;ver=1.0",
             TML_LWM2M_CF_TLV, TML_LWM2M_OBJ_ML_CAPS, TML_LWM2M_OBJ_ML_INFER);
}

#define PATH(o, r) tml_lwm2m_path_make(3, (o), 0, (r), 0)
#define RIPATH(o, r, i) tml_lwm2m_path_make(4, (o), 0, (r), (i))

static void add_str(tml_lwm2m_records_t *out, uint16_t o, uint16_t r, const char *s)
{
    tml_lwm2m_path_t p = PATH(o, r);
    tml_lwm2m_records_add_str(out, &p, s);
}

static void add_int(tml_lwm2m_records_t *out, uint16_t o, uint16_t r, int64_t v)
{
    tml_lwm2m_path_t p = PATH(o, r);
    tml_lwm2m_records_add_int(out, &p, v);
}

static void add_bool(tml_lwm2m_records_t *out, uint16_t o, uint16_t r, bool v)
{
    tml_lwm2m_path_t p = PATH(o, r);
    tml_lwm2m_records_add_bool(out, &p, v);
}

static void fill_caps(const tml_agent_t *a, tml_lwm2m_records_t *out)
{
    const tml_target_t *t = a->profile;
    const uint16_t O = TML_LWM2M_OBJ_ML_CAPS;
    char ver[16];
    add_str(out, O, 0, t->name);
    add_str(out, O, 1, t->arch);
    add_str(out, O, 2, t->core);
    add_int(out, O, 3, t->clock_hz);
    add_int(out, O, 4, t->model_ram_bytes);
    add_int(out, O, 5, t->model_flash_bytes);
    snprintf(ver, sizeof(ver), "%d.%d.%d", TML_RT_VERSION_MAJOR, TML_RT_VERSION_MINOR, TML_RT_VERSION_PATCH);
    add_str(out, O, 6, ver);
    snprintf(ver, sizeof(ver), "%u.%u", TML_PKG_VERSION_MAJOR, TML_PKG_VERSION_MINOR);
    add_str(out, O, 7, ver);
    /* Kernels this runtime build carries, and the ops they implement (the
     * kernel name up to its dtype token, so that variants such as
     * CONV2D_S8_DSP or ADD_S8_LUT count as their op). */
    uint16_t n_k = 0, n_ops = 0;
    char ops[TML_K_COUNT][24];
    for (uint32_t k = 0; k < TML_K_COUNT; k++) {
        const char *kname = tml_rt_kernel_name(k);
        if (!kname)
            continue;
        tml_lwm2m_path_t p = RIPATH(O, 8, n_k++);
        tml_lwm2m_records_add_str(out, &p, kname);
        char op[24];
        snprintf(op, sizeof(op), "%s", kname);
        for (char *us = strchr(op, '_'); us; us = strchr(us + 1, '_')) {
            const size_t n = !strncmp(us, "_S8", 3) ? 3 : !strncmp(us, "_F32", 4) ? 4 : 0;
            if (n && (us[n] == '_' || !us[n])) {
                *us = 0;
                break;
            }
        }
        bool seen = false;
        for (uint16_t i = 0; i < n_ops; i++)
            seen |= !strcmp(ops[i], op);
        if (!seen) {
            memcpy(ops[n_ops], op, sizeof(op));
            tml_lwm2m_path_t q = RIPATH(O, 9, n_ops);
            tml_lwm2m_records_add_str(out, &q, ops[n_ops++]);
        }
    }
    static const struct { uint32_t bit; const char *name; } feats[] = {
        {TML_FEAT_DSP, "dsp"}, {TML_FEAT_FPU_SP, "fpu-sp"}, {TML_FEAT_FPU_DP, "fpu-dp"},
        {TML_FEAT_DCACHE, "dcache"}, {TML_FEAT_RV_M, "rv-m"}, {TML_FEAT_TRUSTZONE, "trustzone"},
    };
    uint16_t n_f = 0;
    for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
        if (t->features & feats[i].bit) {
            tml_lwm2m_path_t p = RIPATH(O, 10, n_f++);
            tml_lwm2m_records_add_str(out, &p, feats[i].name);
        }
    }
}

static void fill(const tml_agent_t *a, uint16_t obj, tml_lwm2m_records_t *out)
{
    char s[96];
    switch (obj) {
    case TML_LWM2M_OBJ_SERVER:
        add_int(out, obj, 0, 1);
        add_int(out, obj, 1, a->cfg.lifetime_s);
        add_bool(out, obj, 6, false);
        add_str(out, obj, 7, "U");
        break;
    case TML_LWM2M_OBJ_DEVICE: {
        add_str(out, obj, 0, "TinyMLaaS");
        add_str(out, obj, 1, a->profile->part);
        add_str(out, obj, 2, a->endpoint);
        add_str(out, obj, 3, a->firmware_version);
        tml_lwm2m_path_t p = RIPATH(obj, 6, 0);
        tml_lwm2m_records_add_int(out, &p, 0); /* DC power */
        uint32_t used = a->model.loaded ? (uint32_t)a->model.arena_len : 0;
        add_int(out, obj, 10, (a->profile->model_ram_bytes - used) / 1024);
        p = RIPATH(obj, 11, 0);
        tml_lwm2m_records_add_int(out, &p, 0); /* no error */
        add_str(out, obj, 16, a->cfg.queue_mode ? "UQ" : "U");
        add_str(out, obj, 17, "MCU");
        add_str(out, obj, 18, a->profile->core);
        if (a->model.loaded)
            snprintf(s, sizeof(s), "%s %s", a->model.info.name, a->model.info.version);
        else
            snprintf(s, sizeof(s), "none");
        add_str(out, obj, 19, s);
        add_int(out, obj, 21, a->profile->sram_bytes / 1024);
        break;
    }
    case TML_LWM2M_OBJ_FIRMWARE: {
        add_str(out, obj, 1, a->fw_uri);
        add_int(out, obj, 3, a->fw_state);
        add_int(out, obj, 5, a->fw_result);
        add_str(out, obj, 6, a->fw_name);
        add_str(out, obj, 7, a->fw_version);
        tml_lwm2m_path_t p = RIPATH(obj, 8, 0);
        tml_lwm2m_records_add_int(out, &p, 0); /* CoAP */
        p = RIPATH(obj, 8, 1);
        tml_lwm2m_records_add_int(out, &p, 1); /* CoAPS */
        add_int(out, obj, 9, 2);               /* pull and push */
        break;
    }
    case TML_LWM2M_OBJ_SOFTWARE:
        add_str(out, obj, 0, a->sw_name);
        add_str(out, obj, 1, a->sw_version);
        add_int(out, obj, 7, a->sw_state);
        add_int(out, obj, 9, a->sw_result);
        add_bool(out, obj, 12, a->sw_activated);
        add_str(out, obj, 16, a->status_reason);
        break;
    case TML_LWM2M_OBJ_ML_CAPS:
        fill_caps(a, out);
        break;
    case TML_LWM2M_OBJ_ML_INFER: {
        add_str(out, obj, 0, a->model.loaded ? a->model.info.name : "");
        add_str(out, obj, 1, a->model.loaded ? a->model.info.version : "");
        add_str(out, obj, 2, a->last_output);
        add_int(out, obj, 3, a->top_class);
        add_int(out, obj, 4, a->last_latency_us);
        add_int(out, obj, 5, (int64_t)a->n_inferences);
        add_int(out, obj, 7, a->infer_period_ms / 1000);
        add_int(out, obj, 8, a->model.loaded ? a->model.slot : -1);
        tml_lwm2m_path_t p = PATH(obj, 9);
        tml_lwm2m_records_add_opaque(out, &p, a->last_output_raw, a->last_output_raw_len);
        break;
    }
    default:
        break;
    }
}

uint8_t agent_read(tml_agent_t *a, const tml_lwm2m_path_t *p, tml_lwm2m_records_t *out)
{
    if (p->len == 0 || !have_object(p->id[0]))
        return TML_COAP_NOT_FOUND;
    if (p->id[0] == TML_LWM2M_OBJ_SECURITY)
        return TML_COAP_UNAUTHORIZED;
    if (p->len >= 2 && p->id[1] != 0)
        return TML_COAP_NOT_FOUND;
    if (p->len >= 3) {
        const tml_lwm2m_res_def_t *d = tml_lwm2m_res_find(p->id[0], p->id[2]);
        if (!d)
            return TML_COAP_NOT_FOUND;
        if (!(d->ops & TML_LWM2M_OP_R))
            return TML_COAP_METHOD_NOT_ALLOWED;
    }
    tml_lwm2m_records_t all;
    tml_lwm2m_records_init(&all);
    fill(a, p->id[0], &all);
    uint8_t code = TML_COAP_CONTENT;
    size_t kept = 0;
    for (size_t i = 0; i < all.n; i++) {
        if (!tml_lwm2m_path_has_prefix(&all.recs[i].path, p))
            continue;
        if (tml_lwm2m_records_add(out, &all.recs[i].path, &all.recs[i].v) != TML_OK) {
            code = TML_COAP_INTERNAL_ERROR;
            break;
        }
        kept++;
    }
    tml_lwm2m_records_free(&all);
    if (code == TML_COAP_CONTENT && kept == 0 && p->len >= 3)
        code = TML_COAP_NOT_FOUND; /* e.g. an optional resource we do not have */
    return code;
}

static uint8_t write_one(tml_agent_t *a, const tml_lwm2m_record_t *r)
{
    const tml_lwm2m_path_t *p = &r->path;
    if (p->len < 3 || p->id[1] != 0)
        return TML_COAP_NOT_FOUND;
    const tml_lwm2m_res_def_t *d = tml_lwm2m_res_find(p->id[0], p->id[2]);
    if (!d || !have_object(p->id[0]))
        return TML_COAP_NOT_FOUND;
    if (!(d->ops & TML_LWM2M_OP_W))
        return TML_COAP_METHOD_NOT_ALLOWED;
    char s[256];
    int64_t i;
    switch (p->id[0] << 16 | p->id[2]) {
    case TML_LWM2M_OBJ_SERVER << 16 | 1:
        if (tml_lwm2m_value_int(&r->v, &i) != TML_OK || i <= 0 || i > 0x7FFFFFFF)
            return TML_COAP_BAD_REQUEST;
        a->cfg.lifetime_s = (uint32_t)i;
        a->next_update_us = agent_now_us(a); /* tell the server at once */
        return TML_COAP_CHANGED;
    case TML_LWM2M_OBJ_FIRMWARE << 16 | 0:
        return agent_fw_push(a, r->v.bytes, r->v.len);
    case TML_LWM2M_OBJ_FIRMWARE << 16 | 1:
        if (tml_lwm2m_value_str(&r->v, s, sizeof(s)) != TML_OK)
            return TML_COAP_BAD_REQUEST;
        return agent_fw_set_uri(a, s);
    case TML_LWM2M_OBJ_SOFTWARE << 16 | 2:
        return agent_sw_push(a, r->v.bytes, r->v.len);
    case TML_LWM2M_OBJ_SOFTWARE << 16 | 3:
        if (tml_lwm2m_value_str(&r->v, s, sizeof(s)) != TML_OK)
            return TML_COAP_BAD_REQUEST;
        return agent_sw_set_uri(a, s);
    case TML_LWM2M_OBJ_ML_INFER << 16 | 7:
        if (tml_lwm2m_value_int(&r->v, &i) != TML_OK || i < 0 || i > 86400)
            return TML_COAP_BAD_REQUEST;
        a->infer_period_ms = (uint32_t)i * 1000u;
        a->next_infer_us = agent_now_us(a) + (uint64_t)a->infer_period_ms * 1000u;
        agent_changed(a);
        return TML_COAP_CHANGED;
    default:
        return TML_COAP_METHOD_NOT_ALLOWED; /* writable in the spec, not kept here */
    }
}

uint8_t agent_write(tml_agent_t *a, const tml_lwm2m_path_t *p, const tml_lwm2m_records_t *in,
                    bool replace)
{
    (void)replace;
    if (p->len == 0 || !have_object(p->id[0]))
        return TML_COAP_NOT_FOUND;
    if (p->id[0] == TML_LWM2M_OBJ_SECURITY)
        return TML_COAP_UNAUTHORIZED;
    if (in->n == 0)
        return TML_COAP_BAD_REQUEST;
    for (size_t i = 0; i < in->n; i++) {
        uint8_t code = write_one(a, &in->recs[i]);
        if (code != TML_COAP_CHANGED)
            return code;
    }
    return TML_COAP_CHANGED;
}

uint8_t agent_execute(tml_agent_t *a, const tml_lwm2m_path_t *p, const uint8_t *args,
                      size_t args_len)
{
    (void)args;
    (void)args_len;
    if (p->len != 3 || !have_object(p->id[0]) || p->id[1] != 0)
        return TML_COAP_NOT_FOUND;
    if (p->id[0] == TML_LWM2M_OBJ_SECURITY)
        return TML_COAP_UNAUTHORIZED;
    const tml_lwm2m_res_def_t *d = tml_lwm2m_res_find(p->id[0], p->id[2]);
    if (!d)
        return TML_COAP_NOT_FOUND;
    if (!(d->ops & TML_LWM2M_OP_E))
        return TML_COAP_METHOD_NOT_ALLOWED;
    switch (p->id[0] << 16 | p->id[2]) {
    case TML_LWM2M_OBJ_SERVER << 16 | 8:
        a->next_update_us = agent_now_us(a);
        return TML_COAP_CHANGED;
    case TML_LWM2M_OBJ_DEVICE << 16 | 4: /* reboot: come back with a fresh registration */
        a->registered = false;
        a->reg_retry_us = agent_now_us(a) + 100000u;
        return TML_COAP_CHANGED;
    case TML_LWM2M_OBJ_DEVICE << 16 | 12:
        return TML_COAP_CHANGED;
    case TML_LWM2M_OBJ_FIRMWARE << 16 | 2:
        return agent_fw_update(a);
    case TML_LWM2M_OBJ_SOFTWARE << 16 | 4:
        return agent_sw_install(a);
    case TML_LWM2M_OBJ_SOFTWARE << 16 | 6:
        return agent_sw_uninstall(a);
    case TML_LWM2M_OBJ_SOFTWARE << 16 | 10:
        return agent_sw_activate(a);
    case TML_LWM2M_OBJ_SOFTWARE << 16 | 11:
        return agent_sw_deactivate(a);
    case TML_LWM2M_OBJ_ML_INFER << 16 | 6:
        return agent_infer(a) == TML_OK ? TML_COAP_CHANGED : TML_COAP_METHOD_NOT_ALLOWED;
    default:
        return TML_COAP_METHOD_NOT_ALLOWED;
    }
}

uint8_t agent_discover(tml_agent_t *a, const tml_lwm2m_path_t *p, char *buf, size_t cap)
{
    if (p->len == 0 || p->len > 3 || !have_object(p->id[0]) || (p->len >= 2 && p->id[1] != 0))
        return TML_COAP_NOT_FOUND;
    if (p->id[0] == TML_LWM2M_OBJ_SECURITY)
        return TML_COAP_UNAUTHORIZED;
    const tml_lwm2m_obj_def_t *o = tml_lwm2m_obj_find(p->id[0]);
    tml_lwm2m_records_t all;
    tml_lwm2m_records_init(&all);
    fill(a, p->id[0], &all);
    size_t off = 0;
    buf[0] = 0;
#define PUT(...) (off += (size_t)snprintf(buf + (off < cap ? off : cap), off < cap ? cap - off : 0, __VA_ARGS__))
    if (p->len == 1)
        PUT("</%u>;ver=%s,", p->id[0], o->version);
    if (p->len <= 2)
        PUT("</%u/0>,", p->id[0]);
    for (size_t i = 0; i < o->n_res; i++) {
        const tml_lwm2m_res_def_t *d = &o->res[i];
        if (p->len == 3 && d->id != p->id[2])
            continue;
        unsigned dim = 0;
        bool present = d->ops & TML_LWM2M_OP_E;
        for (size_t k = 0; k < all.n; k++) {
            if (all.recs[k].path.id[2] == d->id) {
                present = true;
                dim += all.recs[k].path.len == 4;
            }
        }
        if (!present)
            continue;
        PUT("</%u/0/%u>", p->id[0], d->id);
        if (d->multiple)
            PUT(";dim=%u", dim);
        tml_lwm2m_path_t rp = PATH(p->id[0], d->id);
        for (int k = 0; k < AGENT_MAX_OBS; k++) {
            if (a->attrs[k].used && !tml_lwm2m_path_cmp(&a->attrs[k].path, &rp)) {
                if (a->attrs[k].pmin_s)
                    PUT(";pmin=%u", a->attrs[k].pmin_s);
                if (a->attrs[k].pmax_s)
                    PUT(";pmax=%u", a->attrs[k].pmax_s);
            }
        }
        PUT(",");
    }
#undef PUT
    tml_lwm2m_records_free(&all);
    if (off >= cap)
        return TML_COAP_INTERNAL_ERROR;
    if (off && buf[off - 1] == ',')
        buf[off - 1] = 0;
    return off ? TML_COAP_CONTENT : TML_COAP_NOT_FOUND;
}
