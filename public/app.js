// Easel's gallery: submit jobs, watch them live, browse past jobs, all through @easel/client
// (easel-client.js: its browser bundle, built from packages/client by `npm install` and before
// `wrangler dev` and `wrangler deploy`).
import { EaselClient, EaselError, FINAL_JOB_STATUSES, JOB_EVENT_NAMES, TERMINAL_JOB_EVENTS } from "./easel-client.js";

const KEY_STORAGE = "easel.apiKey";
const PAGE_SIZE = 10;
const $ = (selector) => document.querySelector(selector);

let easel = clientFor(localStorage.getItem(KEY_STORAGE) ?? "");
let watching = null; // AbortController of the open event stream
let nextCursor = null;

function clientFor(apiKey) {
  return new EaselClient({ baseUrl: location.origin, apiKey });
}

const showListError = (error) => ($("#key-status").textContent = describe(error));

/** The API's message, and for a 400 the failing fields. */
function describe(error) {
  if (!(error instanceof EaselError)) return error.message;
  const fields = Array.isArray(error.details) ? error.details.map((detail) => `${detail.path}: ${detail.message}`).join("; ") : "";
  return `${error.message}${fields ? ` (${fields})` : ""}`;
}

// What each live event does to the page; the terminal ones (from the contract) end the job.
const onEvent = {
  progress(data) {
    setProgress(data.progress);
    setStatus(`running: ${data.message ?? `${Math.round(data.progress)}%`}`);
  },
  image(data) {
    addImage(data);
    setStatus(`image ${data.index + 1} arrived`);
  },
  image_rejected(data) {
    setStatus(`image ${data.index + 1} was rejected: ${data.reason}`);
  },
  ...Object.fromEntries(TERMINAL_JOB_EVENTS.map((name) => [name, (data) => showEnd(name, name === "completed" ? data.images : data.error)])),
  end() {
    loadJobs().catch(showListError);
  },
};
// An event renamed in the contract must break the page (and its browser test), not go quietly unshown.
const unnamed = Object.keys(onEvent).filter((name) => !JOB_EVENT_NAMES.includes(name));
if (unnamed.length) throw new Error(`the gallery handles events the contract does not name: ${unnamed.join(", ")}`);

/** Follows a job's live events to their end; the client resumes a dropped connection by itself. */
async function watch(jobId) {
  watching?.abort();
  const controller = (watching = new AbortController());
  try {
    for await (const event of easel.jobs.events(jobId, { signal: controller.signal })) onEvent[event.type]?.(event.data);
  } catch (error) {
    if (!controller.signal.aborted) setStatus(`lost the job's live events: ${describe(error)}`);
  }
}

function showEnd(status, imagesOrError) {
  if (status === "completed") setProgress(100);
  setStatus(status === "completed" ? `completed: ${imagesOrError} images` : `${status}: ${imagesOrError ?? ""}`, status);
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
  if (FINAL_JOB_STATUSES.includes(job.status)) {
    watching?.abort();
    showEnd(job.status, job.status === "completed" ? job.images.length : job.error);
  } else {
    setStatus(job.status);
    watch(job.id);
  }
}

/** A past job's line: its first image as a thumbnail (the list gives display URLs when asked), type, status, count, time. */
function jobItem(job) {
  const item = document.createElement("li");
  item.dataset.status = job.status;
  const first = job.images[0];
  const thumb = first?.url ? Object.assign(document.createElement("img"), { src: first.url, alt: `${job.type} ${job.id}` }) : document.createElement("span");
  thumb.className = "thumb";
  const text = document.createElement("span");
  text.textContent = `${job.type} · ${job.status} · ${job.images.length} images · ${new Date(job.createdAt).toLocaleString()}`;
  item.append(thumb, text);
  item.addEventListener("click", async () => showJob(await easel.jobs.get(job.id)));
  return item;
}

async function loadJobs(more = false) {
  const page = await easel.jobs.page({ limit: PAGE_SIZE, include: "urls", ...(more && nextCursor ? { cursor: nextCursor } : {}) });
  nextCursor = page.nextCursor;
  $("#more").hidden = !nextCursor;
  const items = page.jobs.map(jobItem);
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
    if (!style?.size || !content?.size) throw new Error("choose a style image and a content image");
    $("#form-error").textContent = "uploading the images…";
    // Each goes from the browser to where the API says: a presigned PUT, or the Worker's signed upload route.
    const [styleUpload, contentUpload] = await Promise.all([easel.uploads.upload(style), easel.uploads.upload(content)]);
    Object.assign(input, { style_image: styleUpload.key, content_image: contentUpload.key, strength: Number(data.get("strength")) });
  }
  const job = await easel.jobs.create({ type, input });
  $("#form-error").textContent = "";
  showJob(job);
  loadJobs().catch(showListError);
}

function wire() {
  const kept = localStorage.getItem(KEY_STORAGE);
  $("#api-key").value = kept ?? "";
  $("#key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    easel = clientFor($("#api-key").value.trim());
    try {
      await loadJobs();
      localStorage.setItem(KEY_STORAGE, $("#api-key").value.trim());
      $("#key-status").textContent = "key accepted";
    } catch (error) {
      showListError(error);
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
      $("#form-error").textContent = describe(error);
    } finally {
      $("#submit").disabled = false;
    }
  });
  $("#refresh").addEventListener("click", () => loadJobs().catch(showListError));
  $("#more").addEventListener("click", () => loadJobs(true).catch(showListError));
  if (kept) loadJobs().catch(showListError);
}

wire();
