/*
 * install.c - over-the-air installation: Object 9 (a model package is a
 * software component) and Object 5 (the runtime image) share one download
 * engine: Block2 GETs, stop-and-wait, written into a ".part" blob, with a
 * resume record (URI, ETag, next block) saved as it goes so a download cut
 * by a lost link or a restart continues where it stopped when the server
 * still has the same bytes (same ETag). A finished download is verified
 * (SHA-256 and Ed25519 against the trusted key, then the profile's budget)
 * before it is stored in the inactive slot. Activation runs the self-test
 * on the new model while the old one keeps running; only a pass swaps them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"

#define RESUME "resume"
#define STATE "state"

static const char *part_name(uint16_t obj)
{
    return obj == TML_LWM2M_OBJ_FIRMWARE ? "fw.part" : "dl.part";
}

static void slot_name(int slot, char *buf, size_t cap)
{
    snprintf(buf, cap, "slot%d", slot);
}

/* ---- Persistent state (a small key=value text blob) ------------------------ */

void agent_save_state(tml_agent_t *a)
{
    char buf[1024];
    int n = snprintf(buf, sizeof(buf),
                     "sw_state=%d\nsw_result=%d\nsw_activated=%d\nactive_slot=%d\nstaged_slot=%d\n"
                     "sw_name=%s\nsw_version=%s\nsw_uri=%s\nfw_state=%d\nfw_result=%d\nfw_uri=%s\n"
                     "firmware_version=%s\n",
                     a->sw_state, a->sw_result, a->sw_activated, a->active_slot, a->staged_slot,
                     a->sw_name, a->sw_version, a->sw_uri, a->fw_state, a->fw_result, a->fw_uri,
                     a->firmware_version);
    if (n > 0 && (size_t)n < sizeof(buf))
        a->pf.store(a->pf.ctx, STATE, (const uint8_t *)buf, (size_t)n);
    agent_changed(a);
}

/* Finds "key=" at a line start in text and copies its value. */
static bool kv(const char *text, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            const char *v = p + kl + 1, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= cap)
                n = cap - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return true;
        }
    }
    return false;
}

static int kv_int(const char *text, const char *key, int dflt)
{
    char v[24];
    return kv(text, key, v, sizeof(v)) ? atoi(v) : dflt;
}

static void save_resume(tml_agent_t *a)
{
    char etag[17], buf[512];
    tml_hex_encode(a->dl.etag, a->dl.etag_len, etag);
    int n = snprintf(buf, sizeof(buf), "obj=%u\nuri=%s\netag=%s\nnext_block=%u\nszx=%u\ntotal=%zu\n",
                     a->dl.obj, a->dl.uri, etag, a->dl.next_block, a->dl.szx, a->dl.total);
    if (n > 0 && (size_t)n < sizeof(buf))
        a->pf.store(a->pf.ctx, RESUME, (const uint8_t *)buf, (size_t)n);
    a->dl.since_save = 0;
}

/* ---- URIs ------------------------------------------------------------------ */

/* Splits "coap[s]://host[:port]/path" and returns 0 if usable, 1 for a
 * malformed URI, 2 for another scheme. */
static int check_uri(const char *uri, const char **path)
{
    const char *rest;
    if (!strncmp(uri, "coap://", 7))
        rest = uri + 7;
    else if (!strncmp(uri, "coaps://", 8))
        rest = uri + 8;
    else
        return strstr(uri, "://") ? 2 : 1;
    const char *host_end;
    if (*rest == '[') {
        host_end = strchr(rest, ']');
        if (!host_end || host_end == rest + 1)
            return 1;
        host_end++;
    } else {
        host_end = rest + strcspn(rest, ":/");
        if (host_end == rest)
            return 1;
    }
    const char *p = host_end;
    if (*p == ':') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return 1;
        long port = strtol(p, (char **)&p, 10);
        if (port <= 0 || port > 65535)
            return 1;
    }
    if (*p != '/' || p[1] == 0)
        return 1; /* a package URI names a resource */
    *path = p;
    return 0;
}

