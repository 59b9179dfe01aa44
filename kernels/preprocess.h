// Image preprocessing for CLIP-style vision towers: uint8 RGB HWC -> resize shortest side (PIL
// bicubic, bit-exact) -> centre crop -> rescale -> normalise -> float CHW. CPU twin and CUDA twin.
#pragma once

#include <cstdint>

namespace ml::kernels {

// Where a centre crop starts when the margin is odd (and how a too-small image is zero-padded).
enum class CropRounding {
    Floor, // Hugging Face image_transforms.center_crop: top = (H - cropH) // 2
    Round, // torchvision CenterCrop (openai/CLIP, OpenCLIP): int(round((H - cropH) / 2.0)), half to even
};

// Defaults are CLIPImageProcessor's (openai/clip-vit-base-patch32 preprocessor_config.json).
struct PreprocessParams {
    int shortestEdge = 224;
    int cropHeight = 224;
    int cropWidth = 224;
    CropRounding crop = CropRounding::Floor;
    bool doResize = true;
    bool doCrop = true;
    double rescale = 1.0 / 255.0;                           // applied in float64, then cast to float32 (HF rescale)
    float mean[3] = {0.48145466f, 0.4578275f, 0.40821073f}; // OPENAI_CLIP_MEAN
    float std[3] = {0.26862954f, 0.26130258f, 0.27577711f}; // OPENAI_CLIP_STD
};

struct ResizedSize {
    int height;
    int width;
};

// Where the output comes from: the resized image is resizedH x resizedW; output pixel (y, x) is
// resized pixel (top + y, left + x), zero (before normalising) where that lies outside it.
struct PreprocessGeometry {
    int resizedHeight, resizedWidth;
    int top, left;
    int outHeight, outWidth;
};

// HF get_resize_output_image_size(default_to_square=False): short side -> shortestEdge, long
// side -> int(shortestEdge * long / short) (truncated).
ResizedSize shortestEdgeSize(int h, int w, int shortestEdge);
PreprocessGeometry preprocessGeometry(int h, int w, const PreprocessParams &params);

// PIL 9.4 Image.resize(BICUBIC) for 8-bit images, bit-exact; channels 1..4, rows packed, each
// band resampled on its own (PIL's L, RGB, RGBX, CMYK; PIL premultiplies RGBA/LA first, this does not).
// All functions are reentrant: no global state, scratch memory per call.
void resizeBicubicPil(const uint8_t *src, int srcH, int srcW, uint8_t *dst, int dstH, int dstW, int channels);

// The uint8 crop that preprocessing normalises: [outH, outW, 3], computing only those pixels.
void resizeCropCpu(const uint8_t *rgb, int h, int w, const PreprocessParams &params, uint8_t *hwcOut);

// chwOut: [3, outHeight, outWidth] float32 (see preprocessGeometry).
void preprocessCpu(const uint8_t *rgb, int h, int w, const PreprocessParams &params, float *chwOut);
// n images of one size, packed: rgb [n, h, w, 3] -> chwOut [n, 3, outH, outW].
void preprocessBatchCpu(const uint8_t *rgb, int n, int h, int w, const PreprocessParams &params, float *chwOut);

#ifdef MODALLENS_HAVE_CUDA
bool cudaDeviceAvailable();

// Same signatures and the same bytes/floats as the CPU twins; pointers are device memory, work
// is queued on `stream` (a cudaStream_t; nullptr = default stream). Throws std::runtime_error
// on a CUDA error.
void resizeBicubicPilCuda(const uint8_t *srcDevice, int srcH, int srcW, uint8_t *dstDevice, int dstH, int dstW,
    int channels, void *stream = nullptr);
void resizeCropCuda(const uint8_t *rgbDevice, int h, int w, const PreprocessParams &params, uint8_t *hwcOutDevice,
    void *stream = nullptr);
void preprocessCuda(const uint8_t *rgbDevice, int h, int w, const PreprocessParams &params, float *chwOutDevice,
    void *stream = nullptr);
void preprocessBatchCuda(const uint8_t *rgbDevice, int n, int h, int w, const PreprocessParams &params,
    float *chwOutDevice, void *stream = nullptr);
#endif

} // namespace ml::kernels
