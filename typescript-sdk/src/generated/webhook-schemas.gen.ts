// The webhook payload schemas of call-actions.yaml (spec version 1.1.2), written by
// tools/client_facts.py when the SDK is generated: do not edit.

/** A JSON Schema as the spec writes it. */
export type Schema = { readonly [keyword: string]: unknown };

export const WEBHOOKS = {
  "callHangup": "CallDetails",
  "transferAnswered": "TransferAnsweredEvent"
} as const;

export const SCHEMAS: { readonly [name: string]: Schema } = {
  "CallDetails": {
    "type": "object",
    "description": "A call's details, as in the hangup webhook.",
    "required": [
      "call_uuid",
      "auth_id",
      "status",
      "from",
      "to",
      "recordings"
    ],
    "properties": {
      "call_uuid": {
        "$ref": "#/components/schemas/Uuid"
      },
      "auth_id": {
        "type": "string",
        "maxLength": 64,
        "pattern": "^[A-Za-z0-9_-]+$"
      },
      "status": {
        "$ref": "#/components/schemas/CallStatus"
      },
      "from": {
        "$ref": "#/components/schemas/E164Number"
      },
      "to": {
        "$ref": "#/components/schemas/E164Number"
      },
      "hangup_cause": {
        "type": [
          "string",
          "null"
        ],
        "maxLength": 64,
        "pattern": "^[a-z_]+$",
        "description": "Why the call ended, e.g. `normal_hangup` or `transferred`; null while active."
      },
      "recordings": {
        "type": "array",
        "maxItems": 1000,
        "items": {
          "$ref": "#/components/schemas/RecordingDetails"
        }
      }
    }
  },
  "CallStatus": {
    "type": "string",
    "enum": [
      "ringing",
      "in-progress",
      "transferring",
      "completed"
    ]
  },
  "E164Number": {
    "type": "string",
    "description": "A phone number in E.164 format.",
    "pattern": "^\\+[1-9][0-9]{1,14}$",
    "maxLength": 16,
    "examples": [
      "+14155559999"
    ]
  },
  "RecordingDetails": {
    "type": "object",
    "required": [
      "recording_uuid",
      "status",
      "format",
      "url",
      "duration",
      "expires_at"
    ],
    "properties": {
      "recording_uuid": {
        "$ref": "#/components/schemas/Uuid"
      },
      "status": {
        "type": "string",
        "enum": [
          "recording",
          "stopped"
        ]
      },
      "format": {
        "type": "string",
        "enum": [
          "mp3",
          "wav"
        ]
      },
      "url": {
        "type": [
          "string",
          "null"
        ],
        "format": "uri",
        "maxLength": 2048,
        "description": "Download URL once stopped; null while recording."
      },
      "duration": {
        "type": [
          "integer",
          "null"
        ],
        "format": "int32",
        "minimum": 0,
        "maximum": 14400
      },
      "expires_at": {
        "type": [
          "string",
          "null"
        ],
        "format": "date-time",
        "maxLength": 40,
        "description": "When the recording is deleted (30 days after it stopped)."
      }
    }
  },
  "TransferAnsweredEvent": {
    "type": "object",
    "required": [
      "transfer_uuid",
      "call_uuid",
      "to",
      "status"
    ],
    "properties": {
      "transfer_uuid": {
        "$ref": "#/components/schemas/Uuid"
      },
      "call_uuid": {
        "$ref": "#/components/schemas/Uuid"
      },
      "to": {
        "$ref": "#/components/schemas/E164Number"
      },
      "caller_id": {
        "oneOf": [
          {
            "$ref": "#/components/schemas/E164Number"
          },
          {
            "type": "null"
          }
        ]
      },
      "status": {
        "type": "string",
        "const": "answered"
      }
    }
  },
  "Uuid": {
    "type": "string",
    "format": "uuid",
    "maxLength": 36
  }
};
