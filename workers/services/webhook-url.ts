import ipaddr from "ipaddr.js";
import { ApiError } from "../errors.js";

// Names that resolve to the machine itself or to a private network by convention (RFC 6761, 6762, 8375).
const PRIVATE_NAME = /(^|\.)(localhost|local|internal|home\.arpa)$/i;

const refuse = (message: string) => new ApiError("validation_failed", `webhook ${message}`, [{ path: "webhook", message }]);

function ipOf(hostname: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(bare)) return null;
  const address = ipaddr.parse(bare);
  return address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function isLoopback(hostname: string): boolean {
  const ip = ipOf(hostname);
  return ip ? ip.range() === "loopback" : /(^|\.)localhost$/i.test(hostname);
}

/**
 * Whether a client's `webhook` may be called: https always; http only to a loopback address on a
 * local deployment; in production never a private, loopback or link-local target, named or
 * numeric, nor one whose name has no dot. Throws a 400 naming what is wrong; the URL itself stays
 * out of the message, since it may carry the client's own token.
 */
export function checkWebhookUrl(value: string, options: { local: boolean }): void {
  const url = new URL(value);
  if (url.username || url.password) throw refuse("must not carry credentials; use the signature to authenticate Easel");
  if (url.protocol === "http:" && !(options.local && isLoopback(url.hostname))) {
    throw refuse(options.local ? "must be https (http only to a loopback address)" : "must be https");
  }
  if (options.local) return;
  const ip = ipOf(url.hostname);
  if (ip && ip.range() !== "unicast") throw refuse(`must not target a ${ip.range()} address`);
  if (!ip && (PRIVATE_NAME.test(url.hostname) || !url.hostname.includes("."))) throw refuse("must target a public host name");
}