/* ---- Result codes of the two objects ------------------------------------- */

enum outcome { OUT_NO_STORAGE, OUT_NO_RAM, OUT_CONN_LOST, OUT_INTEGRITY, OUT_UNSUPPORTED,
               OUT_INVALID_URI, OUT_FAILED, OUT_BAD_PROTOCOL };

static void fail(tml_agent_t *a, uint16_t obj, enum outcome o, const char *why)
{
    static const int sw[] = {TML_SW_RESULT_NO_STORAGE, TML_SW_RESULT_NO_MEMORY, TML_SW_RESULT_CONN_LOST,
                             TML_SW_RESULT_INTEGRITY, TML_SW_RESULT_UNSUPPORTED_TYPE,
                             TML_SW_RESULT_INVALID_URI, TML_SW_RESULT_INSTALL_FAILED,
                             TML_SW_RESULT_INVALID_URI};
    static const int fw[] = {TML_FW_RESULT_NO_STORAGE, TML_FW_RESULT_NO_RAM, TML_FW_RESULT_CONN_LOST,
                             TML_FW_RESULT_INTEGRITY, TML_FW_RESULT_UNSUPPORTED_TYPE,
                             TML_FW_RESULT_INVALID_URI, TML_FW_RESULT_FAILED,
                             TML_FW_RESULT_UNSUPPORTED_PROTOCOL};
    TML_LOGW("agent", "%s: /%u: %s", a->endpoint, obj, why);
    if (obj == TML_LWM2M_OBJ_FIRMWARE) {
        a->fw_state = TML_FW_STATE_IDLE;
        a->fw_result = fw[o];
    } else {
        a->sw_state = a->model.loaded ? TML_SW_STATE_INSTALLED : TML_SW_STATE_INITIAL;
        a->sw_result = sw[o];
        snprintf(a->sw_name, sizeof(a->sw_name), "%s", a->model.loaded ? a->model.info.name : "");
        snprintf(a->sw_version, sizeof(a->sw_version), "%s", a->model.loaded ? a->model.info.version : "");
        snprintf(a->status_reason, sizeof(a->status_reason), "%s", why);
    }
    agent_save_state(a);
}

static void stop_download(tml_agent_t *a, bool forget)
{
    if (a->dl.chan >= 0 && a->dl.chan != a->server_chan && a->pf.close)
        a->pf.close(a->pf.ctx, a->dl.chan);
    agent_cancel_txns(a, TXN_BLOCK);
    uint16_t obj = a->dl.obj;
    a->dl.active = false;
    a->dl.chan = -1;
    if (forget) {
        a->pf.remove(a->pf.ctx, RESUME);
        a->pf.remove(a->pf.ctx, part_name(obj));
    }
}

/* ---- Download ------------------------------------------------------------ */

