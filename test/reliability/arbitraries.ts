import fc from "fast-check";
import { z } from "zod";

/**
 * fast-check arbitraries generated from the zod contract (through its JSON Schema, the form the
 * contract is exported in), and mutations of what they generate: the bodies the fuzzing throws at
 * every route.
 */

type JsonSchema = {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  default?: unknown;
};

const MAX_GENERATED_LENGTH = 80;

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === "uri") return fc.webUrl();
  if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length <= (schema.maxLength ?? Infinity) && text.length >= (schema.minLength ?? 0));
    } catch {
      // A pattern fast-check cannot generate from (lookaheads): plain strings, mostly refused.
    }
  }
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? MAX_GENERATED_LENGTH, MAX_GENERATED_LENGTH) });
}

function fromSchema(schema: JsonSchema, root: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.$ref) return fromSchema(root.$defs?.[schema.$ref.replace("#/$defs/", "")] ?? {}, root);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map((member) => fromSchema(member, root)));
  if (schema.allOf?.length) return fromSchema(schema.allOf[0]!, root);
  const type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((single) => fromSchema({ ...schema, type: single }, root)));
  switch (type[0]) {
    case "object": {
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, member]) => [name, fromSchema(member, root)]));
      return fc.record(properties, { requiredKeys: (schema.required ?? []).filter((name) => name in properties) });
    }
    case "array":
      return fc.array(fromSchema(schema.items ?? {}, root), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case "string":
      return stringArbitrary(schema);
    case "integer":
      return fc.integer({ min: Math.ceil(schema.minimum ?? schema.exclusiveMinimum ?? -1e6), max: Math.floor(Math.min(schema.maximum ?? 1e6, Number.MAX_SAFE_INTEGER)) });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Bodies a zod schema accepts (as its exported JSON Schema describes them). */
export function validBodies(schema: z.ZodType): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }) as JsonSchema;
  return fromSchema(json, json);
}

const oddValues = fc.oneof(
  fc.constant(null),
  fc.constant(""),
  fc.constant(-1),
  fc.constant(1e308),
  fc.constant("../../etc/passwd"),
  fc.constant("A".repeat(5_000)),
  fc.constant({}),
  fc.constant([]),
  fc.jsonValue({ maxDepth: 2 }),
);

/** One mutation of a body: a field dropped, retyped or added, a nested value replaced, or the whole body swapped. */
export function mutated(body: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(body, fc.nat(), oddValues, fc.string({ maxLength: 12 }), fc.nat({ max: 5 })).map(([value, pick, odd, name, how]) => {
    if (how === 5 || typeof value !== "object" || value === null || Array.isArray(value)) return odd;
    const copy = structuredClone(value) as Record<string, unknown>;
    const keys = Object.keys(copy);
    const key = keys.length ? keys[pick % keys.length]! : name;
    if (how === 0) delete copy[key];
    else if (how === 1) copy[key] = odd;
    else if (how === 2) copy[`${name}_extra`] = odd;
    // A nested object gets an extra field; an array is left alone (a field named "length" would resize it).
    else if (how === 3 && copy[key] && typeof copy[key] === "object" && !Array.isArray(copy[key])) (copy[key] as Record<string, unknown>)[name] = odd;
    else copy[key] = typeof copy[key] === "string" ? `${String(copy[key])}${name}` : odd;
    return copy;
  });
}

/** Mostly mutated bodies, some valid ones: the valid ones may write, a refused one must not. */
export const bodiesFor = (schema: z.ZodType) => fc.oneof({ weight: 1, arbitrary: validBodies(schema) }, { weight: 3, arbitrary: mutated(validBodies(schema)) });
