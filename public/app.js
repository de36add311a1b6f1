// Easel's gallery: submit jobs, watch them live (Server-Sent Events), browse past jobs.
// Plain modules, no build step: the Worker serves this file as a static asset.

const KEY_STORAGE = "easel.apiKey";
const TERMINAL = new Set(["completed", "failed", "canceled", "timed_out"]);
const $ = (selector) => document.querySelector(selector);

let apiKey = localStorage.getItem(KEY_STORAGE) ?? "";
let watching = null; // AbortController of the open event stream
let nextCursor = null;

class ApiError extends Error {}

async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const fields = (payload.error?.details ?? []).map((d) => `${d.path}: ${d.message}`).join("; ");
    throw new ApiError(`${payload.error?.message ?? `HTTP ${response.status}`}${fields ? ` (${fields})` : ""}`);
  }
  return payload;
}

// The bytes go from the browser to the URL the API gives: a presigned PUT straight to the bucket,
// or the Worker's own upload route when the store cannot presign. The browser sets Content-Length
// itself from the file, which must be the size the URL was signed for.
async function upload(file) {
  const target = await api("/api/uploads", { method: "POST", body: { contentType: file.type, contentLength: file.size } });
  const put = await fetch(target.url, { method: target.method, headers: target.headers, body: file });
  if (!put.ok) {
    const reason = (await put.json().catch(() => null))?.error?.message;
    throw new ApiError(`the upload of ${file.name} was refused (HTTP ${put.status}${reason ? `: ${reason}` : ""})`);
  }
  return target.key;
}

// EventSource cannot send an Authorization header, so the stream is read with fetch.
async function* serverSentEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { id: null, type: "message", data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (event.data.length) yield { id: event.id, type: event.type, data: JSON.parse(event.data.join("\n")) };
        event = { id: null, type: "message", data: [] };
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event.type = text;
        else if (field === "data") event.data.push(text);
        else if (field === "id") event.id = text;
      }
    }
  }
}