static void start_download(tml_agent_t *a, uint16_t obj, const char *uri)
{
    const char *path;
    int bad = check_uri(uri, &path);
    if (bad) {
        fail(a, obj, bad == 2 && obj == TML_LWM2M_OBJ_FIRMWARE ? OUT_BAD_PROTOCOL : OUT_INVALID_URI,
             bad == 2 ? "package URI scheme is not coap or coaps" : "package URI is malformed");
        return;
    }
    if (a->dl.active)
        stop_download(a, false);
    tml_err_t err;
    tml_err_clear(&err);
    int chan;
    tml_status_t st = a->pf.open(a->pf.ctx, uri, &chan, &err);
    if (st != TML_OK) {
        fail(a, obj, st == TML_ERR_UNSUPPORTED ? OUT_BAD_PROTOCOL : OUT_INVALID_URI, tml_err_message(&err));
        return;
    }
    memset(&a->dl, 0, sizeof(a->dl));
    a->dl.active = true;
    a->dl.obj = obj;
    a->dl.chan = chan;
    a->dl.szx = a->cfg.block_szx;
    snprintf(a->dl.uri, sizeof(a->dl.uri), "%s", uri);
    /* Resume when the record is for this URI and the bytes are on disk. */
    uint8_t *rec;
    size_t rec_len, part_len = 0;
    if (a->pf.load(a->pf.ctx, RESUME, &rec, &rec_len) == TML_OK) {
        char ruri[256], etag[17];
        unsigned robj = (unsigned)kv_int((char *)rec, "obj", 0);
        unsigned next = (unsigned)kv_int((char *)rec, "next_block", 0);
        unsigned szx = (unsigned)kv_int((char *)rec, "szx", 6);
        if (robj == obj && kv((char *)rec, "uri", ruri, sizeof(ruri)) && !strcmp(ruri, uri) &&
            kv((char *)rec, "etag", etag, sizeof(etag)) && strlen(etag) == 16 &&
            tml_hex_decode(etag, a->dl.etag, 8) == TML_OK && szx <= 6 &&
            a->pf.size(a->pf.ctx, part_name(obj), &part_len) == TML_OK &&
            part_len >= (size_t)next * (16u << szx)) {
            a->dl.etag_len = 8;
            a->dl.next_block = next;
            a->dl.szx = szx;
            a->dl.offset = (size_t)next * (16u << szx);
            a->dl.total = (size_t)strtoull(strchr(strstr((char *)rec, "total="), '=') + 1, NULL, 10);
            TML_LOGI("agent", "%s: resuming %s at block %u", a->endpoint, uri, next);
        }
        tml_free(rec);
    }
    if (a->dl.next_block == 0)
        a->pf.remove(a->pf.ctx, part_name(obj));
    a->dl.first_block = a->dl.next_block;
    if (obj == TML_LWM2M_OBJ_FIRMWARE) {
        a->fw_state = TML_FW_STATE_DOWNLOADING;
        a->fw_result = TML_FW_RESULT_INITIAL;
        snprintf(a->fw_uri, sizeof(a->fw_uri), "%s", uri);
    } else {
        a->sw_state = TML_SW_STATE_DOWNLOAD_STARTED;
        a->sw_result = TML_SW_RESULT_DOWNLOADING;
        a->status_reason[0] = 0;
        snprintf(a->sw_uri, sizeof(a->sw_uri), "%s", uri);
    }
    save_resume(a);
    agent_save_state(a);
}

static bool block_pending(const tml_agent_t *a)
{
    for (int i = 0; i < AGENT_MAX_TXN; i++)
        if (a->txn[i].kind == TXN_BLOCK)
            return true;
    return false;
}

void agent_install_step(tml_agent_t *a)
{
    if (!a->dl.active || block_pending(a))
        return;
    const char *path;
    if (check_uri(a->dl.uri, &path) != 0)
        return;
    tml_coap_msg_t m;
    tml_coap_init(&m, TML_COAP_CON, TML_COAP_GET, 0);
    char pbuf[256];
    snprintf(pbuf, sizeof(pbuf), "%s", path);
    char *q = strchr(pbuf, '?');
    if (q)
        *q = 0;
    tml_coap_add_path(&m, TML_COAP_OPT_URI_PATH, pbuf);
    tml_coap_add_uint(&m, TML_COAP_OPT_BLOCK2, tml_coap_block_encode(a->dl.next_block, false, a->dl.szx));
    agent_send_request(a, TXN_BLOCK, a->dl.chan, &m);
}

void agent_install_on_block_failed(tml_agent_t *a)
{
    uint16_t obj = a->dl.obj;
    save_resume(a); /* keep what we have: writing the same URI again resumes */
    stop_download(a, false);
    fail(a, obj, OUT_CONN_LOST, "connection lost during download");
}

static void process_downloaded(tml_agent_t *a, uint16_t obj);

