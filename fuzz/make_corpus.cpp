// The fuzz targets' seed corpora, made by the project's own writers (no binary corpus is kept in
// git): make_corpus OUT writes OUT/<target>/<seed> for every target of fuzz/CMakeLists.txt.
#include "bpe_fuzz.h"
#include "common/error.h"
#include "io/safetensors_f32.h"

#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#include "io/media_encode.h"
#endif
#ifdef MODALLENS_HAVE_INDEX
#include "index/library.h"

#include <sqlite3.h>
#endif

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

void write(const fs::path &file, const std::string &bytes)
{
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw ml::Error(file.string() + ": cannot write");
}

// A safetensors file from a header and data, with the length prefix written here.
std::string rawSafetensors(const std::string &header, const std::string &data)
{
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return out + header + data;
}

void safetensorsSeeds(const fs::path &dir)
{
    fs::create_directories(dir);
    ml::io::saveSafetensorsF32(dir / "f32.safetensors",
        {{"weight", {{2, 3}, {0, 1, 2, 3, 4, 5}}}, {"bias", {{3}, {0.5f, -1, 2}}}, {"empty", {{0, 3}, {}}},
            {"scalar", {{}, {1.5f}}}},
        {{"format", "pt"}});
    // Other dtypes, and layouts the writer never makes (unaligned, out of order), written by hand.
    write(dir / "dtypes.safetensors",
        rawSafetensors(R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},)"
                       R"("half":{"dtype":"BF16","shape":[2,2],"data_offsets":[16,24]},)"
                       R"("mask":{"dtype":"BOOL","shape":[3],"data_offsets":[24,27]},)"
                       R"("bytes":{"dtype":"U8","shape":[1],"data_offsets":[27,28]}})",
            std::string(16, '\x02') + std::string(8, '\x3f') + std::string("\x01\x00\x01\x07", 4)));
    write(dir / "empty_header.safetensors", rawSafetensors("{}", ""));
    write(dir / "metadata_only.safetensors", rawSafetensors(R"({"__metadata__":{"a":"b"}})", ""));
    write(dir / "unaligned.safetensors",
        rawSafetensors(R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},)"
                       R"("a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
            std::string(9, '\x01')));
}

