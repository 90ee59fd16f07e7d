/*
 * pkg.h - the .tmlm package format, shared by the compiler (writer) and the
 * runtime (loader). Freestanding: fixed-width types only.
 *
 * A package is one little-endian blob that the runtime executes in place,
 * from flash: constant data (weights) are never copied to RAM, only
 * activations live in the caller's arena. Every record is naturally aligned
 * with no padding so the loader can cast instead of parse; the loader
 * validates every count, offset and length before the first kernel runs.
 *
 * Layout (docs/package-format.md has the full description):
 *   header (128 B) | tensors | ops | operands | params | io | strings | const
 * Each section starts 16-byte aligned; const data is 16-byte aligned within.
 */
#ifndef TML_PKG_H
#define TML_PKG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TML_PKG_MAGIC 0x4D4C4D54u /* "TMLM" read as little-endian u32 */
#define TML_PKG_VERSION_MAJOR 1u  /* incompatible layout changes */
#define TML_PKG_VERSION_MINOR 0u  /* additions a v1 loader may ignore */
#define TML_PKG_ALIGN 16u
#define TML_PKG_MAX_DIMS 6
#define TML_PKG_NONE 0xFFFFFFFFu  /* an absent optional operand */

/* Element types. Values are part of the format: append only. */
typedef enum tml_dtype {
    TML_DT_UNKNOWN = 0,
    TML_DT_F32 = 1,
    TML_DT_I8 = 2,
    TML_DT_U8 = 3,
    TML_DT_I16 = 4,
    TML_DT_I32 = 5,
    TML_DT_I64 = 6,
    TML_DT_BOOL = 7,
    TML_DT_COUNT
} tml_dtype_t;

/* Kernels the runtime can run: an op specialised for its operand dtypes.
 * Values are part of the format: append only, never renumber. The params
 * struct of each kernel is in tml/kernels.h. */
typedef enum tml_kernel {
    TML_K_CONV2D_S8 = 0,
    TML_K_CONV2D_F32 = 1,
    TML_K_DWCONV2D_S8 = 2,
    TML_K_DWCONV2D_F32 = 3,
    TML_K_FC_S8 = 4,
    TML_K_FC_F32 = 5,
    TML_K_AVGPOOL_S8 = 6,
    TML_K_AVGPOOL_F32 = 7,
    TML_K_MAXPOOL_S8 = 8,
    TML_K_MAXPOOL_F32 = 9,
    TML_K_ADD_S8 = 10,
    TML_K_ADD_F32 = 11,
    TML_K_MUL_S8 = 12,
    TML_K_MUL_F32 = 13,
    TML_K_COPY = 14,          /* RESHAPE and friends: bytes unchanged */
    TML_K_SOFTMAX_S8 = 15,
    TML_K_SOFTMAX_F32 = 16,
    TML_K_QUANTIZE_F32_S8 = 17,
    TML_K_DEQUANTIZE_S8_F32 = 18,
    TML_K_REQUANTIZE_S8 = 19, /* QUANTIZE int8 -> int8 with new params */
    TML_K_CONCAT = 20,        /* byte-wise along an axis, any dtype */
    TML_K_PAD = 21,           /* byte-wise with a fill value, any dtype */
    TML_K_MEAN_S8 = 22,
    TML_K_MEAN_F32 = 23,
    TML_K_LOGISTIC_S8 = 24,
    TML_K_LOGISTIC_F32 = 25,
    TML_K_TANH_S8 = 26,
    TML_K_TANH_F32 = 27,
    TML_K_RELU_S8 = 28,       /* RELU, RELU6, RELU_N1_TO_1: requantize + clamp */
    TML_K_CLAMP_F32 = 29,     /* float RELU/RELU6/Clip: clamp to [min, max] */
    TML_K_HARD_SWISH_S8 = 30,
    TML_K_HARD_SWISH_F32 = 31,
    TML_K_SUB_F32 = 32,       /* broadcasting, tml/kernels/extra.h */
    TML_K_DIV_F32 = 33,
    TML_K_TRANSPOSE = 34,     /* byte-wise, any dtype */
    TML_K_LEAKY_RELU_F32 = 35,
    TML_K_PRELU_F32 = 36,
    TML_K_SLICE = 37,         /* byte-wise strided, any dtype */
    TML_K_HARD_SIGMOID_F32 = 38, /* SPLIT lowers to one SLICE per output */
    TML_K_CONV2D_S8_DSP = 39,     /* int8 kernels for the DSP extension */
    TML_K_CONV2D_1X1_S8_DSP = 40,
    TML_K_DWCONV2D_S8_DSP = 41,
    TML_K_FC_S8_DSP = 42,
    TML_K_CONV2D_DIRECT_S8_DSP = 43,
    TML_K_ADD_S8_LUT = 44,        /* ADD_S8 with the input rescales tabulated */
    TML_K_DWCONV2D_3X3_S8_DSP = 45, /* 3x3 depthwise, input re-paired in a stack ring */
    /* 46 reserved for a further DSP kernel; 50..59 memory-saving kernels */
    TML_K_CONV2D_1X1_S8_DSPW = 47, /* DSP convs: widened activations, requant records */
    TML_K_CONV2D_S8_DSPW = 48,
    TML_K_CONV2D_S8_INPLACE = 50, /* output may overlap input: tml/kernels/inplace.h */
    TML_K_DWCONV2D_S8_INPLACE = 51,
    TML_K_RESBLOCK_S8 = 52,       /* conv, conv, add row-streamed over its input */
    /* 49, 60..63: speed kernels for the DSP extension (IC model) */
    TML_K_CONV2D_4PX_S8_DSP = 49, /* 4 output pixels per pass, int16 im2col scratch */
    TML_K_ADD_S8_DSP = 60,        /* ADD_S8_LUT, dense operands, cheap requant */
    TML_K_CONV2D_4PX_OUT_S8_DSP = 61, /* CONV2D_4PX, its scratch in the output's tail */
    TML_K_COUNT
} tml_kernel_t;