void agent_install_on_block(tml_agent_t *a, const tml_coap_msg_t *m)
{
    uint16_t obj = a->dl.obj;
    if (!a->dl.active)
        return;
    if (m->code != TML_COAP_CONTENT) {
        stop_download(a, true);
        fail(a, obj, m->code >> 5 == 4 ? OUT_INVALID_URI : OUT_CONN_LOST,
             m->code == TML_COAP_NOT_FOUND ? "package URI: not found on the server" : "package server refused");
        return;
    }
    uint32_t b2, num;
    bool more;
    unsigned szx;
    if (!tml_coap_get_uint(m, TML_COAP_OPT_BLOCK2, &b2) || !tml_coap_block_decode(b2, &num, &more, &szx)) {
        if (a->dl.next_block == 0) { /* a small package in one response */
            num = 0;
            more = false;
            szx = a->dl.szx;
        } else {
            return; /* not what we asked for; the retransmission asks again */
        }
    }
    const tml_coap_opt_t *etag = tml_coap_find(m, TML_COAP_OPT_ETAG, NULL);
    uint8_t elen = etag && etag->len <= 8 ? (uint8_t)etag->len : 0;
    if (a->dl.etag_len && (elen != a->dl.etag_len || memcmp(etag->val, a->dl.etag, elen) != 0)) {
        /* The package changed under us (or we resumed a different one). */
        TML_LOGI("agent", "%s: package ETag changed, restarting the download", a->endpoint);
        a->pf.remove(a->pf.ctx, part_name(obj));
        a->dl.etag_len = 0;
        a->dl.next_block = 0;
        a->dl.first_block = 0;
        a->dl.offset = 0;
        a->dl.total = 0;
        save_resume(a);
        return;
    }
    if (!a->dl.etag_len && elen) {
        memcpy(a->dl.etag, etag->val, elen);
        a->dl.etag_len = elen;
    }
    if (szx < a->dl.szx && num == (a->dl.next_block << (a->dl.szx - szx))) {
        a->dl.next_block = num; /* the server prefers smaller blocks */
        a->dl.szx = szx;
    }
    if (num != a->dl.next_block || szx != a->dl.szx)
        return;
    uint32_t size2;
    if (tml_coap_get_uint(m, TML_COAP_OPT_SIZE2, &size2))
        a->dl.total = size2;
    size_t budget = obj == TML_LWM2M_OBJ_FIRMWARE
                        ? a->profile->flash_bytes - a->profile->model_flash_bytes + TML_SPKG_TRAILER_LEN
                        : a->profile->model_flash_bytes + TML_SPKG_TRAILER_LEN;
    size_t off = (size_t)num << (4 + szx);
    if (a->dl.total > budget || off + m->payload_len > budget) {
        stop_download(a, true);
        fail(a, obj, OUT_NO_STORAGE, "package larger than the storage for it");
        return;
    }
    if (m->payload_len &&
        a->pf.write_at(a->pf.ctx, part_name(obj), off, m->payload, m->payload_len) != TML_OK) {
        stop_download(a, true);
        fail(a, obj, OUT_NO_STORAGE, "cannot write the download to storage");
        return;
    }
    a->dl.offset = off + m->payload_len;
    if (more) {
        a->dl.next_block = num + 1;
        if (++a->dl.since_save >= a->cfg.resume_save_blocks)
            save_resume(a);
        return;
    }
    stop_download(a, false);
    a->pf.remove(a->pf.ctx, RESUME);
    process_downloaded(a, obj);
}

/* ---- Verification and slots -------------------------------------------------- */