const std::vector<std::pair<std::string, std::string>> kConfigs = {
    {"clip.json",
        R"({"architectures":["CLIPModel"],"initializer_factor":1.0,"logit_scale_init_value":2.6592,"model_type":"clip","projection_dim":32,"text_config":{"bos_token_id":0,"eos_token_id":2,"hidden_size":32,"intermediate_size":128,"model_type":"clip_text_model","num_attention_heads":4,"num_hidden_layers":2},"torch_dtype":"float16","transformers_version":"4.40.2","vision_config":{"hidden_size":128,"intermediate_size":512,"model_type":"clip_vision_model","num_attention_heads":2,"num_hidden_layers":2}})"},
    {"clip_preprocessor.json",
        R"({"_valid_processor_keys":["images","do_resize","size","resample","do_center_crop","crop_size","do_rescale","rescale_factor","do_normalize","image_mean","image_std","do_convert_rgb","return_tensors","data_format","input_data_format"],"crop_size":{"height":224,"width":224},"do_center_crop":true,"do_convert_rgb":true,"do_normalize":true,"do_rescale":true,"do_resize":true,"image_mean":[0.48145466,0.4578275,0.40821073],"image_processor_type":"CLIPImageProcessor","image_std":[0.26862954,0.26130258,0.27577711],"processor_class":"CLIPProcessor","resample":3,"rescale_factor":0.00392156862745098,"size":{"shortest_edge":224}})"},
    {"open_clip.json",
        R"({"model_cfg":{"embed_dim":32,"quick_gelu":true,"vision_cfg":{"image_size":224,"layers":2,"width":128,"patch_size":32,"head_width":64},"text_cfg":{"context_length":77,"vocab_size":49408,"width":32,"heads":4,"layers":2}},"preprocess_cfg":{"mean":[0.48145466,0.4578275,0.40821073],"std":[0.26862954,0.26130258,0.27577711],"interpolation":"bicubic","resize_mode":"shortest"}})"},
    {"unet2d.json",
        R"({"_class_name":"UNet2DModel","_diffusers_version":"0.27.2","act_fn":"silu","add_attention":true,"attention_head_dim":null,"attn_norm_num_groups":null,"block_out_channels":[16,32,32,32],"center_input_sample":false,"class_embed_type":null,"down_block_types":["DownBlock2D","AttnDownBlock2D","DownBlock2D","DownBlock2D"],"downsample_padding":0,"downsample_type":"conv","dropout":0.0,"flip_sin_to_cos":false,"freq_shift":1,"in_channels":3,"layers_per_block":1,"mid_block_scale_factor":1,"norm_eps":1e-06,"norm_num_groups":8,"num_class_embeds":null,"num_train_timesteps":null,"out_channels":3,"resnet_time_scale_shift":"default","sample_size":16,"time_embedding_type":"positional","up_block_types":["UpBlock2D","UpBlock2D","AttnUpBlock2D","UpBlock2D"],"upsample_type":"conv"})"},
    {"unet2d_cifar10.json",
        R"({"_class_name":"UNet2DModel","_diffusers_version":"0.0.4","act_fn":"silu","block_out_channels":[128,256,256,256],"center_input_sample":false,"down_block_types":["DownBlock2D","AttnDownBlock2D","DownBlock2D","DownBlock2D"],"downsample_padding":0,"flip_sin_to_cos":false,"freq_shift":1,"in_channels":3,"layers_per_block":2,"mid_block_scale_factor":1,"norm_eps":1e-06,"norm_num_groups":32,"out_channels":3,"sample_size":32,"time_embedding_type":"positional","up_block_types":["UpBlock2D","UpBlock2D","AttnUpBlock2D","UpBlock2D"]})"},
    {"scheduler_ddpm.json",
        R"({"_class_name":"DDPMScheduler","_diffusers_version":"0.27.2","beta_end":0.02,"beta_schedule":"linear","beta_start":0.0001,"clip_sample":true,"clip_sample_range":1.0,"dynamic_thresholding_ratio":0.995,"num_train_timesteps":1000,"prediction_type":"epsilon","rescale_betas_zero_snr":false,"sample_max_value":1.0,"steps_offset":0,"thresholding":false,"timestep_spacing":"leading","trained_betas":null,"variance_type":"fixed_small"})"},
    {"scheduler_ddim.json",
        R"({"_class_name":"DDIMScheduler","_diffusers_version":"0.27.2","beta_end":0.02,"beta_schedule":"linear","beta_start":0.0001,"clip_sample":true,"clip_sample_range":1.0,"dynamic_thresholding_ratio":0.995,"num_train_timesteps":1000,"prediction_type":"epsilon","rescale_betas_zero_snr":false,"sample_max_value":1.0,"set_alpha_to_one":true,"steps_offset":0,"thresholding":false,"timestep_spacing":"leading","trained_betas":null})"},
    {"blip2.json",
        R"({"architectures":["Blip2ForConditionalGeneration"],"initializer_factor":1.0,"initializer_range":0.02,"model_type":"blip-2","num_query_tokens":8,"qformer_config":{"encoder_hidden_size":32,"hidden_size":32,"intermediate_size":64,"model_type":"blip_2_qformer","num_attention_heads":4,"num_hidden_layers":3},"text_config":{"ffn_dim":64,"hidden_size":16,"max_position_embeddings":64,"model_type":"opt","num_attention_heads":2,"num_hidden_layers":2,"word_embed_proj_dim":16},"torch_dtype":"float16","transformers_version":"4.40.2","use_decoder_only_language_model":true,"vision_config":{"hidden_size":32,"initializer_range":0.02,"intermediate_size":128,"model_type":"blip_2_vision_model","num_attention_heads":4,"num_hidden_layers":2,"patch_size":32}})"},
    {"llava.json",
        R"({"architectures":["LlavaForConditionalGeneration"],"ignore_index":-100,"image_token_index":32000,"model_type":"llava","pad_token_id":32001,"projector_hidden_act":"gelu","text_config":{"hidden_size":16,"intermediate_size":48,"max_position_embeddings":4096,"model_type":"llama","num_attention_heads":2,"num_hidden_layers":2,"num_key_value_heads":2,"pad_token_id":0,"rms_norm_eps":1e-05,"vocab_size":32064},"torch_dtype":"float16","transformers_version":"4.40.2","vision_config":{"hidden_size":32,"image_size":224,"intermediate_size":128,"model_type":"clip_vision_model","num_attention_heads":4,"num_hidden_layers":3,"patch_size":32,"projection_dim":32},"vision_feature_layer":-2,"vision_feature_select_strategy":"default"})"},
    {"empty.json", "{}"},
};

void configSeeds(const fs::path &dir)
{
    for (const auto &[name, text] : kConfigs)
        write(dir / name, text);
}

