"""What each node does in the stand-in: no model, tiny real images whose colour follows the seed (and the style image's
colour when an IPAdapter applied it), files really written to and read from the input and output folders."""
import asyncio
import io
import posixpath
import struct
from typing import Any

from PIL import Image

PREVIEW_IMAGE = 1  # server.py BinaryEventTypes.PREVIEW_IMAGE


class NodeFailed(Exception):
    def __init__(self, node_id: str, class_type: str, inputs: dict):
        super().__init__(node_id)
        self.node_id, self.class_type, self.inputs = node_id, class_type, inputs

    def details(self, prompt_id: str, executed: list[str]) -> dict:
        """The execution_error message's data (execution.py handle_execution_error)."""
        return {
            "prompt_id": prompt_id, "node_id": self.node_id, "node_type": self.class_type, "executed": executed,
            "exception_message": "Allocation on device: out of memory\n", "exception_type": "torch.OutOfMemoryError",
            "traceback": ['  File "execution.py", line 1, in execute\n'],
            "current_inputs": {k: [str(v)] for k, v in self.inputs.items()}, "current_outputs": executed,
        }


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def seed_colour(seed: int) -> tuple[int, int, int]:
    return seed * 97 % 256, seed * 57 % 256, seed * 31 % 256


class Nodes:
    def __init__(self, execution: Any):
        self.run, self.server = execution, execution.server

    async def CheckpointLoaderSimple(self, node_id, ckpt_name):
        return ({"style": None}, "clip", "vae")

    async def CLIPTextEncode(self, node_id, text, clip):
        return ({"text": text},)

    async def EmptyLatentImage(self, node_id, width, height, batch_size):
        return ({"width": width // 8 * 8, "height": height // 8 * 8, "batch": batch_size, "colour": (0, 0, 0)},)

    async def LoadImage(self, node_id, image):
        with Image.open(self.server.input_dir / image) as picture:
            colour = picture.convert("RGB").getpixel((0, 0))
            return ({"width": picture.width, "height": picture.height, "batch": 1, "colour": colour}, "mask")

    async def ImageScale(self, node_id, image, upscale_method, width, height, crop):
        return ({**image, "width": width or image["width"], "height": height or image["height"]},)

    async def VAEEncode(self, node_id, pixels, vae):
        return (dict(pixels),)

    async def IPAdapterUnifiedLoader(self, node_id, model, preset, ipadapter=None):
        return (model, {"preset": preset})

    async def IPAdapterAdvanced(self, node_id, model, ipadapter, image, weight, weight_type, combine_embeds, start_at,
                                end_at, embeds_scaling, **optional):
        return ({**model, "style": {"colour": image["colour"], "weight": weight, "type": weight_type}},)

    async def KSampler(self, node_id, model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image,
                       denoise):
        for value in range(1, steps + 1):
            if self.server.script.step_seconds:
                await self.server.sleep(self.server.script.step_seconds)
            self.run.check_interrupt()  # sampling checks for an interrupt at every step
            await self.run.message("progress", {"value": value, "max": steps, "node": node_id}, keep=False)
            if value == 1:
                await self.server.send(PREVIEW_IMAGE, struct.pack(">I", 2) + png(8, 8, seed_colour(seed)), self.run.client)
        colour = seed_colour(seed)
        style = model.get("style")
        if style:  # the style image's colour, as far as the weight takes it
            share = max(0.0, min(1.0, style["weight"]))
            colour = tuple(round(c * (1 - share) + s * share) for c, s in zip(colour, style["colour"]))
        return ({**latent_image, "colour": colour},)

    async def VAEDecode(self, node_id, samples, vae):
        return (dict(samples),)

    async def SaveImage(self, node_id, images, filename_prefix):
        """nodes.py SaveImage: `{prefix}_{counter:05}_.png` in the output folder's subfolder; ui {"images": [...]}."""
        subfolder, prefix = posixpath.split(filename_prefix)
        folder = self.server.output_dir / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for _ in range(images["batch"]):
            filename = f"{prefix}_{next(self.server.file_counter):05}_.png"
            (folder / filename).write_bytes(png(images["width"], images["height"], images["colour"]))
            saved.append({"filename": filename, "subfolder": subfolder, "type": "output"})
        self.run.ui[node_id] = {"images": saved}
        if node_id not in self.server.script.drop_executed_for:
            await self.run.message("executed", {"node": node_id, "display_node": node_id, "output": {"images": saved}},
                                   keep=False)
        await asyncio.sleep(0)
        return ()