/* Checks a complete download; on success *info is filled. */
static bool verify(tml_agent_t *a, uint16_t obj, const uint8_t *data, size_t len, tml_spkg_info_t *info)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_status_t st = tml_spkg_verify(data, len, a->have_trust_key ? a->trust_key : NULL, info, &err);
    char why[160];
    if (st == TML_ERR_UNSUPPORTED) {
        bool bare_tmlm = len >= 4 && data[0] == 'T' && data[1] == 'M' && data[2] == 'L' && data[3] == 'M';
        fail(a, obj, bare_tmlm ? OUT_INTEGRITY : OUT_UNSUPPORTED,
             bare_tmlm ? "package is not signed" : "not a signed package");
        return false;
    }
    if (st != TML_OK) {
        snprintf(why, sizeof(why), "%s", tml_err_message(&err));
        fail(a, obj, OUT_INTEGRITY, why);
        return false;
    }
    if (obj == TML_LWM2M_OBJ_FIRMWARE)
        return true;
    uint32_t arena = tml_rt_arena_len(data, info->pkg_len);
    if (arena == 0) {
        fail(a, obj, OUT_UNSUPPORTED, "signed payload is not a .tmlm model package");
        return false;
    }
    if (info->pkg_len > a->profile->model_flash_bytes) {
        snprintf(why, sizeof(why), "package is %u bytes, the profile allows %u", info->pkg_len,
                 a->profile->model_flash_bytes);
        fail(a, obj, OUT_NO_STORAGE, why);
        return false;
    }
    if (arena > a->profile->model_ram_bytes) {
        snprintf(why, sizeof(why), "model needs a %u-byte arena, the profile allows %u", arena,
                 a->profile->model_ram_bytes);
        fail(a, obj, OUT_NO_RAM, why);
        return false;
    }
    return true;
}

static void deliver_sw(tml_agent_t *a, uint8_t *data, size_t len)
{
    tml_spkg_info_t info;
    if (!verify(a, TML_LWM2M_OBJ_SOFTWARE, data, len, &info))
        return;
    /* The inactive slot: never the one the running model came from. */
    int slot = a->active_slot == 0 ? 1 : 0;
    char name[16];
    slot_name(slot, name, sizeof(name));
    if (a->pf.store(a->pf.ctx, name, data, len) != TML_OK) {
        fail(a, TML_LWM2M_OBJ_SOFTWARE, OUT_NO_STORAGE, "cannot write the inactive slot");
        return;
    }
    a->staged_slot = slot;
    a->sw_state = TML_SW_STATE_DELIVERED;
    a->sw_result = TML_SW_RESULT_DOWNLOADED_VERIFIED;
    snprintf(a->sw_name, sizeof(a->sw_name), "%s", info.name);
    snprintf(a->sw_version, sizeof(a->sw_version), "%s", info.version);
    a->status_reason[0] = 0;
    agent_save_state(a);
}

static void deliver_fw(tml_agent_t *a, uint8_t *data, size_t len)
{
    tml_spkg_info_t info;
    if (!verify(a, TML_LWM2M_OBJ_FIRMWARE, data, len, &info))
        return;
    if (a->pf.store(a->pf.ctx, "fw.staged", data, len) != TML_OK) {
        fail(a, TML_LWM2M_OBJ_FIRMWARE, OUT_NO_STORAGE, "cannot store the image");
        return;
    }
    snprintf(a->fw_name, sizeof(a->fw_name), "%s", info.name);
    snprintf(a->fw_version, sizeof(a->fw_version), "%s", info.version);
    a->fw_state = TML_FW_STATE_DOWNLOADED;
    a->fw_result = TML_FW_RESULT_INITIAL;
    agent_save_state(a);
}

static void process_downloaded(tml_agent_t *a, uint16_t obj)
{
    uint8_t *data;
    size_t len;
    if (a->pf.load(a->pf.ctx, part_name(obj), &data, &len) != TML_OK) {
        fail(a, obj, OUT_FAILED, "download vanished from storage");
        return;
    }
    if (obj == TML_LWM2M_OBJ_FIRMWARE)
        deliver_fw(a, data, len);
    else
        deliver_sw(a, data, len);
    tml_free(data);
    a->pf.remove(a->pf.ctx, part_name(obj));
}

/* ---- Object 9 operations ------------------------------------------------------ */

