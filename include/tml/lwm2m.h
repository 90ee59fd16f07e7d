/*
 * lwm2m.h - the LwM2M core shared by the server (tmlaasd) and the device
 * agent (tml-agent): paths, values, the object/resource model of the objects
 * we speak, and the content formats TLV (11542), SenML-JSON (110), plain text
 * (0), opaque (42) and CoRE link format (40), in both directions.
 *
 * Design: a payload decodes into a flat list of records, each a full path
 * (/obj/inst/res[/ri]) and a value; encoding goes the other way. TLV and
 * plain text carry no types, so their values come out as TML_LWM2M_T_RAW or
 * _STRING and are given their declared types by tml_lwm2m_records_type(),
 * which looks each resource up in the object model. Decoders never trust a
 * length: every one is checked against what is left, and nesting is bounded.
 */
#ifndef TML_LWM2M_H
#define TML_LWM2M_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Content formats (CoAP Content-Format numbers) ----------------------- */
#define TML_LWM2M_CF_TEXT 0
#define TML_LWM2M_CF_LINK 40
#define TML_LWM2M_CF_OPAQUE 42
#define TML_LWM2M_CF_SENML_JSON 110
#define TML_LWM2M_CF_TLV 11542
#define TML_LWM2M_CF_JSON_OLD 11543 /* LwM2M 1.0 JSON: recognised, not spoken */

/* ---- Objects we know ------------------------------------------------------
 * The two ML objects are in the range 26241-32768 that the OMNA registry
 * leaves to vendors for private reuse; their definitions are in
 * docs/objects/ as OMA-style XML. */
#define TML_LWM2M_OBJ_SECURITY 0
#define TML_LWM2M_OBJ_SERVER 1
#define TML_LWM2M_OBJ_DEVICE 3
#define TML_LWM2M_OBJ_FIRMWARE 5
#define TML_LWM2M_OBJ_SOFTWARE 9
#define TML_LWM2M_OBJ_ML_CAPS 32101
#define TML_LWM2M_OBJ_ML_INFER 32102

/* Object 5 Firmware Update: state (/5/0/3) and update result (/5/0/5). */
enum {
    TML_FW_STATE_IDLE = 0, TML_FW_STATE_DOWNLOADING = 1, TML_FW_STATE_DOWNLOADED = 2,
    TML_FW_STATE_UPDATING = 3,
};
enum {
    TML_FW_RESULT_INITIAL = 0, TML_FW_RESULT_SUCCESS = 1, TML_FW_RESULT_NO_STORAGE = 2,
    TML_FW_RESULT_NO_RAM = 3, TML_FW_RESULT_CONN_LOST = 4, TML_FW_RESULT_INTEGRITY = 5,
    TML_FW_RESULT_UNSUPPORTED_TYPE = 6, TML_FW_RESULT_INVALID_URI = 7,
    TML_FW_RESULT_FAILED = 8, TML_FW_RESULT_UNSUPPORTED_PROTOCOL = 9,
};

/* Object 9 Software Management: update state (/9/x/7), result (/9/x/9). */
enum {
    TML_SW_STATE_INITIAL = 0, TML_SW_STATE_DOWNLOAD_STARTED = 1, TML_SW_STATE_DOWNLOADED = 2,
    TML_SW_STATE_DELIVERED = 3, TML_SW_STATE_INSTALLED = 4,
};
enum {
    TML_SW_RESULT_INITIAL = 0, TML_SW_RESULT_DOWNLOADING = 1, TML_SW_RESULT_INSTALLED = 2,
    TML_SW_RESULT_DOWNLOADED_VERIFIED = 3, TML_SW_RESULT_NO_STORAGE = 50,
    TML_SW_RESULT_NO_MEMORY = 51, TML_SW_RESULT_CONN_LOST = 52, TML_SW_RESULT_INTEGRITY = 53,
    TML_SW_RESULT_UNSUPPORTED_TYPE = 54, TML_SW_RESULT_INVALID_URI = 56,
    TML_SW_RESULT_DEVICE_ERROR = 57, TML_SW_RESULT_INSTALL_FAILED = 58,
    TML_SW_RESULT_UNINSTALL_FAILED = 59,
};

/* ---- Paths ------------------------------------------------------------------ */
#define TML_LWM2M_ID_MAX 65534u /* 65535 is reserved by the spec */

typedef struct tml_lwm2m_path {
    uint16_t id[4]; /* object, instance, resource, resource instance */
    uint8_t len;    /* ids in use: 0 (root) .. 4 */
} tml_lwm2m_path_t;

/* Parses "/3/0/1", "3/0/1", "/" or "" (root). Ids must be decimal 0..65534
 * without sign or leading zeros beyond "0"; at most 4 levels. */
tml_status_t tml_lwm2m_path_parse(const char *s, size_t len, tml_lwm2m_path_t *out,
                                  tml_err_t *err);
