/**
 * Form fields for a job type's payload, from the JSON Schema its workers advertise
 * (GET /v1/types): one input per property that is a number, integer, string,
 * boolean or enum; any other shape is edited as JSON. The server checks the
 * payload against the same schema, so the form only helps, it does not decide.
 */
import type { JsonValue } from "@rqueue/shared/contract";

export type FieldKind = "number" | "integer" | "string" | "boolean" | "enum";

export interface PayloadField {
  name: string;
  kind: FieldKind;
  required: boolean;
  minimum?: number;
  maximum?: number;
  options?: string[];
  /** What the input starts with. */
  initial: string;
}

type Schema = Record<string, unknown>;

const kindOf = (schema: Schema): FieldKind | null => {
  if (Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === "string")) return "enum";
  const type = schema.type;
  return type === "number" || type === "integer" || type === "string" || type === "boolean" ? type : null;
};

/** The fields of an object schema whose properties are all simple; null when the payload needs JSON. */
export function payloadFields(schema: Schema | null): PayloadField[] | null {
  if (schema?.type !== "object" || typeof schema.properties !== "object" || !schema.properties) {
    return null;
  }
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const fields: PayloadField[] = [];
  for (const [name, property] of Object.entries(schema.properties as Record<string, Schema>)) {
    const kind = kindOf(property);
    if (!kind) return null;
    const numeric = kind === "number" || kind === "integer";
    const minimum = typeof property.minimum === "number" ? property.minimum : undefined;
    const initial =
      property.default !== undefined
        ? String(property.default)
        : numeric && required.has(name)
          ? String(minimum ?? 0)
          : kind === "enum"
            ? String((property.enum as string[])[0])
            : "";
    fields.push({
      name,
      kind,
      required: required.has(name),
      ...(minimum !== undefined ? { minimum } : {}),
      ...(typeof property.maximum === "number" ? { maximum: property.maximum } : {}),
      ...(kind === "enum" ? { options: property.enum as string[] } : {}),
      initial,
    });
  }
  return fields;
}

/**
 * The payload from the inputs' values (`read(name)`: the text, or "true"/"false"
 * for a checkbox). Empty optional fields are left out; numbers stay numbers even
 * when not numeric, so the server names the field that is wrong.
 */
export function payloadFromFields(
  fields: readonly PayloadField[],
  read: (name: string) => string,
): JsonValue {
  const payload: Record<string, JsonValue> = {};
  for (const field of fields) {
    const text = read(field.name);
    if (field.kind === "boolean") {
      if (text === "true" || field.required) payload[field.name] = text === "true";
      continue;
    }
    if (text === "" && !field.required) continue;
    const numeric = field.kind === "number" || field.kind === "integer";
    payload[field.name] = numeric && text !== "" && !Number.isNaN(Number(text)) ? Number(text) : text;
  }
  return payload;
}