// Text seeds start with the two bytes bpe_fuzz.h reads: mode, then encode options.
void tokenizerSeeds(const fs::path &dir, const ml::fuzz::TinyBpeFiles &files, const std::string &config)
{
    const std::vector<std::string> texts = {"a photo of a cat", "The cat's photo, 42 times!",
        "caf\xc3\xa9 \xe2\x80\x94 na\xc3\xafve \xf0\x9f\x98\x80", "<|endoftext|>hello<|startoftext|>",
        "  tabs\tand\nlines  ", "&amp; &lt;b&gt; \xc3\x83\xc2\xa9", "\xff\xfe broken \xc3 utf-8"};
    for (std::size_t i = 0; i < texts.size(); ++i)
        write(dir / ("text" + std::to_string(i)), std::string {'\0', static_cast<char>(i % 16)} + texts[i]);
    write(dir / "folder",
        std::string {'\xff', '\x01'} + files.vocab + std::string(1, '\0') + files.merges + std::string(1, '\0')
            + config);
}

// protobuf wire format, for a small SentencePiece ModelProto.
std::string varint(std::uint64_t v)
{
    std::string out;
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    return out + static_cast<char>(v);
}

std::string field(int number, const std::string &payload)
{
    return varint(static_cast<std::uint64_t>(number) << 3 | 2) + varint(payload.size()) + payload;
}

std::string varintField(int number, std::uint64_t value)
{
    return varint(static_cast<std::uint64_t>(number) << 3) + varint(value);
}

void llamaTokenizerSeeds(const fs::path &dir)
{
    // ModelProto: pieces (1: piece, 2: score as fixed32, 3: type), trainer_spec (2: model_type 3,
    // vocab_size 4, byte_fallback 35), normalizer_spec (3: name 1, add_dummy_prefix 3).
    std::string pieces;
    const std::vector<std::pair<std::string, int>> list
        = {{"<unk>", 2}, {"<s>", 3}, {"</s>", 3}, {"<0x0A>", 6}, {"\xe2\x96\x81", 1}, {"a", 1},
            {"\xe2\x96\x81"
             "cat",
                1}};
    for (const auto &[piece, type] : list)
        pieces += field(1, field(1, piece) + std::string("\x15\x00\x00\x80\xbf", 5) + varintField(3, type));
    const std::string trainer = field(2, varintField(3, 2) + varintField(4, list.size()) + varintField(35, 1));
    const std::string normalizer = field(3, field(1, "identity") + varintField(3, 1));
    write(dir / "with_normalizer.model", pieces + trainer + normalizer);
    write(dir / "no_normalizer.model", pieces + trainer);
}

#ifdef MODALLENS_HAVE_MEDIA
ml::io::RgbImage gradient(int w, int h, int shift)
{
    ml::io::RgbImage image {w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h * 3)};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            std::uint8_t *px = image.row(y) + 3 * x;
            px[0] = static_cast<std::uint8_t>(x * 255 / w);
            px[1] = static_cast<std::uint8_t>((y * 255 / h + shift) & 0xff);
            px[2] = static_cast<std::uint8_t>(x < w / 2 ? 255 : 0);
        }
    return image;
}

// A JPEG with an EXIF APP1 segment holding only an orientation (as cameras write it).
std::string withExifOrientation(const std::string &jpeg, int orientation)
{
    const std::string tiff = std::string("II*\0\x08\0\0\0", 8) + std::string("\x01\0", 2) // one IFD entry
        + std::string("\x12\x01\x03\0\x01\0\0\0", 8) + static_cast<char>(orientation) + std::string(3, '\0')
        + std::string(4, '\0');
    const std::string payload = std::string("Exif\0\0", 6) + tiff;
    const std::size_t length = payload.size() + 2;
    const std::string app1
        = std::string("\xff\xe1", 2) + static_cast<char>(length >> 8) + static_cast<char>(length & 0xff);
    return jpeg.substr(0, 2) + app1 + payload + jpeg.substr(2);
}

void imageSeeds(const fs::path &dir)
{
    const ml::io::RgbImage image = gradient(16, 12, 0);
    for (const char *ext : {".jpg", ".png", ".webp", ".bmp", ".tif"}) {
        const auto bytes = ml::io::encodeImage(image, ext, 80);
        write(dir / (std::string("gradient") + ext), std::string(bytes.begin(), bytes.end()));
    }
    const auto jpeg = ml::io::encodeImage(gradient(24, 8, 0), ".jpg", 60);
    write(dir / "exif6.jpg", withExifOrientation(std::string(jpeg.begin(), jpeg.end()), 6));
}