/* Builds a path of n ids (n <= 4). */
tml_lwm2m_path_t tml_lwm2m_path_make(int n, uint16_t obj, uint16_t inst, uint16_t res,
                                     uint16_t ri);
/* Writes "/3/0/1" ("/" for the root) into buf; returns the length it needs
 * (snprintf style), so cap 24 always suffices. */
int tml_lwm2m_path_format(const tml_lwm2m_path_t *p, char *buf, size_t cap);
/* Whether prefix is p or one of its ancestors. */
bool tml_lwm2m_path_has_prefix(const tml_lwm2m_path_t *p, const tml_lwm2m_path_t *prefix);
/* Total order: by ids, shorter first on ties. */
int tml_lwm2m_path_cmp(const tml_lwm2m_path_t *a, const tml_lwm2m_path_t *b);

/* ---- Values and records -------------------------------------------------- */
typedef enum tml_lwm2m_type {
    TML_LWM2M_T_NONE = 0, /* a record without a value (e.g. in a link) */
    TML_LWM2M_T_STRING,
    TML_LWM2M_T_INT,
    TML_LWM2M_T_UINT,
    TML_LWM2M_T_FLOAT,
    TML_LWM2M_T_BOOL,
    TML_LWM2M_T_OPAQUE,
    TML_LWM2M_T_TIME,
    TML_LWM2M_T_OBJLNK,
    TML_LWM2M_T_RAW, /* TLV bytes whose type the payload does not say */
    TML_LWM2M_T_COUNT
} tml_lwm2m_type_t;

typedef struct tml_lwm2m_value {
    tml_lwm2m_type_t type;
    union {
        int64_t i;  /* INT, TIME */
        uint64_t u; /* UINT */
        double f;   /* FLOAT */
        bool b;     /* BOOL */
        struct { uint16_t obj, inst; } lnk; /* OBJLNK */
    } u;
    uint8_t *bytes; /* STRING (NUL-terminated, len excludes it), OPAQUE, RAW */
    size_t len;
} tml_lwm2m_value_t;

typedef struct tml_lwm2m_record {
    tml_lwm2m_path_t path;
    tml_lwm2m_value_t v;
} tml_lwm2m_record_t;

/* A growable list of records; owns every record's bytes. */
typedef struct tml_lwm2m_records {
    tml_lwm2m_record_t *recs;
    size_t n, cap;
} tml_lwm2m_records_t;

void tml_lwm2m_records_init(tml_lwm2m_records_t *r);
void tml_lwm2m_records_free(tml_lwm2m_records_t *r);
/* Appends a copy of v (bytes copied) at path. */
tml_status_t tml_lwm2m_records_add(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *path,
                                   const tml_lwm2m_value_t *v);
tml_status_t tml_lwm2m_records_add_int(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                       int64_t i);
tml_status_t tml_lwm2m_records_add_float(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                         double f);
tml_status_t tml_lwm2m_records_add_bool(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                        bool b);
tml_status_t tml_lwm2m_records_add_str(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                       const char *s);
tml_status_t tml_lwm2m_records_add_opaque(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                          const void *data, size_t len);
tml_status_t tml_lwm2m_records_add_objlnk(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                          uint16_t obj, uint16_t inst);
/* The first record at exactly path, or NULL. */
const tml_lwm2m_record_t *tml_lwm2m_records_find(const tml_lwm2m_records_t *r,
                                                 const tml_lwm2m_path_t *path);
/* Sorts by path (stable for equal paths). */
void tml_lwm2m_records_sort(tml_lwm2m_records_t *r);

/* Value accessors. They convert where the LwM2M formats allow it: an int
 * from INT/UINT/TIME/BOOL, from TLV RAW (1, 2, 4 or 8 bytes big-endian) or from a
 * decimal STRING (plain text); a float from FLOAT, INT or RAW (4/8 bytes
 * IEEE) or STRING; a bool from BOOL, RAW (1 byte 0/1) or STRING "0"/"1". */
tml_status_t tml_lwm2m_value_int(const tml_lwm2m_value_t *v, int64_t *out);
tml_status_t tml_lwm2m_value_float(const tml_lwm2m_value_t *v, double *out);
tml_status_t tml_lwm2m_value_bool(const tml_lwm2m_value_t *v, bool *out);
/* The text of a STRING, or of RAW/OPAQUE bytes when they hold no NUL; copies
 * at most cap-1 bytes and NUL-terminates. TML_ERR_NOMEM if it did not fit. */
tml_status_t tml_lwm2m_value_str(const tml_lwm2m_value_t *v, char *buf, size_t cap);

/* ---- Object model ------------------------------------------------------- */
#define TML_LWM2M_OP_R 1u
#define TML_LWM2M_OP_W 2u
#define TML_LWM2M_OP_E 4u

typedef struct tml_lwm2m_res_def {
    uint16_t id;
    const char *name;
    uint8_t type;     /* tml_lwm2m_type_t; NONE for executables */
    uint8_t ops;      /* TML_LWM2M_OP_* */
    bool multiple;
    bool mandatory;
} tml_lwm2m_res_def_t;