uint8_t agent_sw_set_uri(tml_agent_t *a, const char *uri)
{
    if (!uri[0]) { /* cancel */
        if (a->dl.active && a->dl.obj == TML_LWM2M_OBJ_SOFTWARE)
            stop_download(a, true);
        a->sw_state = a->model.loaded ? TML_SW_STATE_INSTALLED : TML_SW_STATE_INITIAL;
        a->sw_result = TML_SW_RESULT_INITIAL;
        agent_save_state(a);
        return TML_COAP_CHANGED;
    }
    if (a->dl.active && a->dl.obj == TML_LWM2M_OBJ_SOFTWARE)
        return strcmp(uri, a->dl.uri) ? TML_COAP_METHOD_NOT_ALLOWED : TML_COAP_CHANGED;
    if (a->dl.active)
        return TML_COAP_METHOD_NOT_ALLOWED; /* one download at a time */
    start_download(a, TML_LWM2M_OBJ_SOFTWARE, uri);
    return TML_COAP_CHANGED;
}

uint8_t agent_sw_push(tml_agent_t *a, const uint8_t *data, size_t len)
{
    if (a->dl.active)
        return TML_COAP_METHOD_NOT_ALLOWED;
    if (a->pf.store(a->pf.ctx, part_name(TML_LWM2M_OBJ_SOFTWARE), data, len) != TML_OK) {
        fail(a, TML_LWM2M_OBJ_SOFTWARE, OUT_NO_STORAGE, "cannot store the pushed package");
        return TML_COAP_CHANGED;
    }
    process_downloaded(a, TML_LWM2M_OBJ_SOFTWARE);
    return TML_COAP_CHANGED;
}

static bool load_slot(tml_agent_t *a, int slot, uint8_t **data, size_t *len)
{
    char name[16];
    slot_name(slot, name, sizeof(name));
    return a->pf.load(a->pf.ctx, name, data, len) == TML_OK;
}

uint8_t agent_sw_install(tml_agent_t *a)
{
    if (a->sw_state != TML_SW_STATE_DELIVERED || a->staged_slot < 0)
        return TML_COAP_METHOD_NOT_ALLOWED;
    uint8_t *data;
    size_t len;
    tml_spkg_info_t info;
    if (!load_slot(a, a->staged_slot, &data, &len)) {
        fail(a, TML_LWM2M_OBJ_SOFTWARE, OUT_FAILED, "staged package vanished");
        return TML_COAP_CHANGED;
    }
    /* Flash can rot between delivery and install: verify again, then let the
     * runtime validate the whole package. */
    if (verify(a, TML_LWM2M_OBJ_SOFTWARE, data, len, &info)) {
        uint32_t arena_len = tml_rt_arena_len(data, info.pkg_len);
        uint8_t *arena = tml_malloc(arena_len ? arena_len : 1);
        tml_rt_t rt;
        tml_status_t st = arena ? tml_rt_init(&rt, data, info.pkg_len, arena, arena_len, 0) : TML_ERR_NOMEM;
        tml_free(arena);
        if (st != TML_OK) {
            char why[96];
            snprintf(why, sizeof(why), "runtime refused the package: %s", tml_strerror(st));
            char name[16];
            slot_name(a->staged_slot, name, sizeof(name));
            a->pf.remove(a->pf.ctx, name);
            a->staged_slot = -1;
            fail(a, TML_LWM2M_OBJ_SOFTWARE, OUT_FAILED, why);
        } else {
            a->sw_state = TML_SW_STATE_INSTALLED;
            a->sw_result = TML_SW_RESULT_INSTALLED;
            a->sw_activated = false;
            agent_save_state(a);
        }
    }
    tml_free(data);
    return TML_COAP_CHANGED;
}

