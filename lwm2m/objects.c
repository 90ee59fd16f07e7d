/*
 * objects.c - definitions of the objects this project speaks: OMA objects
 * 0, 1, 3, 5 and 9 (resource ids, types and operations from the OMA LwM2M
 * registry) and our two private ML objects (XML in docs/objects/). The server
 * uses them to type TLV and plain-text payloads, the agent to check
 * operations before it runs them.
 */
#include <stdio.h>
#include <string.h>

#include "tml/lwm2m.h"

#define R TML_LWM2M_OP_R
#define W TML_LWM2M_OP_W
#define E TML_LWM2M_OP_E
#define S TML_LWM2M_T_STRING
#define I TML_LWM2M_T_INT
#define F TML_LWM2M_T_FLOAT
#define B TML_LWM2M_T_BOOL
#define O TML_LWM2M_T_OPAQUE
#define T TML_LWM2M_T_TIME
#define L TML_LWM2M_T_OBJLNK
#define N TML_LWM2M_T_NONE
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The Security object is for the bootstrap server only: no operation is
 * open to an LwM2M server. */
static const tml_lwm2m_res_def_t security[] = {
    {0, "LWM2M Server URI", S, 0, false, true},
    {1, "Bootstrap-Server", B, 0, false, true},
    {2, "Security Mode", I, 0, false, true},
    {3, "Public Key or Identity", O, 0, false, true},
    {4, "Server Public Key", O, 0, false, true},
    {5, "Secret Key", O, 0, false, true},
    {10, "Short Server ID", I, 0, false, false},
    {11, "Client Hold Off Time", I, 0, false, false},
};

static const tml_lwm2m_res_def_t server[] = {
    {0, "Short Server ID", I, R, false, true},
    {1, "Lifetime", I, R | W, false, true},
    {2, "Default Minimum Period", I, R | W, false, false},
    {3, "Default Maximum Period", I, R | W, false, false},
    {4, "Disable", N, E, false, false},
    {5, "Disable Timeout", I, R | W, false, false},
    {6, "Notification Storing When Disabled or Offline", B, R | W, false, true},
    {7, "Binding", S, R | W, false, true},
    {8, "Registration Update Trigger", N, E, false, true},
};

static const tml_lwm2m_res_def_t device[] = {
    {0, "Manufacturer", S, R, false, false},
    {1, "Model Number", S, R, false, false},
    {2, "Serial Number", S, R, false, false},
    {3, "Firmware Version", S, R, false, false},
    {4, "Reboot", N, E, false, true},
    {5, "Factory Reset", N, E, false, false},
    {6, "Available Power Sources", I, R, true, false},
    {7, "Power Source Voltage", I, R, true, false},
    {8, "Power Source Current", I, R, true, false},
    {9, "Battery Level", I, R, false, false},
    {10, "Memory Free", I, R, false, false},
    {11, "Error Code", I, R, true, true},
    {12, "Reset Error Code", N, E, false, false},
    {13, "Current Time", T, R | W, false, false},
    {14, "UTC Offset", S, R | W, false, false},
    {15, "Timezone", S, R | W, false, false},
    {16, "Supported Binding and Modes", S, R, false, true},
    {17, "Device Type", S, R, false, false},
    {18, "Hardware Version", S, R, false, false},
    {19, "Software Version", S, R, false, false},
    {20, "Battery Status", I, R, false, false},
    {21, "Memory Total", I, R, false, false},
};

static const tml_lwm2m_res_def_t firmware[] = {
    {0, "Package", O, W, false, true},
    {1, "Package URI", S, R | W, false, true},
    {2, "Update", N, E, false, true},
    {3, "State", I, R, false, true},
    {5, "Update Result", I, R, false, true},
    {6, "PkgName", S, R, false, false},
    {7, "PkgVersion", S, R, false, false},
    {8, "Firmware Update Protocol Support", I, R, true, false},
    {9, "Firmware Update Delivery Method", I, R, false, true},
};

static const tml_lwm2m_res_def_t software[] = {
    {0, "PkgName", S, R, false, true},
    {1, "PkgVersion", S, R, false, true},
    {2, "Package", O, W, false, false},
    {3, "Package URI", S, W, false, false},
    {4, "Install", N, E, false, true},
    {5, "Checkpoint", L, R, false, false},
    {6, "Uninstall", N, E, false, true},
    {7, "Update State", I, R, false, true},
    {8, "Update Supported Objects", B, R | W, false, false},
    {9, "Update Result", I, R, false, true},
    {10, "Activate", N, E, false, true},
    {11, "Deactivate", N, E, false, true},
    {12, "Activation State", B, R, false, true},
    {13, "Package Settings", L, R | W, false, false},
    {14, "User Name", S, W, false, false},
    {15, "Password", S, W, false, false},
    {16, "Status Reason", S, R, false, false},
    {17, "Software Component Link", L, R, true, false},
    {18, "Software Component tree length", I, R, false, false},
};

/* docs/objects/32101.xml */
static const tml_lwm2m_res_def_t ml_caps[] = {
    {0, "Device Profile", S, R, false, true},
    {1, "Architecture", S, R, false, true},
    {2, "Core", S, R, false, true},
    {3, "Clock", I, R, false, true},
    {4, "Model RAM Available", I, R, false, true},
    {5, "Model Flash Available", I, R, false, true},
    {6, "Runtime Version", S, R, false, true},
    {7, "Package Format Version", S, R, false, true},
    {8, "Supported Kernels", S, R, true, false},
    {9, "Supported Ops", S, R, true, false},
    {10, "Core Features", S, R, true, false},
};