typedef struct tml_lwm2m_obj_def {
    uint16_t id;
    const char *name;
    const char *version; /* object version, "1.0", "1.1" */
    bool multiple;
    const tml_lwm2m_res_def_t *res;
    size_t n_res;
} tml_lwm2m_obj_def_t;

/* Definitions of objects 0, 1, 3, 5, 9 and the two ML objects. */
const tml_lwm2m_obj_def_t *tml_lwm2m_obj_find(uint16_t obj);
const tml_lwm2m_res_def_t *tml_lwm2m_res_find(uint16_t obj, uint16_t res);

/* Gives every RAW or STRING record whose resource the model knows its
 * declared type (the payload of a TLV or plain-text read). Records the model
 * does not know stay as they are. Fails with TML_ERR_CORRUPT, naming the
 * path, when bytes cannot be read as the declared type. */
tml_status_t tml_lwm2m_records_type(tml_lwm2m_records_t *r, tml_err_t *err);

/* ---- Content formats --------------------------------------------------------
 * tml_lwm2m_encode: the records (all at or under base) as fmt; *out (caller
 * frees with tml_free) holds *out_len bytes. TEXT and OPAQUE take exactly one
 * record at base. TLV needs base at least /obj.
 * tml_lwm2m_decode: appends the records the payload holds, resolved against
 * base (the request's path), to *out. On error nothing is appended and err
 * names what is wrong. */
tml_status_t tml_lwm2m_encode(uint16_t fmt, const tml_lwm2m_path_t *base,
                              const tml_lwm2m_records_t *recs, uint8_t **out, size_t *out_len,
                              tml_err_t *err);
tml_status_t tml_lwm2m_decode(uint16_t fmt, const tml_lwm2m_path_t *base, const uint8_t *data,
                              size_t len, tml_lwm2m_records_t *out, tml_err_t *err);

/* The per-format entry points behind the two above. */
tml_status_t tml_lwm2m_tlv_encode(const tml_lwm2m_path_t *base, const tml_lwm2m_records_t *recs,
                                  uint8_t **out, size_t *out_len, tml_err_t *err);
tml_status_t tml_lwm2m_tlv_decode(const tml_lwm2m_path_t *base, const uint8_t *data, size_t len,
                                  tml_lwm2m_records_t *out, tml_err_t *err);
tml_status_t tml_lwm2m_senml_encode(const tml_lwm2m_path_t *base,
                                    const tml_lwm2m_records_t *recs, uint8_t **out,
                                    size_t *out_len, tml_err_t *err);
tml_status_t tml_lwm2m_senml_decode(const tml_lwm2m_path_t *base, const uint8_t *data,
                                    size_t len, tml_lwm2m_records_t *out, tml_err_t *err);
tml_status_t tml_lwm2m_text_encode(const tml_lwm2m_value_t *v, uint8_t **out, size_t *out_len,
                                   tml_err_t *err);

/* Base64 (standard or URL alphabet, padding optional) for SenML "vd".
 * Decoding writes at most cap bytes; returns TML_ERR_CORRUPT on bad input. */
tml_status_t tml_base64_decode(const char *s, size_t len, uint8_t *out, size_t cap,
                               size_t *out_len);
/* Encodes in the URL alphabet without padding (RFC 8428); out needs
 * 4 * ((len + 2) / 3) + 1 bytes. Returns the length written (NUL excluded). */
size_t tml_base64_encode(const uint8_t *data, size_t len, char *out);

/* ---- CoRE link format (RFC 6690) ------------------------------------------
 * The registration payload ("</>;rt=\"oma.lwm2m\";ct=110,</1/0>,</3/0>")
 * and the Discover answer ("</3/0/1>;dim=2"). */
typedef struct tml_lwm2m_link {
    char *uri;       /* what is between < and >, owned */
    char *attrs;     /* ";..." after it without the leading ';', owned, "" if none */
    bool has_path;   /* uri (after the alternate path, if any) is an LwM2M path */
    tml_lwm2m_path_t path;
} tml_lwm2m_link_t;

typedef struct tml_lwm2m_links {
    tml_lwm2m_link_t *links;
    size_t n, cap;
    char alt_path[64]; /* from "</alt>;rt=\"oma.lwm2m\"", "" if none */
} tml_lwm2m_links_t;

void tml_lwm2m_links_init(tml_lwm2m_links_t *l);
void tml_lwm2m_links_free(tml_lwm2m_links_t *l);
tml_status_t tml_lwm2m_links_parse(const char *s, size_t len, tml_lwm2m_links_t *out,
                                   tml_err_t *err);
/* Value of attribute name in attrs ("ver=1.1;dim=2"), quotes removed, into
 * buf; TML_ERR_NOT_FOUND if absent. A flag attribute without '=' gives "". */
tml_status_t tml_lwm2m_link_attr(const char *attrs, const char *name, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* TML_LWM2M_H */
