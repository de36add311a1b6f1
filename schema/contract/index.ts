export * from "./common.js";
export * from "./jobs.js";
export * from "./handler-input.js";
export * from "./events.js";
export * from "./legacy.js";
export * from "./normalise.js";
export * from "./save-image.js";