uint8_t agent_sw_activate(tml_agent_t *a)
{
    int slot = a->staged_slot >= 0 ? a->staged_slot : a->active_slot;
    if (a->sw_state != TML_SW_STATE_INSTALLED || slot < 0)
        return TML_COAP_METHOD_NOT_ALLOWED;
    if (a->model.loaded && slot == a->model.slot)
        return TML_COAP_CHANGED; /* already active */
    uint8_t *data;
    size_t len;
    if (!load_slot(a, slot, &data, &len)) {
        fail(a, TML_LWM2M_OBJ_SOFTWARE, OUT_FAILED, "installed package vanished");
        return TML_COAP_CHANGED;
    }
    agent_model_t next;
    char why[128];
    /* The self-test runs beside the running model, which keeps running. */
    if (agent_model_load(a, data, len, slot, &next, why, sizeof(why)) != TML_OK) {
        if (slot == a->staged_slot) { /* roll back: the previous slot stays active */
            char name[16];
            slot_name(slot, name, sizeof(name));
            a->pf.remove(a->pf.ctx, name);
            a->staged_slot = -1;
        }
        fail(a, TML_LWM2M_OBJ_SOFTWARE, OUT_FAILED, why);
        return TML_COAP_CHANGED;
    }
    agent_model_unload(&a->model);
    a->model = next;
    a->active_slot = slot;
    a->staged_slot = -1;
    a->sw_activated = true;
    a->sw_result = TML_SW_RESULT_INSTALLED;
    snprintf(a->sw_name, sizeof(a->sw_name), "%s", next.info.name);
    snprintf(a->sw_version, sizeof(a->sw_version), "%s", next.info.version);
    a->n_inferences = 0;
    a->last_output[0] = 0;
    agent_save_state(a);
    agent_infer(a); /* the first real result, right away */
    return TML_COAP_CHANGED;
}

uint8_t agent_sw_deactivate(tml_agent_t *a)
{
    if (!a->model.loaded)
        return TML_COAP_METHOD_NOT_ALLOWED;
    agent_model_unload(&a->model);
    a->sw_activated = false;
    agent_save_state(a);
    return TML_COAP_CHANGED;
}

uint8_t agent_sw_uninstall(tml_agent_t *a)
{
    char name[16];
    if (a->sw_state == TML_SW_STATE_DOWNLOAD_STARTED) {
        stop_download(a, true);
    } else if (a->staged_slot >= 0) {
        slot_name(a->staged_slot, name, sizeof(name));
        a->pf.remove(a->pf.ctx, name);
        a->staged_slot = -1;
    } else if (a->active_slot >= 0) {
        agent_model_unload(&a->model);
        slot_name(a->active_slot, name, sizeof(name));
        a->pf.remove(a->pf.ctx, name);
        a->active_slot = -1;
        a->sw_activated = false;
    } else if (a->sw_state == TML_SW_STATE_INITIAL) {
        return TML_COAP_METHOD_NOT_ALLOWED;
    }
    a->sw_state = a->model.loaded ? TML_SW_STATE_INSTALLED : TML_SW_STATE_INITIAL;
    a->sw_result = TML_SW_RESULT_INITIAL;
    snprintf(a->sw_name, sizeof(a->sw_name), "%s", a->model.loaded ? a->model.info.name : "");
    snprintf(a->sw_version, sizeof(a->sw_version), "%s", a->model.loaded ? a->model.info.version : "");
    agent_save_state(a);
    return TML_COAP_CHANGED;
}

/* ---- Object 5 operations ------------------------------------------------------- */

uint8_t agent_fw_set_uri(tml_agent_t *a, const char *uri)
{
    if (!uri[0]) { /* cancel / reset */
        if (a->dl.active && a->dl.obj == TML_LWM2M_OBJ_FIRMWARE)
            stop_download(a, true);
        a->pf.remove(a->pf.ctx, "fw.staged");
        a->fw_state = TML_FW_STATE_IDLE;
        a->fw_result = TML_FW_RESULT_INITIAL;
        a->fw_uri[0] = 0;
        agent_save_state(a);
        return TML_COAP_CHANGED;
    }
    if (a->dl.active)
        return TML_COAP_METHOD_NOT_ALLOWED;
    start_download(a, TML_LWM2M_OBJ_FIRMWARE, uri);
    return TML_COAP_CHANGED;
}

uint8_t agent_fw_push(tml_agent_t *a, const uint8_t *data, size_t len)
{
    if (len == 0)
        return agent_fw_set_uri(a, "");
    if (a->dl.active)
        return TML_COAP_METHOD_NOT_ALLOWED;
    if (a->pf.store(a->pf.ctx, part_name(TML_LWM2M_OBJ_FIRMWARE), data, len) != TML_OK) {
        fail(a, TML_LWM2M_OBJ_FIRMWARE, OUT_NO_STORAGE, "cannot store the pushed image");
        return TML_COAP_CHANGED;
    }
    process_downloaded(a, TML_LWM2M_OBJ_FIRMWARE);
    return TML_COAP_CHANGED;
}

