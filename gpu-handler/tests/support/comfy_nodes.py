"""The node classes the stand-in knows: their inputs, as ComfyUI's INPUT_TYPES states them, and what they return."""
INT, FLOAT, STRING = "INT", "FLOAT", "STRING"
MAX_RESOLUTION = 16384
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_2m_sde", "ddim"]
SCHEDULERS = ["normal", "karras", "exponential", "simple", "sgm_uniform"]


def node_types(checkpoints: list[str], input_files: list[str]) -> dict[str, dict]:
    """class_type -> {"required": {name: (type, options)}, "returns": (...), "output": bool}."""
    size = {"min": 16, "max": MAX_RESOLUTION, "step": 8}
    return {
        "CheckpointLoaderSimple": {"required": {"ckpt_name": (checkpoints, {})}, "returns": ("MODEL", "CLIP", "VAE")},
        "CLIPTextEncode": {"required": {"text": (STRING, {"multiline": True}), "clip": ("CLIP", {})},
                           "returns": ("CONDITIONING",)},
        "EmptyLatentImage": {"required": {"width": (INT, size), "height": (INT, size),
                                          "batch_size": (INT, {"min": 1, "max": 4096})}, "returns": ("LATENT",)},
        "KSampler": {"required": {
            "model": ("MODEL", {}), "seed": (INT, {"min": 0, "max": 0xFFFFFFFFFFFFFFFF}),
            "steps": (INT, {"min": 1, "max": 10000}), "cfg": (FLOAT, {"min": 0.0, "max": 100.0}),
            "sampler_name": (SAMPLERS, {}), "scheduler": (SCHEDULERS, {}),
            "positive": ("CONDITIONING", {}), "negative": ("CONDITIONING", {}), "latent_image": ("LATENT", {}),
            "denoise": (FLOAT, {"min": 0.0, "max": 1.0})}, "returns": ("LATENT",)},
        "VAEDecode": {"required": {"samples": ("LATENT", {}), "vae": ("VAE", {})}, "returns": ("IMAGE",)},
        "VAEEncode": {"required": {"pixels": ("IMAGE", {}), "vae": ("VAE", {})}, "returns": ("LATENT",)},
        "SaveImage": {"required": {"images": ("IMAGE", {}), "filename_prefix": (STRING, {})}, "returns": (), "output": True},
        "LoadImage": {"required": {"image": (sorted(input_files), {})}, "returns": ("IMAGE", "MASK")},
        "ImageScale": {"required": {
            "image": ("IMAGE", {}), "upscale_method": (["nearest-exact", "bilinear", "area", "bicubic", "lanczos"], {}),
            "width": (INT, {"min": 0, "max": MAX_RESOLUTION}), "height": (INT, {"min": 0, "max": MAX_RESOLUTION}),
            "crop": (["disabled", "center"], {})}, "returns": ("IMAGE",)},
        "LatentBlend": {"required": {"samples1": ("LATENT", {}), "samples2": ("LATENT", {}),
                                     "blend_factor": (FLOAT, {"min": 0.0, "max": 1.0})}, "returns": ("LATENT",)},
    }
