"""The node classes the stand-in knows, as data copied from their real definitions (INPUT_TYPES, RETURN_TYPES,
OUTPUT_NODE). Core nodes: ComfyUI's nodes.py (the class named). IPAdapter nodes: cubiq/ComfyUI_IPAdapter_plus at
commit 9d076a3df0d2763cef5510ec5ab807f6632c39f5, IPAdapterPlus.py, at the lines named. The workflows are validated
against these, so a workflow that names an input the real node lacks, or a value it refuses, fails here too."""
INT, FLOAT, STRING, BOOLEAN = "INT", "FLOAT", "STRING", "BOOLEAN"
MAX_RESOLUTION = 16384  # nodes.py MAX_RESOLUTION
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_3m_sde", "ddim", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta"]
# IPAdapterPlus.py:42
WEIGHT_TYPES = ["linear", "ease in", "ease out", "ease in-out", "reverse in-out", "weak input", "weak output",
                "weak middle", "strong middle", "style transfer", "composition", "strong style transfer",
                "style and composition", "style transfer precise", "composition precise"]
EMBEDS_SCALING = ["V only", "K+V", "K+V w/ C penalty", "K+mean(V) w/ C penalty"]
COMBINE_EMBEDS = ["concat", "add", "subtract", "average", "norm average"]
IPADAPTER_PRESETS = ["LIGHT - SD1.5 only (low strength)", "STANDARD (medium strength)", "VIT-G (medium strength)",
                     "PLUS (high strength)", "PLUS FACE (portraits)", "FULL FACE - SD1.5 only (portraits stronger)"]


def node_types(checkpoints: list[str], input_files: list[str]) -> dict[str, dict]:
    """class_type -> {"required": {name: (type, options)}, "optional": {...}, "returns": (...), "output": bool}."""
    size = {"default": 512, "min": 16, "max": MAX_RESOLUTION, "step": 8}
    return {
        # nodes.py: CheckpointLoaderSimple
        "CheckpointLoaderSimple": {"required": {"ckpt_name": (checkpoints, {})}, "returns": ("MODEL", "CLIP", "VAE")},
        # nodes.py: CLIPTextEncode
        "CLIPTextEncode": {"required": {"text": (STRING, {"multiline": True}), "clip": ("CLIP", {})},
                           "returns": ("CONDITIONING",)},
        # nodes.py: EmptyLatentImage
        "EmptyLatentImage": {"required": {"width": (INT, size), "height": (INT, size),
                                          "batch_size": (INT, {"default": 1, "min": 1, "max": 4096})},
                             "returns": ("LATENT",)},
        # nodes.py: KSampler
        "KSampler": {"required": {
            "model": ("MODEL", {}), "seed": (INT, {"min": 0, "max": 0xFFFFFFFFFFFFFFFF}),
            "steps": (INT, {"default": 20, "min": 1, "max": 10000}),
            "cfg": (FLOAT, {"default": 8.0, "min": 0.0, "max": 100.0}),
            "sampler_name": (SAMPLERS, {}), "scheduler": (SCHEDULERS, {}),
            "positive": ("CONDITIONING", {}), "negative": ("CONDITIONING", {}), "latent_image": ("LATENT", {}),
            "denoise": (FLOAT, {"default": 1.0, "min": 0.0, "max": 1.0})}, "returns": ("LATENT",)},
        # nodes.py: VAEDecode, VAEEncode
        "VAEDecode": {"required": {"samples": ("LATENT", {}), "vae": ("VAE", {})}, "returns": ("IMAGE",)},
        "VAEEncode": {"required": {"pixels": ("IMAGE", {}), "vae": ("VAE", {})}, "returns": ("LATENT",)},
        # nodes.py: SaveImage (OUTPUT_NODE = True)
        "SaveImage": {"required": {"images": ("IMAGE", {}), "filename_prefix": (STRING, {"default": "ComfyUI"})},
                      "returns": (), "output": True},
        # nodes.py: LoadImage (its list is the files in the input folder)
        "LoadImage": {"required": {"image": (sorted(input_files), {"image_upload": True})}, "returns": ("IMAGE", "MASK")},
        # nodes.py: ImageScale
        "ImageScale": {"required": {
            "image": ("IMAGE", {}), "upscale_method": (["nearest-exact", "bilinear", "area", "bicubic", "lanczos"], {}),
            "width": (INT, {"default": 512, "min": 0, "max": MAX_RESOLUTION}),
            "height": (INT, {"default": 512, "min": 0, "max": MAX_RESOLUTION}),
            "crop": (["disabled", "center"], {})}, "returns": ("IMAGE",)},
        # IPAdapterPlus.py:553-563 (IPAdapterUnifiedLoader.INPUT_TYPES, RETURN_TYPES)
        "IPAdapterUnifiedLoader": {"required": {"model": ("MODEL", {}), "preset": (IPADAPTER_PRESETS, {})},
                                   "optional": {"ipadapter": ("IPADAPTER", {})}, "returns": ("MODEL", "IPADAPTER")},
        # IPAdapterPlus.py:758-779 (IPAdapterAdvanced.INPUT_TYPES, RETURN_TYPES)
        "IPAdapterAdvanced": {"required": {
            "model": ("MODEL", {}), "ipadapter": ("IPADAPTER", {}), "image": ("IMAGE", {}),
            "weight": (FLOAT, {"default": 1.0, "min": -1, "max": 5, "step": 0.05}),
            "weight_type": (WEIGHT_TYPES, {}), "combine_embeds": (COMBINE_EMBEDS, {}),
            "start_at": (FLOAT, {"default": 0.0, "min": 0.0, "max": 1.0, "step": 0.001}),
            "end_at": (FLOAT, {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.001}),
            "embeds_scaling": (EMBEDS_SCALING, {})},
            "optional": {"image_negative": ("IMAGE", {}), "attn_mask": ("MASK", {}), "clip_vision": ("CLIP_VISION", {})},
            "returns": ("MODEL",)},
    }