uint8_t agent_fw_update(tml_agent_t *a)
{
    if (a->fw_state != TML_FW_STATE_DOWNLOADED)
        return TML_COAP_METHOD_NOT_ALLOWED;
    a->fw_state = TML_FW_STATE_UPDATING;
    uint8_t *data;
    size_t len;
    tml_spkg_info_t info;
    /* "Applying" the runtime image: it is verified once more and becomes
     * the firmware of record; a device port flashes it and reboots here. */
    if (a->pf.load(a->pf.ctx, "fw.staged", &data, &len) != TML_OK) {
        fail(a, TML_LWM2M_OBJ_FIRMWARE, OUT_FAILED, "staged image vanished");
        return TML_COAP_CHANGED;
    }
    if (verify(a, TML_LWM2M_OBJ_FIRMWARE, data, len, &info) &&
        a->pf.store(a->pf.ctx, "firmware", data, len) == TML_OK) {
        snprintf(a->firmware_version, sizeof(a->firmware_version), "%s", info.version);
        a->pf.remove(a->pf.ctx, "fw.staged");
        a->fw_state = TML_FW_STATE_IDLE;
        a->fw_result = TML_FW_RESULT_SUCCESS;
        agent_save_state(a);
    } else if (a->fw_state == TML_FW_STATE_UPDATING) {
        fail(a, TML_LWM2M_OBJ_FIRMWARE, OUT_FAILED, "image could not be applied");
    }
    tml_free(data);
    return TML_COAP_CHANGED;
}

/* ---- Restart ---------------------------------------------------------------------- */

void agent_install_restore(tml_agent_t *a)
{
    uint8_t *rec;
    size_t len;
    if (a->pf.load(a->pf.ctx, STATE, &rec, &len) != TML_OK)
        return;
    const char *t = (const char *)rec;
    a->sw_state = kv_int(t, "sw_state", 0);
    a->sw_result = kv_int(t, "sw_result", 0);
    a->sw_activated = kv_int(t, "sw_activated", 0) != 0;
    a->active_slot = kv_int(t, "active_slot", -1);
    a->staged_slot = kv_int(t, "staged_slot", -1);
    a->fw_state = kv_int(t, "fw_state", 0);
    a->fw_result = kv_int(t, "fw_result", 0);
    kv(t, "sw_name", a->sw_name, sizeof(a->sw_name));
    kv(t, "sw_version", a->sw_version, sizeof(a->sw_version));
    kv(t, "sw_uri", a->sw_uri, sizeof(a->sw_uri));
    kv(t, "fw_uri", a->fw_uri, sizeof(a->fw_uri));
    kv(t, "firmware_version", a->firmware_version, sizeof(a->firmware_version));
    tml_free(rec);
    /* The model that was active comes back (after its self-test). */
    if (a->sw_activated && a->active_slot >= 0) {
        uint8_t *data;
        size_t dlen;
        char why[128];
        if (!load_slot(a, a->active_slot, &data, &dlen) ||
            agent_model_load(a, data, dlen, a->active_slot, &a->model, why, sizeof(why)) != TML_OK) {
            a->sw_activated = false;
            TML_LOGW("agent", "%s: the active model did not come back after restart", a->endpoint);
        }
    }
    /* An interrupted download continues. */
    if (a->sw_state == TML_SW_STATE_DOWNLOAD_STARTED && a->sw_uri[0])
        start_download(a, TML_LWM2M_OBJ_SOFTWARE, a->sw_uri);
    else if (a->fw_state == TML_FW_STATE_DOWNLOADING && a->fw_uri[0])
        start_download(a, TML_LWM2M_OBJ_FIRMWARE, a->fw_uri);
}