/* Where a tensor's bytes live. */
enum tml_pkg_storage {
    TML_PKG_ARENA = 0, /* data_off is an offset into the caller's arena */
    TML_PKG_CONST = 1, /* data_off is an offset into the const section */
};

typedef struct tml_pkg_header {
    uint32_t magic;            /* TML_PKG_MAGIC */
    uint16_t version_major;    /* TML_PKG_VERSION_MAJOR */
    uint16_t version_minor;
    uint32_t header_len;       /* sizeof(tml_pkg_header_t) */
    uint32_t total_len;        /* whole package in bytes */
    uint32_t header_crc32;     /* CRC-32 (IEEE) of the header with this field 0 */
    uint32_t flags;            /* none defined yet; must be 0 */
    uint32_t n_tensors, tensors_off;   /* tml_pkg_tensor_t[n_tensors] */
    uint32_t n_ops, ops_off;           /* tml_pkg_op_t[n_ops], in execution order */
    uint32_t n_operands, operands_off; /* uint32_t tensor indices, see tml_pkg_op_t */
    uint32_t n_params, params_off;     /* int32_t words of kernel params */
    uint32_t n_inputs, n_outputs;      /* graph inputs and outputs */
    uint32_t io_off;                   /* uint32_t[n_inputs + n_outputs] tensor indices */
    uint32_t strings_len, strings_off; /* NUL-terminated names */
    uint32_t name_off;                 /* model name: offset within strings */
    uint32_t const_len, const_off;     /* constant data */
    uint32_t arena_len;                /* planned arena peak incl. I/O and scratch */
    uint32_t reserved;                 /* zero */
    uint8_t body_sha256[32];           /* SHA-256 of bytes [header_len, total_len) */
} tml_pkg_header_t;

typedef struct tml_pkg_tensor {
    uint8_t dtype;             /* tml_dtype_t */
    uint8_t n_dims;            /* 0..TML_PKG_MAX_DIMS */
    uint8_t storage;           /* enum tml_pkg_storage */
    uint8_t reserved;          /* zero */
    int32_t dims[TML_PKG_MAX_DIMS]; /* unused trailing dims are 1 */
    uint32_t data_off;         /* see storage */
    uint32_t byte_len;         /* product(dims) * dtype size */
    float scale;               /* per-tensor quantization scale, 0 if none */
    int32_t zero_point;
    uint32_t name_off;         /* within strings; TML_PKG_NONE if unnamed */
} tml_pkg_tensor_t;

/* One kernel call. Its operands are operands[operands_idx ..
 * operands_idx + n_inputs + n_outputs): inputs first, then outputs (a
 * kernel's scratch buffer, if any, is its last output). */
typedef struct tml_pkg_op {
    uint16_t kernel;           /* tml_kernel_t */
    uint8_t n_inputs;
    uint8_t n_outputs;
    uint32_t operands_idx;
    uint32_t params_idx;       /* first int32 word in the params section */
    uint32_t n_params;         /* words; the kernel's params struct size / 4 */
} tml_pkg_op_t;

_Static_assert(sizeof(tml_pkg_header_t) == 128, "package header is 128 bytes");
_Static_assert(sizeof(tml_pkg_tensor_t) == 48, "tensor record is 48 bytes");
_Static_assert(sizeof(tml_pkg_op_t) == 16, "op record is 16 bytes");

/* Size in bytes of one element of dtype, 0 for unknown. */
static inline uint32_t tml_dtype_size(uint32_t dtype)
{
    switch (dtype) {
    case TML_DT_F32: case TML_DT_I32: return 4;
    case TML_DT_I8: case TML_DT_U8: case TML_DT_BOOL: return 1;
    case TML_DT_I16: return 2;
    case TML_DT_I64: return 8;
    default: return 0;
    }
}

#ifdef __cplusplus
}
#endif
#endif /* TML_PKG_H */