void videoSeeds(const fs::path &dir)
{
    fs::create_directories(dir);
    struct Clip {
        const char *name, *codec;
        int rotation;
    };
    for (const Clip &clip : {Clip {"h264.mp4", "h264", 0}, Clip {"rot90.mp4", "h264", 90}, Clip {"vp9.webm", "vp9", 0},
             Clip {"mpeg4.avi", "mpeg4", 0}, Clip {"h264.ts", "h264", 0}}) {
        try {
            ml::io::VideoEncoder encoder;
            encoder.open(dir / clip.name, clip.codec, 32, 24, 5.0, clip.rotation);
            for (int i = 0; i < 6; ++i)
                encoder.write(gradient(32, 24, 40 * i));
            encoder.finish();
        } catch (const ml::Error &e) { // an FFmpeg without that encoder: the other seeds still come
            std::cerr << "make_corpus: skipped " << clip.name << ": " << e.what() << "\n";
        }
    }
}
#endif

#ifdef MODALLENS_HAVE_INDEX
void librarySeeds(const fs::path &dir)
{
    fs::create_directories(dir);
    const fs::path file = dir / "library.db";
    fs::remove(file);
    {
        auto lib = ml::index::Library::open(file);
        lib->addFolder(dir);
        ml::index::ScanPlan plan;
        for (int i = 0; i < 3; ++i) {
            ml::index::ScannedFile f;
            f.path = (dir / ("photo" + std::to_string(i) + (i == 2 ? ".mp4" : ".jpg"))).string();
            f.folderRoot = dir.string();
            f.size = 1000 + i;
            f.mtimeNs = 1'700'000'000'000'000'000 + i;
            f.contentHash = "00112233445566" + std::to_string(10 + i);
            f.kind = i == 2 ? ml::index::MediaKind::Video : ml::index::MediaKind::Image;
            plan.toEmbed.push_back(f);
        }
        lib->apply(plan);
        lib->registerModel({"clip-mini", "CLIP mini", "/models/clip-mini", "cafe", 4});
        lib->registerModel({"clip-f32", "CLIP f32", "/models/clip-f32", "beef", 4});
        std::vector<ml::index::FileVectors> batch;
        for (const auto &f : plan.toEmbed) {
            ml::index::FileVectors v {f.fileId, {}};
            if (f.kind == ml::index::MediaKind::Video) {
                v.vectors.push_back({0.0, {1, 0, 0, 0}});
                v.vectors.push_back({1.5, {0, 1, 0, 0}});
            } else {
                v.vectors.push_back({-1, {0.5f, 0.5f, 0.5f, static_cast<float>(f.fileId)}});
            }
            batch.push_back(v);
        }
        lib->commitEmbeddings("clip-mini", batch);
        lib->commitEmbeddings("clip-f32", {batch.front()}, ml::index::VectorDtype::F32);
        lib->setFileError(plan.toEmbed.back().fileId, "truncated video");
    }
    write(dir / "new.db", ""); // an empty file: a new library, migrated from version 0
    // Someone else's SQLite database.
    const fs::path foreign = dir / "foreign.db";
    fs::remove(foreign);
    sqlite3 *db = nullptr;
    if (sqlite3_open(foreign.c_str(), &db) != SQLITE_OK
        || sqlite3_exec(db,
               "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes VALUES (1, 'x');", nullptr,
               nullptr, nullptr)
            != SQLITE_OK)
        throw ml::Error(foreign.string() + ": " + sqlite3_errmsg(db));
    sqlite3_close(db);
}
#endif

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: make_corpus OUT_DIR (writes OUT_DIR/<fuzz target>/...)\n";
        return 2;
    }
    const fs::path out = argv[1];
    try {
        safetensorsSeeds(out / "fuzz_safetensors");
        configSeeds(out / "fuzz_config");
        tokenizerSeeds(out / "fuzz_clip_tokenizer",
            ml::fuzz::tinyBpeFiles("</w>", {"<|startoftext|>", "<|endoftext|>"}, false),
            R"({"pad_token": "!", "model_max_length": 77})");
        tokenizerSeeds(out / "fuzz_gpt2_tokenizer", ml::fuzz::tinyBpeFiles("", {"<|endoftext|>", "<pad>"}, false),
            R"({"add_bos_token": true, "add_prefix_space": true, "model_max_length": 16, "pad_token": "<pad>"})");
        llamaTokenizerSeeds(out / "fuzz_llama_tokenizer");
#ifdef MODALLENS_HAVE_MEDIA
        imageSeeds(out / "fuzz_image");
        videoSeeds(out / "fuzz_video");
#endif
#ifdef MODALLENS_HAVE_INDEX
        librarySeeds(out / "fuzz_library");
#endif
    } catch (const std::exception &e) {
        std::cerr << "make_corpus: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