/** Follows a job's events until its final `end` event, resuming with Last-Event-ID if the connection drops. */
async function watch(jobId) {
  watching?.abort();
  const controller = (watching = new AbortController());
  let lastEventId = null;
  for (let attempt = 0; attempt < 20 && !controller.signal.aborted; attempt++) {
    try {
      const response = await fetch(`/api/jobs/${jobId}/events`, {
        headers: { authorization: `Bearer ${apiKey}`, ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
        signal: controller.signal,
      });
      if (!response.ok) throw new ApiError(`events answered HTTP ${response.status}`);
      for await (const event of serverSentEvents(response.body)) {
        if (event.id) lastEventId = event.id;
        if (event.type === "end") return loadJobs();
        onEvent(event);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      setStatus(`connection lost (${error.message}); reconnecting…`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function onEvent({ type, data }) {
  if (type === "progress") {
    setProgress(data.progress);
    setStatus(`running: ${data.message ?? `${Math.round(data.progress)}%`}`);
  } else if (type === "image") {
    addImage(data);
    setStatus(`image ${data.index + 1} arrived`);
  } else if (type === "image_rejected") {
    setStatus(`image ${data.index + 1} was rejected: ${data.reason}`);
  } else if (TERMINAL.has(type)) {
    if (type === "completed") setProgress(100);
    setStatus(type === "completed" ? `completed: ${data.images} images` : `${type}: ${data.error}`, type);
  }
}

function setProgress(percent) {
  $("#progress-bar").style.width = `${Math.max(0, Math.min(100, percent))}%`;
}

function setStatus(text, status = "") {
  const element = $("#current-status");
  element.textContent = text;
  element.dataset.status = status;
}

function addImage(image) {
  const grid = $("#current-images");
  if (grid.querySelector(`[data-index="${image.index}"]`)) return;
  const figure = document.createElement("figure");
  figure.dataset.index = image.index;
  const link = Object.assign(document.createElement("a"), { href: image.url, target: "_blank", rel: "noopener" });
  link.append(Object.assign(document.createElement("img"), { src: image.url, alt: `image ${image.index + 1}`, loading: "lazy" }));
  const caption = document.createElement("figcaption");
  caption.textContent = `#${image.index} · ${image.width}×${image.height} · ${(image.size / 1024).toFixed(0)} KB`;
  figure.append(link, caption);
  const after = [...grid.children].find((child) => Number(child.dataset.index) > image.index);
  grid.insertBefore(figure, after ?? null);
}

function showJob(job) {
  $("#current").hidden = false;
  $("#current-id").textContent = job.id;
  $("#current-images").replaceChildren();
  setProgress(job.progress);
  for (const image of job.images) addImage(image);
  if (TERMINAL.has(job.status)) {
    watching?.abort();
    setStatus(job.status === "completed" ? `completed: ${job.images.length} images` : `${job.status}: ${job.error ?? ""}`, job.status);
  } else {
    setStatus(job.status);
    watch(job.id);
  }
}

async function loadJobs(more = false) {
  if (!apiKey) return;
  const query = `?limit=10${more && nextCursor ? `&cursor=${encodeURIComponent(nextCursor)}` : ""}`;
  const page = await api(`/api/jobs${query}`);
  nextCursor = page.nextCursor;
  $("#more").hidden = !nextCursor;
  const items = page.jobs.map((job) => {
    const item = document.createElement("li");
    item.dataset.status = job.status;
    const thumb = job.images[0] ? Object.assign(document.createElement("img"), { src: job.images[0].url, alt: "" }) : document.createElement("span");
    thumb.className = "thumb";
    const text = document.createElement("span");
    text.textContent = `${job.type} · ${job.status} · ${job.images.length} images · ${new Date(job.createdAt).toLocaleString()}`;
    item.append(thumb, text);
    item.addEventListener("click", async () => showJob(await api(`/api/jobs/${job.id}`)));
    return item;
  });
  if (more) $("#jobs").append(...items);
  else $("#jobs").replaceChildren(...items);
}

async function submitJob(form) {
  const data = new FormData(form);
  const type = data.get("type");
  const size = Number(data.get("size"));
  const input = { prompt: String(data.get("prompt") ?? "").trim(), width: size, height: size, num_images: Number(data.get("num_images")) };
  if (data.get("seed")) input.seed = Number(data.get("seed"));
  if (type === "style-transfer") {
    const style = data.get("style");
    const content = data.get("content");
    if (!style?.size || !content?.size) throw new ApiError("choose a style image and a content image");
    $("#form-error").textContent = "uploading the images…";
    [input.style_image, input.content_image] = await Promise.all([upload(style), upload(content)]);
    input.strength = Number(data.get("strength"));
  }
  const job = await api("/api/jobs", { method: "POST", body: { type, input } });
  $("#form-error").textContent = "";
  showJob(job);
  loadJobs();
}

function wire() {
  $("#api-key").value = apiKey;
  $("#key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    apiKey = $("#api-key").value.trim();
    try {
      await loadJobs();
      localStorage.setItem(KEY_STORAGE, apiKey);
      $("#key-status").textContent = "key accepted";
    } catch (error) {
      $("#key-status").textContent = error.message;
    }
  });
  $("#job-form").addEventListener("change", () => {
    $(".style-only").hidden = new FormData($("#job-form")).get("type") !== "style-transfer";
  });
  $("#job-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("#submit").disabled = true;
    try {
      await submitJob(event.target);
    } catch (error) {
      $("#form-error").textContent = error.message;
    } finally {
      $("#submit").disabled = false;
    }
  });
  $("#refresh").addEventListener("click", () => loadJobs());
  $("#more").addEventListener("click", () => loadJobs(true));
  if (apiKey) loadJobs().catch((error) => ($("#key-status").textContent = error.message));
}

wire();