/* docs/objects/32102.xml */
static const tml_lwm2m_res_def_t ml_infer[] = {
    {0, "Model Name", S, R, false, true},
    {1, "Model Version", S, R, false, true},
    {2, "Last Output", S, R, false, true},
    {3, "Top Class", I, R, false, false},
    {4, "Latency", I, R, false, true},
    {5, "Inference Count", I, R, false, true},
    {6, "Run", N, E, false, false},
    {7, "Period", I, R | W, false, false},
    {8, "Active Slot", I, R, false, false},
    {9, "Last Output Raw", O, R, false, false},
};

static const tml_lwm2m_obj_def_t objects[] = {
    {TML_LWM2M_OBJ_SECURITY, "LWM2M Security", "1.1", true, security, NELEM(security)},
    {TML_LWM2M_OBJ_SERVER, "LwM2M Server", "1.1", true, server, NELEM(server)},
    {TML_LWM2M_OBJ_DEVICE, "Device", "1.1", false, device, NELEM(device)},
    {TML_LWM2M_OBJ_FIRMWARE, "Firmware Update", "1.0", false, firmware, NELEM(firmware)},
    {TML_LWM2M_OBJ_SOFTWARE, "LWM2M Software Management", "1.0", true, software, NELEM(software)},
    {TML_LWM2M_OBJ_ML_CAPS, "ML Capabilities", "1.0", false, ml_caps, NELEM(ml_caps)},
    {TML_LWM2M_OBJ_ML_INFER, "ML Inference", "1.0", false, ml_infer, NELEM(ml_infer)},
};

const tml_lwm2m_obj_def_t *tml_lwm2m_obj_find(uint16_t obj)
{
    for (size_t i = 0; i < NELEM(objects); i++)
        if (objects[i].id == obj)
            return &objects[i];
    return NULL;
}

const tml_lwm2m_res_def_t *tml_lwm2m_res_find(uint16_t obj, uint16_t res)
{
    const tml_lwm2m_obj_def_t *o = tml_lwm2m_obj_find(obj);
    for (size_t i = 0; o && i < o->n_res; i++)
        if (o->res[i].id == res)
            return &o->res[i];
    return NULL;
}

static tml_status_t type_one(tml_lwm2m_record_t *rec, uint8_t want)
{
    tml_lwm2m_value_t *v = &rec->v;
    switch (want) {
    case TML_LWM2M_T_INT:
    case TML_LWM2M_T_TIME: {
        int64_t i;
        if (tml_lwm2m_value_int(v, &i) != TML_OK)
            return TML_ERR_CORRUPT;
        tml_free(v->bytes);
        v->bytes = NULL;
        v->len = 0;
        v->type = want;
        v->u.i = i;
        return TML_OK;
    }
    case TML_LWM2M_T_FLOAT: {
        double f;
        if (tml_lwm2m_value_float(v, &f) != TML_OK)
            return TML_ERR_CORRUPT;
        tml_free(v->bytes);
        v->bytes = NULL;
        v->len = 0;
        v->type = want;
        v->u.f = f;
        return TML_OK;
    }
    case TML_LWM2M_T_BOOL: {
        bool b;
        if (tml_lwm2m_value_bool(v, &b) != TML_OK)
            return TML_ERR_CORRUPT;
        tml_free(v->bytes);
        v->bytes = NULL;
        v->len = 0;
        v->type = want;
        v->u.b = b;
        return TML_OK;
    }
    case TML_LWM2M_T_STRING:
        v->type = TML_LWM2M_T_STRING; /* bytes are NUL-terminated by records_add */
        return TML_OK;
    case TML_LWM2M_T_OPAQUE:
        if (v->type == TML_LWM2M_T_RAW)
            v->type = TML_LWM2M_T_OPAQUE;
        return TML_OK;
    case TML_LWM2M_T_OBJLNK: {
        unsigned a, b;
        int used = 0;
        if (v->type == TML_LWM2M_T_RAW && v->len == 4) {
            a = (unsigned)v->bytes[0] << 8 | v->bytes[1];
            b = (unsigned)v->bytes[2] << 8 | v->bytes[3];
        } else if (v->type == TML_LWM2M_T_STRING &&
                   sscanf((const char *)v->bytes, "%5u:%5u%n", &a, &b, &used) == 2 &&
                   (size_t)used == v->len && a <= 65535 && b <= 65535) {
        } else {
            return TML_ERR_CORRUPT;
        }
        tml_free(v->bytes);
        v->bytes = NULL;
        v->len = 0;
        v->type = TML_LWM2M_T_OBJLNK;
        v->u.lnk.obj = (uint16_t)a;
        v->u.lnk.inst = (uint16_t)b;
        return TML_OK;
    }
    default:
        return TML_OK;
    }
}

tml_status_t tml_lwm2m_records_type(tml_lwm2m_records_t *r, tml_err_t *err)
{
    for (size_t i = 0; i < r->n; i++) {
        tml_lwm2m_record_t *rec = &r->recs[i];
        if (rec->path.len < 3)
            continue;
        if (rec->v.type != TML_LWM2M_T_RAW && rec->v.type != TML_LWM2M_T_STRING)
            continue;
        const tml_lwm2m_res_def_t *def = tml_lwm2m_res_find(rec->path.id[0], rec->path.id[2]);
        if (!def || def->type == TML_LWM2M_T_NONE || def->type == rec->v.type)
            continue;
        if (type_one(rec, def->type) != TML_OK) {
            char p[32];
            tml_lwm2m_path_format(&rec->path, p, sizeof(p));
            return tml_err_set(err, TML_ERR_CORRUPT, "%s (%s): %zu bytes are not a valid value of its type",
                               p, def->name, rec->v.len);
        }
    }
    return TML_OK;
}
